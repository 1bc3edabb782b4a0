"""Real clients on our micropip, in Chromium: JupyterLite's ``%pip`` and PyScript's ``packages``.

Both clients load whichever ``micropip`` the Pyodide lock names; the sites here give them
our bundle lock (see tests/harness/client_sites.py, built at set-up by
scripts/setup_clients.sh). Each test rebuilds the lock folders from the bundle of the
current source, offline, and serves them over the set-up's JupyterLite app and Pyodide
runtime, so what runs is the micropip in this tree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from index_server.server import start_static_server

from .harness import client_sites

pytestmark = pytest.mark.browser

OUR_VERSION = "1.0.0a1"
KERNEL_BOOT_MS = 180_000
CELL_MS = 120_000

# Logs what the Pyodide kernel's worker reports to the page: its log messages and a failed
# start-up (the worker answers the page's initialize() call with a thrown error, which the
# REPL shows nowhere). Observation only: every message still reaches JupyterLite.
WORKER_LOG_SCRIPT = """
(() => {
  const Native = globalThis.Worker;
  if (!Native) return;
  globalThis.__kernelErrors = [];
  globalThis.Worker = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const data = event.data;
        if (data && data._logMessage) {
          const m = data._logMessage;
          console.log('[kernel] ' + m.level + ': ' + (typeof m.data === 'string' ? m.data : JSON.stringify(m.data)));
        }
        const thrown = data && data.name === 'throw' && data.value && data.value.value;
        if (thrown) globalThis.__kernelErrors.push(String(thrown.message || thrown.stack || JSON.stringify(thrown)));
      });
    }
  };
})();
"""


def _require_sites() -> None:
    missing = [p for p in (client_sites.LITE_OUT / "repl", client_sites.PYSCRIPT_DIST / "core.js") if not p.exists()]
    if missing:
        pytest.fail(f"client sites missing ({', '.join(map(str, missing))}): run `bash scripts/setup.sh`")


# ---- JupyterLite -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lite_site(bundle_dir: Path, tmp_path_factory) -> Iterator:
    """The JupyterLite site, its kernel lock rebuilt from the current bundle."""
    _require_sites()
    client_sites.check_jupyterlite_config()
    lock_dir = tmp_path_factory.mktemp("lite-lock")
    try:
        client_sites.write_kernel_lock_dir(bundle_dir, lock_dir)
    except client_sites.MissingDownload as exc:
        pytest.fail(str(exc))
    with start_static_server({"/": client_sites.LITE_OUT, "/static/pyodide-lock/": lock_dir}) as server:
        yield server


class LiteRepl:
    """JupyterLite's REPL driven as a person would: type in the prompt, Shift+Enter, read."""

    def __init__(self, page, console: list[str]) -> None:
        self.page = page
        self.console = console
        self.executed = 0

    def _diagnosis(self) -> str:
        errors = self.page.evaluate("globalThis.__kernelErrors || []")
        lines = [line for line in self.console[-30:] if not line.startswith("    at ")]
        return f"kernel errors: {errors}\nlast console lines:\n" + "\n".join(lines)

    def wait_idle(self, timeout_ms: int = KERNEL_BOOT_MS) -> None:
        status = '[data-jp-item-name="kernelStatus"]'
        try:
            self.page.wait_for_function(
                f"""() => (globalThis.__kernelErrors || []).length > 0
                      || (document.querySelector('{status}')?.getAttribute('title') || '') === 'Kernel Idle'""",
                timeout=timeout_ms,
            )
        except Exception as exc:
            title = self.page.get_attribute(status, "title")
            raise AssertionError(f"the Pyodide kernel never reached idle ({title}): {exc}\n{self._diagnosis()}") from None
        errors = self.page.evaluate("globalThis.__kernelErrors")
        assert not errors, f"the Pyodide kernel failed to start:\n{errors[0]}"

    def run(self, code: str, timeout_ms: int = CELL_MS) -> str:
        """Execute ``code`` in the console's prompt; the text of its outputs."""
        editor = self.page.locator(".jp-CodeConsole-promptCell .cm-content")
        editor.click()
        self.page.keyboard.insert_text(code)
        self.page.keyboard.press("Shift+Enter")
        self.executed += 1
        cell = self.page.locator(".jp-CodeConsole-content .jp-CodeCell").nth(self.executed - 1)
        prompt = cell.locator(".jp-InputPrompt")
        try:
            prompt.filter(has_text=re.compile(r"\[\d+\]")).wait_for(timeout=timeout_ms)
        except Exception as exc:
            raise AssertionError(f"cell {code!r} did not finish: {exc}\n{self._diagnosis()}") from None
        return cell.locator(".jp-OutputArea").inner_text()


def test_jupyterlite_pip_installs_through_our_micropip(chromium, lite_site, fixture_index, artifacts):
    context = chromium.new_context()
    context.add_init_script(WORKER_LOG_SCRIPT)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    try:
        page.goto(lite_site.url + "repl/index.html?kernel=python&toolbar=1")
        repl = LiteRepl(page, console)
        repl.wait_idle()
        assert repl.run("import micropip; micropip.__version__").strip().endswith(repr(OUR_VERSION))
        repl.run(f"micropip.set_index_urls([{fixture_index.simple_url!r}])")
        installed = repl.run("%pip install demo-app")
        assert "Traceback" not in installed and "Error" not in installed, installed
        shown = repl.run("import demo_app, greeting; print(demo_app.__version__, greeting.hello())")
        assert shown.strip() == "1.0 Hello, world!", shown
        installer = repl.run("import importlib.metadata as md; print(md.distribution('demo-app').read_text('INSTALLER').strip())")
        assert installer.strip() == "micropip"
    finally:
        page.screenshot(path=str(artifacts / "jupyterlite-repl-pip.png"))
        context.close()


