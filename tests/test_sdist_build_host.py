"""The sdist-build draft (issue 18) on host CPython: safe unpacking of crafted archives,
PEP 643 static metadata, the [build-system] table, and real builds of every fixture sdist
with real backends (setuptools, flit_core, hatchling) run in-process.

The backends come from the pinned wheels in .cache/build-backends (scripts/setup.sh
fetches them) and are installed into a temporary prefix with ``pip install --target
--no-index``: what Pyodide does through micropip, done here through pip.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import textwrap
import time
import warnings
import zipfile
from pathlib import Path

import pytest

from micropip.sdist import (
    ArchiveTooLargeError,
    BackendError,
    BuildTimeoutError,
    InvalidBuildSystemError,
    InvalidSdistError,
    Limits,
    NotPureError,
    UnsafeArchiveError,
    build_sdist,
    check_pure_wheel,
    parse_pkg_info,
    read_build_system,
    run_backend,
    static_metadata,
    static_pkg_info,
    unpack_sdist,
)
from micropip.sdist.pkg_info import check_identity

from .harness.handmade_wheels import write_test_wheel

REPO_ROOT = Path(__file__).resolve().parent.parent
SDISTS = REPO_ROOT / "fixtures" / "sdists"
WHEELS = REPO_ROOT / "fixtures" / "wheels"
BACKENDS = REPO_ROOT / ".cache" / "build-backends"


# ---- crafted archives ------------------------------------------------------------------------


def targz(members: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for item in members:
            if isinstance(item, tarfile.TarInfo):
                tf.addfile(item)
            else:
                name, data = item
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tar_link(name: str, target: str, *, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def tar_special(name: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    return info


def zipped(members: list[tuple[str, bytes, int]]) -> bytes:
    """(name, data, unix mode incl. file type bits)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return buffer.getvalue()


OK_FILES = [("pkg-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n\n"), ("pkg-1.0/pkg.py", b"X = 1\n")]


def assert_refused(tmp_path: Path, data: bytes, filename: str, error: type, *words: str) -> None:
    dest = tmp_path / "out"
    with pytest.raises(error) as caught:
        unpack_sdist(data, dest, filename=filename)
    message = str(caught.value)
    assert filename in message
    for word in words:
        assert word in message, message
    assert not dest.exists() or not any(dest.iterdir()), "something was written before the refusal"
    assert not list(tmp_path.rglob("escaped*")) and not list(tmp_path.parent.glob("escaped*"))


# ---- unpacking -------------------------------------------------------------------------------


def test_fixture_sdists_unpack_into_their_top_folder(tmp_path):
    for path in sorted(SDISTS.iterdir()):
        if "evil" in path.name:
            continue
        root = unpack_sdist(path, tmp_path / path.name, filename=path.name)
        assert root.parent == tmp_path / path.name
        assert (root / "PKG-INFO").is_file()


def test_the_evil_fixture_is_refused_before_anything_is_written(tmp_path):
    data = (SDISTS / "sdist_evil-1.0.tar.gz").read_bytes()
    assert_refused(tmp_path, data, "sdist_evil-1.0.tar.gz", UnsafeArchiveError, "..")


@pytest.mark.parametrize("name", ["/tmp/escaped_abs.py", "pkg-1.0/../../escaped_up.py", "C:/escaped.py", "pkg-1.0\\..\\escaped.py"])
def test_absolute_and_climbing_paths_are_refused_in_tar(tmp_path, name):
    data = targz([*OK_FILES, (name, b"x = 1\n")])
    assert_refused(tmp_path, data, "pkg-1.0.tar.gz", UnsafeArchiveError)


@pytest.mark.parametrize("name", ["/tmp/escaped_abs.py", "pkg-1.0/../../escaped_up.py"])
def test_absolute_and_climbing_paths_are_refused_in_zip(tmp_path, name):
    data = zipped([(n, d, 0o100644) for n, d in OK_FILES] + [(name, b"x = 1\n", 0o100644)])
    assert_refused(tmp_path, data, "pkg-1.0.zip", UnsafeArchiveError)


