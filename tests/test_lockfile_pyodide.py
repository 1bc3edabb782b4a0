"""Locks made on the host, installed exactly in real Pyodide (Node and Chromium)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from index_server.server import start_static_server
from pyodide_pm.lock import create_lock

from .conftest import REPO_ROOT
from .harness.pyodide_node import PyodideError
from .snippets import SNAPSHOT, installed_version

ROOTS = ["demo-app", "bt-top", "bt-leaf==1.0"]
CDN = "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/"
EXPECTED = {
    "bt-leaf": "1.0",
    "bt-mid": "1.5",
    "bt-top": "1.0",
    "colorama-lite": "0.2",
    "demo-app": "1.0",
    "greeting": "1.1",
    "textwrap3-lite": "1.0",
}


def make_lock(fixture_index, out: Path, *roots: str, pyodide: str = "314.0.7", **kw) -> Path:
    job = create_lock(list(roots or ROOTS), output=str(out), pyodide=pyodide, index_urls=[fixture_index.simple_url], **kw)
    # Its own thread: Playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, job).result()
    out.write_text(result.text)
    return out


@pytest.fixture
def lock_server(tmp_path):
    """Serves tmp_path, where the tests write their locks (a static host, like a CDN)."""
    with start_static_server({"/locks/": tmp_path}) as server:
        yield server


def installed(py, names):
    return {n: py.run(installed_version(n)) for n in names}


def test_host_lock_is_deterministic(fixture_index, tmp_path):
    a = make_lock(fixture_index, tmp_path / "a.json").read_text()
    b = make_lock(fixture_index, tmp_path / "b.json", "bt-leaf==1.0", "bt-top", "demo-app").read_text()
    assert a == b
    data = json.loads(a)
    # Pyodide 314.0.7's own lock (from the release catalog), every entry at its CDN URL, plus ours
    pyodide_own = {k for k, v in data["packages"].items() if v["file_name"].startswith(CDN)}
    assert len(pyodide_own) > 300 and "numpy" in pyodide_own
    assert {k: v["version"] for k, v in data["packages"].items() if k not in pyodide_own} == EXPECTED
    assert all(data["packages"][k]["file_name"].startswith(fixture_index.url) for k in EXPECTED)  # index URLs kept
    assert data["info"]["abi_version"] == "2026_0" and data["info"]["python"].startswith("3.14")
    assert data["packages"]["greeting"]["depends"] == ["colorama-lite", "textwrap3-lite"]
    p1 = make_lock(fixture_index, tmp_path / "pylock.toml").read_text()
    p2 = make_lock(fixture_index, tmp_path / "pylock.b.toml").read_text()
    assert p1 == p2 and 'lock-version = "1.0"' in p1


def test_host_lock_uses_the_targets_tags_not_the_hosts(fixture_index, tmp_path):
    data = json.loads(make_lock(fixture_index, tmp_path / "l.json", "nativepkg").read_text())
    assert data["packages"]["nativepkg"]["file_name"].endswith("nativepkg-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl")
    old = json.loads(make_lock(fixture_index, tmp_path / "old.json", "nativepkg", pyodide="0.27.7").read_text())
    assert old["packages"]["nativepkg"]["file_name"].endswith("nativepkg-1.0-py3-none-any.whl")
    assert old["info"]["abi_version"] == "2024_0"


@pytest.mark.pyodide
@pytest.mark.parametrize("name", ["app-lock.json", "pylock.toml"])
def test_host_lock_installed_exactly_in_node(pyodide, fixture_index, tmp_path, lock_server, name):
    make_lock(fixture_index, tmp_path / name)
    url = lock_server.url + "locks/" + name
    plan = pyodide.run(f"p = await micropip.install_lockfile({url!r}, dry_run=True); sorted((x.name, x.version) for x in p.install)")
    assert {n: v for n, v in plan} == EXPECTED
    pyodide.run(f"await micropip.install_lockfile({url!r})")
    assert installed(pyodide, EXPECTED) == EXPECTED
    assert pyodide.run("import greeting; greeting.hello('lock')") == "Hello, lock!"
    # Installing again changes nothing: everything is kept.
    assert pyodide.run(f"p = await micropip.install_lockfile({url!r}, dry_run=True); [len(p.install), len(p.keep)]") == [0, 7]


@pytest.mark.pyodide
def test_install_with_lockfile_keyword_picks_a_subset(pyodide, fixture_index, tmp_path, lock_server):
    make_lock(fixture_index, tmp_path / "app.json")
    pyodide.run(f"await micropip.install('greeting', lockfile={lock_server.url + 'locks/app.json'!r})")
    assert installed(pyodide, ["greeting", "colorama-lite", "textwrap3-lite", "demo-app"]) == {
        "greeting": "1.1",
        "colorama-lite": "0.2",
        "textwrap3-lite": "1.0",
        "demo-app": None,
    }


@pytest.mark.pyodide
def test_mismatched_target_refused(pyodide, fixture_index, tmp_path, lock_server):
    make_lock(fixture_index, tmp_path / "old.json", "greeting", pyodide="0.27.7")
    pyodide.run(SNAPSHOT)
    before = pyodide.run("_snapshot()")
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install_lockfile({lock_server.url + 'locks/old.json'!r})")
    assert info.value.type == "LockfileMismatchError"
    assert "python: the lock is for Python 3.12" in info.value.message
    assert "abi_version: the lock is for ABI 2024_0" in info.value.message
    assert pyodide.run("_snapshot()") == before


@pytest.mark.pyodide
def test_tampered_hash_refused_environment_unchanged(pyodide, fixture_index, tmp_path, lock_server):
    path = make_lock(fixture_index, tmp_path / "app.json")
    data = json.loads(path.read_text())
    data["packages"]["textwrap3-lite"]["sha256"] = "0" * 64
    path.write_text(json.dumps(data))
    pyodide.run(SNAPSHOT)
    before = pyodide.run("_snapshot()")
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install_lockfile({lock_server.url + 'locks/app.json'!r})")
    assert info.value.type == "HashMismatchError"
    assert "textwrap3_lite-1.0-py3-none-any.whl" in info.value.message
    assert pyodide.run("_snapshot()") == before


@pytest.mark.pyodide
def test_freeze_output_reproduces_the_environment(pyodide, node_runner, bundle_dir, tmp_path, lock_server):
    pyodide.run("await micropip.install(['demo-app', 'treepkg'])")
    frozen = pyodide.run("micropip.freeze()")
    (tmp_path / "frozen.json").write_text(frozen)
    want = installed(pyodide, ["demo-app", "greeting", "colorama-lite", "textwrap3-lite", "treepkg"])
    fresh = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
    try:
        fresh.run(f"import micropip; await micropip.install_lockfile({lock_server.url + 'locks/frozen.json'!r})")
        assert installed(fresh, want) == want
    finally:
        fresh.drop()


@pytest.mark.pyodide
@pytest.mark.parametrize("how", ["for-node", "merge-with"])
def test_lock_for_node_loads_with_pyodides_own_loader(node_runner, fixture_index, tmp_path, how):
    """`lock --for-node --wheel-dir` (or `--merge-with` a lock of bare names) + `loadPyodide({lockFileURL})`
    + `loadPackage` in Node needs no micropip at all. Pyodide's loader under Node joins its base folder to
    every file_name as a path, so it can load bare names (and absolute paths), never URLs."""
    out = tmp_path / "site" / "pyodide-lock.json"
    out.parent.mkdir()
    if how == "for-node":
        make_lock(fixture_index, out, "demo-app", for_node=True, wheel_dir=out.parent)
    else:
        make_lock(fixture_index, out, "demo-app", merge_with=REPO_ROOT / "node_modules" / "pyodide" / "pyodide-lock.json", wheel_dir=out.parent)
    data = json.loads(out.read_text())
    assert data["packages"]["numpy"]["file_name"].startswith("numpy-")  # a bare name: Node's loader fetches it from its CDN
    assert data["packages"]["greeting"]["imports"] == ["greeting"]
    assert data["packages"]["greeting"]["file_name"] == "greeting-1.1-py3-none-any.whl"
    interp = node_runner.new_interpreter(out, load=["demo-app"])
    try:
        assert interp.run("import greeting; greeting.hello()") == "Hello, world!"
        assert interp.run(installed_version("textwrap3-lite")) == "1.0"
    finally:
        interp.drop()


@pytest.mark.pyodide
def test_uv_pylock_installed(pyodide, fixture_index, tmp_path, lock_server):
    """A pylock.toml written by uv (installed from the package index as a test dependency)."""
    uv = Path(sys.executable).with_name("uv")
    (tmp_path / "req.in").write_text("demo-app\n")
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never", UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    subprocess.run(
        [str(uv), "pip", "compile", str(tmp_path / "req.in"), "--format", "pylock.toml", "-o", str(tmp_path / "pylock.toml"),
         "--index-url", fixture_index.simple_url, "--python", sys.executable, "--python-version", "3.14",
         "--python-platform", "wasm32-pyodide2024", "--quiet"],
        check=True, env=env, capture_output=True, text=True, timeout=120,
    )
    assert 'created-by = "uv"' in (tmp_path / "pylock.toml").read_text()
    pyodide.run(f"await micropip.install_lockfile({lock_server.url + 'locks/pylock.toml'!r})")
    assert installed(pyodide, ["demo-app", "greeting", "colorama-lite", "textwrap3-lite"]) == {
        "demo-app": "1.0", "greeting": "1.1", "colorama-lite": "0.2", "textwrap3-lite": "1.0"
    }


@pytest.mark.browser
def test_host_lock_installed_in_chromium(browser_page, fixture_index, tmp_path, lock_server):
    make_lock(fixture_index, tmp_path / "app.json")
    browser_page.run(f"await micropip.install_lockfile({lock_server.url + 'locks/app.json'!r})")
    assert browser_page.run("import greeting, bt_top; [greeting.hello('page'), bt_top.__version__]") == ["Hello, page!", "1.0"]


@pytest.mark.pyodide
def test_a_lock_that_names_indexes_is_micropips_default(node_runner, bundle_dir, fixture_index, tmp_path):
    """A site's lock names its own index ("micropip": {"index_urls"}): micropip searches it
    without set_index_urls, and freeze() keeps the setting (absolute) for a page that reloads it."""
    site = tmp_path / "site"
    site.mkdir()
    for wheel in bundle_dir.glob("*.whl"):
        (site / wheel.name).write_bytes(wheel.read_bytes())
    lock = json.loads((bundle_dir / "pyodide-lock.json").read_text())
    lock["micropip"] = {"index_urls": [fixture_index.simple_url]}
    (site / "pyodide-lock.json").write_text(json.dumps(lock))
    py = node_runner.new_interpreter(site / "pyodide-lock.json")
    try:
        assert py.run("import micropip; await micropip.install('demo-app'); import demo_app; demo_app.__version__") == "1.0"
        assert py.run("import json; json.loads(micropip.freeze())['micropip']") == {"index_urls": [fixture_index.simple_url]}
    finally:
        py.drop()
