"""Compiled modules kept across page loads: a returning visitor's imports skip compilation.

Pyodide ships sources and keeps no ``__pycache__`` (``sys.dont_write_bytecode``), so every
page load compiled every module it imported again: ``import sympy`` took 4-10 s from sources
and about 1 s from bytecode. Here the compiled files of one wheel are one entry of the
persistent cache (``micropip.cache``), named by the wheel's sha256 and the interpreter's
bytecode magic, holding each module's ``.pyc`` under its path in the wheel:

- after an install, in idle time (``keep_later``), each installed ``.py`` is compiled -
  the modules already imported first - its ``.pyc`` written beside it and the wheel's set
  kept; the same for micropip's own machinery (micropip, packaging, resolvelib);
- a later install of the same wheel (``restore``) hands the kept files to a finder before it
  returns (``_KeptWheels``), so the import that follows loads bytecode;
- the standard library modules imported so far (Pyodide imports them from sources in a zip)
  are kept as one more entry and served by a finder before the zip (``restore_stdlib``);
- the ``.pyc`` files are checked-hash (PEP 552): the import (or the finder) hashes the
  source and compiles it again if it differs, so a kept file never stands in for other code.
  Another Python or Pyodide has another magic and so another entry name; a file inside an
  entry that carries another magic discards the entry (it is compiled again).

Nothing here raises: bytecode only ever saves time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import marshal
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .. import cache
from . import activity

logger = logging.getLogger("micropip")

MAGIC = importlib.util.MAGIC_NUMBER
# The machinery a first install imports; kept like any installed wheel, by its lockfile sha256.
MACHINERY = ("micropip", "packaging", "resolvelib")
IDLE_DELAY = 0.5  # seconds after an install before compiling starts: the user's import goes first
STEP_PAUSE = 0.002  # between two modules: the page stays responsive
BUSY_POLL = 0.05  # seconds between two looks at whether the install that paused the compiling is over


@dataclass
class WheelFiles:
    """What one installed wheel put into ``root``: its ``.py`` files by path relative to it."""

    sha256: str
    root: Path
    sources: tuple[str, ...]


def entry_name(sha256: str) -> str:
    return f"{sha256.lower()}-{MAGIC.hex()}.pyc"


def wheel_files(sha256: str | None, root: Path | str, paths: Iterable[str | Path]) -> WheelFiles | None:
    """The ``.py`` files among an installed wheel's absolute ``paths`` under ``root`` (None without any).

    Plain string work: ``PurePath.relative_to`` walks the parents of each path, and sympy's
    1,700 files took ~130 ms of a returning visitor's install that way in Pyodide."""
    if not sha256 or len(sha256) != 64:
        return None
    base = _plain(root).rstrip("/") + "/"  # sysconfig says "//lib/..." in Pyodide
    sources = []
    for p in paths:
        text = str(p)
        if not text.endswith(".py"):
            continue
        text = _plain(text)
        if text.startswith(base):  # a data file outside site-packages is not importable from here
            sources.append(text[len(base) :])
    return WheelFiles(sha256.lower(), Path(base), tuple(sorted(sources))) if sources else None


def _plain(path: Path | str) -> str:
    text = os.path.normpath(str(path))
    return "/" + text.lstrip("/") if text.startswith("/") else text


async def restore(wheels: Iterable[WheelFiles]) -> list[WheelFiles]:
    """Write the kept ``.pyc`` files of each wheel beside its sources; returns the wheels that
    had none (for ``keep_later``). A wheel whose entry is corrupt or of another magic is among them."""
    store = cache.current()
    wheels = list(wheels)
    if store is None or not wheels:
        return wheels
    found = await asyncio.gather(*(_restore_one(store, w) for w in wheels), return_exceptions=True)
    return [w for w, ok in zip(wheels, found) if ok is not True]


