// The page flavour's entry point (`pyodide-ready.mjs`): load it with
// <script type="module" src="pyodide-ready.mjs"></script> before the page's own scripts.
// It starts the site's Pyodide at once and sets, synchronously:
//   globalThis.pyodideReady  a promise of the interpreter, resolved once the site's
//                            requirements are installed (rejected with the reason if not);
//   globalThis.pyodide       the interpreter, once ready.
globalThis.pyodideReady = import("./pyodide.mjs")
  .then(({ loadPyodide }) => loadPyodide())
  .then((pyodide) => {
    globalThis.pyodide = pyodide;
    return pyodide;
  });
