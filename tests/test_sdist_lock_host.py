"""``pyodide-pm lock`` and ``check`` with ``--build-sdists`` (issue 18), on the host.

The index serves the fixture wheels, the fixture sdists and the pinned build backends.
A pure-Python sdist is locked as the sdist itself (URL + sha256), its dependencies read
from PEP 643 static PKG-INFO or from a build on this host; micropip builds it in Pyodide
at install time. Without the flag the error says how to opt in.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

from pyodide_pm.cli import main

from .conftest import REPO_ROOT

SDISTS = REPO_ROOT / "fixtures" / "sdists"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_lock_without_the_flag_says_how_to_opt_in(build_index, tmp_path, capsys):
    assert main(["lock", "sdist-flit", "-i", build_index.simple_url, "-o", str(tmp_path / "lock.json")]) == 1
    err = capsys.readouterr().err
    assert "sdist_flit-1.0.tar.gz: a source distribution, not built unless asked" in err
    assert "--build-sdists" in err


def test_lock_json_names_the_sdist_and_its_dependencies(build_index, tmp_path):
    out = tmp_path / "lock.json"
    assert main(["lock", "sdist-static", "sdist-flit", "-i", build_index.simple_url, "-o", str(out), "--build-sdists"]) == 0
    packages = json.loads(out.read_text())["packages"]
    assert packages["sdist-flit"]["file_name"] == build_index.url + "files/sdist_flit-1.0.tar.gz"
    assert packages["sdist-flit"]["sha256"] == sha256_of(SDISTS / "sdist_flit-1.0.tar.gz")
    assert packages["sdist-static"]["depends"] == ["textwrap3-lite"]  # from PKG-INFO (PEP 643), no build
    assert packages["textwrap3-lite"]["file_name"].endswith("textwrap3_lite-1.0-py3-none-any.whl")


def test_pylock_uses_the_sdist_table(build_index, tmp_path):
    out = tmp_path / "pylock.toml"
    assert main(["lock", "sdist-hatch", "-i", build_index.simple_url, "-o", str(out), "--build-sdists"]) == 0
    (entry,) = [p for p in tomllib.loads(out.read_text())["packages"] if p["name"] == "sdist-hatch"]
    assert "wheels" not in entry
    assert entry["sdist"]["name"] == "sdist_hatch-1.0.tar.gz"
    assert entry["sdist"]["hashes"] == {"sha256": sha256_of(SDISTS / "sdist_hatch-1.0.tar.gz")}


def test_lock_refuses_a_c_extension_naming_it(build_index, tmp_path, capsys):
    assert main(["lock", "sdist-cext", "-i", build_index.simple_url, "-o", str(tmp_path / "l.json"), "--build-sdists"]) == 1
    err = capsys.readouterr().err
    assert "_speedups" in err and "Pyodide build" in err


def test_check_honours_build_sdists(build_index, tmp_path, capsys):
    assert main(["check", "sdist-flit", "-i", build_index.simple_url]) == 1
    capsys.readouterr()
    assert main(["check", "sdist-flit", "-i", build_index.simple_url, "--build-sdists"]) == 0