async def _restore_one(store: cache.Cache, wheel: WheelFiles) -> bool:
    name = entry_name(wheel.sha256)
    payload = await store.read(name, view=True)
    if payload is None:
        return False
    files = _unpack(payload)
    if files is None:
        logger.warning("cache: the compiled modules %s were not for this interpreter; discarded them", name)
        await store.discard(name)
        return False
    _kept_wheels().add(str(wheel.root), files, set(wheel.sources))
    return True


def _write_pyc(source: str, pyc: bytes, folders: set[str]) -> None:
    """Write ``pyc`` where the import of ``source`` looks for it; ``folders``: the ``__pycache__``
    folders made so far (one ``makedirs`` each, not one per file)."""
    target = importlib.util.cache_from_source(source)
    folder = os.path.dirname(target)
    if folder not in folders:
        os.makedirs(folder, exist_ok=True)
        folders.add(folder)
    with open(target, "wb") as fh:
        fh.write(pyc)


def _unpack(payload: bytes | memoryview) -> dict[str, bytes] | None:
    """``{path: pyc}`` of an entry, or None when it is not one for this interpreter's magic."""
    try:
        files = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return checked_files(files)


def checked_files(files: object) -> dict[str, bytes] | None:
    """``files`` if it is ``{relative path: .pyc of this interpreter's magic}``, else None."""
    if not isinstance(files, dict):
        return None
    for rel, pyc in files.items():
        if not isinstance(rel, str) or not isinstance(pyc, bytes) or pyc[:4] != MAGIC:
            return None
        if rel.startswith("/") or ".." in rel.split("/"):
            return None
    return files


def adopt_machinery(shipped: dict[str, dict[str, bytes]]) -> None:
    """Serve the machinery's bytecode the bundle shipped (``installation.shipped_bytecode``):
    ``{wheel sha256: {path: pyc}}``, used for the wheels of micropip's that Pyodide's lockfile
    names by that sha256. With the cache on they go into those wheels' entries in idle time,
    with the modules the part lacks compiled here, so a returning visitor needs neither."""
    stdlib = shipped.get("stdlib")
    if stdlib:
        serve_stdlib()
        if _stdlib_finder is not None:
            _stdlib_finder.keep(stdlib)
    kept = []
    for wheel in machinery_files():
        files = shipped.get(wheel.sha256)
        if files:
            _kept_wheels().add(str(wheel.root), files, set(wheel.sources))
            kept.append(wheel)
    if not kept or cache.current() is None:
        return
    queued = {w.sha256 for w in _queue}
    _queue.extend(w for w in kept if w.sha256 not in queued)
    _ready.update({w.sha256: shipped[w.sha256] for w in kept})
    global _machinery_seen, _idle_wanted
    _machinery_seen, _idle_wanted = True, True


def compile_source(path: Path) -> bytes | None:
    """A checked-hash ``.pyc`` of one source file (PEP 552), or None when it does not compile."""
    from importlib._bootstrap_external import _code_to_hash_pyc  # type: ignore[attr-defined]

    try:
        source = path.read_bytes()
        code = compile(source, str(path), "exec", dont_inherit=True)
    except (OSError, SyntaxError, ValueError) as exc:
        logger.debug("bytecode: %s does not compile: %s", path, exc)
        return None
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), True))


# ---- idle compilation -------------------------------------------------------------------------

_queue: list[WheelFiles] = []
_ready: dict[str, dict[str, bytes]] = {}  # wheel sha256: its files the bundle shipped compiled (not compiled again)
_worker: asyncio.Future | None = None
_idle_wanted = False
_machinery_seen = False


def keep_later(wheels: Iterable[WheelFiles]) -> None:
    """Compile these wheels' modules in idle time (``start_idle``), write their ``.pyc`` beside the
    sources and keep each wheel's set in the cache. The first call also takes micropip's own
    machinery, and the standard library modules imported by then."""
    if cache.current() is None:
        return
    _queue.extend(wheels)
    _queue.extend(_machinery_once())
    global _idle_wanted
    _idle_wanted = True


