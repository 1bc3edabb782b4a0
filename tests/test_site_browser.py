"""Sites built by ``pyodide-pm site``, in Chromium, with every request outside the allowed
origins blocked and recorded (Playwright routing; service workers blocked so none escapes it).

One CDN stand-in on loopback serves the release's runtime and the lock packages the sites
use (msgpack, the real PEP 783 build; IPython, jedi and their dependencies, PyPI's wheels of
the same versions), named in a copy of the release's lock passed with ``--pyodide-lock``.
Requirements come from the fixture index (plus PyPI's comm for the kernel). Each site is
built once per module, through the command line, as a deployer builds it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from index_server.server import start_server, start_static_server
from pyodide_pm.cli import main

from .conftest import FIXTURE_WHEELS
from .harness import client_sites
from .harness.cdn_standin import CdnStandIn, serve_standin
from .test_clients_browser import WORKER_LOG_SCRIPT, LiteRepl

OURS = "1.0.0a1"
REQUIREMENTS = ["demo-app", "msgpack"]
AVAILABLE = ["--available", "bt-top"]
READY_MS = 120_000


# ---- the stand-ins and the sites -----------------------------------------------------------


@pytest.fixture(scope="module")
def cdn(tmp_path_factory, pep783_wheel) -> Iterator[CdnStandIn]:
    lock = json.loads(client_sites.PYODIDE.joinpath("pyodide-lock.json").read_text())
    try:
        kernel = {
            key: client_sites.pypi_wheel(lock["packages"][key]["name"], lock["packages"][key]["version"], download=False)
            for key in client_sites.lock_closure(lock["packages"], client_sites.KERNEL_LOCK_ROOTS)
        }
    except client_sites.MissingDownload as exc:
        pytest.fail(str(exc))
    with serve_standin(tmp_path_factory.mktemp("cdn"), {"msgpack": pep783_wheel, **kernel}) as standin:
        yield standin


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Iterator:
    """The fixture wheels, and comm (which the Pyodide kernel needs and Pyodide's lock lacks)."""
    extra = tmp_path_factory.mktemp("pypi")
    try:
        comm = client_sites.pypi_wheel("comm", client_sites.EXTRA_ENTRIES["comm"][0], download=False)
    except client_sites.MissingDownload as exc:
        pytest.fail(str(exc))
    (extra / comm.name).write_bytes(comm.read_bytes())
    with start_server([FIXTURE_WHEELS, extra]) as server:
        yield server


@pytest.fixture(scope="module")
def build(tmp_path_factory, cdn, index):
    """``pyodide-pm site OUT ARGS...`` with the stand-ins; returns OUT."""

    def run(name: str, *args: str) -> Path:
        out = tmp_path_factory.mktemp("sites") / name
        argv = ["site", str(out), *args, "--pyodide-lock", str(cdn.lock), "-i", index.simple_url]
        with pytest.MonkeyPatch.context() as env, ThreadPoolExecutor(1) as pool:  # Playwright holds this thread's loop
            env.setenv("PYODIDE_PM_CDN_URL", cdn.base)
            assert pool.submit(main, argv).result() == 0
        return out

    return run


@pytest.fixture(scope="module")
def offline_page(build) -> Path:
    return build("offline-page", *REQUIREMENTS, *AVAILABLE, "--offline")


# ---- Chromium, fenced -------------------------------------------------------------------------


@dataclass
class Visit:
    page: object
    allowed: list[str] = field(default_factory=list)  # URLs the page fetched (allowed origins)
    blocked: list[str] = field(default_factory=list)  # URLs of any other origin: refused
    console: list[str] = field(default_factory=list)

    def python(self, code: str):
        """Run ``code`` once ``globalThis.pyodideReady`` resolved; its value."""
        return self.page.evaluate(
            """async (code) => {
                const value = await (await globalThis.pyodideReady).runPythonAsync(code);
                return value && value.toJs ? value.toJs({ dict_converter: Object.fromEntries }) : value;
            }""",
            code,
        )


def visit(context, url: str, *origins: str) -> Visit:
    seen = Visit(None)

    def fence(route) -> None:
        if any(route.request.url.startswith(o) for o in origins):
            seen.allowed.append(route.request.url)
            route.continue_()
        else:
            seen.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", fence)
    seen.page = context.new_page()
    seen.page.on("console", lambda message: seen.console.append(message.text))
    seen.page.goto(url)
    return seen


@pytest.fixture
def context(chromium):
    context = chromium.new_context(service_workers="block")
    yield context
    context.close()


def check_offline_page(seen: Visit, origin: str) -> None:
    assert seen.python("import demo_app, greeting, msgpack; [demo_app.__version__, greeting.hello(), list(msgpack.version)]") == [
        "1.0", "Hello, world!", [1, 2, 4]
    ]
    # bt-top is only in the site's index: micropip finds it there (the lock names the index).
    assert seen.python("import micropip; await micropip.install('bt-top'); import bt_top; micropip.__version__") == OURS
    assert origin + "packages/simple/bt-top/" in seen.allowed
    assert origin + "pyodide/pyodide.asm.wasm" in seen.allowed
    assert seen.blocked == [], seen.blocked


# ---- the sites, as built ----------------------------------------------------------------------


def test_an_offline_site_carries_every_file_it_names(offline_page):
    manifest = json.loads((offline_page / "pyodide-site.json").read_text())
    assert manifest["preload"] == ["micropip", "demo-app", "msgpack"] and manifest["pyodide"]["url"] == "pyodide/"
    lock = json.loads((offline_page / "packages" / "pyodide-lock.json").read_text())
    assert lock["micropip"] == {"index_urls": ["simple/"]}  # offline: the site's index only
    assert set(lock["packages"]) == {
        "micropip", "micropip-pylock", "micropip-sdist", "micropip-bytecode", "packaging", "resolvelib",  # ours
        "demo-app", "greeting", "colorama-lite", "textwrap3-lite", "msgpack",  # the requirements' closure
    }
    for entry in lock["packages"].values():
        assert entry["file_name"].startswith("files/") and (offline_page / "packages" / entry["file_name"]).is_file()
    index = offline_page / "packages"
    for project in ("demo-app", "msgpack", "bt-top", "bt-mid", "bt-leaf"):  # requirements and --available
        assert (index / "simple" / project / "index.html").is_file() and (index / "simple" / project / "index.json").is_file()
    assert (index / "files" / "bt_top-2.0-py3-none-any.whl.metadata").is_file()
    assert "bt-top" not in lock["packages"]
    assert {p.name for p in (offline_page / "pyodide").iterdir()} >= {"pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip"}


# ---- Must show ------------------------------------------------------------------------------


@pytest.mark.browser
def test_offline_page_installs_at_load_and_from_its_own_index_and_asks_no_other_origin(context, offline_page):
    with start_static_server({"/": offline_page}) as site:
        seen = visit(context, site.url + "index.html", site.url)
        check_offline_page(seen, site.url)


@pytest.mark.browser
def test_the_offline_page_from_pythons_http_server(context, offline_page):
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(offline_page)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (http://127.0.0.1:N/) ..."
        origin = line.split("(", 1)[1].split(")", 1)[0]
        seen = visit(context, origin + "index.html", origin)
        check_offline_page(seen, origin)
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.browser
def test_online_page_takes_pyodide_from_the_cdn_and_the_rest_from_the_site(context, build, cdn):
    out = build("online-page", *REQUIREMENTS, *AVAILABLE)
    assert not (out / "pyodide").exists()
    cdn_origin = cdn.base.rsplit("/pyodide", 1)[0] + "/"
    with start_static_server({"/": out}) as site:
        seen = visit(context, site.url + "index.html", site.url, cdn_origin)
        assert seen.python("import demo_app, msgpack; [demo_app.__version__, list(msgpack.version)]") == ["1.0", [1, 2, 4]]
        assert seen.python("import micropip; await micropip.install('bt-top'); import bt_top; micropip.__version__") == OURS
    from_cdn = {u.rsplit("/", 1)[-1] for u in seen.allowed if u.startswith(cdn.full)}
    assert {"pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl"} <= from_cdn
    from_site = [u.removeprefix(site.url) for u in seen.allowed if u.startswith(site.url)]
    for path in ("packages/pyodide-lock.json", f"packages/files/micropip-{OURS}-py3-none-any.whl",
                 "packages/files/demo_app-1.0-py3-none-any.whl", "packages/simple/bt-top/"):
        assert path in from_site
    assert not [u for u in seen.allowed if not (u.startswith(cdn.full) or u.startswith(site.url))]
    assert seen.blocked == [], seen.blocked


PYSCRIPT_APP = """<!doctype html>
<meta charset="utf-8">
<script type="module" src="./pyscript/core.js"></script>
<p id="out">waiting</p>
<script type="py" config='{"interpreter": "./pyodide.mjs"}'>
import demo_app, msgpack, micropip
from pyscript import document
document.getElementById("out").textContent = f"{demo_app.__version__} {list(msgpack.version)} {micropip.__version__}"
</script>
"""


@pytest.mark.browser
def test_offline_pyscript_app_runs_on_the_sites_pyodide(context, build, tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "app.html").write_text(PYSCRIPT_APP)
    out = build("offline-pyscript", *REQUIREMENTS, "--for", "pyscript", "--offline", "--pages", str(pages))
    with start_static_server({"/": out}) as site:
        seen = visit(context, site.url + "app.html", site.url)
        try:
            seen.page.wait_for_function("document.getElementById('out').textContent !== 'waiting'", timeout=READY_MS)
        except Exception as exc:
            raise AssertionError(f"PyScript did not run: {exc}\n" + "\n".join(seen.console[-20:])) from None
        assert seen.page.inner_text("#out") == f"1.0 [1, 2, 4] {OURS}"
        # PyScript starts Pyodide through the site's loader, so a return visit starts warm too.
        assert warm_state(seen) == ["cold", True]
        seen.page.reload()
        seen.page.wait_for_function("document.getElementById('out').textContent !== 'waiting'", timeout=READY_MS)
        assert seen.page.inner_text("#out") == f"1.0 [1, 2, 4] {OURS}"
        assert warm_state(seen) == ["snapshot", True]
    assert seen.blocked == [], seen.blocked


@pytest.mark.browser
def test_offline_jupyterlite_kernel_starts_with_the_requirements_and_pip_installs_from_the_site(context, build, tmp_path, artifacts):
    lite = tmp_path / "lite"
    lite.mkdir()
    (lite / "jupyter_lite_config.json").write_text(json.dumps({"LiteBuildConfig": {"apps": ["repl"]}}))
    out = build("offline-lite", *REQUIREMENTS, *AVAILABLE, "--for", "jupyterlite", "--offline", "--lite-dir", str(lite))
    context.add_init_script(WORKER_LOG_SCRIPT)
    with start_static_server({"/": out}) as site:
        seen = visit(context, site.url + "repl/index.html?kernel=python&toolbar=1", site.url)
        repl = LiteRepl(seen.page, seen.console)
        try:
            repl.wait_idle()
            first = repl.run("import demo_app, msgpack; print(demo_app.__version__, list(msgpack.version))")
            assert first.strip() == "1.0 [1, 2, 4]", first
            installed = repl.run("%pip install bt-top")
            assert "Error" not in installed and "Traceback" not in installed, installed
            shown = repl.run("import bt_top, micropip; print(bt_top.__name__, micropip.__version__)")
            assert shown.strip() == f"bt_top {OURS}", shown
            # The kernel's worker starts Pyodide through the site's loader: a snapshot is kept,
            # and the reopened notebook's kernel starts from it.
            wait_for_a_kept_snapshot(seen.page)
            seen.page.reload()
            repl = LiteRepl(seen.page, seen.console)
            repl.wait_idle()
            started = repl.run(
                "import pyodide.code; loader = await pyodide.code.run_js(\"import(self.location.origin + '/pyodide.mjs')\"); "
                "import demo_app; print(loader.warmStart.start, demo_app.__version__)"
            )
            assert started.strip() == "snapshot 1.0", started
        finally:
            seen.page.screenshot(path=str(artifacts / "site-jupyterlite-offline.png"))
    # The kernel's worker fetched its runtime and packages through the fence, all from the site.
    for path in ("pyodide/pyodide.asm.wasm", "packages/pyodide-lock.json", "packages/files/ipython-9.12.0-py3-none-any.whl"):
        assert site.url + path in seen.allowed, path
    assert seen.blocked == [], seen.blocked


# ---- warm starts: a return visit restores the interpreter from a kept snapshot ----------------

WARM_CACHE = "pyodide-pm-warm-start-v1"
WARM_STATE = """async () => {
    await globalThis.pyodideReady;
    const { warmStart } = await import("./pyodide.mjs");
    return [warmStart.start, await warmStart.saved];
}"""
KEPT = """async (name) => (await caches.has(name)) ? (await (await caches.open(name)).keys()).map((r) => r.url) : []"""
# Put a damaged copy of the good snapshot (kept aside in "pristine" the first time) in its place:
# "flipped", one byte changed under the good sha256; "another-build", Pyodide's build id (bytes
# 16-48 of the header) changed and the sha256 made right, so only Pyodide can tell.
REWRITE = """async ([name, how]) => {
    const pristine = await caches.open("pristine");
    if ((await pristine.keys()).length === 0) {
        const [request] = await (await caches.open(name)).keys();
        await pristine.put(request, await (await caches.open(name)).match(request));
    }
    const [request] = await pristine.keys();
    const good = await pristine.match(request);
    const bytes = new Uint8Array(await good.arrayBuffer());
    const headers = { "x-snapshot-sha256": good.headers.get("x-snapshot-sha256"), "x-snapshot-bytes": String(bytes.length) };
    if (how === "flipped") {
        bytes[bytes.length >> 1] ^= 0xff;
    } else {
        bytes[16] ^= 0xff;
        const digest = await crypto.subtle.digest("SHA-256", bytes);
        headers["x-snapshot-sha256"] = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    }
    await (await caches.open(name)).put(request, new Response(bytes, { headers }));
}"""
STARTED = """async () => { await globalThis.pyodideReady; return (await import("./pyodide.mjs")).warmStart.start; }"""


def warm_state(seen: Visit) -> list:
    return seen.page.evaluate(WARM_STATE)


def wait_for_a_kept_snapshot(page, timeout_s: float = READY_MS / 1000) -> None:
    """Until the warm-start cache holds one snapshot (made by a worker the page cannot await)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(KEPT, WARM_CACHE):
        assert time.monotonic() < deadline, "no interpreter snapshot was kept"
        page.wait_for_timeout(250)


@pytest.mark.browser
def test_a_return_visit_restores_the_interpreter_and_a_bad_snapshot_is_dropped(context, offline_page):
    with start_static_server({"/": offline_page}) as site:
        seen = visit(context, site.url + "index.html", site.url)
        other_tab = context.new_page()  # two tabs start cold at once, and both keep a snapshot
        other_tab.goto(site.url + "index.html")
        assert [warm_state(seen), other_tab.evaluate(WARM_STATE)] == [["cold", True], ["cold", True]]
        assert len(seen.page.evaluate(KEPT, WARM_CACHE)) == 1  # one entry, and good: the reload restores it
        other_tab.close()

        draws = []
        for _ in range(2):
            seen.page.reload()
            assert warm_state(seen) == ["snapshot", True]
            # One "" on sys.path, a module the snapshot never imported, and random numbers of their own.
            path_entries, third, draw = seen.python(
                "import sys, fractions, random; [sys.path.count(''), str(fractions.Fraction(2, 6)), random.random()]"
            )
            assert [path_entries, third] == [1, "1/3"]
            draws.append(draw)
        assert draws[0] != draws[1]
        check_offline_page(seen, site.url)  # the lock's packages (msgpack is native) and micropip, as after a cold start

        for how, said in (("flipped", "is damaged"), ("another-build", "did not restore")):
            seen.page.evaluate(REWRITE, [WARM_CACHE, how])
            seen.console.clear()
            seen.page.reload()
            assert seen.page.evaluate(STARTED) == "cold", how
            assert seen.page.evaluate(KEPT, WARM_CACHE) == [], how  # dropped before the cold start
            assert any(said in line for line in seen.console), (how, seen.console)
            assert seen.python("import demo_app; demo_app.__version__") == "1.0"
        assert warm_state(seen) == ["cold", True]  # and a good one kept again

        # micropip.clear_cache() clears this layer too.
        seen.python("import micropip; await micropip.clear_cache()")
        assert seen.page.evaluate("async (name) => caches.has(name)", WARM_CACHE) is False
    assert seen.blocked == [], seen.blocked


@pytest.mark.browser
@pytest.mark.parametrize("storage", ["missing", "refusing"])
def test_without_cache_storage_the_site_starts_cold_and_works(context, offline_page, storage):
    if storage == "missing":  # private browsing in some browsers, an insecure context
        context.add_init_script("Object.defineProperty(globalThis, 'caches', { value: undefined })")
    else:  # a full disk or quota
        context.add_init_script(
            "CacheStorage.prototype.open = () => Promise.reject(new DOMException('quota', 'QuotaExceededError'))"
        )
    with start_static_server({"/": offline_page}) as site:
        seen = visit(context, site.url + "index.html", site.url)
        assert seen.python("import demo_app, msgpack; [demo_app.__version__, list(msgpack.version)]") == ["1.0", [1, 2, 4]]
        assert warm_state(seen) == ["cold", False]
