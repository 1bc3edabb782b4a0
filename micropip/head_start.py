"""A fresh interpreter's first install, started before the machinery is compiled.

A page's first ``micropip.install("x")`` compiled the resolver and its friends (~300 ms in
Pyodide) before its first request. ``begin`` asks first - the roots' index pages
(``index.early``) and the lockfile wheels of their closure (``installation.early_lock``) -
puts a returning visitor's kept bytecode of the machinery back (``installation.bytecode``),
then imports the machinery a module at a time while the answers travel; as soon as a page
is here, the release it leads to is asked for too (``resolution.early_guess``).

When Pyodide's lockfile decides the whole install (``resolution.lock_only``), or an earlier
visit's plan still holds (``resolution.remembered``), that plan goes straight to the install
stage every install ends in (``installation.execution``) and no resolver is compiled at all; otherwise
``PackageManager.install`` resolves as usual and takes what was asked for here.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("micropip")
_gate: Any = None
# Seconds after ``import micropip`` before an idle interpreter compiles the install machinery
# (``plan_warm_up``): a notebook's first cell that installs right after the import goes first.
WARM_UP_DELAY = 2.0


def install_gate() -> Any:
    """Held by one install at a time (a lockfile-only one has no manager)."""
    global _gate
    if _gate is None:
        _gate = asyncio.Lock()
    return _gate


# Reads the early pages as they arrive and asks for what they lead to (``import_machinery``
# starts it as soon as it is imported: first what it needs, then it).
GUESSER = "micropip.resolution.early_guess"

# What ``micropip.package_manager`` imports, in an order that compiles each group once.
# ``_import_machinery`` imports them one at a time and yields in between: in Node the
# early index requests (``micropip.index.early``) only leave, and their answers only
# arrive, while Python gives the JavaScript event loop a turn. A name missing here only
# costs that overlap (``tests/test_early_pages_host.py`` checks each one imports).
MACHINERY = (
    "packaging.version",
    # what packaging.specifiers imports, a module per step (together ~90 ms in Node, during
    # which neither a response nor the bundle's bytecode, ``installation.shipped_bytecode``, came in)
    "platform",
    "sysconfig",
    "packaging._elffile",
    "packaging._manylinux",
    "packaging._musllinux",
    "packaging.tags",
    "packaging.utils",
    "packaging.specifiers",
    "packaging._tokenizer",
    "packaging._parser",
    "packaging.markers",
    "packaging.requirements",
    "micropip.resolution.environment",
    "micropip.index.formats",
    "micropip.resolution.selection",
    "micropip.index.metadata",
    GUESSER,
    "micropip.installation.installed",
    "micropip.cache",
    "micropip.installation.fetch",
    "micropip.progress",
    "micropip.package_index",
    "resolvelib",
    "micropip.resolution.provider",
    "micropip.resolution.sources",
    "micropip.resolution.resolver",
    "micropip.package_manager",
)


# Immediate turns of the event loop given between two modules while a response body arrives
# (``transport.receiving``): each reads one more piece of it (a 700 KB page was ~50 pieces).
RECEIVING_TURNS = 16


async def import_machinery(guess: Callable[[Any], None] | None = None) -> None:
    """Import the install machinery a module at a time, letting the network go on between;
    ``guess(early_guess)`` is called once that module is imported (the early pages' next hop)."""
    # Timers, not immediate callbacks: a browser sends a request fetch() was asked for only
    # when its event loop gets a turn of its own, which a chain of immediate callbacks denied
    # until the whole import was over (measured in Chromium).
    from . import transport

    await asyncio.sleep(0.01)
    for name in MACHINERY:
        await asyncio.sleep(0.001)
        for _ in range(RECEIVING_TURNS):  # a page arriving in pieces is read between two modules
            if not transport.receiving():
                break
            await asyncio.sleep(0)
        module = importlib.import_module(name)
        if name == GUESSER and guess is not None:
            try:
                guess(module)
            except Exception:  # noqa: BLE001 - only a head start: the resolver asks for itself
                pass


async def begin(
    requirements: Any, index_urls: Any, credentials: str | None, manager: Callable[[], Any], *, wheels: bool = True,
    deps: bool = True, lock_only: dict | None = None, recall: bool = False,
) -> bool:
    """A fresh interpreter's first install: ask for the roots' pages (``index.early``) and
    lockfile wheels (``wheels``: ``installation.early_lock``) first, then compile while they
    travel. True if the lockfile (``lock_only``) or, with ``recall``, a kept plan did the install."""
    if "micropip.package_manager" in sys.modules:
        await _start_first_resolution(requirements, index_urls, credentials, manager)
        return False
    if "micropip.package_index" in sys.modules:
        return False  # a client replaced the index lookup (piplite patches it before installing)
    # A returning visitor's kept bytecode of the machinery goes back before anything more is
    # imported (for a new visitor: three lookups that find nothing).
    await _restore_machinery()
    found = None
    try:
        if index_urls is None:
            from .index.urls import default_index_urls

            urls = default_index_urls()
        else:
            urls = [index_urls] if isinstance(index_urls, str) else [str(u) for u in index_urls]
        if lock_only is not None:  # the indexes' checks apply even when none is asked
            from .index.auth import take_credentials
            from .index.urls import check_index_url

            for url in urls:
                check_index_url(url)
                if take_credentials(url) != url:
                    lock_only = None
    except Exception:  # noqa: BLE001 - only a head start: the install itself reports any problem
        return False
    # Before any request: a returning visitor's same install may need none (its errors are the install's).
    if lock_only is not None and recall and await _install_remembered(requirements, urls, deps, **lock_only):
        return True
    pages = 0
    try:
        from . import transport
        from .index import early

        pages = early.start(requirements, urls, credentials)
        if pages:
            await early.leave()
            if _ask_for_bytecode():  # after the pages, before the lock is read (tens of ms)
                await asyncio.sleep(0)  # its task's first step hands the request to fetch()
        found = transport.pyodide_lockfile() if wheels and credentials is None else None
        if found:
            from .resolution.lock_only import lock_closure

            closure = lock_closure(requirements, found[0], transport.loaded_packages(), deps=deps)
            if closure:  # (a root the lock lacks: its downloader, wheel reader and fetcher load later, from the part)
                from .installation import early_lock

                if early_lock.start(closure, found[1]):
                    await early_lock.leave()
    except Exception:  # noqa: BLE001 - only a head start: the install itself reports any problem
        return False
    # Only when the lockfile may decide it all: no index page asked (a root the lockfile lacks
    # needs the resolver; reading what is installed to find that out cost ~80 ms of a first
    # install before its page request left), and its wheels asked for or every one loaded
    # already (``install("packaging")`` beside micropip: nothing to do, and no resolver to compile).
    if found and not pages and lock_only is not None:
        if await _install_from_lock(requirements, found, deps, **lock_only):
            return True
    # The resolver decides: its machinery loads a module at a time while whatever was asked
    # travels, and from the bundle's bytecode once that arrives (asked here when no page was).
    on_wheel = _guess_wheel if wheels and credentials is None else None
    try:
        _ask_for_bytecode()  # (no-op when asked above)
        await import_machinery(lambda guesser: guesser.start(requirements, on_wheel, deps))
    finally:
        guesser = sys.modules.get(GUESSER)
        if guesser is not None:
            guesser.stop()  # the resolver asks from here on
    return False


def _ask_for_bytecode() -> bool:
    """Ask for the bundle's compiled machinery after the pages (they carry the install; it only
    saves compiling), unless a returning visitor's is kept; True if asked now."""
    if "micropip.package_manager" in sys.modules:
        return False
    try:
        from .installation import bytecode, shipped_bytecode

        return not bytecode.machinery_kept() and shipped_bytecode.start()
    except Exception:  # noqa: BLE001 - only a head start
        return False


def _guess_wheel(f: Any) -> None:
    from .installation import early_lock  # imported once a page is read, not before its request leaves

    early_lock.guess(f)


async def _restore_machinery() -> None:
    try:
        from .installation import bytecode

        bytecode.serve_stdlib()  # before urllib.parse & co. are imported
        await bytecode.restore_machinery()
    except Exception:  # noqa: BLE001 - only a head start
        pass


async def _install_from_lock(
    requirements: Any, found: tuple[dict, str], deps: bool, *, pre: bool, verbose: Any, progress: Any
) -> bool:
    """Install with no resolver if Pyodide's lockfile decides it all (``resolution.lock_only``);
    else False, nothing done."""

    async def decide() -> Any:
        from .resolution import lock_only

        def installed() -> dict[str, tuple[str, str]]:  # asked only when the lock has the whole closure
            from .installation.installed import installed_distributions

            return {d.canonical_name: (d.name, str(d.version)) for d in installed_distributions()}

        plan = lock_only.plan(requirements, found[0], found[1], installed, deps=deps, pre=pre)
        if plan is None:
            return None
        spelled = lock_only.lock_entries(found[0])
        return plan, {p.name: ("pyodide", spelled[p.name][0]) for p in plan.install}  # as _source_labels says

    return await _install_planned(decide, requirements, verbose, progress)


async def _install_remembered(
    requirements: Any, urls: list[str], deps: bool, *, pre: bool, verbose: Any, progress: Any
) -> bool:
    """Install with no resolver an earlier visit's plan for the same question while every page
    it read is fresh (``resolution.remembered``); else False, nothing done."""
    from .resolution import remembered

    if not await remembered.any_kept():
        return False

    async def decide() -> Any:
        from .installation.installed import installed_distributions

        asked = remembered.question(requirements, urls, deps=deps, pre=pre, installed=installed_distributions)
        return asked and await remembered.recall(asked)

    # A plan is kept only after its install checked every wheel file by file: those bytes are proven.
    return await _install_planned(decide, requirements, verbose, progress, proven=True)


async def _install_planned(
    decide: Callable[[], Any], requirements: Any, verbose: Any, progress: Any, *, proven: bool = False
) -> bool:
    """Install the ``(plan, labels)`` that ``decide()`` gives through the install stage every
    install ends in, with an install's progress and log lines; False if it gives none.
    ``proven``: the plan's wheels passed every check in an earlier install (``execution.execute``)."""
    async with install_gate():
        if "micropip.package_manager" in sys.modules:  # an install that resolved went first
            return False
        try:
            found = await decide()
        except Exception as exc:  # noqa: BLE001 - the resolver decides instead, and reports any problem
            logger.debug("no plan without the resolver: %s", exc)
            return False
        if not found:
            return False
        plan, labels = found
        from .installation import execution
        from .progress import Reporter, verbosity

        for warning in plan.warnings:
            logger.warning(warning)
        with verbosity(verbose):
            async with Reporter(progress, verbose, requirements) as report:
                early_lock = sys.modules.get(f"{__package__}.installation.early_lock")
                ahead = early_lock.adopt() if early_lock is not None else None  # lockfile wheels on their way
                if ahead is not None:
                    ahead.open_with(execution.open_wheel)
                async with execution.finishing(ahead):
                    report.resolved(plan)
                    if plan.install:
                        await execution.execute(plan, plan.install, {}, None, report, labels, ahead=ahead, proven=proven)
                report.done(plan)
        return True


async def _start_first_resolution(
    requirements: Any, index_urls: Any, credentials: str | None, get_manager: Callable[[], Any]
) -> None:
    """The machinery is imported (``set_index_urls``) but nothing resolved yet: ask for the
    pages before reading the environment (``sysconfig``, ~20 ms in Pyodide) and the lockfile."""
    from . import package_index, transport
    from .index import early
    from .resolution.environment import TargetEnvironment

    try:
        if TargetEnvironment.is_known() or not package_index.is_original():
            return
        manager = get_manager()
        if index_urls is None:
            urls = [*manager.index_urls]  # (``list`` is micropip.list in this module)
        else:
            urls = [index_urls] if isinstance(index_urls, str) else [str(u) for u in index_urls]
        lock = manager.lock_override or transport.pyodide_lockfile()
        if early.start(requirements, urls, credentials, lock=lock):
            await early.leave()
            TargetEnvironment.current()
            await asyncio.sleep(0)
            manager._lock_packages()
    except Exception:  # noqa: BLE001 - only a head start: the install itself reports any problem
        return


def plan_warm_up() -> None:
    """In Pyodide: ``WARM_UP_DELAY`` seconds after ``import micropip``, if no install has begun,
    load the install machinery in idle time (``micropip.warm_up``)."""
    if sys.platform != "emscripten":
        return
    try:
        asyncio.get_event_loop().call_later(WARM_UP_DELAY, _begin_warm_up)
    except Exception:  # noqa: BLE001 - no event loop: nothing to do in idle time
        pass


def _begin_warm_up() -> None:
    from . import warm_up

    warm_up.begin()


async def discard() -> None:
    """Drop what no install took (the install failed or never needed it)."""
    early = sys.modules.get("micropip.index.early")
    if early is not None:
        early.discard()
    guesser = sys.modules.get(GUESSER)
    if guesser is not None:
        guesser.discard()
    early_lock = sys.modules.get("micropip.installation.early_lock")
    if early_lock is not None:
        await early_lock.discard()
