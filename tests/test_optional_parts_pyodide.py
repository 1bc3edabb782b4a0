"""micropip's optional parts (micropip-sdist, micropip-pylock) when micropip did not come from our bundle.

In real Pyodide (Node): a lock that lists micropip but not its parts finds each part's
wheel beside micropip's own; a micropip loaded with ``loadPackage(url)`` does too; and
where the wheel is not there either, the error names the part, what was tried and how
to get it (instead of Pyodide's "No known package with name 'micropip-sdist'").
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .harness.pyodide_node import PyodideError

PARTS = ("micropip-sdist", "micropip-pylock")


@pytest.fixture(scope="module")
def pyodide_runtime_lock() -> Path:
    """Pyodide 314.0.7's own lock (the release catalog's cached copy): it has Pyodide's micropip, not ours."""
    from pyodide_pm.catalog import Catalog

    return Catalog().release("314.0.7").lock_path
PYLOCK = 'lock-version = "1.0"\ncreated-by = "test"\npackages = []\n'


def bundle_without_part_entries(bundle_dir: Path, dest: Path, *, keep_wheels: bool) -> Path:
    """A copy of the bundle whose lock lists micropip but not its optional parts (as another distribution might)."""
    shutil.copytree(bundle_dir, dest)
    lock = json.loads((dest / "pyodide-lock.json").read_text())
    for name in PARTS:
        entry = lock["packages"].pop(name)
        if not keep_wheels:
            (dest / entry["file_name"]).unlink()
    (dest / "pyodide-lock.json").write_text(json.dumps(lock))
    return dest / "pyodide-lock.json"


@pytest.mark.pyodide
def test_a_part_missing_from_the_lock_is_loaded_from_beside_micropips_wheel(node_runner, bundle_dir, tmp_path):
    lock = bundle_without_part_entries(bundle_dir, tmp_path / "bundle", keep_wheels=True)
    py = node_runner.new_interpreter(lock)
    try:
        py.run("import micropip; open('/tmp/pylock.toml', 'w').write(" + repr(PYLOCK) + ")")
        # reading a pylock.toml needs micropip-pylock: found beside micropip's wheel
        py.run("await micropip.install_lockfile('emfs:/tmp/pylock.toml')")
        loaded = py.run("import pyodide_js; pyodide_js.loadedPackages.to_py()")
        assert loaded["micropip_pylock"] == str(tmp_path / "bundle" / "micropip_pylock-1.0.0a1-py3-none-any.whl")
        assert py.run("import importlib.util; importlib.util.find_spec('micropip.sdist') is None")
        py.run("from micropip import transport; await transport.load_optional_part('micropip-sdist', 'micropip.sdist')")
        assert py.run("import micropip.sdist.service; micropip.sdist.service.__name__") == "micropip.sdist.service"
    finally:
        py.drop()


@pytest.mark.pyodide
def test_micropip_loaded_by_url_finds_its_parts_beside_it(node_runner, bundle_dir, pyodide_runtime_lock):
    """micropip from ``loadPackage(url)`` in a Pyodide whose own lock knows nothing of our parts."""
    py = node_runner.new_interpreter(pyodide_runtime_lock, load=[])
    wheels = [str(bundle_dir / n) for n in ("packaging-26.2-py3-none-any.whl", "resolvelib-1.2.1-py3-none-any.whl", "micropip-1.0.0a1-py3-none-any.whl")]
    try:
        py.run(f"import pyodide_js; from pyodide.ffi import to_js; await pyodide_js.loadPackage(to_js({wheels!r}))")
        assert py.run("import micropip; micropip.__version__") == "1.0.0a1"
        py.run("from micropip import transport; await transport.load_optional_part('micropip-sdist', 'micropip.sdist')")
        loaded = py.run("pyodide_js.loadedPackages.to_py()")
        assert loaded["micropip"] == wheels[2] and loaded["micropip_sdist"] == str(bundle_dir / "micropip_sdist-1.0.0a1-py3-none-any.whl")
    finally:
        py.drop()


@pytest.mark.pyodide
def test_a_part_that_cannot_be_found_says_what_is_missing_and_how_to_get_it(node_runner, bundle_dir, tmp_path):
    lock = bundle_without_part_entries(bundle_dir, tmp_path / "bundle", keep_wheels=False)
    py = node_runner.new_interpreter(lock)
    try:
        py.run("import micropip; open('/tmp/pylock.toml', 'w').write(" + repr(PYLOCK) + ")")
        with pytest.raises(PyodideError) as info:
            py.run("await micropip.install_lockfile('emfs:/tmp/pylock.toml')")
        assert info.value.type == "OptionalPartError"
        message = info.value.message
        assert "'micropip-pylock'" in message and "reading pylock.toml" in message
        assert "Pyodide's lockfile has no 'micropip-pylock' entry" in message
        assert str(tmp_path / "bundle" / "micropip_pylock-1.0.0a1-py3-none-any.whl") in message
        assert "pyodide-pm bundle" in message and "No known package" not in message
        assert py.run("isinstance(micropip.errors.OptionalPartError('x'), ImportError)")  # what callers caught before
    finally:
        py.drop()
