"""install_wheels / uninstall_distributions / installed_distributions on tmp_path schemes.

The atomicity tests snapshot the whole tree (paths, bytes, permissions) and
require it to be identical after a refused or failed operation.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from micropip.installation import installer
from micropip.errors import InstallError
from micropip.installation.installed import Scheme, file_owners, find_distribution, installed_distributions
from micropip.installation.installer import InstallItem, install_wheels
from micropip.installation.uninstaller import Journal, UninstallError, uninstall_distribution, uninstall_distributions
from micropip.installation.wheelbuilder import make_metadata, write_wheel
from micropip.installation.wheelfile import WheelFile


@pytest.fixture
def scheme(tmp_path: Path) -> Scheme:
    root = tmp_path / "env"
    s = Scheme(root / "site", root / "site", root / "bin", root, root / "include")
    for folder in (s.purelib, s.scripts, s.headers):
        folder.mkdir(parents=True, exist_ok=True)
    (s.purelib / "unrelated.py").write_text("keep me\n")
    (s.scripts / "other-tool").write_text("#!/bin/sh\n")
    return s


def make(tmp_path: Path, name: str, version: str, files: dict[str, str | bytes], **kwargs) -> WheelFile:
    path = write_wheel(tmp_path / "wheels", name, version, files, **kwargs)
    return WheelFile.from_bytes(path.name, path.read_bytes())


def install(scheme: Scheme, *wheels: WheelFile, requested: bool = True, **kwargs):
    return install_wheels([InstallItem(w, requested=requested) for w in wheels], scheme, **kwargs)


def snapshot(scheme: Scheme) -> dict[str, object]:
    root = Path(scheme.data)
    out: dict[str, object] = {}
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        out[rel + "/"] = "dir"
        for name in files:
            path = Path(folder) / name
            out[os.path.join(rel, name)] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
    return out


def site(scheme: Scheme) -> list[str]:
    return [str(scheme.purelib)]


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def verify_record(dist_info: Path) -> list[Path]:
    """Every RECORD row matches the file on disk; returns the listed paths."""
    listed = []
    with open(dist_info / "RECORD", newline="") as fh:
        for path, digest, size in csv.reader(fh):
            target = Path(os.path.normpath(dist_info.parent / path))
            listed.append(target)
            if path.endswith("/RECORD"):
                assert digest == "" and size == ""
                continue
            data = target.read_bytes()
            assert digest == record_hash(data) and int(size) == len(data), path
    return listed


ALPHA_FILES = {"alpha/__init__.py": "VALUE = 1\n", "alpha/sub/mod.py": "X = 2\n", "alpha/_ext.cpython-314-wasm32-emscripten.so": b"\0asm"}


# ---- installing ---------------------------------------------------------------------------------


def test_install_writes_files_and_dist_info(tmp_path, scheme):
    wheel = make(tmp_path, "Alpha", "1.0", ALPHA_FILES)
    direct = {"url": "https://example.org/alpha-1.0-py3-none-any.whl", "archive_info": {"hashes": {"sha256": "ab"}}}
    report = install_wheels([InstallItem(wheel, requested=True, direct_url=direct, extra_dist_info={"PYODIDE_SOURCE": b"u"})], scheme)

    site_dir = Path(scheme.purelib)
    dist_info = site_dir / "alpha-1.0.dist-info"
    assert (site_dir / "alpha/sub/mod.py").read_text() == "X = 2\n"
    assert (dist_info / "INSTALLER").read_text() == "micropip"
    assert (dist_info / "REQUESTED").read_bytes() == b""
    assert json.loads((dist_info / "direct_url.json").read_text()) == direct
    assert (dist_info / "PYODIDE_SOURCE").read_bytes() == b"u"

    listed = verify_record(dist_info)
    on_disk = {p for p in site_dir.rglob("*") if p.is_file()} - {site_dir / "unrelated.py"}
    assert set(listed) == on_disk

    [dist] = report.distributions
    assert (dist.name, dist.version, dist.dist_info) == ("Alpha", "1.0", dist_info)
    assert {Path(p) for p in dist.files} == on_disk
    assert dist.shared_libraries == [site_dir / "alpha/_ext.cpython-314-wasm32-emscripten.so"]


def test_requested_only_when_requested(tmp_path, scheme):
    install(scheme, make(tmp_path, "dep", "1.0", {"dep.py": ""}), requested=False)
    dist_info = Path(scheme.purelib) / "dep-1.0.dist-info"
    assert not (dist_info / "REQUESTED").exists()
    assert not (dist_info / "direct_url.json").exists()
    assert "dep-1.0.dist-info/REQUESTED" not in (dist_info / "RECORD").read_text()


def test_data_folders_go_to_their_scheme_paths(tmp_path):
    root = tmp_path / "env"
    scheme = Scheme(root / "pure", root / "plat", root / "bin", root / "prefix", root / "include")
    files = {
        "tool/__init__.py": "",
        "tool-1.0.data/purelib/tool_pure.py": "P = 1\n",
        "tool-1.0.data/platlib/tool_plat.py": "Q = 1\n",
        "tool-1.0.data/scripts/tool-run": "#!python -u\nimport tool\n",
        "tool-1.0.data/scripts/tool-sh": "#!/bin/sh\necho hi\n",
        "tool-1.0.data/data/share/tool/readme.txt": "data",
        "tool-1.0.data/headers/tool.h": "#define TOOL 1\n",
    }
    wheel = make(tmp_path, "tool", "1.0", files, tag="cp314-cp314-pyodide_2025_0_wasm32")
    assert wheel.root_is_purelib is False
    install(scheme, wheel)

    assert (root / "plat/tool/__init__.py").exists()  # root follows Root-Is-Purelib: false
    assert (root / "plat/tool-1.0.dist-info/RECORD").exists()
    assert (root / "pure/tool_pure.py").read_text() == "P = 1\n"
    assert (root / "plat/tool_plat.py").read_text() == "Q = 1\n"
    assert (root / "prefix/share/tool/readme.txt").read_text() == "data"
    assert (root / "include/tool/tool.h").read_text() == "#define TOOL 1\n"  # headers/<name>/
    script = root / "bin/tool-run"
    assert script.read_text() == f"#!{sys.executable} -u\nimport tool\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert (root / "bin/tool-sh").read_text() == "#!/bin/sh\necho hi\n"
    listed = verify_record(root / "plat/tool-1.0.dist-info")
    assert script in listed and root / "include/tool/tool.h" in listed
    rows = (root / "plat/tool-1.0.dist-info/RECORD").read_text()
    assert "../bin/tool-run," in rows and "../pure/tool_pure.py," in rows


def test_unowned_file_is_overwritten(tmp_path, scheme):
    (Path(scheme.purelib) / "loose.py").write_text("old\n")
    install(scheme, make(tmp_path, "loose", "1.0", {"loose.py": "new\n"}))
    assert (Path(scheme.purelib) / "loose.py").read_text() == "new\n"


# ---- conflicts ----------------------------------------------------------------------------------


def test_conflict_with_another_distribution_changes_nothing(tmp_path, scheme):
    install(scheme, make(tmp_path, "alpha", "1.0", ALPHA_FILES))
    before = snapshot(scheme)
    intruder = make(tmp_path, "intruder", "1.0", {"intruder.py": "", "alpha/sub/mod.py": "hacked"})
    with pytest.raises(InstallError) as info:
        install(scheme, intruder)
    assert "intruder 1.0" in str(info.value) and "alpha 1.0" in str(info.value)
    assert snapshot(scheme) == before


def test_conflict_allowed_with_replace(tmp_path, scheme):
    install(scheme, make(tmp_path, "alpha", "1.0", ALPHA_FILES))
    report = install(scheme, make(tmp_path, "beta", "1.0", {"alpha/sub/mod.py": "beta's\n"}), replace=["Alpha"])
    assert [r.name for r in report.replaced] == ["alpha"]
    assert (Path(scheme.purelib) / "alpha/sub/mod.py").read_text() == "beta's\n"
    assert not (Path(scheme.purelib) / "alpha/__init__.py").exists()
    assert [d.name for d in installed_distributions(site(scheme))] == ["beta"]


def test_same_name_needs_replace_and_upgrade_removes_old_files(tmp_path, scheme):
    install(scheme, make(tmp_path, "alpha", "1.0", ALPHA_FILES))
    newer = make(tmp_path, "alpha", "2.0", {"alpha/__init__.py": "VALUE = 2\n"})
    before = snapshot(scheme)
    with pytest.raises(InstallError, match="already installed"):
        install(scheme, newer)
    assert snapshot(scheme) == before

    install(scheme, newer, replace=["alpha"])
    site_dir = Path(scheme.purelib)
    assert not (site_dir / "alpha-1.0.dist-info").exists()
    assert not (site_dir / "alpha/sub").exists()
    assert (site_dir / "alpha/__init__.py").read_text() == "VALUE = 2\n"
    assert find_distribution("ALPHA", site(scheme)).version == "2.0"


def test_two_wheels_writing_one_file(tmp_path, scheme):
    before = snapshot(scheme)
    a = make(tmp_path, "a", "1.0", {"shared.py": "a"})
    b = make(tmp_path, "b", "1.0", {"shared.py": "b"})
    with pytest.raises(InstallError, match="both install"):
        install(scheme, a, b)
    assert snapshot(scheme) == before


# ---- rollback -----------------------------------------------------------------------------------


def fail_on_call(monkeypatch, n: int, exc: BaseException) -> None:
    real = installer._write_file
    calls = {"n": 0}

    def flaky(path, data):
        calls["n"] += 1
        if calls["n"] == n:
            real(path, data[: len(data) // 2])  # a half-written file, then the failure
            raise exc
        real(path, data)

    monkeypatch.setattr(installer, "_write_file", flaky)


@pytest.mark.parametrize("n", [1, 3, 6, 11])
def test_failure_midway_restores_everything(tmp_path, scheme, monkeypatch, n):
    install(scheme, make(tmp_path, "alpha", "1.0", ALPHA_FILES))
    (Path(scheme.purelib) / "loose.py").write_text("unowned original\n")
    items = [
        make(tmp_path, "alpha", "2.0", {"alpha/__init__.py": "VALUE = 2\n", "alpha/new/deep.py": ""}),
        make(tmp_path, "gamma", "1.0", {"gamma.py": "", "loose.py": "overwrite", "gamma-1.0.data/scripts/g": "#!python\n"}),
    ]
    before = snapshot(scheme)
    fail_on_call(monkeypatch, n, OSError("disk full"))
    with pytest.raises(InstallError) as info:
        install(scheme, *items, replace=["alpha"])
    assert "disk full" in str(info.value) and "nothing was changed" in str(info.value)
    assert ("alpha 2.0" in str(info.value)) or ("gamma 1.0" in str(info.value))
    assert isinstance(info.value.__cause__, OSError)
    assert snapshot(scheme) == before
    assert find_distribution("alpha", site(scheme)).version == "1.0"


@pytest.mark.parametrize("exc_type", [asyncio.CancelledError, KeyboardInterrupt])
def test_cancellation_rolls_back_and_propagates(tmp_path, scheme, monkeypatch, exc_type):
    install(scheme, make(tmp_path, "alpha", "1.0", ALPHA_FILES))
    before = snapshot(scheme)
    fail_on_call(monkeypatch, 2, exc_type())
    with pytest.raises(exc_type):
        install(scheme, make(tmp_path, "alpha", "2.0", {"alpha/__init__.py": "", "alpha/x/y.py": ""}), replace=["alpha"])
    assert snapshot(scheme) == before


def test_error_names_package_and_file(tmp_path, scheme, monkeypatch):
    fail_on_call(monkeypatch, 1, PermissionError("read-only"))
    with pytest.raises(InstallError) as info:
        install(scheme, make(tmp_path, "delta", "1.0", {"delta.py": ""}))
    assert "delta 1.0" in str(info.value) and "delta.py" in str(info.value)


# ---- uninstalling -------------------------------------------------------------------------------


def test_uninstall_removes_exactly_the_record_files(tmp_path, scheme):
    before = snapshot(scheme)
    files = dict(ALPHA_FILES, **{"alpha-1.0.data/scripts/alpha-cli": "#!python\n", "alpha-1.0.data/data/share/alpha/a.txt": "a"})
    install(scheme, make(tmp_path, "alpha", "1.0", files))
    site_dir = Path(scheme.purelib)
    # bytecode the interpreter made (not in RECORD) goes too; a stranger's file stays.
    (site_dir / "alpha/sub/__pycache__").mkdir()
    (site_dir / "alpha/sub/__pycache__/mod.cpython-314.pyc").write_bytes(b"pyc")
    (site_dir / "alpha/sub/__pycache__/mod.cpython-314.opt-1.pyc").write_bytes(b"pyc")
    report = uninstall_distribution("Alpha", site(scheme), scheme=scheme)
    assert snapshot(scheme) == before
    assert site_dir / "alpha/sub/__pycache__" in report.removed_dirs

    install(scheme, make(tmp_path, "alpha", "1.0", files))
    (site_dir / "alpha/notes.txt").write_text("mine")
    uninstall_distribution("alpha", site(scheme), scheme=scheme)
    assert (site_dir / "alpha/notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (site_dir / "alpha").iterdir()) == ["notes.txt"]
    assert not (Path(scheme.data) / "share").exists()


def test_uninstall_refuses_record_paths_outside_the_roots(tmp_path, scheme):
    install(scheme, make(tmp_path, "alpha", "1.0", ALPHA_FILES))
    outside = tmp_path / "precious.txt"
    outside.write_text("do not delete")
    record = Path(scheme.purelib) / "alpha-1.0.dist-info/RECORD"
    record.write_text(record.read_text() + "../../precious.txt,,\n")
    before = snapshot(scheme)
    with pytest.raises(UninstallError, match="outside the installation folders"):
        uninstall_distribution("alpha", site(scheme), scheme=scheme)
    assert snapshot(scheme) == before and outside.exists()


def test_uninstall_refuses_paths_through_a_symlinked_folder(tmp_path, scheme):
    install(scheme, make(tmp_path, "alpha", "1.0", ALPHA_FILES))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "victim.txt").write_text("keep")
    (Path(scheme.purelib) / "alpha/link").symlink_to(elsewhere)
    record = Path(scheme.purelib) / "alpha-1.0.dist-info/RECORD"
    record.write_text(record.read_text() + "alpha/link/victim.txt,,\n")
    with pytest.raises(UninstallError, match="outside"):
        uninstall_distribution("alpha", site(scheme), scheme=scheme)
    assert (elsewhere / "victim.txt").read_text() == "keep"


def test_uninstall_several_is_one_transaction(tmp_path, scheme):
    install(scheme, make(tmp_path, "alpha", "1.0", ALPHA_FILES), make(tmp_path, "beta", "1.0", {"beta.py": ""}))
    record = Path(scheme.purelib) / "beta-1.0.dist-info/RECORD"
    record.write_text(record.read_text() + "/etc/passwd,,\n")
    before = snapshot(scheme)
    with pytest.raises(UninstallError):
        uninstall_distributions(["alpha", "beta"], site(scheme), scheme=scheme)
    assert snapshot(scheme) == before


def test_uninstall_failure_midway_restores(tmp_path, scheme, monkeypatch):
    install(scheme, make(tmp_path, "alpha", "1.0", ALPHA_FILES), make(tmp_path, "beta", "1.0", {"beta.py": ""}))
    before = snapshot(scheme)
    real = Journal.remove_file
    calls = {"n": 0}

    def flaky(self, path):
        calls["n"] += 1
        if calls["n"] == 9:
            raise OSError("busy")
        real(self, path)

    monkeypatch.setattr(Journal, "remove_file", flaky)
    with pytest.raises(UninstallError, match="busy"):
        uninstall_distributions(["alpha", "beta"], site(scheme), scheme=scheme)
    assert snapshot(scheme) == before


def test_uninstall_errors(tmp_path, scheme):
    with pytest.raises(UninstallError, match="not installed"):
        uninstall_distribution("nothing", site(scheme), scheme=scheme)
    install(scheme, make(tmp_path, "alpha", "1.0", ALPHA_FILES))
    (Path(scheme.purelib) / "alpha-1.0.dist-info/RECORD").unlink()
    with pytest.raises(UninstallError, match="no .*RECORD"):
        uninstall_distribution("alpha", site(scheme), scheme=scheme)
    with pytest.raises(InstallError, match="RECORD"):  # and so it cannot be replaced either
        install(scheme, make(tmp_path, "alpha", "2.0", {"alpha/__init__.py": ""}), replace=["alpha"])


# ---- listing ------------------------------------------------------------------------------------


def test_installed_distributions_and_owners(tmp_path, scheme):
    meta = make_metadata("Alpha", "1.0", requires_dist=["beta>=1", "gamma; extra == 'x'"])
    install(scheme, make(tmp_path, "Alpha", "1.0", ALPHA_FILES, metadata=meta))
    install_wheels([InstallItem(make(tmp_path, "beta", "1.0", {"beta.py": ""}), requested=False, installer="other")], scheme)

    dists = {d.canonical_name: d for d in installed_distributions(site(scheme))}
    alpha, beta = dists["alpha"], dists["beta"]
    assert (alpha.name, alpha.version, alpha.installer, alpha.requested) == ("Alpha", "1.0", "micropip", True)
    assert (beta.installer, beta.requested) == ("other", False)
    assert alpha.requires == ("beta>=1", "gamma; extra == 'x'")
    assert alpha.location == Path(os.path.realpath(scheme.purelib))
    assert alpha.dist_info == alpha.location / "alpha-1.0.dist-info"
    assert "alpha/sub/mod.py" in alpha.files

    owners = file_owners(site(scheme))
    assert owners[alpha.location / "alpha/sub/mod.py"] == "Alpha"
    assert owners[alpha.location / "beta.py"] == "beta"
    assert alpha.location / "unrelated.py" not in owners
    assert find_distribution("ALPHA", site(scheme)) == alpha
    assert find_distribution("missing", site(scheme)) is None
    (alpha.location / "broken-1.0.dist-info").mkdir()  # no METADATA: skipped, not an error
    assert sorted(d.name for d in installed_distributions(site(scheme))) == ["Alpha", "beta"]


def test_wheel_copies_of_generated_files_are_replaced(tmp_path, scheme):
    # A wheel shipping its own INSTALLER/REQUESTED gets ours instead.
    wheel = make(tmp_path, "eps", "1.0", {"eps.py": ""}, extra_dist_info={"INSTALLER": "evil\n", "REQUESTED": ""})
    install(scheme, wheel, requested=False)
    dist_info = Path(scheme.purelib) / "eps-1.0.dist-info"
    assert (dist_info / "INSTALLER").read_text() == "micropip"
    assert not (dist_info / "REQUESTED").exists()
    verify_record(dist_info)
