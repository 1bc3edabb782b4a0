// The benchmark's Node side: one process, many fresh Pyodide interpreters, timed in JS.
//
// Driven by bench/run.py over stdin/stdout, one JSON object per line each way:
//   {"id":1,"op":"new","lockFileURL":"/abs/pyodide-lock.json","load":["micropip"]}
//        -> {"id":1,"ok":true,"interp":N,"boot_ms":..,"load_ms":..}
//   {"id":2,"op":"py","interp":N,"code":"..."}   -> {"ok":true,"ms":..,"value":<the last expression, if a str>}
//   {"id":3,"op":"floor","interp":N,"urls":[..],"site":"/lib/python3.14/site-packages"}
//        -> {"ok":true,"ms":..,"bytes":..,"files":..}     fetch + native inflate + FS.writeFile, nothing else
//   {"id":4,"op":"unpack","interp":N,"urls":[..],"site":".."}   -> fetch + pyodide.unpackArchive per wheel
//   {"id":5,"op":"drop","interp":N}
// Every "ms" is performance.now() around the operation alone (never interpreter start-up).
// Python's output goes to stderr, so stdout carries only answers.
import { loadPyodide } from "pyodide";
import readline from "node:readline";
import { inflateRawSync } from "node:zlib";

const interps = new Map();
let nextInterp = 1;
const quiet = process.env.BENCH_VERBOSE ? false : true;

function send(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function pyOut(prefix) {
  return (s) => {
    if (!quiet) process.stderr.write(`${prefix} ${s}\n`);
  };
}

async function newInterp(msg) {
  let t0 = performance.now();
  const py = await loadPyodide({
    lockFileURL: msg.lockFileURL,
    stdout: pyOut("[py]"),
    stderr: (s) => process.stderr.write(`[py:err] ${s}\n`),
  });
  const boot_ms = performance.now() - t0;
  const load = msg.load ?? [];
  const logs = [];
  t0 = performance.now();
  if (load.length) {
    await py.loadPackage(load, { messageCallback: (m) => logs.push(m), errorCallback: (m) => logs.push("ERROR: " + m) });
  }
  const load_ms = performance.now() - t0;
  const missing = load.filter((name) => !(name in py.loadedPackages));
  if (missing.length) throw new Error(`loadPackage did not load ${missing.join(", ")}: ${logs.join(" | ")}`);
  const id = nextInterp++;
  interps.set(id, py);
  return { interp: id, boot_ms, load_ms };
}

function get(id) {
  const py = interps.get(id);
  if (!py) throw new Error(`no interpreter ${id}`);
  return py;
}

async function runPy(msg) {
  const py = get(msg.interp);
  const t0 = performance.now();
  let value = await py.runPythonAsync(msg.code);
  const ms = performance.now() - t0;
  if (value && typeof value.destroy === "function") {
    value.destroy();
    value = null;
  }
  return { ms, value: typeof value === "string" ? value : null };
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// The members of a zip archive, read from its central directory (no zip64: wheels here are small).
function zipEntries(buf) {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error("not a zip archive (no end of central directory)");
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const decoder = new TextDecoder();
  const out = [];
  for (let n = 0; n < count; n++) {
    if (view.getUint32(p, true) !== 0x02014b50) throw new Error("bad central directory entry");
    const method = view.getUint16(p + 10, true);
    const csize = view.getUint32(p + 20, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = decoder.decode(buf.subarray(p + 46, p + 46 + nameLen));
    if (view.getUint32(local, true) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    out.push({ name, method, raw: buf.subarray(start, start + csize) });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

async function floor(msg) {
  const py = get(msg.interp);
  const FS = py.FS;
  const made = new Set();
  let bytes = 0;
  let files = 0;
  const t0 = performance.now();
  await Promise.all(
    msg.urls.map(async (url) => {
      const buf = await fetchBytes(url);
      bytes += buf.length;
      for (const entry of zipEntries(buf)) {
        if (entry.name.endsWith("/")) continue;
        let data;
        if (entry.method === 0) data = entry.raw;
        else if (entry.method === 8) data = inflateRawSync(entry.raw);
        else throw new Error(`${url}: ${entry.name} uses compression method ${entry.method}`);
        const path = `${msg.site}/${entry.name}`;
        const dir = path.slice(0, path.lastIndexOf("/"));
        if (!made.has(dir)) {
          FS.mkdirTree(dir);
          made.add(dir);
        }
        FS.writeFile(path, data);
        files++;
      }
    }),
  );
  return { ms: performance.now() - t0, bytes, files };
}

async function unpack(msg) {
  const py = get(msg.interp);
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(
    msg.urls.map(async (url) => {
      const buf = await fetchBytes(url);
      bytes += buf.length;
      py.unpackArchive(buf, "wheel", { extractDir: msg.site });
    }),
  );
  return { ms: performance.now() - t0, bytes };
}

async function handle(msg) {
  try {
    let answer;
    if (msg.op === "new") answer = await newInterp(msg);
    else if (msg.op === "py") answer = await runPy(msg);
    else if (msg.op === "floor") answer = await floor(msg);
    else if (msg.op === "unpack") answer = await unpack(msg);
    else if (msg.op === "drop") {
      interps.delete(msg.interp);
      if (globalThis.gc) globalThis.gc();
      answer = {};
    } else throw new Error(`unknown op ${msg.op}`);
    send({ id: msg.id, ok: true, ...answer });
  } catch (err) {
    send({ id: msg.id, ok: false, message: String((err && err.stack) || err) });
  }
}

// One request at a time: timings must not overlap.
let queue = Promise.resolve();
const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  const msg = JSON.parse(line);
  queue = queue.then(() => handle(msg));
});
rl.on("close", () => queue.then(() => process.exit(0)));
send({ id: 0, ok: true, ready: true });
