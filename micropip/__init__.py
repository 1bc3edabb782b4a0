"""micropip: install Python packages into Pyodide, with a backtracking resolver.

``import micropip`` stays cheap: the machinery loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "1.0.0a1"

__all__ = [
    "install",
    "install_lockfile",
    "list",
    "freeze",
    "uninstall",
    "set_index_urls",
    "set_constraints",
    "add_mock_package",
    "list_mock_packages",
    "remove_mock_package",
    "check",
    "set_cache",
    "clear_cache",
    "__version__",
]

if TYPE_CHECKING:
    from .package_manager import PackageManager

_manager: "PackageManager | None" = None


def _get_manager() -> "PackageManager":
    global _manager
    if _manager is None:
        from .package_manager import PackageManager

        _manager = PackageManager()
    return _manager


async def install(
    requirements: str | list[str],
    keep_going: bool = False,
    deps: bool = True,
    credentials: str | None = None,
    pre: bool = False,
    index_urls: str | list[str] | None = None,
    *,
    constraints: list[str] | None = None,
    reinstall: bool = False,
    verbose: bool | int | None = None,
    dry_run: bool = False,
    merge_indexes: bool | None = None,
    lockfile: str | None = None,
    progress: Any = None,
    require_hashes: bool = False,
) -> Any:
    """Install packages and their dependencies; ``dry_run=True`` returns the plan instead.

    Requirements are names, PEP 508 specs, ``name[extra] @ url``, wheel URLs or
    paths (``emfs:``), and ``-r file`` / ``-c file`` entries. Either everything is
    installed or nothing changes. With ``lockfile=`` the locked set is installed
    instead of resolving (``requirements`` then picks packages from the lock).
    ``require_hashes=True`` refuses any file without a sha256 to verify it against.
    ``progress`` is called with each event of ``micropip.progress`` (resolving,
    each download, each package installed, ``Done`` or ``Failed``); without it a
    notebook shows a live progress area and elsewhere a summary is logged.
    """
    return await _get_manager().install(
        requirements,
        keep_going,
        deps,
        credentials,
        pre,
        index_urls,
        constraints=constraints,
        reinstall=reinstall,
        verbose=verbose,
        dry_run=dry_run,
        merge_indexes=merge_indexes,
        lockfile=lockfile,
        progress=progress,
        require_hashes=require_hashes,
    )


async def install_lockfile(
    lockfile: str,
    *,
    packages: list[str] | None = None,
    reinstall: bool = False,
    credentials: str | None = None,
    verbose: bool | int | None = None,
    dry_run: bool = False,
    progress: Any = None,
) -> Any:
    """Install exactly what a ``pyodide-lock.json`` or ``pylock.toml`` pins, with no resolution.

    Every file's sha256 is verified and the install is atomic. A lock made for
    another Python, ABI or platform is refused, naming the field that differs.
    ``packages`` limits the install to those names and their locked dependencies.
    ``progress`` works as for ``install``.
    """
    return await _get_manager().install_lockfile(
        lockfile, packages=packages, reinstall=reinstall, credentials=credentials, verbose=verbose, dry_run=dry_run,
        progress=progress,
    )


def list():  # noqa: A001 - the micropip API name
    """Installed distributions: name -> {name, version, source}."""
    return _get_manager().list()


def freeze() -> str:
    """The running environment as ``pyodide-lock.json`` text (load it with ``loadPyodide({lockFileURL})``)."""
    return _get_manager().freeze()


async def uninstall(packages: str | Any, *, verbose: bool | int | None = None) -> None:
    """Remove installed distributions (exactly the files their RECORD lists)."""
    await _get_manager().uninstall(packages, verbose=verbose)


def set_index_urls(urls: str | Any) -> None:
    """Indexes to search in order (first that has a project wins); ``{package_name}`` placeholders allowed."""
    _get_manager().set_index_urls(urls)


def set_constraints(constraints: str | Any) -> None:
    """Constraints applied to every later install (like pip's ``-c``)."""
    _get_manager().set_constraints(constraints)


def add_mock_package(name: str, version: str, *, modules: dict | None = None, persistent: bool = False) -> None:
    """Make ``name`` look installed so other packages' dependencies on it are satisfied."""
    _get_manager().add_mock_package(name, version, modules=modules, persistent=persistent)


def list_mock_packages() -> Any:
    return _get_manager().list_mock_packages()


def remove_mock_package(name: str) -> None:
    _get_manager().remove_mock_package(name)


def check() -> Any:  # a list of str (the name `list` is taken by micropip.list here)
    """Unmet requirements of what is installed, like ``pip check``; an empty list means consistent.

    E.g. ``["greeting 1.1 requires textwrap3-lite, which is not installed"]``.
    """
    from .installation.check_installed import check as _check

    return _check()


def set_cache(enabled: bool = True, path: str | None = None, max_bytes: int | None = None) -> None:
    """Turn the persistent wheel cache on or off, move it, or bound its size.

    Verified wheels are kept by sha256 outside the interpreter (a folder on the
    host disk; in a browser, Cache Storage), so installing again in a fresh Pyodide
    skips the download. It is on by default; ``PYODIDE_PM_NO_CACHE=1`` in the
    environment turns it off, but an explicit ``set_cache(True)`` wins. ``path``
    (a folder; in a browser, the Cache Storage name; ``""`` for the default) and
    ``max_bytes`` (default 1 GiB, least recently used wheels go first) left as
    None keep their current setting.
    """
    from .installation.wheel_cache import configure

    configure(enabled=enabled, path=path, max_bytes=max_bytes)


async def clear_cache() -> None:
    """Delete every wheel in the persistent cache (the place ``set_cache`` chose), even when it is off."""
    from .installation.wheel_cache import located

    cache = located()
    if cache is not None:
        await cache.clear()


def _register_magics() -> None:
    """``%pip`` / ``%micropip`` in a running IPython; IPython is never imported here."""
    import sys

    ipython = sys.modules.get("IPython")
    if ipython is None:
        return
    try:
        shell = ipython.get_ipython()
    except Exception:
        return
    if shell is not None:
        from .magics import load_ipython_extension

        load_ipython_extension(shell)


_register_magics()
