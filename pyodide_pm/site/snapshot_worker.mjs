// The snapshot worker (`pyodide-snapshot-worker.mjs`, started by warm_start.mjs): starts a
// throwaway interpreter with the page's settings in snapshot mode, snapshots it at once and
// keeps the snapshot in Cache Storage with its sha256 and size. It is the only entry there:
// the others (an older Pyodide, other settings) go, so the warm-start cache holds one snapshot
// (~30 MB) per origin. Replies {ok: true} or {ok: false, error}.
self.onmessage = async ({ data }) => {
  try {
    const { loadPyodide } = await import(data.runtimeURL + "pyodide.mjs");
    const pyodide = await loadPyodide({ ...data.settings, packages: [], _makeSnapshot: true });
    const bytes = pyodide.makeMemorySnapshot();
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    const sha = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    const cache = await caches.open(data.cacheName);
    await cache.put(data.url, new Response(bytes, {
      headers: { "content-type": "application/octet-stream", "x-snapshot-sha256": sha, "x-snapshot-bytes": String(bytes.length) },
    }));
    for (const request of await cache.keys()) {
      if (request.url !== data.url) await cache.delete(request);
    }
    self.postMessage({ ok: true });
  } catch (error) {
    self.postMessage({ ok: false, error: String(error) });
  }
};
