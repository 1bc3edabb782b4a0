"""The first install's root pages, asked for before the resolver is imported.

A page's first ``install("x")`` compiled the machinery (~300 ms in Pyodide) before its first
request. ``micropip.install`` calls ``start`` while nothing else is imported and imports the
rest while the pages of plainly named roots travel; ``IndexClient`` ``take``s the answers.
After ``set_index_urls`` (machinery imported) the pages still go before the environment and
lockfile are read. Only the first index is asked, for names not in Pyodide's lockfile, never
an index ``IndexClient`` would refuse, nor when a client replaced the index lookup (piplite).
``resolution.early_guess`` reads the answers as they come (``peek``) and asks the same index
for the pages its guesses lead to (``ask``), which ``IndexClient`` takes the same way.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from .. import transport
from . import auth, page_cache
from .urls import ACCEPT_HEADER, check_index_url, project_url

# A requirement that starts with a plain project name (then extras, a specifier, a marker
# or nothing). URLs, paths, wheel file names, ``name @ url`` and ``-r file`` never match: those are not pages.
_PLAIN_ROOT = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~(;,]|$)")
MAX_EARLY_PAGES = 16
# How long ``leave`` waits for the pages' cache lookups before CPU work goes on regardless.
LEAVE_TIMEOUT = 0.05
_pending: dict[tuple[str, str | None], asyncio.Future] = {}
_asked: list[asyncio.Event] = []  # one per page asked since ``start``: set once it needs no more of us
_index: tuple[str, str | None, frozenset[str]] | None = None  # what ``start`` chose


def root_names(requirements: str | Iterable[str]) -> list[str]:
    """Canonical names of the requirements that name a project plainly (others are skipped)."""
    items = [requirements] if isinstance(requirements, str) else list(requirements)
    names: list[str] = []
    for item in items:
        match = _PLAIN_ROOT.match(item) if isinstance(item, str) else None
        if match and "@" not in item and not item.rstrip().endswith(".whl") and (name := transport.normalized_name(match[1])) not in names:
            names.append(name)
    return names


def start(
    requirements: str | Iterable[str], index_urls: list[str], credentials: str | None, lock: tuple[dict, str] | None = None
) -> int:
    """Ask the first index for each plainly named root's page; nothing when in doubt.

    ``lock`` is the lockfile the install will take packages from (default: Pyodide's).
    Returns how many pages were asked for."""
    global _index
    _index = None
    _asked.clear()
    if not index_urls:
        return 0
    index_url = auth.take_credentials(index_urls[0])  # as IndexClient does: the secret leaves the URL
    try:
        check_index_url(index_url)
    except Exception:  # noqa: BLE001 - refused: IndexClient reports it before any request
        return 0
    found = lock or transport.pyodide_lockfile()
    in_lock = set()
    if found:
        for key, entry in (found[0].get("packages") or {}).items():
            in_lock.add(transport.normalized_name(str(key)))
            if isinstance(entry, dict) and entry.get("name"):
                in_lock.add(transport.normalized_name(str(entry["name"])))
    _index = (index_url, credentials, frozenset(in_lock))
    return sum(ask(name) is not None for name in root_names(requirements)[:MAX_EARLY_PAGES])


def ask(name: str) -> asyncio.Future | None:
    """Ask the index ``start`` chose for ``name``'s page (canonical), unless the lockfile has
    the project or it is asked already; the answer's future, or None."""
    if _index is None:
        return None
    index_url, credentials, in_lock = _index
    url = project_url(index_url, name)
    if name in in_lock or (url, credentials) in _pending:
        return None
    asked = asyncio.Event()
    _asked.append(asked)
    future = _pending[(url, credentials)] = asyncio.ensure_future(_get_page(url, credentials, asked))
    return future


async def _get_page(url: str, credentials: str | None, asked: asyncio.Event):
    try:
        return await page_cache.get_page(url, ACCEPT_HEADER, credentials=credentials, asked=asked.set)
    finally:
        asked.set()


async def leave() -> None:
    """Return once every page ``start`` asked for is on its way or answered by the cache (at
    most ``LEAVE_TIMEOUT`` seconds), then give the JavaScript event loop a turn to send them.

    What an install does next is CPU work (reading what is installed, compiling) that would
    otherwise hold back a request still looking in the persistent cache: ~25 ms in Node."""
    waiting = [event.wait() for event in _asked if not event.is_set()]
    if waiting:
        try:
            await asyncio.wait_for(asyncio.gather(*waiting), LEAVE_TIMEOUT)
        except asyncio.TimeoutError:
            pass
    await asyncio.sleep(0.001)  # a timer: a browser sends a fetch only on a turn of its own


def peek(name: str) -> asyncio.Future | None:
    """The answer asked for ``name``'s page (canonical), left for the install to take."""
    if _index is None:
        return None
    return _pending.get((project_url(_index[0], name), _index[1]))


def take(url: str, credentials: str | None) -> asyncio.Future | None:
    """The answer ``start`` asked for (once), or None."""
    return _pending.pop((url, credentials), None)


def discard() -> None:
    """Drop what no install took (a root the lock or an installed version satisfied)."""
    global _index
    _index = None
    _asked.clear()
    pending = list(_pending.values())
    _pending.clear()
    for future in pending:
        future.cancel()
        future.add_done_callback(_quiet)


def _quiet(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()  # retrieved: an unused failure is nobody's error