@pytest.mark.parametrize(
    "target",
    ["/etc/passwd", "../../escaped_target", "../../../../../../etc/passwd", "missing_file.py"],
)
def test_symlinks_pointing_out_or_nowhere_are_refused(tmp_path, target):
    data = targz([*OK_FILES, tar_link("pkg-1.0/link.py", target)])
    assert_refused(tmp_path, data, "pkg-1.0.tar.gz", UnsafeArchiveError, "link")


def test_zip_symlink_pointing_out_is_refused(tmp_path):
    data = zipped([(n, d, 0o100644) for n, d in OK_FILES] + [("pkg-1.0/link.py", b"/etc/passwd", stat.S_IFLNK | 0o777)])
    assert_refused(tmp_path, data, "pkg-1.0.zip", UnsafeArchiveError, "link")


def test_hard_link_out_of_the_sdist_is_refused(tmp_path):
    data = targz([*OK_FILES, tar_link("pkg-1.0/hard.py", "other-1.0/x.py", hard=True)])
    assert_refused(tmp_path, data, "pkg-1.0.tar.gz", UnsafeArchiveError, "hard link")


def test_writing_through_a_symlinked_folder_is_refused(tmp_path):
    """The classic two-step escape: a link to a folder, then a file 'inside' the link."""
    data = targz([*OK_FILES, ("pkg-1.0/real/a.py", b""), tar_link("pkg-1.0/sub", "real"), ("pkg-1.0/sub/escaped.py", b"x")])
    assert_refused(tmp_path, data, "pkg-1.0.tar.gz", UnsafeArchiveError, "inside")


def test_link_loops_are_refused(tmp_path):
    data = targz([*OK_FILES, tar_link("pkg-1.0/a", "b"), tar_link("pkg-1.0/b", "a")])
    assert_refused(tmp_path, data, "pkg-1.0.tar.gz", UnsafeArchiveError, "loop")


def test_inside_links_become_plain_copies(tmp_path):
    data = targz(
        [
            *OK_FILES,
            ("pkg-1.0/docs/README.txt", b"read me\n"),
            tar_link("pkg-1.0/README.txt", "docs/README.txt"),
            tar_link("pkg-1.0/docs/copy.py", "../pkg.py", hard=False),
            tar_link("pkg-1.0/hard.py", "pkg-1.0/pkg.py", hard=True),
            tar_link("pkg-1.0/docs2", "docs"),
        ]
    )
    root = unpack_sdist(data, tmp_path / "out", filename="pkg-1.0.tar.gz")
    for rel, content in [("README.txt", b"read me\n"), ("docs/copy.py", b"X = 1\n"), ("hard.py", b"X = 1\n"), ("docs2/README.txt", b"read me\n")]:
        path = root / rel
        assert not path.is_symlink() and path.read_bytes() == content, rel
    assert not any(p.is_symlink() for p in root.rglob("*"))


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_devices_and_fifos_are_refused(tmp_path, kind):
    data = targz([*OK_FILES, tar_special("pkg-1.0/dev", kind)])
    assert_refused(tmp_path, data, "pkg-1.0.tar.gz", UnsafeArchiveError)


def test_duplicate_members_are_refused(tmp_path):
    data = targz([*OK_FILES, ("pkg-1.0/pkg.py", b"X = 2\n")])
    assert_refused(tmp_path, data, "pkg-1.0.tar.gz", UnsafeArchiveError, "twice")


def test_members_outside_the_top_folder_are_refused(tmp_path):
    data = targz([*OK_FILES, ("other-1.0/x.py", b"")])
    assert_refused(tmp_path, data, "pkg-1.0.tar.gz", InvalidSdistError, "top folder")


