"""Build the browser bundle: our wheel, its pinned dependencies and a lockfile.

The bundle is the target release's own ``pyodide-lock.json`` (from the release
catalog) with entries for micropip, packaging and resolvelib pointing at wheels
beside it, so a page boots with the standard ``loadPyodide({lockFileURL})`` +
``loadPackage("micropip")``. Pyodide's own entries point at the release's CDN folder
(absolute URLs), so the bundle can be served from any host and still load numpy.
Pyodide 314 ships packaging 26.1, which computes the wrong ``pyemscripten`` tag, so
the bundle carries its own. Nothing here needs an npm ``pyodide`` package or a checkout:
our sources are read from wherever ``micropip`` is installed.
"""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path

import micropip
from micropip import __version__
from . import pinned, user_cache
from .catalog import Catalog, Release
from .pinned import PinnedWheel, sha256_file
from .bytecode import BytecodeError, compile_in_pyodide
from . import machinery_bytecode
from .site.loader_files import add_warm_start
from micropip.installation.wheelbuilder import FIXED_DATE, make_metadata, record_hash, write_wheel

# The folder that holds our packages: the checkout, or site-packages of an installed wheel.
SOURCE_ROOT = Path(micropip.__file__).resolve().parent.parent
# Packages our wheel carries (the browser needs both: install + lockfiles).
OWN_PACKAGES = ("micropip", "lockfile")
# Host-only modules, which a page never runs: the shims that forward to the host command line,
# the standard-library transport (``transport.requests`` imports it only outside Pyodide) and
# the cache's folder store (``micropip.cache`` imports it only outside Pyodide) and merging
# locks (the host commands' business).
HOST_SHIMS = frozenset({
    "micropip/cli.py", "micropip/__main__.py", "micropip/transport/host.py", "micropip/cache/folder_store.py",
    "lockfile/merging.py",
})
# Measured on a shaped link (bench/bundle_variants.py, README "Bundle size"): the default
# is what loads a page and finishes its first install faster there.
BYTECODE_DEFAULT = False
# Stages most pages never run, shipped as wheels of their own that Pyodide's lock lists:
# micropip loads one on first use (transport.load_optional_part), so a page downloads it
# only then. Lock name -> the folder it holds. On the host (pip install) they are part of micropip.
OPTIONAL_PARTS = {"micropip-sdist": "micropip/sdist/", "micropip-pylock": "lockfile/pylock.py"}


PINNED_WHEELS = (
    PinnedWheel(
        "packaging",
        "26.2",
        "packaging-26.2-py3-none-any.whl",
        "5fc45236b9446107ff2415ce77c807cee2862cb6fac22b8a73826d0693b0980e",
        ("packaging",),
    ),
    PinnedWheel(
        "resolvelib",
        "1.2.1",
        "resolvelib-1.2.1-py3-none-any.whl",
        "fb06b66c8da04172d9e72a21d7d06186d8919e32ae5ab5cdf5b9d920be805ac2",
        ("resolvelib",),
    ),
)


def pinned_cache_dir() -> Path:
    """Where the pinned wheels are kept: ``wheels/`` of the user cache (``user_cache``)."""
    return user_cache.cache_dir("wheels")


def pep783_cache_dir() -> Path:
    """Where ``--with-test-wheels`` keeps the PEP 783 test wheels."""
    return user_cache.cache_dir("pep783")


def fetch_pinned_wheel(pin: PinnedWheel, cache_dir: Path | None = None, index_url: str | None = None) -> Path:
    """A verified local copy of a pinned wheel, downloaded once (into the user cache by default)."""
    return pinned.fetch_pinned_wheel(pin, cache_dir or pinned_cache_dir(), index_url=index_url)


# Real PEP 783 wheels with compiled side modules, for tests and demos (never committed).
PEP783_WHEELS = (
    PinnedWheel(
        "msgpack",
        "1.2.4",
        "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
        "06a0657a4110d563255006b7cb7147432f67827144e429c2cdb1c967548d1817",
        ("msgpack",),
        ("--platform", "pyemscripten_2026_0_wasm32", "--python-version", "3.14", "--implementation", "cp", "--abi", "cp314"),
    ),
)


