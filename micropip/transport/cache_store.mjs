// Where micropip's persistent wheel cache keeps its bytes, outside the interpreter.
//
// A fresh Pyodide starts with an empty in-memory filesystem, so the bytes live on the host
// disk through Node's fs, or in the browser's Cache Storage (pages and Web Workers alike).
// These functions only move bytes; naming, verification, the index and eviction are
// micropip.cache's business. `store` is undefined where neither exists
// (an insecure context, a worker without caches).

const isNode = typeof process !== "undefined" && !!(process.versions && process.versions.node);

async function nodeStore() {
  const fs = await import("node:fs/promises");
  const path = await import("node:path");
  const os = await import("node:os");
  const missing = (e) => e && (e.code === "ENOENT" || e.code === "ENOTDIR");
  return {
    defaultDir() {
      const xdg = process.env.XDG_CACHE_HOME;
      const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache");
      return path.join(base, "pyodide-pm", "wheels");
    },
    async read(dir, name) {
      try {
        const b = await fs.readFile(path.join(dir, name));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) {
        if (missing(e)) return undefined;
        throw e;
      }
    },
    async write(dir, name, data) {
      await fs.mkdir(dir, { recursive: true });
      const tmp = path.join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
      try {
        await fs.writeFile(tmp, data);
        await fs.rename(tmp, path.join(dir, name));  // atomic: readers see the old file or the new one
      } catch (e) {
        await fs.rm(tmp, { force: true }).catch(() => {});
        throw e;
      }
    },
    async remove(dir, name) { await fs.rm(path.join(dir, name), { force: true }); },
    async list(dir) {
      let names;
      try { names = await fs.readdir(dir); } catch (e) { if (missing(e)) return "[]"; throw e; }
      const rows = [];
      for (const name of names) {
        try {
          const st = await fs.stat(path.join(dir, name));
          if (st.isFile()) rows.push([name, st.size]);
        } catch (e) { if (!missing(e)) throw e; }
      }
      return JSON.stringify(rows);
    },
  };
}

function cacheStorageStore() {
  if (typeof caches === "undefined" || !caches) return undefined;
  const SIZE = "x-pyodide-pm-size";
  const opened = new Map();  // caches.open() once per name: each call costs a turn of the event loop
  const open = (cacheName) => {
    if (!opened.has(cacheName)) opened.set(cacheName, caches.open(cacheName).catch((e) => { opened.delete(cacheName); throw e; }));
    return opened.get(cacheName);
  };
  return {
    async read(cacheName, url) {
      if (!(await caches.has(cacheName))) { opened.delete(cacheName); return undefined; }
      const r = await (await open(cacheName)).match(url);
      return r ? new Uint8Array(await r.arrayBuffer()) : undefined;
    },
    async write(cacheName, url, data) {
      const headers = { "content-type": "application/octet-stream", [SIZE]: String(data.length) };
      await (await open(cacheName)).put(url, new Response(data, { headers }));
    },
    async remove(cacheName, url) { await (await open(cacheName)).delete(url); },
    async dropCache(cacheName) { opened.delete(cacheName); await caches.delete(cacheName); },
    async list(cacheName) {
      if (!(await caches.has(cacheName))) { opened.delete(cacheName); return "[]"; }
      const cache = await open(cacheName);
      const rows = [];
      for (const req of await cache.keys()) {
        const r = await cache.match(req);
        if (!r) continue;
        const size = r.headers.has(SIZE) ? Number(r.headers.get(SIZE)) : (await r.blob()).size;
        rows.push([req.url, size]);
      }
      return JSON.stringify(rows);
    },
  };
}

export const store = isNode ? await nodeStore() : cacheStorageStore();
