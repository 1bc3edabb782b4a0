"""Mock packages kept in memory (``add_mock_package(..., persistent=False)``).

A mock looks installed to everyone who asks: its ``.dist-info`` (INSTALLER
``micropip-mock``) lives in a fresh folder of the memory file system appended to
``sys.path``, never in site-packages. Its modules come from memory through a finder on
``sys.meta_path``: source text is executed, a callable initialises the new module. A mock
whose ``.dist-info`` is gone (uninstalled) is forgotten at its next module lookup.

Removing a mock (``forget``, ``unload_modules``) undoes all of that: its modules leave
``sys.modules``, and once the last in-memory mock is gone the finder leaves ``sys.meta_path``
and the folder leaves ``sys.path``, so ``import`` of a removed mock fails as it did before.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from packaging.utils import canonicalize_name

__all__ = ["MOCK_INSTALLER", "add_memory_mock", "forget", "memory_mock_folder", "unload_modules"]

MOCK_INSTALLER = "micropip-mock"


@dataclass(frozen=True)
class _Mock:
    """A package ``add_mock_package`` made: its ``.dist-info`` and the modules it serves."""

    name: str  # canonical
    dist_info: Path
    modules: Mapping[str, "str | Callable[[ModuleType], object] | None"]


_mocks: dict[str, _Mock] = {}  # canonical package name -> mock
_folder: Path | None = None


def memory_mock_folder() -> Path:
    """The folder holding in-memory mocks' metadata (created and put on ``sys.path`` on first use)."""
    global _folder
    if _folder is None or not _folder.is_dir():
        _folder = Path(tempfile.mkdtemp(prefix="micropip-mocks-"))
    if str(_folder) not in sys.path:
        sys.path.append(str(_folder))
    if not any(isinstance(f, _MockFinder) for f in sys.meta_path):
        sys.meta_path.append(_MockFinder())
    return _folder


def add_memory_mock(
    name: str, version: str, modules: Mapping[str, "str | Callable[[ModuleType], object] | None"], metadata: str
) -> None:
    """Register a mock: its metadata in the memory folder, its modules in the finder."""
    for module, init in modules.items():
        if not isinstance(module, str) or not module or not all(p.isidentifier() for p in module.split(".")):
            raise ValueError(f"mock package {name}: {module!r} is not a module name")
        if init is not None and not isinstance(init, str) and not callable(init):
            raise TypeError(
                f"mock package {name}: module {module!r} must be given as source text, None or a callable "
                f"that initialises the module, not {type(init).__name__}"
            )
    key = canonicalize_name(name)
    forget(key)
    folder = memory_mock_folder()
    dist_info = folder / f"{key.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir()
    files = {"METADATA": metadata, "INSTALLER": MOCK_INSTALLER + "\n", "top_level.txt": "".join(
        sorted({m.split(".")[0] + "\n" for m in modules}))}
    for fname, text in files.items():
        (dist_info / fname).write_text(text)
    record = [f"{dist_info.name}/{f},," for f in [*files, "RECORD"]]
    (dist_info / "RECORD").write_text("\n".join(record) + "\n")
    _mocks[key] = _Mock(key, dist_info, dict(modules))
    for module in modules:  # a module imported before (an earlier mock) must be fresh
        sys.modules.pop(module, None)
    importlib.invalidate_caches()


def forget(name: str) -> None:
    """Drop a memory mock: its modules leave ``sys.modules`` and stop importing; its metadata
    folder is removed if still there; the finder and folder go with the last mock."""
    mock = _mocks.pop(canonicalize_name(name), None)
    if mock is not None:
        if mock.dist_info.is_dir():
            shutil.rmtree(mock.dist_info, ignore_errors=True)
        unload_modules(mock.modules)
    if not _mocks:
        _retire_finder()
    importlib.invalidate_caches()


def unload_modules(modules: "Iterable[str]") -> None:
    """Take ``modules`` and their submodules out of ``sys.modules`` (and off their parents), so the
    next ``import`` looks for them again: a removed mock must not stay importable from the cache."""
    names = set(modules)
    for loaded in [m for m in sys.modules if m in names or any(m.startswith(n + ".") for n in names)]:
        sys.modules.pop(loaded, None)
        parent, _, child = loaded.rpartition(".")
        if parent and parent in sys.modules and getattr(sys.modules[parent], child, None) is not None:
            try:
                delattr(sys.modules[parent], child)
            except AttributeError:
                pass
    importlib.invalidate_caches()


def _retire_finder() -> None:
    """No in-memory mock left: the finder and the metadata folder leave the import system."""
    global _folder
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _MockFinder)]
    if _folder is not None:
        folder = str(_folder)
        while folder in sys.path:
            sys.path.remove(folder)
        sys.path_importer_cache.pop(folder, None)
        shutil.rmtree(_folder, ignore_errors=True)
        _folder = None


def _find(fullname: str) -> tuple[_Mock, "str | Callable[[ModuleType], object] | None", bool] | None:
    """The mock serving ``fullname``: (mock, initializer, is a parent of a mocked module only)."""
    for key, mock in list(_mocks.items()):
        if not os.path.isdir(mock.dist_info):  # uninstalled meanwhile
            _mocks.pop(key, None)
            continue
        if fullname in mock.modules:
            return mock, mock.modules[fullname], False
        if any(m.startswith(fullname + ".") for m in mock.modules):
            return mock, None, True
    return None


class _MockFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the modules of in-memory mock packages."""

    def find_spec(self, fullname, path=None, target=None):
        found = _find(fullname)
        if found is None:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        spec.submodule_search_locations = []
        return spec

    def create_module(self, spec):
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        found = _find(module.__name__)
        if found is None:
            raise ImportError(f"mock module {module.__name__} was removed", name=module.__name__)
        mock, init, _parent_only = found
        if callable(init):
            init(module)
        elif init:
            exec(compile(init, f"<mock {mock.name}: {module.__name__}>", "exec"), module.__dict__)