def start_idle() -> None:
    """Begin the compiling ``keep_later`` asked for, ``IDLE_DELAY`` from now: called once the
    install is over (begun during it, it slowed the install's last writes by half a second)."""
    global _worker, _idle_wanted
    if _idle_wanted and (_worker is None or _worker.done()):
        _idle_wanted = False
        _worker = asyncio.ensure_future(_work())


async def idle_done() -> None:
    """Wait until the compiling ``keep_later`` began is over and kept (tests, benchmarks)."""
    start_idle()
    while _worker is not None and not _worker.done():
        await asyncio.shield(_worker)
    from ..index import http

    await http.flush_cache_writes()
    store = cache.current()
    if store is not None:
        await store.settle()


def stop_idle() -> None:
    """Stop the idle-time compiling and forget what it had left (what it kept stays kept).

    For a page or harness about to drop this interpreter: the work would otherwise go on in
    the JavaScript engine the interpreter shares with others."""
    global _worker, _idle_wanted
    _queue.clear()
    _ready.clear()
    _idle_wanted = False
    if _worker is not None and not _worker.done():
        _worker.cancel()
    _worker = None


async def _step() -> None:
    """Before each module: a pause for the page, and a wait while an install runs (it goes first).

    Awaited right before each compile, with no other await in between: an install that began
    during a cache write (or the previous module's pause) is never compiled beside."""
    await asyncio.sleep(STEP_PAUSE)
    while activity.install_running():
        await asyncio.sleep(BUSY_POLL)


async def _work() -> None:
    await asyncio.sleep(IDLE_DELAY)
    while _queue:
        wheel = _queue.pop(0)
        try:
            await _compile_wheel(wheel)
        except Exception as exc:  # noqa: BLE001 - only time is lost
            logger.debug("bytecode: compiling %s failed: %s", wheel.root, exc)
    try:  # the standard library modules imported by then: every page load needs them first
        await _keep_stdlib()
    except Exception as exc:  # noqa: BLE001 - only time is lost
        logger.debug("bytecode: keeping the standard library failed: %s", exc)


async def _compile_wheel(wheel: WheelFiles) -> None:
    store = cache.current()
    if store is None:
        return
    imported = _imported_paths()
    out = {rel: pyc for rel, pyc in _ready.pop(wheel.sha256, {}).items() if rel in wheel.sources}  # shipped
    order = sorted((rel for rel in wheel.sources if rel not in out), key=lambda rel: (str(wheel.root / rel) not in imported, rel))
    folders: set[str] = set()
    for rel in order:
        await _step()
        source = wheel.root / rel
        pyc = compile_source(source)
        if pyc is None:
            continue
        try:  # this interpreter's later imports use it too
            _write_pyc(str(source), pyc, folders)
        except OSError:
            pass
        out[rel] = pyc
    if out:
        await store.write(entry_name(wheel.sha256), marshal.dumps(out))


def _imported_paths() -> set[str]:
    paths = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            paths.add(os.path.normpath(path))
    return paths


def _machinery_once() -> list[WheelFiles]:
    global _machinery_seen
    if _machinery_seen:
        return []
    _machinery_seen = True
    return machinery_files()


def machinery_files() -> list[WheelFiles]:
    """micropip's own wheels as Pyodide's lockfile names them (sha256) and as their RECORD lists
    them (read directly: ``importlib.metadata`` alone compiled for ~40 ms from Pyodide's sources)."""
    from .. import transport

    found = transport.pyodide_lockfile()
    if not found or not transport.IN_PYODIDE:
        return []
    site = Path(_plain(Path(__file__).resolve().parents[2]))
    packages = found[0].get("packages") or {}
    out = []
    for name in MACHINERY:
        entry = packages.get(name)
        if not isinstance(entry, dict) or not entry.get("version"):
            continue
        record = site / f"{name.replace('-', '_')}-{entry['version']}.dist-info" / "RECORD"
        try:
            rows = record.read_text().splitlines()
        except OSError:
            continue
        paths = [f"{site}/{row.rsplit(',', 2)[0]}" for row in rows if row.count(",") >= 2]
        wheel = wheel_files(str(entry.get("sha256") or ""), site, paths)
        if wheel is not None:
            out.append(wheel)
    return out