@pytest.mark.parametrize(
    ("limits", "members", "word"),
    [
        (Limits(max_members=3), [*OK_FILES, ("pkg-1.0/a", b""), ("pkg-1.0/b", b"")], "members"),
        (Limits(max_member_size=10), OK_FILES, "per file"),
        (Limits(max_total_size=60), [*OK_FILES, ("pkg-1.0/c", b"y" * 30)], "unpacks to more"),
        (Limits(max_depth=4), [*OK_FILES, ("pkg-1.0/a/b/c/d.py", b"")], "deep"),
        (Limits(max_path_length=30), [*OK_FILES, ("pkg-1.0/" + "a" * 40, b"")], "characters"),
    ],
)
def test_limits(tmp_path, limits, members, word):
    dest = tmp_path / "out"
    with pytest.raises(ArchiveTooLargeError, match=word):
        unpack_sdist(targz(members), dest, filename="pkg-1.0.tar.gz", limits=limits)
    assert not dest.exists()


def test_links_count_towards_the_total_size(tmp_path):
    """A folder of 40 bytes linked 10 times would unpack to 440: the limit sees the copies."""
    members = [*OK_FILES, ("pkg-1.0/big/x", b"z" * 40), *[tar_link(f"pkg-1.0/l{i}", "big") for i in range(10)]]
    with pytest.raises(ArchiveTooLargeError, match="links"):
        unpack_sdist(targz(members), tmp_path / "out", filename="pkg-1.0.tar.gz", limits=Limits(max_total_size=300))


def test_a_tar_bomb_is_refused_from_its_headers(tmp_path):
    """64 MiB of zeros gzip to ~64 KiB; the declared size alone refuses it."""
    data = targz([*OK_FILES, ("pkg-1.0/zeros.bin", bytes(64 << 20))])
    assert len(data) < 200_000
    started = time.perf_counter()
    with pytest.raises(ArchiveTooLargeError):
        unpack_sdist(data, tmp_path / "out", filename="pkg-1.0.tar.gz", limits=Limits(max_member_size=1 << 20))
    assert time.perf_counter() - started < 5


def test_not_an_archive_and_wrong_suffix(tmp_path):
    with pytest.raises(InvalidSdistError, match="not a readable"):
        unpack_sdist(b"garbage", tmp_path / "a", filename="pkg-1.0.tar.gz")
    with pytest.raises(InvalidSdistError, match="not a readable"):
        unpack_sdist(b"garbage", tmp_path / "b", filename="pkg-1.0.zip")
    with pytest.raises(InvalidSdistError, match=r"only \.tar\.gz"):
        unpack_sdist(b"", tmp_path / "c", filename="pkg-1.0.tar.bz2")


