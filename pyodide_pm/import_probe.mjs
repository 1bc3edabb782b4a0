// Install wheels into a fresh Pyodide with our micropip and import their modules (for `pyodide-pm check --import`).
//
// Usage: node import_probe.mjs REQUEST.json
//   REQUEST = {"pyodide": "/abs/node_modules/pyodide/pyodide.mjs",
//              "lockFileURL": "/abs/bundle/pyodide-lock.json",   (a bundle from micropip.bundle.write_bundle)
//              "indexUrls": ["http://127.0.0.1:PORT/simple/"],
//              "wheels": [{"path": "/abs/x-1.0-py3-none-any.whl", "name": "x", "modules": ["x"]}]}
// Prints one JSON line on stdout:
//   {"ok": true, "results": [{"filename", "install": {"ok", "error"}, "imports": [{"module", "ok", "error"}]}]}
//   or {"ok": false, "error": "..."} when Pyodide or micropip could not be started.
// Python's own output goes to stderr so that stdout carries only the answer.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { pathToFileURL } from "node:url";

const PROBE_PY = `
import importlib, json, traceback
import micropip

async def _probe(request_json):
    request = json.loads(request_json)
    results = []
    for wheel in request["wheels"]:
        entry = {"filename": wheel["filename"], "install": {"ok": True, "error": None}, "imports": []}
        results.append(entry)
        try:
            # "name @ url" pins this very file (a bare path would be read as a wheel URL with a version).
            await micropip.install(f"{wheel['name']} @ emfs:{wheel['emfs']}", index_urls=request["indexUrls"] or None)
        except BaseException as exc:
            entry["install"] = {"ok": False, "error": _last_line(exc)}
            continue
        importlib.invalidate_caches()
        for module in wheel["modules"]:
            try:
                importlib.import_module(module)
                entry["imports"].append({"module": module, "ok": True, "error": None})
            except BaseException as exc:
                entry["imports"].append({"module": module, "ok": False, "error": _last_line(exc)})
    return json.dumps(results)

def _last_line(exc):
    """The last line of the traceback: 'ValueError: why'."""
    lines = traceback.format_exception_only(type(exc), exc)
    return (lines[-1] if lines else repr(exc)).strip()
`;

function answer(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

async function main() {
  const request = JSON.parse(readFileSync(process.argv[2], "utf8"));
  const { loadPyodide } = await import(pathToFileURL(request.pyodide).href);
  const py = await loadPyodide({
    lockFileURL: request.lockFileURL,
    stdout: (s) => process.stderr.write(`[py] ${s}\n`),
    stderr: (s) => process.stderr.write(`[py:err] ${s}\n`),
  });
  const logs = [];
  await py.loadPackage("micropip", { messageCallback: (m) => logs.push(m), errorCallback: (m) => logs.push(m) });
  // loadPackage resolves even when a download failed: check what actually loaded.
  if (!("micropip" in py.loadedPackages)) {
    return answer({ ok: false, error: `Pyodide could not load micropip from ${request.lockFileURL}: ${logs.join(" | ")}` });
  }
  py.FS.mkdirTree("/tmp/probe");
  const wheels = request.wheels.map((w) => {
    const filename = basename(w.path);
    py.FS.writeFile(`/tmp/probe/${filename}`, readFileSync(w.path));
    return { filename, name: w.name, emfs: `/tmp/probe/${filename}`, modules: w.modules };
  });
  py.runPython(PROBE_PY);
  const probe = py.globals.get("_probe");
  try {
    const text = await probe(JSON.stringify({ indexUrls: request.indexUrls || [], wheels }));
    answer({ ok: true, results: JSON.parse(text) });
  } finally {
    probe.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    answer({ ok: false, error: String((err && err.stack) || err) });
    process.exit(1);
  },
);