_restoring: asyncio.Future | None = None
_restored_machinery = False


def machinery_kept() -> bool:
    """A returning visitor's kept bytecode of every machinery wheel was put back (``restore_machinery``)."""
    return _restored_machinery


async def restore_machinery() -> None:
    """A returning visitor's first install: the machinery's kept bytecode goes back beside its
    sources before it is imported, so nothing of it is compiled. The wheels restored are not
    compiled again in idle time. Done once: a second caller (an install begun while the idle
    warm-up restores) waits for the first one's."""
    global _restoring
    if _restoring is None:
        if _machinery_seen or cache.current() is None:
            return
        _restoring = asyncio.ensure_future(_restore_machinery_once())
    await asyncio.shield(_restoring)


async def _restore_machinery_once() -> None:
    global _machinery_seen, _restored_machinery
    wheels = machinery_files()
    if not wheels:
        return
    missing, _stdlib = await asyncio.gather(restore(wheels), restore_stdlib())
    _machinery_seen = True
    _restored_machinery = not missing
    _queue.extend(missing)  # compiled after the install (``keep_later``), not during it


# ---- the standard library ----------------------------------------------------------------------
# Pyodide imports its standard library from sources in a zip (``/lib/python314.zip``): the
# modules our machinery needs (dataclasses, zipfile, tempfile, re's parser ...) were compiled
# again on every page load, about as long as our own modules. A zip cannot take ``__pycache__``,
# so the kept code objects are served by a finder placed before it (``_KeptStdlib``): the module
# is the zip's own (its ``__file__``, its source for tracebacks), only its compile is skipped, and
# only while the zip's source still hashes to what was compiled.


def stdlib_zip() -> str | None:
    """The standard library zip this interpreter imports from, or None (not Pyodide's layout)."""
    for entry in sys.path:
        if entry.endswith(".zip") and os.path.basename(entry).startswith("python"):
            return entry
    return None


def stdlib_key() -> str | None:
    """The entry key of this interpreter's standard library: its zip's path and size, and the version."""
    import hashlib

    where = stdlib_zip()
    if where is None:
        return None
    try:
        size = os.stat(where).st_size
    except OSError:
        return None
    return hashlib.sha256(f"stdlib {where} {size} {sys.version}".encode()).hexdigest()


class _KeptLoader:
    """A module's own loader (the zip's, a source file's) with the compiled code given: everything
    but ``get_code`` is the inner loader's."""

    def __init__(self, inner, code) -> None:
        self._inner, self._code = inner, code

    @classmethod
    def of(cls, inner, source: bytes, pyc: bytes) -> _KeptLoader | None:
        """``inner`` with the code of ``pyc``, or None when ``source`` is not what it was compiled
        from (the check a checked-hash .pyc gets, PEP 552)."""
        return cls(inner, marshal.loads(pyc[16:])) if importlib.util.source_hash(source) == pyc[8:16] else None

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        exec(self._code, module.__dict__)

    def get_code(self, fullname: str):
        return self._code

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


