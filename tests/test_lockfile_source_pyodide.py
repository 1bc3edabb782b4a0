"""Candidates from the running Pyodide's lockfile are resolved together with the index."""

from __future__ import annotations

import json

import pytest

from .harness.pyodide_node import PyodideError
from .snippets import SNAPSHOT, installed_version

pytestmark = pytest.mark.pyodide


def use_lock(py, packages: dict, base_url: str) -> None:
    lock = {"info": {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3", "python": "3.14.2"}, "packages": packages}
    py.run(f"import json; micropip._get_manager().lock_override = (json.loads({json.dumps(lock)!r}), {base_url!r})")


def entry(name, version, file_name, sha256, depends=()):
    return {"name": name, "version": version, "file_name": file_name, "sha256": sha256, "depends": list(depends),
            "imports": [name], "install_dir": "site", "package_type": "package", "unvendored_tests": False, "shared_library": False}


def sha(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pin_is_never_overridden_by_the_lockfile(pyodide):
    from .conftest import FIXTURE_WHEELS

    files = pyodide.index_url.replace("/simple/", "/files/")
    use_lock(pyodide, {"shared": entry("shared", "2.0", "shared-2.0-py3-none-any.whl", sha(FIXTURE_WHEELS / "shared-2.0-py3-none-any.whl"))}, files)
    plan = pyodide.run("p = await micropip.install('shared==1.0', dry_run=True); [(x.name, x.version, x.source) for x in p.install]")
    assert plan == [["shared", "1.0", "index"]]
    plan = pyodide.run("p = await micropip.install('shared', dry_run=True); [(x.name, x.version, x.source) for x in p.install]")
    assert plan == [["shared", "2.0", "lockfile"]]
    pyodide.run("await micropip.install('shared')")
    assert pyodide.run(installed_version("shared")) == "2.0"


def test_lockfile_dependencies_are_followed(pyodide):
    from .conftest import FIXTURE_WHEELS

    files = pyodide.index_url.replace("/simple/", "/files/")
    # A lock-only package (not on the index) depending on an index package.
    use_lock(
        pyodide,
        {"conflict-a": entry("conflict-a", "1.0", "conflict_a-1.0-py3-none-any.whl", sha(FIXTURE_WHEELS / "conflict_a-1.0-py3-none-any.whl"), ["shared"])},
        files,
    )
    pyodide.run("await micropip.install('conflict-a', index_urls=[micropip._get_manager().index_urls[0]])")
    assert pyodide.run(installed_version("shared")) == "2.0"  # depends carries no version: newest


def test_failed_lockfile_fetch_is_an_error_and_changes_nothing(pyodide):
    pyodide.run(SNAPSHOT)
    before = pyodide.run("_snapshot()")
    # The real bundle lock lists Pyodide's packages; their wheels are not beside it here.
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('pyodide-unix-timezones')")
    assert "pyodide_unix_timezones-1.0.0-py3-none-any.whl" in info.value.message
    assert info.value.type in ("TransportError", "LocalFileNotFoundError", "InstallError")  # LocalFileNotFoundError is a TransportError
    assert pyodide.run("_snapshot()") == before


def test_tampered_lockfile_hash_refused(pyodide):
    files = pyodide.index_url.replace("/simple/", "/files/")
    use_lock(pyodide, {"shared": entry("shared", "2.0", "shared-2.0-py3-none-any.whl", "1" * 64)}, files)
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('shared==2.0')")
    assert info.value.type == "HashMismatchError"


def test_a_lock_package_that_fits_is_taken_without_asking_the_index(pyodide, fixture_index):
    """As in Pyodide's micropip: no index round trip (or private-index 404) for what the lock has."""
    from .conftest import FIXTURE_WHEELS
    from .harness.fault_server import FaultServer

    files = pyodide.index_url.replace("/simple/", "/files/")
    use_lock(pyodide, {"shared": entry("shared", "2.0", "shared-2.0-py3-none-any.whl", sha(FIXTURE_WHEELS / "shared-2.0-py3-none-any.whl"))}, files)
    with FaultServer(upstream=fixture_index.url) as index:
        plan = pyodide.run(
            f"p = await micropip.install('shared', index_urls=[{index.simple_url!r}], dry_run=True); "
            "[(x.name, x.version, x.source) for x in p.install]"
        )
        assert plan == [["shared", "2.0", "lockfile"]]
        assert index.count("/simple/shared/") == 0
        # conflict-a needs shared==1.0, which the lock's 2.0 does not meet: now the index is asked.
        plan = pyodide.run(
            f"p = await micropip.install('conflict-a', index_urls=[{index.simple_url!r}], dry_run=True); "
            "sorted((x.name, x.version, x.source) for x in p.install)"
        )
        assert plan == [["conflict-a", "1.0", "index"], ["shared", "1.0", "index"]]
        assert index.count("/simple/shared/") == 1