# Imported only when a build happens (build_sdists), which takes seconds anyway: their
# bytecode would only add bytes to every page load.
NO_BYTECODE = ("micropip/sdist/",)


# The pipeline's inner stages: no user calls help() on them, and their docstrings (written for
# whoever reads the code) are a sixth of what every page downloads. So is the first install's
# head start and the idle warm-up, which no user calls either; nor ``package_index`` (the lookup
# piplite patches, not a documented API) or ``package_manager`` (the functions of ``micropip``
# carry the documentation; its methods only say again what those say); nor ``magics`` (a
# notebook user's help is ``%pip --help``, argparse's, not a docstring); nor the lockfile
# package, public on the host (the pip wheel keeps its docstrings) but only micropip's reader in
# a page. Other micropip/*.py keep theirs.
NO_DOCSTRINGS = (
    "micropip/resolution/", "micropip/index/", "micropip/installation/", "micropip/transport/", "micropip/cache/",
    "micropip/head_start.py", "micropip/warm_up.py", "micropip/package_index.py", "micropip/package_manager.py",
    "micropip/magics.py", "lockfile/",
)


def own_sources(source_root: Path = SOURCE_ROOT) -> dict[str, bytes]:
    """Our wheel's modules and their JavaScript (``.mjs``): archive path -> source."""
    files: dict[str, bytes] = {}
    for package in OWN_PACKAGES:
        for path in sorted((source_root / package).rglob("*")):
            name = path.relative_to(source_root).as_posix()
            if path.suffix in (".py", ".mjs") and "__pycache__" not in path.parts and name not in HOST_SHIMS:
                data = path.read_bytes()
                if path.suffix == ".mjs":
                    files[name] = js_without_comments(data)
                elif name.startswith(NO_DOCSTRINGS):
                    files[name] = without_docstrings(without_comments(data))
                else:
                    files[name] = without_comments(data)
    return files


def without_docstrings(source: bytes) -> bytes:
    """Python source whose module, class and function docstrings are each replaced by ``""``,
    but a dataclass's: ``@dataclass`` gives a class without one a ``__doc__`` made from its
    signature (``inspect.signature``), ~0.6 ms a class in Pyodide at every first install, where
    a kept docstring costs its bytes once.

    The lines they took stay, as blank lines, so a traceback points at the same line; the
    code compiles to what ``-OO`` makes of the original (which drops docstrings too).
    """
    import ast

    tree = ast.parse(source)
    lines = source.decode("utf-8").splitlines(keepends=True)
    docstrings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any("dataclass" in ast.unparse(d) for d in node.decorator_list):
            continue  # kept: without one, ``@dataclass`` writes a ``__doc__`` through inspect.signature
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings.append(first)
    for doc in sorted(docstrings, key=lambda d: d.lineno, reverse=True):
        first_line, last_line = doc.lineno - 1, (doc.end_lineno or doc.lineno) - 1
        head = lines[first_line].encode("utf-8")[: doc.col_offset].decode("utf-8")  # ast columns count UTF-8 bytes
        tail = lines[last_line].encode("utf-8")[doc.end_col_offset or 0 :].decode("utf-8")
        lines[first_line] = head + '""' + tail
        for i in range(first_line + 1, last_line + 1):
            lines[i] = "\n"
    return "".join(lines).encode("utf-8")


