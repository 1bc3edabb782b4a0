// Warm starts: a returning visitor's interpreter comes back from a memory snapshot.
//
// A reload pays `loadPyodide()` again, and most of that is CPython starting up (seconds on a
// slow machine), not the network: the runtime's files come from the HTTP cache. Pyodide can
// restore its WebAssembly memory from a snapshot instead (`_loadSnapshot`, experimental), which
// skips the start-up. This module keeps one such snapshot per origin in Cache Storage:
//
// - after a cold start, once the page is idle, a module worker (`pyodide-snapshot-worker.mjs`)
//   starts a second, throwaway interpreter with the same settings, snapshots it right after
//   start-up (nothing imported, no package loaded, no page code run) and keeps it. The page's
//   own interpreter is never put in snapshot mode, which would wrap every `js` object it reads;
// - the next start with the same settings restores it, checked first (its sha256, its size,
//   Pyodide's own build id) and then probed; anything wrong drops the entry and starts cold.
//
// The snapshot holds interpreter state only: the page's packages are still loaded (from their
// caches) after a restore, exactly as after a cold start. What differs from a cold start: the
// string-hash seed is the one of the start the snapshot was taken from (PEP 456's protection
// against hash flooding matters little in a visitor's own tab).

const CACHE_NAME = "pyodide-pm-warm-start-v1";
const FORMAT = 1;
const IDLE_DELAY_MS = 2000;
const RESTORED = `import sys
if sys.path[:2] == ["", ""]:
    del sys.path[0]
if "random" in sys.modules:
    sys.modules["random"].seed()
sys.path.count("")`;

/** What the last `loadPyodideWarm()` did: `start` is "snapshot" or "cold"; `saved` resolves to
 * true once a snapshot for the next start is kept (false when none will be: see `reason`);
 * `entry` is that snapshot's key in Cache Storage. */
export const warmStart = { start: null, reason: null, entry: null, saved: Promise.resolve(false) };

const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");

