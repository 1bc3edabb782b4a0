// The snapshot worker (`pyodide-snapshot-worker.mjs`, started by warm_start.mjs): starts a
// throwaway interpreter with the page's settings in snapshot mode, snapshots it at once and
// keeps it with warm_start.mjs's keepSnapshotBytes (the module's URL comes with the message,
// since a site serves it under another name). Replies {ok: true} or {ok: false, error}.
self.onmessage = async ({ data }) => {
  try {
    const [{ loadPyodide }, { keepSnapshotBytes }] = await Promise.all([
      import(data.runtimeURL + "pyodide.mjs"), import(data.moduleURL),
    ]);
    const pyodide = await loadPyodide({ ...data.settings, packages: [], _makeSnapshot: true });
    await keepSnapshotBytes(data.cacheName, data.url, pyodide.makeMemorySnapshot());
    self.postMessage({ ok: true });
  } catch (error) {
    self.postMessage({ ok: false, error: String(error) });
  }
};