def js_without_comments(source: bytes) -> bytes:
    """JavaScript with its whole-line comments (``// ...``, one-line ``/* ... */``) blanked out.

    Every line stays where it was, so a stack trace from a page points at the source's line.
    Comments after code stay: telling them from ``//`` inside a string needs a JS parser.
    """
    lines = source.decode("utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        text = line.strip()
        if text.startswith("//") or (text.startswith("/*") and text.endswith("*/")):
            lines[i] = line[len(line.rstrip("\r\n")) :]
    return "".join(lines).encode("utf-8")


def without_comments(source: bytes) -> bytes:
    """Python source with its ``#`` comments blanked out, every line kept where it was.

    What every page downloads (the 300 KB budget) need not carry the comments; docstrings
    stay (``help()`` in a notebook), and so do line and column numbers, so a traceback
    points at the same line and the module compiles to the same bytecode.
    """
    import io
    import tokenize

    text = source.decode("utf-8")
    lines = io.StringIO(text).readlines()  # the lines tokenize numbers (split at "\n" only)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            line = lines[row - 1]
            ending = line[len(line.rstrip("\r\n")) :]
            lines[row - 1] = line[:col].rstrip(" \t") + ending  # a comment runs to the end of its line
    return "".join(lines).encode("utf-8")


def _in_optional_part(path: str) -> bool:
    return any(path.startswith(folder) for folder in OPTIONAL_PARTS.values())


def build_own_wheel(
    out_dir: Path, source_root: Path = SOURCE_ROOT, bytecode: Mapping[str, bytes] | None = None,
    sources: Mapping[str, bytes] | None = None,
) -> Path:
    """Write our wheel from the source tree (reproducible bytes), plus the ``bytecode`` under our packages.

    The optional parts (``OPTIONAL_PARTS``) are left out: ``build_optional_part`` writes each.
    ``sources``: ``own_sources(source_root)`` when the caller has it already (it takes a second).
    """
    files = {p: d for p, d in (sources or own_sources(source_root)).items() if not _in_optional_part(p)}
    files.update({p: d for p, d in (bytecode or {}).items() if p.split("/", 1)[0] in OWN_PACKAGES and not _in_optional_part(p)})
    metadata = make_metadata(
        "micropip",
        __version__,
        requires_dist=["packaging>=26.2", "resolvelib>=1.1"],
        requires_python=">=3.11",
        summary="A package manager for Python in the browser (Pyodide)",
    )
    return write_wheel(out_dir, "micropip", __version__, files, metadata=metadata)


def build_optional_part(
    out_dir: Path, name: str, source_root: Path = SOURCE_ROOT, bytecode: Mapping[str, bytes] | None = None,
    sources: Mapping[str, bytes] | None = None,
) -> Path:
    """The wheel of one optional part: its folder of micropip, requiring this micropip."""
    folder = OPTIONAL_PARTS[name]
    files = {p: d for p, d in (sources or own_sources(source_root)).items() if p.startswith(folder)}
    files.update({p: d for p, d in (bytecode or {}).items() if p.startswith(folder)})
    metadata = make_metadata(
        name, __version__, requires_dist=[f"micropip=={__version__}"], requires_python=">=3.11",
        summary=f"{folder.rstrip('/')} of micropip, loaded on first use",
    )
    return write_wheel(out_dir, name, __version__, files, metadata=metadata)


def _bytecode(sources: dict[str, bytes], pyodide_dir: Path) -> dict[str, bytes]:
    """The ``.pyc`` files for ``sources``; none (with a warning) when Pyodide cannot make them."""
    try:
        return compile_in_pyodide(sources, pyodide_dir)
    except BytecodeError as exc:
        print(f"bundle: the wheels go without bytecode (each interpreter compiles them on import): {exc}", file=sys.stderr)
        return {}


def _wheel_sources(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.endswith(".py")}


def with_bytecode(src: Path, dest: Path, bytecode: Mapping[str, bytes]) -> Path:
    """Copy a pure-Python wheel, adding the ``bytecode`` of its modules (listed in its RECORD)."""
    with zipfile.ZipFile(src) as zf:
        infos = zf.infolist()
        members = {i.filename: zf.read(i) for i in infos}
    folders = {n.rsplit("/", 1)[0] for n in members if n.endswith(".py") and "/" in n}
    pycs = {p: d for p, d in bytecode.items() if p.rsplit("/__pycache__/", 1)[0] in folders}
    record = next((n for n in members if n.endswith(".dist-info/RECORD")), None)
    if not pycs or record is None:
        shutil.copyfile(src, dest)
        return dest
    rows = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data in sorted(pycs.items()))
    members[record] = members[record].rstrip(b"\n") + b"\n" + rows.encode()
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:  # original order and attributes; RECORD rewritten in place
            out.writestr(info, members[info.filename])
        for path, data in sorted(pycs.items()):
            out.writestr(zipfile.ZipInfo(path, FIXED_DATE), data, zipfile.ZIP_DEFLATED)
    return dest


