"""The bundle's bytecode part: what a new visitor's first install would compile, compiled ahead.

A page loads micropip's wheels as sources (the 300 KB page-load budget has no room for bytecode,
which is about three times their zipped size). Their first install then compiled ~250 ms of
modules in Node, more in Chromium. This part holds those modules compiled by the release's own
Pyodide; it is listed in the bundle's lock but loaded by no page: micropip's first install asks
for it while its index pages travel (``micropip.installation.shipped_bytecode``).

What it holds: every module of micropip's page wheel and of resolvelib but those a first install
has imported before it asks for the part (``BEFORE_THE_REQUEST``), the modules of packaging that
those import (packaging's metadata, pylock and licence tables are never imported by an install),
and the few standard library modules a first install adds (``FIRST_INSTALL_STDLIB``). Checked-hash ``.pyc`` files (PEP 552): a module is used only while its source
hashes to what was compiled. Compiled without column positions (``PYTHONNODEBUGRANGES``): a
traceback through the machinery keeps its line numbers but not its ``^^^`` markers, and the
part is a quarter smaller.
"""

from __future__ import annotations

import ast
import hashlib
import json
import marshal
import sys
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

from micropip import __version__
from micropip.installation.shipped_bytecode import MEMBER, PART, STDLIB
from micropip.installation.wheelbuilder import make_metadata, write_wheel

from . import user_cache
from .bytecode import STDLIB_PREFIX, BytecodeError, compile_in_pyodide
from .catalog import CatalogError

# Whose modules go in whole; packaging only as far as these import it.
WHOLE = ("micropip", "lockfile", "resolvelib")
FOLLOWED = "packaging"
# What a first install has imported by the time it asks for the part (``head_start.begin``, right
# after its index pages): compiled from sources whatever the part holds, so left out (a quarter
# of it). ``tests/test_shipped_bytecode_pyodide.py`` checks each is imported by then.
BEFORE_THE_REQUEST = frozenset({
    "micropip/__init__.py", "micropip/errors.py", "micropip/head_start.py", "micropip/plan.py",
    "micropip/transport/__init__.py", "micropip/transport/js_modules.py", "micropip/transport/native.py",
    "micropip/transport/pages.py", "micropip/transport/requests.py", "micropip/transport/response.py",
    "micropip/transport/runtime.py", "micropip/transport/store.py",
    "micropip/cache/__init__.py", "micropip/cache/layer.py", "micropip/cache/stores.py",
    "micropip/installation/__init__.py", "micropip/installation/activity.py", "micropip/installation/bytecode.py",
    "micropip/installation/shipped_bytecode.py",
    "micropip/index/__init__.py", "micropip/index/auth.py", "micropip/index/early.py",
    "micropip/index/http.py", "micropip/index/page_cache.py", "micropip/index/urls.py",
    "micropip/resolution/__init__.py", "micropip/resolution/remembered.py",
})
# The standard library modules a first install imports after that and Pyodide's start has not
# (Pyodide imports them from sources in its zip); the same test checks the list.
FIRST_INSTALL_STDLIB = ("platform.py", "sysconfig/__init__.py", "_sysconfigdata__emscripten_wasm32-emscripten.py")


def wheel_sources(wheel: Path) -> dict[str, bytes]:
    """``{path in the wheel: source}`` of a wheel's modules."""
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.endswith(".py")}


def first_install_sources(sources: Mapping[str, bytes]) -> dict[str, bytes]:
    """The sources worth compiling ahead among the machinery wheels' ``sources``."""
    whole = {p: s for p, s in sources.items() if p.split("/", 1)[0] in WHOLE}
    chosen = {p: s for p, s in whole.items() if p not in BEFORE_THE_REQUEST}
    followed = {p: s for p, s in sources.items() if p.split("/", 1)[0] == FOLLOWED}
    by_module = {_module_of(p): p for p in followed}
    todo = [m for p, s in whole.items() for m in _imports(s, _module_of(p), p.endswith("__init__.py"))]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # a module and its parent packages
            path = by_module.get(".".join(parts[:i]))
            if path is not None and path not in chosen:
                chosen[path] = followed[path]
                todo.extend(_imports(followed[path], _module_of(path), path.endswith("__init__.py")))
    return chosen