async function sha256(bytes) {
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

/** The settings a snapshot depends on (what CPython read while starting), or null when the
 * caller's settings cannot be reproduced in a worker (its own globals, its own snapshot, no
 * absolute `indexURL` to find the runtime from). */
export function snapshotSettings(version, settings) {
  if (settings.jsglobals !== undefined || settings._loadSnapshot || settings._makeSnapshot) return null;
  if (typeof settings.indexURL !== "string" || !/^https?:/.test(settings.indexURL)) return null;
  let plain;
  try {
    plain = JSON.parse(JSON.stringify({
      format: FORMAT, version, indexURL: settings.indexURL, stdLibURL: settings.stdLibURL ?? null,
      env: settings.env ?? {}, args: settings.args ?? [],
    }));
  } catch {
    return null;
  }
  return plain;
}

async function entryURL(plain) {
  const key = (await sha256(new TextEncoder().encode(JSON.stringify(plain)))).slice(0, 32);
  return new URL(`pyodide-pm-warm-start/${key}.snapshot`, plain.indexURL).href;
}

const SHA256_HEADER = "x-snapshot-sha256";
const SIZE_HEADER = "x-snapshot-bytes";

/** Keep `bytes` as the only snapshot of the cache `cacheName`, under `url`, with the sha256 and
 * size that `checkedBytes` checks (the snapshot worker calls it). The others (an older Pyodide,
 * other settings) go, so the warm-start cache holds one snapshot (~30 MB) per origin. */
export async function keepSnapshotBytes(cacheName, url, bytes) {
  const headers = { "content-type": "application/octet-stream", [SHA256_HEADER]: await sha256(bytes),
    [SIZE_HEADER]: String(bytes.length) };
  const cache = await caches.open(cacheName);
  await cache.put(url, new Response(bytes, { headers }));
  for (const request of await cache.keys()) {
    if (request.url !== url) await cache.delete(request);
  }
}

class DamagedSnapshot extends Error {}

/** The kept snapshot's bytes once read and checked against its sha256 and size; rejects with
 * DamagedSnapshot. Read while Pyodide starts loading: reading 30 MB and hashing it take ~140 ms. */
async function checkedBytes(response) {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const expected = response.headers.get(SHA256_HEADER);
  const size = Number(response.headers.get(SIZE_HEADER));
  if (!expected || bytes.length !== size || (await sha256(bytes)) !== expected) {
    throw new DamagedSnapshot(`its sha256 or size is not the one it was kept with`);
  }
  return bytes;
}

/** Restore from the kept `response`: {pyodide}, or {refused: why} (and the entry dropped) when it
 * is damaged, when Pyodide refuses it (another build) or when the restored interpreter misbehaves. */
async function restore(pyodideModule, settings, response, cache, url) {
  const bytes = checkedBytes(response);
  bytes.catch(() => {});  // seen through loadPyodide below
  try {
    const pyodide = await pyodideModule.loadPyodide({ ...settings, _loadSnapshot: bytes });
    // Pyodide puts "" at the head of sys.path after every start, the snapshot's included; and a
    // `random` imported while starting would repeat the snapshot's sequence: seed it afresh.
    const probe = pyodide.runPython(RESTORED);
    if (probe !== 1) throw new Error(`sys.path holds "" ${probe} times after the restore`);
    return { pyodide };
  } catch (error) {
    const what = error instanceof DamagedSnapshot ? `is damaged (${error.message})` : `did not restore (${error})`;
    console.warn(`pyodide-pm: the kept interpreter snapshot ${url} ${what}; dropped, starting cold`);
    await cache.delete(url).catch(() => {});
    return { refused: `the kept snapshot ${what}` };
  }
}

function whenIdle(delayMs) {
  return new Promise((resolve) => {
    setTimeout(() => (globalThis.requestIdleCallback ? requestIdleCallback(() => resolve(), { timeout: delayMs }) : resolve()),
      delayMs);
  });
}

/** Keep a snapshot for the next start, made in a worker once the page is idle. */
async function keepSnapshot(workerURL, plain, lock, url) {
  await whenIdle(IDLE_DELAY_MS);
  // The worker's interpreter needs a lock to start (its packages are never loaded): the page's,
  // as a URL or as text (a client may pass an object, or a promise of one).
  const contents = await lock.lockFileContents;
  const lockSetting = lock.lockFileURL ? { lockFileURL: lock.lockFileURL }
    : contents !== undefined ? { lockFileContents: typeof contents === "string" ? contents : JSON.stringify(contents) } : {};
  const worker = new Worker(workerURL, { type: "module" });
  try {
    const reply = await new Promise((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => reject(new Error(event.message || "the snapshot worker failed to start"));
      worker.postMessage({
        cacheName: CACHE_NAME, url, runtimeURL: plain.indexURL, moduleURL: import.meta.url,
        settings: {
          indexURL: plain.indexURL, env: plain.env, args: plain.args,
          ...(plain.stdLibURL ? { stdLibURL: plain.stdLibURL } : {}),
          ...lockSetting,
        },
      });
    });
    if (!reply.ok) throw new Error(reply.error);
    return true;
  } finally {
    worker.terminate();
  }
}

/**
 * `pyodideModule.loadPyodide(settings)`, restored from a kept snapshot when there is a good one
 * for the same Pyodide and settings; after a cold start, a snapshot is made for the next one
 * (`workerURL`: the snapshot worker). Without Cache Storage or workers this is a cold start.
 */
export async function loadPyodideWarm(pyodideModule, settings, workerURL) {
  const plain = snapshotSettings(pyodideModule.version, settings);
  const usable = plain !== null && typeof caches !== "undefined" && typeof Worker === "function"
    && globalThis.crypto?.subtle !== undefined;
  let cache = null;
  let url = null;
  let refused = null;  // why a kept snapshot was not used, for warmStart.reason
  if (usable) {
    try {
      url = await entryURL(plain);
      cache = await caches.open(CACHE_NAME);
      const response = await cache.match(url);
      if (response) {
        const restored = await restore(pyodideModule, settings, response, cache, url);
        if (restored.pyodide) {
          Object.assign(warmStart, { start: "snapshot", reason: null, entry: url, saved: Promise.resolve(true) });
          return restored.pyodide;
        }
        refused = restored.refused;
      }
    } catch (error) {
      // Cache Storage refused (private browsing, a storage error): start cold, say so once.
      console.warn(`pyodide-pm: no warm start (${error}); starting cold`);
      cache = null;
    }
  }
  const lock = typeof settings.lockFileURL === "string" ? { lockFileURL: settings.lockFileURL }
    : settings.lockFileContents !== undefined ? { lockFileContents: settings.lockFileContents } : {};
  const pyodide = await pyodideModule.loadPyodide(settings);
  const reason = !usable ? "this page has no Cache Storage, workers or settings a worker can repeat"
    : cache ? refused : "Cache Storage refused";
  const saved = cache
    ? keepSnapshot(workerURL, plain, lock, url).catch((error) => {
        console.warn(`pyodide-pm: no interpreter snapshot kept for the next visit (${error})`);
        warmStart.reason = String(error);
        return false;
      })
    : Promise.resolve(false);
  Object.assign(warmStart, { start: "cold", reason, entry: url, saved });
  return pyodide;
}