def test_jupyterlite_lock_serves_the_kernel_packages(chromium, lite_site):
    """The site's lock alone: ours for micropip, PyPI's wheels (SRI-checked) for the kernel's
    start-up packages. Independent of piplite, so a kernel failure points at micropip."""
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(lite_site.url + "static/pyodide/console.html")  # any same-origin page
        result = page.evaluate(
            """async (base) => {
                const { loadPyodide } = await import(base + 'static/pyodide/pyodide.mjs');
                const py = await loadPyodide({ lockFileURL: base + 'static/pyodide-lock/pyodide-lock.json' });
                const errors = [];
                await py.loadPackage(['micropip', 'ipython', 'jedi', 'comm'], { errorCallback: (m) => errors.push(m) });
                return { errors, versions: py.runPython(
                  "import json, micropip, IPython, jedi, comm; json.dumps([micropip.__version__, IPython.__version__, jedi.__version__])") };
            }""",
            lite_site.url,
        )
    finally:
        context.close()
    assert result["errors"] == []
    lock = json.loads((client_sites.LITE_LOCK_DIR / "pyodide-lock.json").read_text())
    assert json.loads(result["versions"]) == [OUR_VERSION, lock["packages"]["ipython"]["version"], lock["packages"]["jedi"]["version"]]


# ---- PyScript --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pyscript_site(bundle_dir: Path, tmp_path_factory) -> Iterator:
    """PyScript's pages and core, and a Pyodide folder whose lock is the current bundle's."""
    _require_sites()
    runtime = tmp_path_factory.mktemp("pyscript-pyodide")
    client_sites.write_pyscript_pyodide(bundle_dir, runtime)
    folders = {"/clients/": client_sites.CLIENT_PAGES, "/pyscript/": client_sites.PYSCRIPT_DIST, "/pyodide-ours/": runtime}
    with start_static_server(folders) as server:
        yield server


READ_PYSCRIPT_STORE = """async (prefix) => {
  for (const info of await indexedDB.databases()) {
    if (!info.name.startsWith(prefix)) continue;
    const db = await new Promise((ok, ko) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
    const out = {};
    for (const name of db.objectStoreNames) {
      const store = db.transaction(name, 'readonly').objectStore(name);
      const keys = await new Promise(ok => { const r = store.getAllKeys(); r.onsuccess = () => ok(r.result); });
      const values = await new Promise(ok => { const r = store.getAll(); r.onsuccess = () => ok(r.result); });
      keys.forEach((k, i) => { out[k] = values[i]; });
    }
    db.close();
    return { name: info.name, entries: out };
  }
  return null;
}"""


def _load_pyscript_page(context, site_url: str, index_url: str, screenshot: Path | None = None) -> dict:
    """One load of the PyScript page: what it shows, the index requests it made, its stored lock."""
    page = context.new_page()
    index_origin = index_url.split("/simple/")[0] + "/"
    index_requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda r: index_requests.append(r.url) if r.url.startswith(index_origin) else None)
    page.on("console", lambda msg: console.append(msg.text))
    try:
        page.goto(site_url + "clients/pyscript/index.html?index=" + index_url)
        try:
            page.wait_for_function("document.getElementById('result').textContent.startsWith('demo-app')", timeout=CELL_MS)
        except Exception as exc:
            raise AssertionError(f"PyScript did not run the page: {exc}\n" + "\n".join(console[-30:])) from None
        shown = page.evaluate(
            "() => ({result: document.getElementById('result').textContent,"
            " installer: document.getElementById('installer').textContent,"
            " micropip: document.getElementById('micropip').textContent})"
        )
        stored = page.evaluate(READ_PYSCRIPT_STORE, "IDBMap/" + site_url + "pyodide-ours@")
        if screenshot is not None:
            page.screenshot(path=str(screenshot))
        return {"shown": shown, "index_requests": index_requests, "stored": stored}
    finally:
        page.close()


def test_pyscript_packages_install_through_our_micropip_then_load_from_its_cached_lock(
    chromium, pyscript_site, fixture_index, artifacts
):
    context = chromium.new_context()  # one context: the second load sees the first one's IndexedDB
    try:
        first = _load_pyscript_page(context, pyscript_site.url, fixture_index.simple_url)
        assert first["shown"] == {"result": "demo-app 1.0: Hello, world!", "installer": "micropip", "micropip": OUR_VERSION}
        assert any(u.endswith("/simple/demo-app/") for u in first["index_requests"]), first["index_requests"]

        # PyScript stored our micropip.freeze() in IndexedDB, keyed by the sorted package list.
        assert first["stored"] is not None, "PyScript stored no lock in IndexedDB"
        frozen = json.loads(first["stored"]["entries"]['["demo-app"]'])
        assert frozen["packages"]["micropip"]["version"] == OUR_VERSION
        assert frozen["packages"]["demo-app"]["file_name"].startswith(fixture_index.url)

        # Second load: loadPyodide({lockFileContents}) with the stored lock; Pyodide installs
        # demo-app and its dependencies itself, and nothing asks the index.
        second = _load_pyscript_page(context, pyscript_site.url, fixture_index.simple_url, artifacts / "pyscript-packages.png")
        assert second["shown"] == {"result": "demo-app 1.0: Hello, world!", "installer": "pyodide.loadPackage", "micropip": "not loaded"}
        queried = [u for u in second["index_requests"] if "/simple/" in u or u.endswith(".metadata")]
        assert queried == [], queried
        assert any(u.endswith("demo_app-1.0-py3-none-any.whl") for u in second["index_requests"])
    finally:
        context.close()