class _KeptStdlib:
    """A meta path finder for the standard library modules whose code was kept (by path in the zip).

    The spec is made here, not by ``zipimporter.find_spec``: that one compiles the module to
    learn its file name (and the import compiles it again)."""

    def __init__(self, where: str, files: dict[str, bytes]) -> None:
        import zipimport

        self.where, self.files = where, files
        self.fresh: dict[str, tuple[object, bytes]] = {}  # compiled here, not kept yet: (code, source hash)
        self._zipimporter = zipimport.zipimporter
        self._importers: dict[str, object] = {}  # by package folder: the zip's importer for its modules

    def _importer(self, parent: str):
        """The zip's importer of the modules in ``parent`` (it finds a module by its last name only)."""
        if parent not in self._importers:
            self._importers[parent] = self._zipimporter(f"{self.where}/{parent}" if parent else self.where)
        return self._importers[parent]

    def find_spec(self, fullname, path=None, target=None):
        if cache.switched_off():  # set_cache(False) covers the code kept in memory too
            return None
        if path is not None and not all(str(p).startswith(self.where + "/") for p in path):
            return None  # a submodule of a package outside the zip
        if path is None and self._shadowed(fullname):
            return None  # a module of that name earlier on sys.path: the path finder's
        base = fullname.replace(".", "/")
        from importlib.machinery import ModuleSpec

        try:
            inner = self._importer(base.rpartition("/")[0])
            for rel in (base + ".py", base + "/__init__.py"):
                pyc = self.files.get(rel)
                if pyc is not None:
                    loader = _KeptLoader.of(inner, inner.get_data(f"{self.where}/{rel}"), pyc)
                    break
            else:  # not kept: compiled here, once (the zip's own find_spec compiled it a first time)
                rel, loader = self._compiled_once(inner, base)
        except Exception:  # noqa: BLE001 - the zip's own import goes on
            return None
        if loader is None:
            return None  # another source than was compiled, or not in the zip: the path finder's
        origin = f"{self.where}/{rel}"
        package = rel.endswith("/__init__.py")
        spec = ModuleSpec(fullname, loader, origin=origin, is_package=package)
        spec.has_location = True
        if package:
            spec.submodule_search_locations = [f"{self.where}/{rel.rpartition('/')[0]}"]
        return spec


    def keep(self, files: dict[str, bytes]) -> None:
        """Serve ``files`` (``{path in the zip: pyc}``) too; what it serves already stays."""
        self.files = {**files, **self.files}

    def _compiled_once(self, inner, base: str) -> tuple[str, _KeptLoader | None]:
        for rel in (base + ".py", base + "/__init__.py"):
            try:
                source = inner.get_data(f"{self.where}/{rel}")
            except OSError:
                continue
            code = compile(source, f"{self.where}/{rel}", "exec", dont_inherit=True)
            self.fresh[rel] = (code, importlib.util.source_hash(source))
            return rel, _KeptLoader(inner, code)
        return "", None

    def _shadowed(self, fullname: str) -> bool:
        """A top-level module found on a ``sys.path`` entry before the zip (the working folder)."""
        before = []
        for entry in sys.path:
            if entry == self.where:
                break
            before.append(entry)
        if not before:
            return False
        from importlib.machinery import PathFinder

        return PathFinder.find_spec(fullname, before) is not None


_stdlib_finder: _KeptStdlib | None = None


def serve_stdlib() -> None:
    """From now on, a standard library module is compiled once when imported: the zip's own
    import compiled each twice (``zipimporter.find_spec`` compiles to learn the file name), and
    ``urllib.parse`` with ``ipaddress`` cost a first install ~60 ms before its first request."""
    global _stdlib_finder
    where = stdlib_zip()
    if _stdlib_finder is None and where is not None:
        _stdlib_finder = _KeptStdlib(where, {})
        _insert_before_path_finder(_stdlib_finder)


def _insert_before_path_finder(finder: object) -> None:
    """After the builtin and frozen modules' finders (they win, as without us), before the path finder."""
    from importlib.machinery import PathFinder

    at = next((i for i, f in enumerate(sys.meta_path) if f is PathFinder), len(sys.meta_path))
    sys.meta_path.insert(at, finder)