def lock_entry(name: str, version: str, filename: str, sha256: str, imports: list[str], depends: list[str]) -> dict:
    """A package entry in Pyodide's lockfile format (a plain site-packages wheel)."""
    from lockfile import LockPackage

    return LockPackage.site_wheel(name, version, filename, sha256, imports, depends).to_dict()


def write_bundle(
    out_dir: Path,
    *,
    release: Release | None = None,
    version: str | None = None,
    package_base_url: str | None = None,
    for_node: bool = False,
    index_url: str | None = None,
    cache_dir: Path | None = None,
    bytecode: bool = BYTECODE_DEFAULT,
    bytecode_part: bool = True,
) -> Path:
    """Write the bundle folder and return the path of its ``pyodide-lock.json``.

    ``release``: the target (default: the catalog's ``version``, default the pinned one).
    Pyodide's own entries become absolute URLs under ``package_base_url`` (default: the
    release's CDN folder), so the lock loads from any host; ``for_node`` keeps them bare
    file names instead, which is what Pyodide's loader under Node.js can load (see
    ``docs/app-author.md``). Ours are file names beside the lock.
    ``index_url``: where the pinned packaging and resolvelib wheels are downloaded from
    when they are not cached yet (default ``$PIP_INDEX_URL`` or PyPI).
    ``bytecode``: also carry ``.pyc`` files compiled by the release's own Pyodide (saves each
    new interpreter compiling our modules, costs more bytes per page load; see ``BYTECODE_DEFAULT``).
    ``bytecode_part``: also write the machinery's bytecode as a lock entry no page loads, which a
    new visitor's first install fetches instead of compiling (``machinery_bytecode``).
    """
    release = release or Catalog().release(version)
    lock = release.lock.to_dict() if for_node else release.absolute_lock(package_base_url).to_dict()
    packages = lock["packages"]
    out_dir.mkdir(parents=True, exist_ok=True)

    # verified against the pins
    pinned_paths = pinned.fetch_pinned_wheels(PINNED_WHEELS, cache_dir or pinned_cache_dir(), index_url=index_url)
    pinned_wheels = list(zip(PINNED_WHEELS, pinned_paths))
    ours = own_sources()
    sources = dict(ours)
    for _pin, src in pinned_wheels:
        sources.update(_wheel_sources(src))
    compiled = {n: d for n, d in sources.items() if not n.startswith(NO_BYTECODE)}
    pycs = _bytecode(compiled, release.runtime_dir()) if bytecode else {}  # one Pyodide start for all three wheels
    own = build_own_wheel(out_dir, bytecode=pycs, sources=ours)
    packages["micropip"] = lock_entry(
        "micropip", __version__, own.name, sha256_file(own), list(OWN_PACKAGES), ["packaging", "resolvelib"]
    )
    for name in OPTIONAL_PARTS:
        part = build_optional_part(out_dir, name, bytecode=pycs, sources=ours)
        packages[name] = lock_entry(name, __version__, part.name, sha256_file(part), [], ["micropip"])
    for pin, src in pinned_wheels:
        dest = with_bytecode(src, out_dir / pin.filename, pycs)
        packages[pin.name] = lock_entry(pin.name, pin.version, pin.filename, sha256_file(dest), list(pin.imports), [])
    if bytecode_part:  # a new visitor's first install fetches it instead of compiling the machinery
        machinery = {packages[n]["sha256"]: out_dir / packages[n]["file_name"] for n in ("micropip", *(p.name for p in PINNED_WHEELS))}
        part = machinery_bytecode.build_part(out_dir, machinery, release.runtime_dir, release.version)
        if part is not None:
            packages[machinery_bytecode.PART] = lock_entry(
                machinery_bytecode.PART, __version__, part.name, sha256_file(part), [], ["micropip"]
            )

    lock["packages"] = dict(sorted(packages.items()))
    if not for_node:  # a page that starts Pyodide itself can start it warm on a return visit
        add_warm_start(out_dir)
    lock_path = out_dir / "pyodide-lock.json"
    lock_path.write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    return lock_path


def bundle_size(out_dir: Path) -> int:
    """Bytes of the files the bundle adds (wheels, lock and the warm start's two modules), for reports."""
    return sum(p.stat().st_size for p in out_dir.iterdir() if p.is_file())
