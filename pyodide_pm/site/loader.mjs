// The site's Pyodide, served as `pyodide.mjs` at the root of a site that `pyodide-pm site`
// built. It exports what Pyodide's own `pyodide.mjs` exports (`loadPyodide`, `version`), so
// PyScript takes it as its `interpreter` and a page imports it like Pyodide's. What it adds:
// the runtime from where the site says (the site itself when offline, else the release's
// CDN folder), the site's lock (our micropip, the site's packages, its index), and the
// site's requirements preloaded from that lock, checked after loading (Pyodide only logs a
// failed download), and a warm start on a return visit (`pyodide-warm-start.mjs`: the
// interpreter restored from a memory snapshot kept after the first visit; `warmStart: false`
// in the options turns it off, `warmStart` below says what the last start did).
const manifestURL = new URL("./pyodide-site.json", import.meta.url);
const site = await (await fetch(manifestURL)).json();
const runtimeURL = new URL(site.pyodide.url, manifestURL).href;
const lockFileURL = new URL(site.lock, manifestURL).href;
const pyodideModule = await import(runtimeURL + "pyodide.mjs");
const { loadPyodideWarm, warmStart } = await import(new URL("./pyodide-warm-start.mjs", import.meta.url).href);
const workerURL = new URL("./pyodide-snapshot-worker.mjs", import.meta.url).href;

export { warmStart };

export const version = pyodideModule.version;

const normalized = (name) => name.toLowerCase().replace(/[-_.]+/g, "-");

export async function loadPyodide(options = {}) {
  const { warmStart: warm = true, ...rest } = options;
  const settings = { ...rest, indexURL: runtimeURL, packages: [...new Set([...site.preload, ...(rest.packages ?? [])])] };
  if (settings.lockFileContents === undefined) {
    settings.lockFileURL = lockFileURL;
  } else {
    // A client's stored lock (PyScript's package cache): its relative entries are the site's.
    settings.packageBaseUrl ??= new URL(".", lockFileURL).href;
  }
  const pyodide = warm ? await loadPyodideWarm(pyodideModule, settings, workerURL) : await pyodideModule.loadPyodide(settings);
  const loaded = new Set(Object.keys(pyodide.loadedPackages).map(normalized));
  const missing = site.preload.filter((name) => !loaded.has(normalized(name)));
  if (missing.length) {
    throw new Error(`${missing.join(", ")} did not load from the site's lock ${lockFileURL}; the console says why`);
  }
  return pyodide;
}
