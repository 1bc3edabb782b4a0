// A long-lived Node process that hosts real Pyodide interpreters for the tests.
//
// Protocol: one JSON object per line on stdin, one JSON answer per line on stdout.
//   {"id": 1, "op": "new", "lockFileURL": "/abs/bundle/pyodide-lock.json"}  -> {"id":1,"ok":true,"interp":N,"ms":..}
//   {"id": 2, "op": "run", "interp": N, "code": "<python>"}              -> {"id":2,"ok":true,"value":<json>} or
//                                                                          {"id":2,"ok":false,"type":..,"message":..,"traceback":..}
//   {"id": 3, "op": "drop", "interp": N}
// Python output goes to stderr (prefixed), so stdout carries only answers.
import { loadPyodide } from "pyodide";
import readline from "node:readline";
import { readFileSync } from "node:fs";

const interps = new Map();
let nextInterp = 1;

// Every interpreter starts from a memory snapshot of one that Pyodide booted here (Pyodide's
// own ``_makeSnapshot`` / ``_loadSnapshot``): the same state a boot reaches, without running
// Python's start-up again, which compiles the standard library's start-up modules from source
// (the npm package ships no .pyc): ~1.5 s a boot on a fast machine, 4-5 s on a slow CI core,
// against ~0.3 s from the snapshot. Packages, the lockfile and the filesystem are each
// interpreter's own as before (the snapshot is taken before anything is loaded), so every
// test still gets a fresh interpreter. PYODIDE_HARNESS_SNAPSHOT=0 boots each one from scratch.
const USE_SNAPSHOT = process.env.PYODIDE_HARNESS_SNAPSHOT !== "0";
let snapshot = null;

async function boot(lockFileURL, output) {
  if (!USE_SNAPSHOT) return loadPyodide({ lockFileURL, ...output });
  if (snapshot === null) {
    const maker = await loadPyodide({ lockFileURL, ...output, _makeSnapshot: true });
    snapshot = maker.makeMemorySnapshot();
  }
  const py = await loadPyodide({ lockFileURL, ...output, _loadSnapshot: snapshot });
  // The snapshot holds its maker's ``random`` state: reseeded, as a boot seeds it. (Its string
  // hash secret stays: one per Node process, so per pytest worker and run, not per test.)
  py.runPython("import random as _r; _r.seed(); del _r");
  return py;
}

const PY_HELPER = readFileSync(new URL("./run_helper.py", import.meta.url), "utf8");

function send(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

async function newInterp(msg) {
  const t0 = performance.now();
  const logs = [];
  const py = await boot(msg.lockFileURL, {
    stdout: (s) => process.stderr.write(`[py] ${s}\n`),
    stderr: (s) => process.stderr.write(`[py:err] ${s}\n`),
  });
  const load = msg.load ?? ["micropip"];
  if (load.length) {
    await py.loadPackage(load, {
      messageCallback: (m) => logs.push(m),
      errorCallback: (m) => logs.push("ERROR: " + m),
    });
  }
  // loadPackage resolves even when a download failed: check what loaded.
  const missing = load.filter((name) => !(name in py.loadedPackages));
  if (missing.length) {
    throw new Error(`loadPackage did not load ${missing.join(", ")}: ${logs.join(" | ")}`);
  }
  py.runPython(PY_HELPER);
  const id = nextInterp++;
  interps.set(id, { py, ns: py.globals.get("dict")() });
  return { interp: id, ms: performance.now() - t0, logs };
}

async function run(msg) {
  const entry = interps.get(msg.interp);
  if (!entry) throw new Error(`no interpreter ${msg.interp}`);
  const fn = entry.py.globals.get("_harness_run");
  const text = await fn(msg.code, entry.ns);
  fn.destroy();
  return JSON.parse(text);
}

async function handle(msg) {
  try {
    if (msg.op === "new") return send({ id: msg.id, ok: true, ...(await newInterp(msg)) });
    if (msg.op === "run") return send({ id: msg.id, ...(await run(msg)) });
    if (msg.op === "drop") {
      const entry = interps.get(msg.interp);
      if (entry) entry.ns.destroy();
      interps.delete(msg.interp);
      return send({ id: msg.id, ok: true });
    }
    throw new Error(`unknown op ${msg.op}`);
  } catch (err) {
    send({ id: msg.id, ok: false, type: "HarnessError", message: String(err && err.stack || err), traceback: "" });
  }
}

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (line.trim()) handle(JSON.parse(line));
});
rl.on("close", () => process.exit(0));
send({ id: 0, ok: true, ready: true });