def test_modes_are_plain(tmp_path):
    info = tarfile.TarInfo("pkg-1.0/run.sh")
    info.mode = 0o4777  # setuid, world-writable
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tf:
        for name, body in OK_FILES:
            i = tarfile.TarInfo(name)
            i.size = len(body)
            tf.addfile(i, io.BytesIO(body))
        info.size = 3
        tf.addfile(info, io.BytesIO(b"#!\n"))
    root = unpack_sdist(data.getvalue(), tmp_path / "out", filename="pkg-1.0.tar.gz")
    assert stat.S_IMODE((root / "run.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((root / "pkg.py").stat().st_mode) == 0o644


# ---- PKG-INFO (PEP 643) ----------------------------------------------------------------------


def test_static_metadata_of_the_static_fixture():
    info = static_pkg_info(SDISTS / "sdist_static-1.0.tar.gz", "sdist_static-1.0.tar.gz")
    assert info is not None and info.metadata_version == "2.2"
    meta, why = static_metadata(info)
    assert why == ""
    assert [str(r) for r in meta.requires_dist] == ["textwrap3-lite>=1.0"]
    assert str(meta.requires_python) == ">=3.8"
    assert meta.name == "sdist-static" and str(meta.version) == "1.0"


@pytest.mark.parametrize("filename", ["sdist-setuppy-1.0.tar.gz", "sdist_flit-1.0.tar.gz", "sdist-zip-1.0.zip"])
def test_older_metadata_versions_are_not_trusted(filename):
    meta, why = static_metadata(static_pkg_info(SDISTS / filename, filename))
    assert meta is None and "predates PEP 643" in why


def test_dynamic_requires_dist_is_not_trusted():
    data = b"Metadata-Version: 2.2\nName: p\nVersion: 1\nDynamic: Requires-Dist\nRequires-Dist: a\n\n"
    meta, why = static_metadata(data)
    assert meta is None and "requires-dist is Dynamic" in why


def test_static_fields_other_than_resolution_ones_may_be_dynamic():
    data = b"Metadata-Version: 2.4\nName: p\nVersion: 1\nDynamic: Summary\nDynamic: License\nRequires-Dist: a>=1\n\n"
    meta, why = static_metadata(data)
    assert why == "" and [str(r) for r in meta.requires_dist] == ["a>=1"]


def test_dynamic_name_is_invalid_and_broken_static_fields_are_errors():
    with pytest.raises(InvalidSdistError, match="forbids"):
        static_metadata(b"Metadata-Version: 2.2\nName: p\nVersion: 1\nDynamic: Version\n\n")
    with pytest.raises(InvalidSdistError, match="invalid static field"):
        static_metadata(b"Metadata-Version: 2.2\nName: p\nVersion: 1\nRequires-Dist: not a requirement !!\n\n")
    with pytest.raises(InvalidSdistError, match="lacks"):
        parse_pkg_info(b"Metadata-Version: 2.2\nName: p\n\n")


def test_pkg_info_must_match_the_file_name():
    info = parse_pkg_info(b"Metadata-Version: 2.1\nName: Other\nVersion: 1.0\n\n")
    with pytest.raises(InvalidSdistError, match="not 'pkg'"):
        check_identity(info, "pkg", "1.0", source="pkg-1.0.tar.gz")
    check_identity(parse_pkg_info(b"Metadata-Version: 2.1\nName: My_Pkg\nVersion: 1.0.0\n\n"), "my-pkg", "1.0", source="x")


# ---- [build-system] --------------------------------------------------------------------------


def test_build_system_defaults_and_errors(tmp_path):
    assert read_build_system(tmp_path).backend == "setuptools.build_meta:__legacy__"
    assert read_build_system(tmp_path).requires == ("setuptools>=40.8.0",)
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 99\n")
    assert read_build_system(tmp_path).declared is False
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools>=61", "wheel"]\n')
    bs = read_build_system(tmp_path)
    assert bs.requires == ("setuptools>=61", "wheel") and bs.backend == "setuptools.build_meta:__legacy__"
    for body, word in [
        ("[build-system]\nbuild-backend = 'x'\n", "no 'requires'"),
        ("[build-system]\nrequires = 'setuptools'\n", "list of strings"),
        ("[build-system]\nrequires = ['not valid !!']\n", "invalid"),
        ("[build-system]\nrequires = []\nbuild-backend = 'x'\nbackend-path = ['..']\n", "leaves the source tree"),
        ("[build-system]\nrequires = []\nbuild-backend = 'a b'\n", "not 'module'"),
        ("[build-system\n", "cannot be parsed"),
    ]:
        (tmp_path / "pyproject.toml").write_text(body)
        with pytest.raises(InvalidBuildSystemError, match=word):
            read_build_system(tmp_path)


# ---- building --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def backend_wheels() -> Path:
    if not (BACKENDS / "setuptools-84.2.1-py3-none-any.whl").exists():
        pytest.fail(f"{BACKENDS} lacks the pinned build backends: run `bash scripts/setup.sh`")
    return BACKENDS


@pytest.fixture(scope="session")
def installer(backend_wheels, tmp_path_factory):
    """``install_into`` for the host: pip --target from the pinned wheels, cached per requirement set."""
    cache = tmp_path_factory.mktemp("prefix-cache")
    calls: list[tuple[str, ...]] = []

    async def install_into(prefix: Path, requirements: list[str]) -> None:
        key = tuple(sorted(requirements))
        calls.append(key)
        cached = cache / str(abs(hash(key)))
        if not cached.exists():
            result = subprocess.run(
                [
                    sys.executable, "-m", "pip", "install", "--isolated", "--quiet", "--no-index", "--no-compile",
                    "--disable-pip-version-check", "--find-links", str(backend_wheels), "--target", str(cached),
                    *requirements,
                ],
                capture_output=True, text=True, timeout=180,
            )
            if result.returncode != 0:
                raise RuntimeError(f"pip could not install {requirements}: {result.stderr[-600:]}")
        shutil.copytree(cached, prefix, dirs_exist_ok=True)

    install_into.calls = calls  # type: ignore[attr-defined]
    return install_into


def build(path: Path, tmp_path: Path, installer, **kwargs):
    return asyncio.run(build_sdist(path, path.name, work_dir=tmp_path / "work", install_into=installer, **kwargs))


def import_built(wheels: list[Path], tmp_path: Path, module: str) -> list[str]:
    """Unzip the wheels into a folder and import ``module`` from it in a fresh interpreter."""
    target = tmp_path / "installed"
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(target)
    code = f"import sys; sys.path.insert(0, {str(target)!r}); import {module} as m; print(m.BUILT_BY); print(m.answer()); print(m.__file__)"
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


class _Snapshot:
    """The interpreter state a build must leave as it found it."""

    def __init__(self) -> None:
        self.path = list(sys.path)
        self.meta_path = list(sys.meta_path)
        self.cwd = os.getcwd()
        self.environ = dict(os.environ)
        self.modules = dict(sys.modules)
        self.handlers = list(logging.root.handlers)
        self.filters = list(warnings.filters)
        self.argv = list(sys.argv)
        self.trace = sys.gettrace()

    def assert_unchanged(self, *roots: Path) -> None:
        now = _Snapshot()
        assert now.path == self.path
        assert now.meta_path == self.meta_path
        assert now.cwd == self.cwd
        assert now.environ == self.environ
        assert now.handlers == self.handlers
        assert now.filters == self.filters
        assert now.argv == self.argv
        assert now.trace is self.trace
        for name, mod in self.modules.items():
            assert sys.modules.get(name) is mod, f"{name} was replaced or removed"
        prefixes = tuple(str(r) for r in roots)
        leaked = [
            name for name, mod in sys.modules.items()
            if name not in self.modules and str(getattr(mod, "__file__", "") or "").startswith(prefixes)
        ]
        assert leaked == []


@pytest.mark.parametrize(
    ("filename", "module", "built_by", "answer"),
    [
        ("sdist-setuppy-1.0.tar.gz", "sdist_setuppy", "setuptools.build_meta:__legacy__", "setuppy"),
        ("sdist_setuptools-1.0.tar.gz", "sdist_setuptools", "setuptools.build_meta", "setuptools"),
        ("sdist_flit-1.0.tar.gz", "sdist_flit", "flit_core.buildapi", "flit"),
        ("sdist_hatch-1.0.tar.gz", "sdist_hatch", "hatchling.build", "hatch"),
        ("sdist-zip-1.0.zip", "sdist_zip", "setuptools.build_meta:__legacy__", "zip"),
    ],
)
def test_build_each_fixture_sdist_in_process(tmp_path, installer, filename, module, built_by, answer):
    before = _Snapshot()
    built = build(SDISTS / filename, tmp_path, installer)
    before.assert_unchanged(tmp_path)
    assert built.wheel.tags in (("py3-none-any",), ("py2.py3-none-any",))
    assert built.path.parent == tmp_path / "work" / "dist"
    assert built.build_system.backend == built_by
    assert set(built.seconds) >= {"unpack", "requires", "backend.import", "backend.build_wheel", "check", "total"}
    out = import_built([built.path], tmp_path, module)
    assert out[:2] == [built_by, answer]
    assert out[2].startswith(str(tmp_path / "installed"))


def test_static_metadata_sdist_builds_to_the_same_dependencies(tmp_path, installer):
    built = build(SDISTS / "sdist_static-1.0.tar.gz", tmp_path, installer)
    meta, _ = static_metadata(built.pkg_info)
    from packaging.metadata import parse_email

    raw, _ = parse_email(built.wheel.metadata.decode())
    assert [str(r) for r in meta.requires_dist] == raw["requires_dist"] == ["textwrap3-lite>=1.0"]
    out = import_built([built.path, WHEELS / "textwrap3_lite-1.0-py3-none-any.whl"], tmp_path, "sdist_static")
    assert out[1] == "static uses textwrap3-lite 1.0"


def test_c_extension_is_refused_naming_it(tmp_path, installer):
    """With a host compiler the backend builds a .so that the check refuses; without one the
    compile fails and the log names the extension. Either way: NotPureError naming it."""
    before = _Snapshot()
    with pytest.raises(NotPureError) as caught:
        build(SDISTS / "sdist_cext-1.0.tar.gz", tmp_path, installer)
    before.assert_unchanged(tmp_path)
    message = str(caught.value)
    assert "_speedups" in message and "Pyodide build" in message


def test_evil_sdist_is_refused_before_any_build(tmp_path, installer):
    calls = len(installer.calls)
    with pytest.raises(UnsafeArchiveError):
        build(SDISTS / "sdist_evil-1.0.tar.gz", tmp_path, installer)
    assert len(installer.calls) == calls  # no build requirement was even installed
    assert not list(tmp_path.rglob("escaped_from_sdist.py"))


def make_sdist(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    stem = f"{name}-1.0"
    members = [(f"{stem}/PKG-INFO", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n".encode())]
    members += [(f"{stem}/{path}", textwrap.dedent(text).encode()) for path, text in files.items()]
    path = tmp_path / f"{stem}.tar.gz"
    path.write_bytes(targz(members))
    return path


def test_site_packages_are_invisible_and_shadowed_modules_come_from_the_prefix(tmp_path, installer):
    """pytest lives in this venv's site-packages: the build must not see it. packaging is
    already imported from site-packages: the build must get a copy from the prefix."""
    import packaging  # noqa: F401  (make sure it is imported before the build)

    sdist = make_sdist(
        tmp_path,
        "probe",
        {
            "setup.py": """
                import importlib.util, packaging
                found = importlib.util.find_spec("pytest")
                with open("probe.txt", "w") as fh:
                    fh.write(f"{found}|{packaging.__file__}")
                from setuptools import setup
                setup(name="probe", version="1.0", py_modules=[])
            """,
        },
    )
    asyncio.run(build_sdist(sdist, sdist.name, work_dir=tmp_path / "work", install_into=installer))
    found, packaging_file = (tmp_path / "work" / "src" / "probe-1.0" / "probe.txt").read_text().split("|")
    assert found == "None"
    assert packaging_file.startswith(str(tmp_path / "work" / "prefix"))
    assert sys.modules["packaging"].__file__ == packaging.__file__


def test_a_build_that_loops_forever_is_stopped(tmp_path, installer):
    sdist = make_sdist(tmp_path, "looper", {"setup.py": "while True:\n    pass\n"})
    before = _Snapshot()
    started = time.perf_counter()
    with pytest.raises(BuildTimeoutError, match="time limit"):
        asyncio.run(build_sdist(sdist, sdist.name, work_dir=tmp_path / "work", install_into=installer, timeout=5))
    assert time.perf_counter() - started < 15
    before.assert_unchanged(tmp_path)


def test_a_failing_setup_py_reports_its_output(tmp_path, installer):
    sdist = make_sdist(tmp_path, "failer", {"setup.py": "print('about to fail: missing thing')\nraise RuntimeError('boom')\n"})
    with pytest.raises(BackendError) as caught:
        asyncio.run(build_sdist(sdist, sdist.name, work_dir=tmp_path / "work", install_into=installer))
    assert "boom" in str(caught.value) and "about to fail" in str(caught.value)
    assert "about to fail" in caught.value.log


IN_TREE_BACKEND = '''
import os, zipfile, base64, hashlib

def get_requires_for_build_wheel(config_settings=None):
    return ["wheel>=0.40"]

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import wheel  # only there if the second round installed it
    name = "intree-1.0-py3-none-any.whl"
    files = {
        "intree.py": "BUILT_BY = 'in-tree'\\ndef answer():\\n    return 'wheel ' + %r\\n" % wheel.__version__,
        "intree-1.0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: intree\\nVersion: 1.0\\n\\n",
        "intree-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, text in files.items():
            data = text.encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
            zf.writestr(path, data)
        record.append("intree-1.0.dist-info/RECORD,,")
        zf.writestr("intree-1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
    return name
'''


def test_in_tree_backend_and_a_second_round_of_requirements(tmp_path, installer):
    sdist = make_sdist(
        tmp_path,
        "intree",
        {
            "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "intree_backend"\nbackend-path = ["_build"]\n',
            "_build/intree_backend.py": IN_TREE_BACKEND,
        },
    )
    calls = len(installer.calls)
    built = asyncio.run(build_sdist(sdist, sdist.name, work_dir=tmp_path / "work", install_into=installer))
    assert installer.calls[calls:] == [("wheel>=0.40",)]
    assert import_built([built.path], tmp_path, "intree")[:2] == ["in-tree", "wheel 0.48.0"]
    assert "intree_backend" not in sys.modules


def test_prepare_metadata_without_building(tmp_path, installer):
    source = unpack_sdist(SDISTS / "sdist_flit-1.0.tar.gz", tmp_path / "src", filename="sdist_flit-1.0.tar.gz")
    prefix = tmp_path / "prefix"
    bs = read_build_system(source)
    asyncio.run(installer(prefix, list(bs.requires)))
    outcome = run_backend(bs, source, prefix, tmp_path / "meta", deadline=time.monotonic() + 60, want="metadata")
    assert outcome.wheel is None
    assert outcome.metadata_dir.name == "sdist_flit-1.0.dist-info"
    assert b"Name: sdist-flit" in (outcome.metadata_dir / "METADATA").read_bytes()


def test_check_pure_wheel_refuses_native_members_and_tags(tmp_path):
    native = write_test_wheel(tmp_path, "nat", "1.0", {"nat/__init__.py": "", "nat/_x.cpython-314-wasm32-emscripten.so": "\0"})
    with pytest.raises(NotPureError, match=r"nat/_x\.cpython-314-wasm32-emscripten\.so.*Pyodide build"):
        check_pure_wheel(native, project="nat", version="1.0")
    tagged = write_test_wheel(tmp_path, "tagged", "1.0", {"tagged/__init__.py": ""}, tag="cp314-cp314-pyemscripten_2026_0_wasm32")
    with pytest.raises(NotPureError, match="tags"):
        check_pure_wheel(tagged, project="tagged", version="1.0")
    good = write_test_wheel(tmp_path, "good", "1.0", {"good/__init__.py": ""})
    assert check_pure_wheel(good, project="good", version="1.0").tags == ("py3-none-any",)
    from micropip.sdist import InvalidBuiltWheelError

    with pytest.raises(InvalidBuiltWheelError, match="wheel of"):
        check_pure_wheel(good, project="other", version="1.0")
