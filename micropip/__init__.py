"""micropip: install Python packages into Pyodide, with a backtracking resolver.

``import micropip`` stays cheap: the machinery loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import head_start

__version__ = "1.0.0a1"

__all__ = [
    "install",
    "install_lockfile",
    "list",
    "freeze",
    "uninstall",
    "set_index_urls",
    "set_index_credentials",
    "set_constraints",
    "add_mock_package",
    "list_mock_packages",
    "remove_mock_package",
    "check",
    "set_cache",
    "clear_cache",
    "set_build_sdists",
    "__version__",
]

if TYPE_CHECKING:
    import builtins

    from .package_manager import PackageManager

_manager: "PackageManager | None" = None
# ``set_index_urls`` before anything imported the machinery: kept here until the manager is made,
# so the first install still asks for its pages before compiling (``head_start``).
_index_urls: "builtins.list[str] | None" = None


def __getattr__(name: str) -> Any:
    if name == "PackageManager":  # ``micropip.PackageManager`` as in Pyodide's micropip, imported on first use
        from .package_manager import PackageManager

        return PackageManager
    raise AttributeError(f"module 'micropip' has no attribute {name!r}")


def _get_manager() -> "PackageManager":
    global _manager, _index_urls
    if _manager is None:
        from .package_manager import PackageManager

        manager = PackageManager()
        manager._gate = head_start.install_gate()
        if _index_urls is not None:  # the manager holds them from now on: kept once, never stale
            manager.set_index_urls(_index_urls)
            _index_urls = None
        _manager = manager
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
    build_sdists: bool | None = None,
    upgrade: bool = False,
    resolve_timeout: float | None = 60.0,  # micropip.resolution.budget.DEFAULT_TIMEOUT
) -> Any:
    """Install packages and their dependencies; ``dry_run=True`` returns the plan instead.

    Requirements are names, PEP 508 specs, ``name[extra] @ url``, wheel URLs or
    paths (``emfs:``), and ``-r file`` / ``-c file`` entries. Either everything is
    installed or nothing changes. With ``lockfile=`` the locked set is installed
    instead of resolving (``requirements`` then picks packages from the lock).
    ``require_hashes=True`` refuses any file without a sha256 to verify it against.
    ``progress`` is called with each event of ``micropip.progress`` (resolving,
    each download, each package installed, ``Done`` or ``Failed``); without it a
    notebook shows a live progress area and elsewhere nothing is printed.
    ``verbose=True`` logs pip's lines (``Collecting``, ``Successfully installed`` ...)
    through the ``micropip`` logger for this call.
    ``build_sdists=True`` builds a pure-Python project inside Pyodide when a release it
    needs has no usable wheel, only a source distribution (None: the default that
    ``set_build_sdists`` chose, off unless changed).
    ``upgrade=True`` takes the requested packages to their newest allowed version even
    when an installed one satisfies, as ``pip install --upgrade`` does (``%pip install -U``).
    ``resolve_timeout`` is the resolver's budget in seconds (None: no limit): a search that
    keeps going back and forth between releases stops then with ``ResolutionBudgetError``,
    which names the projects it kept trying and a pin that settles them.
    """
    from .transport import from_js

    requirements = from_js(requirements)  # type: ignore[assignment]
    keep_going = from_js(keep_going)  # type: ignore[assignment]
    if isinstance(keep_going, dict):  # an options object from JavaScript: install(reqs, {keep_going: true, ...})
        options = dict(keep_going)
        return await install(requirements, **options)
    from .installation import activity

    with activity.installing():  # the idle-time compiling waits meanwhile
        try:
            if lockfile is None:
                # Without a resolver only when nothing given needs one (a dry run returns the plan it made).
                plain = not (dry_run or require_hashes or reinstall or constraints or upgrade) and credentials is None
                indexes = index_urls if index_urls is not None else _index_urls  # (None: the default)
                if await head_start.begin(
                    requirements, indexes, credentials, _get_manager, wheels=not (dry_run or require_hashes),
                    deps=bool(deps), lock_only={"pre": bool(pre), "verbose": verbose, "progress": progress} if plain else None,
                    recall=not (merge_indexes or build_sdists),  # as a plain install resolves (resolution.remembered)
                ):
                    return None
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
                build_sdists=build_sdists,
                upgrade=upgrade,
                resolve_timeout=resolve_timeout,
            )
        finally:
            await head_start.discard()


async def install_lockfile(
    lockfile: str,
    *,
    packages: list[str] | None = None,
    reinstall: bool = False,
    credentials: str | None = None,
    verbose: bool | int | None = None,
    dry_run: bool = False,
    progress: Any = None,
    build_sdists: bool | None = None,
) -> Any:
    """Install exactly what a ``pyodide-lock.json`` or ``pylock.toml`` pins, with no resolution.

    Every file's sha256 is verified and the install is atomic. A lock made for
    another Python, ABI or platform is refused, naming the field that differs.
    ``packages`` limits the install to those names and their locked dependencies.
    ``progress`` works as for ``install``. A locked source distribution (``freeze()`` writes
    one for a package built from source) is built again, or taken from the wheel cache,
    only with ``build_sdists=True`` (or ``set_build_sdists(True)``).
    """
    from .installation import activity

    with activity.installing():
        return await _get_manager().install_lockfile(
            lockfile, packages=packages, reinstall=reinstall, credentials=credentials, verbose=verbose, dry_run=dry_run,
            progress=progress, build_sdists=build_sdists,
        )


def list():  # noqa: A001 - the micropip API name
    """Installed packages by name; each has ``.name``, ``.version`` and ``.source`` (also as ``p["version"]``).

    ``source`` is ``"pyodide"`` (from Pyodide's lockfile), ``"pypi"`` (from an index that
    gave the file's sha256), the wheel's URL (a direct URL, or an index without hashes)
    or ``"mock"``. Prints as a table.
    """
    return _get_manager().list()


def freeze() -> str:
    """The running environment as ``pyodide-lock.json`` text (load it with ``loadPyodide({lockFileURL})``)."""
    return _get_manager().freeze()


def uninstall(packages: str | Any, *, verbose: bool | int | None = None) -> Any:
    """Remove installed distributions (exactly the files their RECORD lists), all or none.

    Synchronous, like Pyodide's micropip: ``micropip.uninstall("pkg")`` is done when it
    returns. Awaiting the result is harmless (earlier versions were ``async``); while an
    install runs, the removal waits for it, and ``await`` waits for both.
    """
    return _get_manager().uninstall(packages, verbose=verbose)


def set_index_urls(urls: str | Any) -> None:
    """Indexes to search in order (first that has a project wins); ``{package_name}`` placeholders allowed.

    Cheap: before the first install nothing is loaded for it, and that install still asks for
    its index pages while micropip's machinery loads."""
    import sys

    global _index_urls
    if _manager is None and "micropip.package_manager" not in sys.modules:
        # Nothing is compiled for it (~300 ms in Pyodide): the first install uses them as it would
        # have, asking for its pages while the machinery compiles (``head_start``).
        _index_urls = [urls] if isinstance(urls, str) else [*urls]
        return
    _get_manager().set_index_urls(urls)


def set_index_credentials(
    url: str, *, username: str | None = None, password: str | None = None, token: str | None = None
) -> None:
    """Credentials for a private index, sent only to the origin (scheme, host, port) of ``url``.

    ``username``/``password`` are sent as HTTP Basic authentication, ``token`` as
    ``Authorization: Bearer <token>`` (for a token your index wants as a Basic password,
    e.g. GitLab's, pass ``username=..., password=<token>`` instead). ``url`` is the
    index URL (or any URL prefix on that origin); when one origin has several
    credentials the one with the longest matching prefix wins. Calling it with no
    credentials forgets those set for ``url``.

    The same happens for user-info in an index URL: ``https://user:password@host/simple/``
    (or ``https://token@host/simple/``) works as in pip, and the secret is taken out of
    the URL at once. Secrets never appear in errors, logs, progress events, plans,
    ``freeze()`` or installed files; a redirect to another origin does not carry them.
    They last for the interpreter's session and are never written anywhere.
    """
    from .index.auth import set_credentials

    set_credentials(url, username=username, password=password, token=token)


def set_constraints(constraints: str | Any) -> None:
    """Constraints applied to every later install (like pip's ``-c``)."""
    _get_manager().set_constraints(constraints)


def add_mock_package(name: str, version: str, *, modules: dict | None = None, persistent: bool = False) -> None:
    """Make ``name`` look installed so other packages' dependencies on it are satisfied.

    ``modules`` maps module names to source text, ``None`` (empty) or a callable that
    receives the new module object and initialises it (``persistent=False`` only). By
    default one empty module named after the package. ``persistent=False`` keeps the
    mock in memory; ``persistent=True`` installs it into site-packages.
    """
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
    """Turn the persistent cache on or off, move it, or bound its size.

    What a returning visitor needs is kept outside the interpreter (a folder on the host
    disk; in a browser, Cache Storage): index pages with their HTTP validators (reused
    within ``max-age``, then revalidated), metadata files and wheels by sha256, and the
    compiled modules of installed wheels. A new page then installs and imports without
    the network or the compiler where HTTP allows it. It is on by default;
    ``PYODIDE_PM_NO_CACHE=1`` in the environment turns it off, but an explicit
    ``set_cache(True)`` wins. ``path`` (a folder; in a browser, the Cache Storage name;
    ``""`` for the default) and ``max_bytes`` (default 1 GiB for every kind together, least
    recently used entries go first) left as None keep their current setting.
    """
    from .cache import configure

    configure(enabled=enabled, path=path, max_bytes=max_bytes)


def set_build_sdists(enabled: bool = True, *, timeout: float | None = None) -> None:
    """Build pure-Python source distributions by default (``install``'s ``build_sdists=None``).

    Off at start. When on, a release with no usable wheel but an sdist is built inside
    Pyodide: its build requirements (wheels only, from the same indexes) go into a
    temporary folder, never site-packages; its PEP 517 backend runs in-process, for at
    most ``timeout`` seconds (default 120); a wheel with compiled code is refused. A wheel
    of any version is always preferred to a build. The built wheel is kept in the wheel
    cache under the sdist's sha256, so a new interpreter does not build it again.
    """
    _get_manager().set_build_sdists(enabled, timeout=timeout)


async def clear_cache() -> None:
    """Delete every entry of the persistent cache (pages, metadata, wheels, compiled modules, plans) at the
    place ``set_cache`` chose, even when it is off, and in a page the interpreter snapshot that a
    site's loader keeps for warm starts."""
    from . import transport
    from .cache import WARM_START_CACHE, located

    cache = located()
    if cache is not None:
        await cache.clear()
    if transport.persistent_store_kind() == "browser":
        await transport.store_drop_browser_cache(WARM_START_CACHE)


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
head_start.plan_warm_up()
