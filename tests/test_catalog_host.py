"""The release catalog (pyodide_pm/catalog.py) against an npm registry and CDN stand-in on 127.0.0.1.

What a user meets: a release is fetched once, verified against the registry's integrity
hash and then used offline; a tampered or truncated tarball is refused and nothing is
kept; an unknown version is refused with the list of versions that exist; offline with
nothing cached says what was tried. No test here reaches the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from micropip.errors import HashMismatchError
from pyodide_pm.catalog import Catalog, CatalogError, UnknownReleaseError

from .harness.npm_registry import serve_registry, small_release


@pytest.fixture
def registry():
    with serve_registry() as stand_in:
        yield stand_in


def catalog(tmp_path: Path, registry, *, offline: bool = False) -> Catalog:
    return Catalog(cache_dir=tmp_path / "cache", registry=registry.url, cdn=registry.cdn, offline=offline, search_from=tmp_path)


def test_a_release_is_fetched_verified_cached_and_then_used_offline(tmp_path, registry):
    files = small_release("9.1.0", python="3.14.2", abi="2026_0", platform="emscripten_5_0_3")
    registry.publish("9.1.0", files)
    release = catalog(tmp_path, registry).release("9.1.0")
    assert (release.version, release.python, release.abi_version, release.emscripten) == ("9.1.0", "3.14.2", "2026_0", "5.0.3")
    assert release.cdn_url == f"{registry.cdn}/v9.1.0/full/"
    assert release.runtime_file("pyodide.mjs").read_bytes() == files["pyodide.mjs"]
    assert sorted(release.runtime_files()) == sorted(files)
    env = release.environment()
    assert env.pyodide_version == "9.1.0" and "pyemscripten_2026_0_wasm32" in env.platforms
    numpy = release.lock_packages()["numpy"]
    assert numpy.url == f"{registry.cdn}/v9.1.0/full/numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
    assert registry.requests == ["/pyodide", "/pyodide/-/pyodide-9.1.0.tgz"]

    registry.requests.clear()
    again = catalog(tmp_path, registry, offline=True).release("9.1.0")
    assert again.runtime_file("pyodide.asm.wasm").read_bytes() == files["pyodide.asm.wasm"]
    assert again.lock.to_dict() == release.lock.to_dict()
    online = catalog(tmp_path, registry).release("9.1.0")  # online too: a cached release is never fetched again
    assert online.folder == again.folder and registry.requests == []


def test_a_tampered_tarball_is_refused_and_nothing_is_kept(tmp_path, registry):
    files = small_release("9.1.0")
    evil = dict(files, **{"pyodide.mjs": b"globalThis.steal()\n"})
    from .harness.npm_registry import tarball

    registry.publish("9.1.0", files, served=tarball(evil))
    with pytest.raises(HashMismatchError) as info:
        catalog(tmp_path, registry).release("9.1.0")
    message = str(info.value)
    assert "pyodide-9.1.0.tgz" in message and "sha512" in message and "tampered" in message
    assert not (tmp_path / "cache" / "9.1.0").exists()


def test_a_truncated_tarball_is_refused(tmp_path, registry):
    data = registry.publish("9.1.0", small_release("9.1.0"))
    registry.routes["/pyodide/-/pyodide-9.1.0.tgz"] = (200, data[: len(data) // 2])
    with pytest.raises(HashMismatchError, match="truncated"):
        catalog(tmp_path, registry).release("9.1.0")
    assert not (tmp_path / "cache" / "9.1.0").exists()


def test_an_unknown_version_is_refused_naming_the_ones_that_exist(tmp_path, registry):
    registry.publish("9.1.0", small_release("9.1.0"))
    registry.publish("9.0.2", small_release("9.0.2"))
    registry.publish("10.0.0-alpha.1", small_release("10.0.0-alpha.1"))
    registry.list_only("0.22.1")  # no pyodide-lock.json in that era: not offered
    with pytest.raises(UnknownReleaseError) as info:
        catalog(tmp_path, registry).release("9.3.0")
    message = str(info.value)
    assert "unknown Pyodide release '9.3.0'" in message and registry.url in message
    assert "9.1.0, 9.0.2" in message and "pre-releases: 10.0.0-alpha.1" in message and "0.22.1" not in message
    assert not any(p.endswith(".tgz") for p in registry.requests)
    # a prefix picks the newest stable release of that series
    assert catalog(tmp_path, registry).resolve_version("9") == "9.1.0"


def test_offline_with_nothing_cached_names_the_version_and_what_was_tried(tmp_path, registry):
    with pytest.raises(CatalogError) as info:
        catalog(tmp_path, registry, offline=True).release("9.1.0")
    message = str(info.value)
    assert "Pyodide 9.1.0" in message and str(tmp_path / "cache" / "9.1.0") in message
    assert "node_modules/pyodide" in message and "PYODIDE_PM_OFFLINE" in message and "--pyodide-lock" in message
    assert registry.requests == []


def test_unreachable_registry_falls_back_to_the_cdn_lock_and_says_so_for_runtime_files(tmp_path, registry):
    files = small_release("9.1.0")
    registry.put_cdn_lock("9.1.0", files["pyodide-lock.json"])
    dead = Catalog(cache_dir=tmp_path / "cache", registry="http://127.0.0.1:9/", cdn=registry.cdn, offline=False, search_from=tmp_path)
    release = dead.release("9.1.0")
    assert "numpy" in release.lock.packages and release.lock_source.startswith(f"the CDN ({registry.cdn}/v9.1.0/full/")
    assert not release.has_runtime
    with pytest.raises(CatalogError) as info:
        release.runtime_file("pyodide.mjs")  # the CDN gave the lock alone: the npm package is needed
    assert "127.0.0.1:9" in str(info.value) and "Pyodide 9.1.0" in str(info.value)


def test_a_damaged_cached_file_is_named(tmp_path, registry):
    registry.publish("9.1.0", small_release("9.1.0"))
    release = catalog(tmp_path, registry).release("9.1.0")
    release.runtime_file("pyodide.asm.wasm").write_bytes(b"changed on disk")
    with pytest.raises(CatalogError, match=r"cached pyodide.asm.wasm of Pyodide 9.1.0 .* is damaged.*Delete"):
        catalog(tmp_path, registry, offline=True).release("9.1.0").runtime_file("pyodide.asm.wasm")


def test_node_modules_of_the_same_version_is_used_in_place(tmp_path, registry):
    package = tmp_path / "project" / "node_modules" / "pyodide"
    package.mkdir(parents=True)
    for name, data in small_release("9.1.0").items():
        (package / name).write_bytes(data)
    inner = tmp_path / "project" / "src"
    inner.mkdir()
    found = Catalog(cache_dir=tmp_path / "cache", registry=registry.url, offline=True, search_from=inner).release("9.1.0")
    assert found.folder == package and found.runtime_file("pyodide.mjs") == package / "pyodide.mjs"
    assert registry.requests == [] and not (tmp_path / "cache").exists()
    with pytest.raises(CatalogError, match="node_modules/pyodide is 9.1.0"):
        Catalog(cache_dir=tmp_path / "cache", registry=registry.url, offline=True, search_from=inner).release("9.2.0")


def test_a_lock_given_by_the_user(tmp_path, registry):
    files = small_release("9.1.0", python="3.12.7", abi="2024_0", platform="emscripten_3_1_58")
    path = tmp_path / "my-lock.json"
    path.write_bytes(files["pyodide-lock.json"])
    given = catalog(tmp_path, registry).release_from_lock(str(path), "9.1.0")
    assert (given.python, given.abi_version, given.lock_path) == ("3.12.7", "2024_0", path)
    assert given.lock_packages()["numpy"].url.startswith(f"{registry.cdn}/v9.1.0/full/")  # a file: the release's CDN
    registry.routes["/mirror/pyodide-lock.json"] = (200, files["pyodide-lock.json"])
    by_url = catalog(tmp_path, registry).release_from_lock(registry.url + "/mirror/pyodide-lock.json", "9.1.0")
    assert by_url.lock_packages()["numpy"].url.startswith(registry.url + "/mirror/numpy-")  # a URL: beside it


def test_the_release_command_fills_the_cache_from_the_registry_named_in_the_environment(tmp_path, registry):
    registry.publish("9.1.0", small_release("9.1.0"))
    env = dict(
        os.environ, PYODIDE_PM_CACHE_DIR=str(tmp_path / "cache"), PYODIDE_PM_NPM_REGISTRY=registry.url,
        PYODIDE_PM_CDN_URL=registry.cdn, PYODIDE_PM_OFFLINE="",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pyodide_pm", "release", "9.1.0"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "Pyodide 9.1.0: Python 3.14.2, ABI 2026_0, platform emscripten_5_0_3" in proc.stdout
    assert f"{registry.cdn}/v9.1.0/full/" in proc.stdout
    record = json.loads(next((tmp_path / "cache" / "pyodide" / "9.1.0").glob("*/release.json")).read_text())
    assert record["integrity"].startswith("sha512-") and "pyodide.mjs" in record["files"]
    proc = subprocess.run(
        [sys.executable, "-m", "pyodide_pm", "release", "9.9.9"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2 and "unknown Pyodide release '9.9.9'" in proc.stderr and "9.1.0" in proc.stderr
