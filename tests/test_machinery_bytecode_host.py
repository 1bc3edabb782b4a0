"""The bundle's bytecode part on the host: what it holds and how the lock lists it
(``pyodide_pm.machinery_bytecode``); its use in Pyodide is tests/test_shipped_bytecode_pyodide.py."""

from __future__ import annotations

import json
import marshal
import zipfile

from micropip.installation.shipped_bytecode import MEMBER, PART, STDLIB
from pyodide_pm.bundle import sha256_file, write_bundle
from pyodide_pm.machinery_bytecode import BEFORE_THE_REQUEST, FIRST_INSTALL_STDLIB, first_install_sources


def test_the_part_holds_what_a_first_install_imports_after_asking_for_it(tmp_path):
    lock = json.loads(write_bundle(tmp_path).read_text())["packages"]
    entry = lock[PART]
    assert entry["depends"] == ["micropip"] and entry["sha256"] == sha256_file(tmp_path / entry["file_name"])
    with zipfile.ZipFile(tmp_path / entry["file_name"]) as zf:
        shipped = marshal.loads(zf.read(MEMBER))
    by_name = {name: lock[name]["sha256"] for name in ("micropip", "packaging", "resolvelib")}
    assert set(shipped) == {*by_name.values(), STDLIB}
    ours = shipped[by_name["micropip"]]
    assert "micropip/package_manager.py" in ours and "micropip/resolution/resolver.py" in ours
    assert not set(ours) & BEFORE_THE_REQUEST  # imported before it could arrive: not shipped
    assert not any(p.startswith(("micropip/sdist/", "lockfile/pylock.py")) for p in ours)  # optional parts
    packaging = set(shipped[by_name["packaging"]])
    assert {"packaging/specifiers.py", "packaging/tags.py", "packaging/markers.py", "packaging/_parser.py"} <= packaging
    assert not packaging & {"packaging/metadata.py", "packaging/pylock.py", "packaging/licenses/_spdx.py"}  # never imported
    assert len(shipped[by_name["resolvelib"]]) >= 5
    assert set(shipped[STDLIB]) == set(FIRST_INSTALL_STDLIB)
    for files in shipped.values():  # checked-hash pycs (PEP 552: flags 0b11) of the release's Python
        assert all(pyc[4:8] == b"\x03\x00\x00\x00" for pyc in files.values())


def test_a_bundle_can_go_without_the_part(tmp_path):
    lock = json.loads(write_bundle(tmp_path, bytecode_part=False).read_text())["packages"]
    assert PART not in lock
    assert not list(tmp_path.glob("micropip_bytecode-*.whl"))


def test_packaging_modules_are_followed_through_relative_and_function_level_imports():
    sources = {
        "micropip/a.py": b"def f():\n    from packaging.markers import Marker\n",
        "packaging/__init__.py": b"",
        "packaging/markers.py": b"from ._parser import x\n",
        "packaging/_parser.py": b"from .utils import y\n",
        "packaging/utils.py": b"",
        "packaging/metadata.py": b"from . import utils\n",
    }
    chosen = first_install_sources(sources)
    assert set(chosen) == {"micropip/a.py", "packaging/__init__.py", "packaging/markers.py", "packaging/_parser.py",
                           "packaging/utils.py"}