def _module_of(path: str) -> str:
    return path[: -len(".py")].removesuffix("/__init__").replace("/", ".")


def _imports(source: bytes, module: str, is_package: bool) -> set[str]:
    """Every module name an import statement of ``source`` may name (function-level ones too)."""
    package = module if is_package else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)] if node.level > 1 else base_parts
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)  # ``from pkg import module``
    return out


def build_part(
    out_dir: Path, wheels: Mapping[str, Path], runtime_dir: Callable[[], Path], release_version: str
) -> Path | None:
    """Write the part's wheel for the machinery ``wheels`` (``{sha256 in the lock: wheel}``);
    None, with a warning, when the release's Pyodide cannot compile (no Node, no runtime files).
    ``runtime_dir()`` gives the release's runtime, asked for only when nothing is kept."""
    of_wheel = {sha: wheel_sources(path) for sha, path in wheels.items()}
    chosen = first_install_sources({p: s for files in of_wheel.values() for p, s in files.items()})
    by_wheel = {sha: {p: s for p, s in files.items() if p in chosen} for sha, files in of_wheel.items()}
    try:
        compiled = _compiled({p: s for files in by_wheel.values() for p, s in files.items()}, runtime_dir, release_version)
    except (BytecodeError, CatalogError, OSError) as exc:
        print(f"bundle: no bytecode part (a new visitor's first install compiles micropip from sources): {exc}",
              file=sys.stderr)
        return None
    payload: dict[str, dict[str, bytes]] = {sha: {p: compiled[p] for p in sorted(files)} for sha, files in by_wheel.items()}
    payload[STDLIB] = {p[len(STDLIB_PREFIX):]: pyc for p, pyc in sorted(compiled.items()) if p.startswith(STDLIB_PREFIX)}
    metadata = make_metadata(
        PART, __version__, requires_dist=[f"micropip=={__version__}"], requires_python=">=3.11",
        summary="micropip's machinery compiled ahead for a new visitor's first install (fetched by micropip, not loaded)",
    )
    return write_wheel(out_dir, PART, __version__, {MEMBER: marshal.dumps(payload)}, metadata=metadata)


def _compiled(sources: Mapping[str, bytes], runtime_dir: Callable[[], Path], release_version: str) -> dict[str, bytes]:
    """``{path: checked-hash pyc}``, kept in the user cache by what was compiled and by what
    (a bundle is made again for each test run and each deployment: Node and Pyodide take seconds)."""
    key = hashlib.sha256(json.dumps(
        [release_version, FIRST_INSTALL_STDLIB, sorted((p, hashlib.sha256(s).hexdigest()) for p, s in sources.items())]
    ).encode()).hexdigest()
    kept = user_cache.cache_dir("bytecode") / f"{key}.marshal"
    try:
        found = marshal.loads(kept.read_bytes())
        if isinstance(found, dict) and set(sources) <= set(found):
            return found
    except (OSError, EOFError, ValueError, TypeError):
        pass
    pycs = compile_in_pyodide(sources, runtime_dir(), checked=True, debug_ranges=False, stdlib=FIRST_INSTALL_STDLIB)
    out = {(p if p.startswith(STDLIB_PREFIX) else _source_of(p)): pyc for p, pyc in pycs.items()}
    kept.parent.mkdir(parents=True, exist_ok=True)
    tmp = kept.with_suffix(".tmp")
    tmp.write_bytes(marshal.dumps(out))
    tmp.replace(kept)
    return out


def _source_of(pyc: str) -> str:
    """The source a ``.pyc`` of ``compile_in_pyodide`` was compiled from (``a/__pycache__/b.TAG.pyc`` -> ``a/b.py``)."""
    folder, _, name = pyc.rpartition("/")
    folder = folder.removesuffix("__pycache__").rstrip("/")
    return (folder + "/" if folder else "") + name.split(".", 1)[0] + ".py"