class _KeptWheels:
    """A meta path finder, just before the path finder, for the modules of restored wheels: the
    path finder's own spec, with the kept code when the source still hashes to what was compiled.

    Writing the files into ``__pycache__`` instead cost a reload of sympy ~220 ms (1717 files
    made in Pyodide's file system), more than the imports they saved from reading."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}  # the source's absolute path: its .pyc
        self.tops: set[str] = set()  # the top-level names those modules live under

    def add(self, root: str, files: dict[str, bytes], sources: set[str]) -> None:
        for rel, pyc in files.items():
            if rel in sources:  # only a source this wheel installed (never elsewhere)
                self.files[os.path.normpath(f"{root}/{rel}")] = pyc
                self.tops.add(rel.split("/", 1)[0].removesuffix(".py"))

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] not in self.tops or cache.switched_off():
            return None
        from importlib.machinery import PathFinder, SourceFileLoader

        spec = PathFinder.find_spec(fullname, path, target)
        origin = getattr(spec, "origin", None)
        pyc = self.files.get(os.path.normpath(origin)) if isinstance(origin, str) else None
        if pyc is None or not isinstance(spec.loader, SourceFileLoader):
            return spec
        try:
            spec.loader = _KeptLoader.of(spec.loader, spec.loader.get_data(origin), pyc) or spec.loader
        except Exception:  # noqa: BLE001 - the import compiles the source as ever
            pass
        return spec


_wheels_finder: _KeptWheels | None = None


def _kept_wheels() -> _KeptWheels:
    global _wheels_finder
    if _wheels_finder is None:
        _wheels_finder = _KeptWheels()
        _insert_before_path_finder(_wheels_finder)
    return _wheels_finder


def _stdlib_modules() -> dict[str, str]:
    """``{path in the zip: origin}`` of the imported modules that came from the standard library zip."""
    where = stdlib_zip()
    if where is None:
        return {}
    out = {}
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None)
        if isinstance(origin, str) and origin.startswith(where + "/") and origin.endswith(".py"):
            out[origin[len(where) + 1 :]] = origin
    return out


async def restore_stdlib() -> None:
    """Serve the kept standard library code from now on (a returning visitor's first install)."""
    store, key = cache.current(), stdlib_key()
    if store is None or key is None or (_stdlib_finder is not None and _stdlib_finder.files):
        return
    name = entry_name(key)
    payload = await store.read(name, view=True)
    if payload is None:
        return
    files = _unpack(payload)
    if files is None:
        logger.warning("cache: the compiled modules %s were not for this interpreter; discarded them", name)
        await store.discard(name)
        return
    serve_stdlib()
    if _stdlib_finder is not None:
        _stdlib_finder.keep(files)


async def _keep_stdlib() -> None:
    """Compile the standard library modules imported so far (not kept yet) and keep them all."""
    store, key, where = cache.current(), stdlib_key(), stdlib_zip()
    if store is None or key is None or where is None:
        return
    from importlib._bootstrap_external import _code_to_hash_pyc  # type: ignore[attr-defined]
    import zipimport

    kept = dict(_stdlib_finder.files) if _stdlib_finder is not None else {}
    todo = {n: o for n, o in _stdlib_modules().items() if n not in kept}
    if not todo:
        return
    zip_loader = zipimport.zipimporter(where)
    fresh = _stdlib_finder.fresh if _stdlib_finder is not None else {}
    for name, origin in sorted(todo.items()):
        if name in fresh:  # compiled once on import: kept as it is
            code, source_hash = fresh.pop(name)
            kept[name] = bytes(_code_to_hash_pyc(code, source_hash, True))
            continue
        await _step()
        try:
            source = zip_loader.get_data(origin)
            code = compile(source, origin, "exec", dont_inherit=True)
        except Exception:  # noqa: BLE001 - left to the zip
            continue
        kept[name] = bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), True))
    await store.write(entry_name(key), marshal.dumps(kept))
    if _stdlib_finder is not None:
        _stdlib_finder.files = kept
