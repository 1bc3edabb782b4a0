"""The project as users install it: `pip wheel .`, a fresh venv elsewhere, the host tools from there.

The wheel is built from a copy of the sources and installed offline into a virtual
environment (without pip) in a temporary folder that has no node_modules and no build/.
The commands then run from there as a user's CI job would: the release catalog reads an
npm registry stand-in on 127.0.0.1 serving the real 314.0.7 and 0.27.7 packages (repacked
from the suite's seeded cache), into an empty cache; a loopback index serves a stand-in
for docopt (an sdist with only a setup.py, as docopt 0.6.2 is), the build backends, and
the packaging/resolvelib wheels the bundle needs. numpy, requests and rich come from
Pyodide's own lock, as in a real page. Nothing reaches the network.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from index_server.server import start_server
from pyodide_pm.catalog import Catalog

from .conftest import BUILD_BACKENDS, REPO_ROOT
from .harness.host_wheels import HOST_WHEELS, PINS
from .harness.npm_registry import release_files, serve_registry

PACKAGES = ("micropip", "pyodide_pm", "lockfile", "index_server")


@dataclass
class Installed:
    wheel: Path
    bin: Path
    app: Path  # where the commands run: no node_modules, no build/
    env: dict[str, str]  # an empty user cache; no PYODIDE_PM_OFFLINE; pip pointed nowhere


def _docopt_sdist(folder: Path) -> Path:
    """docopt 0.6.2 stand-in: a setup.py-only sdist (metadata known only by building it)."""
    spec = importlib.util.spec_from_file_location("make_sdists", REPO_ROOT / "fixtures" / "make_sdists.py")
    make = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_sdists", make)  # its dataclasses look their module up there
    spec.loader.exec_module(make)
    setup = 'from setuptools import setup\nsetup(name="docopt", version="0.6.2", py_modules=["docopt"])\n'
    sdist = make.Sdist("docopt", "0.6.2", {"setup.py": setup, "docopt.py": "def docopt(doc, argv=None):\n    return {}\n"},
                       summary="stand-in for docopt", filename_stem="docopt-0.6.2")
    target = folder / sdist.filename
    make.write_targz(target, make.members(sdist))
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    missing = [p.filename for p in PINS if not (HOST_WHEELS / p.filename).is_file()]
    if missing or not (BUILD_BACKENDS / "setuptools-84.2.1-py3-none-any.whl").is_file():
        pytest.fail(f"{HOST_WHEELS} or {BUILD_BACKENDS} lacks {missing or 'setuptools'}: run `bash scripts/setup.sh`")
    work = tmp_path_factory.mktemp("installed")
    src = work / "src"
    for name in PACKAGES:
        shutil.copytree(REPO_ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, src / name)
    offline = dict(os.environ, PIP_NO_INDEX="1", PIP_FIND_LINKS="", PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--no-index", "--find-links", str(BUILD_BACKENDS),
         "-w", str(work / "dist"), str(src)],
        check=True, capture_output=True, text=True, env=offline, timeout=300,
    )
    [wheel] = (work / "dist").glob("micropip-*.whl")
    venv.create(work / "venv", with_pip=False)  # as uv makes them: no pip inside
    py = work / "venv" / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-index",
         "--find-links", str(HOST_WHEELS), str(wheel)],
        check=True, capture_output=True, text=True, env=offline, timeout=300,
    )
    app = work / "app"
    app.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYODIDE_PM_", "PIP_"))}
    env.update(PYODIDE_PM_CACHE_DIR=str(work / "user-cache"), PYODIDE_PM_NO_CACHE="1", PIP_INDEX_URL="http://127.0.0.1:9/simple/")
    return Installed(wheel, py.parent, app, env)


def test_the_wheel_ships_every_module_and_script(installed):
    with zipfile.ZipFile(installed.wheel) as zf:
        shipped = set(zf.namelist())
    expected = {
        p.relative_to(REPO_ROOT).as_posix()
        for name in PACKAGES for p in (REPO_ROOT / name).rglob("*")
        if p.suffix in (".py", ".mjs", ".html") and "__pycache__" not in p.parts
    }
    assert expected - shipped == set()
    assert {"micropip/sdist/service.py", "lockfile/pylock.py", "micropip/transport/requests.mjs", "pyodide_pm/catalog.py"} <= shipped
    assert {"pyodide_pm/site/loader.mjs", "pyodide_pm/site/warm_start.mjs", "pyodide_pm/site/snapshot_worker.mjs",
            "pyodide_pm/site/page.html", "pyodide_pm/site/pyscript.html"} <= shipped
    assert not any(n.startswith(("tests/", "fixtures/", "node_modules/")) for n in shipped)


def test_the_host_tools_work_outside_the_checkout(installed, tmp_path):
    """The issue's journey: check, lock (JSON and with an sdist), an older release, the bundle."""
    assert not (installed.app / "node_modules").exists() and not any(p.name == "node_modules" for p in installed.app.parents)
    seeded = Catalog()  # the suite's own cache: the real releases to serve
    with serve_registry() as registry:
        for version in ("314.0.7", "0.27.7"):
            registry.publish(version, release_files(seeded.release(version, cached_only=True).runtime_dir()))
        index_dir = tmp_path / "index"
        index_dir.mkdir()
        _docopt_sdist(index_dir)
        for pin in PINS:
            shutil.copy(HOST_WHEELS / pin.filename, index_dir)
        env = dict(installed.env, PYODIDE_PM_NPM_REGISTRY=registry.url, PYODIDE_PM_CDN_URL=registry.cdn)
        run = lambda *args: subprocess.run(  # noqa: E731
            [str(installed.bin / "pyodide-pm"), *args], cwd=installed.app, env=env, capture_output=True, text=True, timeout=180
        )
        with start_server([index_dir, BUILD_BACKENDS]) as index:
            (installed.app / "requirements.txt").write_text("numpy\nrequests\nrich\n")
            checked = run("check", "-r", "requirements.txt", "-i", index.simple_url)
            assert checked.returncode == 0, checked.stdout + checked.stderr
            assert "numpy 2.4.6: from Pyodide's lock" in checked.stdout and "rich " in checked.stdout
            assert registry.requests == ["/pyodide", "/pyodide/-/pyodide-314.0.7.tgz"]  # the cold catalog, once

            locked = run("lock", "numpy", "requests", "-i", index.simple_url, "-o", "app.json")
            assert locked.returncode == 0, locked.stdout + locked.stderr
            numpy = json.loads((installed.app / "app.json").read_text())["packages"]["numpy"]
            assert numpy["file_name"] == f"{registry.cdn}/v314.0.7/full/numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl"

            built = run("lock", "docopt", "--build-sdists", "-i", index.simple_url, "-o", "pylock.toml")
            assert built.returncode == 0, built.stdout + built.stderr
            assert "docopt==0.6.2" in built.stdout and "docopt-0.6.2.tar.gz" in (installed.app / "pylock.toml").read_text()

            old = run("check", "--pyodide", "0.27.7", "numpy", "-i", index.simple_url)
            assert old.returncode == 0, old.stdout + old.stderr
            assert "numpy 2.0.2: from Pyodide's lock" in old.stdout and "Python 3.12.7" in old.stdout

            bundled = run("bundle", "web", "-i", index.simple_url)
            assert bundled.returncode == 0, bundled.stdout + bundled.stderr
            lock = json.loads((installed.app / "web" / "pyodide-lock.json").read_text())
            assert lock["packages"]["numpy"]["file_name"].startswith(f"{registry.cdn}/v314.0.7/full/")
            for name in ("micropip", "micropip-sdist", "micropip-pylock", "packaging", "resolvelib"):
                assert (installed.app / "web" / lock["packages"][name]["file_name"]).is_file(), name
            for name in ("pyodide-warm-start.mjs", "pyodide-snapshot-worker.mjs"):  # shipped in the wheel
                assert (installed.app / "web" / name).is_file(), name
        assert registry.requests.count("/pyodide/-/pyodide-314.0.7.tgz") == 1  # cached after the first use

    # the registry is gone now: the cache answers, and an unknown version says which exist (cached list)
    cached = run("release", "0.27.7")
    assert cached.returncode == 0 and "Pyodide 0.27.7: Python 3.12.7, ABI 2024_0" in cached.stdout, cached.stderr
    unknown = run("check", "--pyodide", "1.2.3", "numpy")
    assert unknown.returncode == 2 and "unknown Pyodide release '1.2.3'" in unknown.stderr and "314.0.7, 0.27.7" in unknown.stderr


def test_an_offline_site_builds_outside_the_checkout(installed, fixture_index):
    """``pyodide-pm site --offline`` from the installed wheel: its templates and loader ship with it.
    The release and the pinned wheels come from the suite's seeded cache (offline)."""
    out = installed.app / "site"
    env = dict(installed.env, PYODIDE_PM_CACHE_DIR=str(REPO_ROOT / ".cache" / "pyodide-pm"), PYODIDE_PM_OFFLINE="1")
    done = subprocess.run(
        [str(installed.bin / "pyodide-pm"), "site", str(out), "demo-app", "--offline", "--available", "bt-top",
         "-i", fixture_index.simple_url],
        cwd=installed.app, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("index.html", "pyodide.mjs", "pyodide-warm-start.mjs", "pyodide-snapshot-worker.mjs", "pyodide-ready.mjs",
                 "pyodide-site.json", "pyodide/pyodide.asm.wasm",
                 "packages/pyodide-lock.json", "packages/simple/bt-top/index.html"):
        assert (out / name).is_file(), name
    assert "in its index only:  bt-leaf==2.0, bt-mid==2.0, bt-top==2.0" in done.stdout
