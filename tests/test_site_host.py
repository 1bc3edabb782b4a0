"""``pyodide-pm site`` on the host: bad input fails at build time, named, and OUT is written atomically.

What the built sites do in a browser is in tests/test_site_browser.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from micropip.index.client import index_urls_from_lock
from pyodide_pm.cli import main
from pyodide_pm.site import jupyterlite
from pyodide_pm.site.pyscript_core import CDN_DIST

from .conftest import FIXTURE_WHEELS, REPO_ROOT
from .harness.cdn_standin import serve_standin


def site_cli(*args: str) -> subprocess.CompletedProcess:
    """The console script as a deployer runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pyodide_pm.cli", "site", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )


def leftovers(parent: Path) -> list[str]:
    """Staging or set-aside folders a build left beside OUT."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_a_lock_names_indexes_relative_to_itself():
    lock = {"packages": {}, "micropip": {"index_urls": ["simple/", "https://pypi.org/simple"]}}
    assert index_urls_from_lock(lock, "https://example.org/site/packages/") == [
        "https://example.org/site/packages/simple/", "https://pypi.org/simple",
    ]
    for broken in ({}, {"micropip": []}, {"micropip": {"index_urls": "simple/"}}, {"micropip": {"index_urls": [3]}}):
        assert index_urls_from_lock(broken, "https://example.org/") is None


def test_an_unsatisfiable_requirement_fails_at_build_time_with_the_resolvers_explanation(tmp_path, fixture_index):
    out = tmp_path / "site"
    done = site_cli(str(out), "demo-app", "greeting>=5", "-i", fixture_index.simple_url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "cannot be resolved for Pyodide 314.0.7" in done.stderr
    assert "greeting" in done.stderr and ">=5" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_wheel_for_another_platform_is_refused_by_name(tmp_path, fixture_index):
    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copy(FIXTURE_WHEELS / "nativepkg-1.0-cp314-cp314-manylinux_2_17_x86_64.whl", mine)
    shutil.copy(FIXTURE_WHEELS / "greeting-1.0-py3-none-any.whl", mine)
    out = tmp_path / "site"
    done = site_cli(str(out), "nativepkg", "--wheels", str(mine), "-i", fixture_index.simple_url)
    assert done.returncode == 1
    assert "refusing nativepkg-1.0-cp314-cp314-manylinux_2_17_x86_64.whl from --wheels" in done.stderr, done.stderr
    assert "Pyodide 314.0.7" in done.stderr
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_pyodide_package_whose_wheel_cannot_be_had_is_named_at_build_time(tmp_path, fixture_index, capsys, monkeypatch):
    """Offline, msgpack must come from the release's CDN folder; the stand-in has only the runtime."""
    with serve_standin(tmp_path / "cdn", {}) as cdn:
        monkeypatch.setenv("PYODIDE_PM_CDN_URL", cdn.base)
        out = tmp_path / "site"
        code = main(["site", str(out), "demo-app", "msgpack", "--offline", "-i", fixture_index.simple_url])
    assert code == 1
    err = capsys.readouterr().err
    assert "msgpack 1.1.2, a package of Pyodide 314.0.7" in err, err
    assert cdn.full + "msgpack-1.1.2-cp314-cp314-pyemscripten_2026_0_wasm32.whl" in err
    assert "--package-base-url" in err
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_site_is_replaced_whole_and_a_failed_rebuild_keeps_the_old_one(tmp_path, fixture_index):
    out = tmp_path / "site"
    assert main(["site", str(out), "greeting==1.0", "-i", fixture_index.simple_url]) == 0
    lock = json.loads((out / "packages" / "pyodide-lock.json").read_text())
    assert lock["packages"]["greeting"]["version"] == "1.0"
    assert main(["site", str(out), "demo-app", "-i", fixture_index.simple_url]) == 0
    first = (out / "packages" / "pyodide-lock.json").read_text()
    assert json.loads(first)["packages"]["greeting"]["version"] == "1.1"
    assert not (out / "packages" / "files" / "greeting-1.0-py3-none-any.whl").exists()  # nothing of the old site stays

    assert main(["site", str(out), "demo-app", "no-such-project", "-i", fixture_index.simple_url]) == 1
    assert (out / "packages" / "pyodide-lock.json").read_text() == first
    assert leftovers(tmp_path) == []

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    done = site_cli(str(theirs), "demo-app", "-i", fixture_index.simple_url)
    assert done.returncode == 1 and "not a site pyodide-pm built" in done.stderr
    assert (theirs / "notes.txt").read_text() == "mine"


def test_credentials_in_an_index_url_never_reach_the_site(tmp_path, fixture_index):
    out = tmp_path / "site"
    secret_url = fixture_index.simple_url.replace("http://", "http://deployer:s3cret-token@")
    assert main(["site", str(out), "demo-app", "--available", "bt-top", "-i", secret_url]) == 0
    lock = json.loads((out / "packages" / "pyodide-lock.json").read_text())
    assert lock["micropip"]["index_urls"] == ["simple/", fixture_index.simple_url]
    for path in out.rglob("*"):
        if path.is_file():
            assert b"s3cret-token" not in path.read_bytes(), path


def test_an_online_pyscript_site_takes_pyscript_and_pyodide_from_their_cdns(tmp_path, fixture_index):
    out = tmp_path / "app"
    assert main(["site", str(out), "demo-app", "--for", "pyscript", "-i", fixture_index.simple_url]) == 0
    page = (out / "index.html").read_text()
    assert f'src="{CDN_DIST}core.js"' in page and '"interpreter": "./pyodide.mjs"' in page
    manifest = json.loads((out / "pyodide-site.json").read_text())
    assert manifest["pyodide"]["url"] == "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/"
    assert not (out / "pyodide").exists() and not (out / "pyscript").exists()
    lock = json.loads((out / "packages" / "pyodide-lock.json").read_text())
    assert lock["packages"]["numpy"]["file_name"].startswith("https://cdn.jsdelivr.net/pyodide/v314.0.7/full/numpy-")
    assert lock["micropip"] == {"index_urls": ["simple/", fixture_index.simple_url]}


def test_the_kernel_settings_join_a_deployers_jupyter_lite_json(tmp_path):
    """What ``site --for jupyterlite`` writes into the built jupyter-lite.json, over the deployer's own."""
    theirs = {
        "jupyter-config-data": {
            "appName": "Class notes",
            "litePluginSettings": {
                jupyterlite.PLUGIN: {
                    "loadPyodideOptions": {"packages": ["mine"], "env": {"A": "1"}},
                    "pipliteUrls": ["./extensions/x/all.json"],
                },
            },
        },
    }
    (tmp_path / "jupyter-lite.json").write_text(json.dumps(theirs))
    cdn = "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/pyodide.mjs"
    jupyterlite.configure(
        tmp_path, pyodide_url=cdn, lock_url="./packages/pyodide-lock.json", preload=[*jupyterlite.PRELOAD, "demo-app"],
        piplite_url="./packages/all.json",
    )
    data = json.loads((tmp_path / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = data["litePluginSettings"][jupyterlite.PLUGIN]
    assert data["appName"] == "Class notes"
    assert settings["pyodideUrl"] == cdn
    assert settings["loadPyodideOptions"] == {
        "lockFileURL": "./packages/pyodide-lock.json",
        "packages": ["micropip", "piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython", "demo-app", "mine"],
        "env": {"A": "1"},
    }
    assert settings["pipliteUrls"] == ["./packages/all.json", "./extensions/x/all.json"]
