"""HTTP on top of the transport: bounded retries and verified downloads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from typing import Protocol

from .. import cache as persistent
from .. import transport
from ..errors import AuthenticationError, HashMismatchError, LocalFileNotFoundError, RequirementError, TransportError
from ..transport import JsBytes, Response
from . import auth
from .auth import redact_url

# Transient answers: a timeout, too many requests, a server error. Every other status
# (400, 401, 403, 404, 410...) is permanent and returned at once, never asked again.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Seconds to wait before the 2nd, 3rd... attempt: len + 1 attempts in all. Bounded, so a
# failing index fails within seconds; read at call time, so tests can shorten it.
RETRY_DELAYS = (0.2, 0.8)
MAX_RETRY_AFTER = 5.0  # a server's Retry-After is honoured up to this many seconds


async def get(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    credentials: str | None = None,
    timeout: float | None = None,
    keep_in_js: bool = False,
    asked: Callable[[], object] | None = None,
) -> Response:
    """GET with retries for transient failures (408, 429, 5xx, network errors and timeouts).

    Returns the last response (its ``attempts`` says how many requests it took);
    raises ``TransportError`` when the last attempt failed on the network. An invalid
    URL is not retried. User-info in ``url`` and credentials set for its origin
    become an ``Authorization`` header (``micropip.index.auth``); the URL requested,
    and every URL in an error, carries no secret. ``asked()``: the first request is on its
    way (``transport.fetch``'s ``sent``).
    """
    url, headers = auth.with_auth(url, dict(headers or {}))
    delays = tuple(RETRY_DELAYS)
    attempt = 0
    while True:
        try:
            response = await transport.fetch(
                url, headers=headers, credentials=credentials, timeout=timeout, keep_in_js=keep_in_js, sent=asked
            )
        except TransportError as exc:
            if attempt >= len(delays) or getattr(exc, "permanent", False):
                if attempt == 0:
                    raise
                raise TransportError(f"{exc} (gave up after {attempt + 1} attempts)", url=exc.url, status=exc.status) from exc
            await asyncio.sleep(delays[attempt])
            attempt += 1
            continue
        response.attempts = attempt + 1
        if response.status not in RETRY_STATUSES or attempt >= len(delays):
            return response
        await asyncio.sleep(_retry_delay(response, delays[attempt]))
        attempt += 1


def _retry_delay(response: Response, default: float) -> float:
    retry_after = response.headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        return min(float(retry_after), MAX_RETRY_AFTER)
    return default


def attempts_note(response: Response) -> str:
    """`` after 3 attempts`` when a request was retried, else nothing."""
    return f" after {response.attempts} attempts" if response.attempts > 1 else ""


async def download(
    url: str,
    *,
    sha256: str | None = None,
    what: str = "",
    credentials: str | None = None,
    keep_in_js: bool = False,
) -> bytes | JsBytes:
    """Fetch a file and check its sha256 when one is known.

    ``keep_in_js``: in Pyodide the bytes may stay in JS memory (a ``JsBytes``, hashed
    natively), for callers that hand them to native unpacking.
    """
    url = auth.take_credentials(url)
    try:
        response = await get(url, credentials=credentials, keep_in_js=keep_in_js)
    except TransportError as exc:
        raise TransportError(f"downloading {what or url} failed: {exc}", url=url, status=exc.status) from exc
    if response.status == 404 and transport.is_local(url):
        raise missing_local_file(url, what)
    if response.status in (401, 403):
        raise auth_error(response.status, url, f"downloading {what or url}")
    if not response.ok:
        raise TransportError(
            f"downloading {what or url} failed: HTTP {response.status} from {url}{attempts_note(response)}",
            url=url,
            status=response.status,
        )
    body = response.js_body if response.js_body is not None else response.body
    if sha256:
        check_sha256(body, sha256, url, what)
    return body


def auth_error(status: int, url: str, doing: str, index_url: str | None = None) -> AuthenticationError:
    """401/403: which index refused, whether credentials were sent, and how to give them."""
    where = f"index {redact_url(index_url)}" if index_url else redact_url(url)
    sent = auth.has_credentials(url)
    if status == 401:
        what = "was refused: the credentials sent were not accepted" if sent else "needs authentication and no credentials were set for it"
    else:
        what = "was forbidden: the credentials sent are not allowed to read it" if sent else "was forbidden (no credentials were sent)"
    hint = "check the user name and password or token, and " if sent else ""
    return AuthenticationError(
        f"{doing} from {where} {what} (HTTP {status} for {redact_url(url)}); {hint}{auth.HOW_TO_AUTHENTICATE}",
        url=redact_url(url),
        status=status,
    )


class CacheLike(Protocol):
    """What ``download_cached`` needs of a wheel cache (``micropip.cache.Cache``)."""

    async def get(self, sha256_hex: str, *, keep_in_js: bool = False) -> bytes | JsBytes | None: ...

    async def put(self, sha256_hex: str, data: bytes | JsBytes) -> None: ...


async def download_cached(
    url: str,
    sha256: str | None,
    what: str,
    *,
    credentials: str | None = None,
    keep_in_js: bool = False,
    cache: CacheLike | None = None,
    asked_cache: Callable[[], None] | None = None,
) -> bytes | JsBytes:
    """From the persistent cache when it has the hash, else downloaded, verified, then cached.

    The one way a wheel is fetched, by resolution (to read METADATA when the index has
    no PEP 658 file) and by installation alike; the cache is keyed by sha256 only.
    ``asked_cache()`` is called once the cache has answered (before any download).
    """
    if cache is not None and sha256:
        data = await cache.get(sha256, keep_in_js=keep_in_js)  # verified on read
        if data is not None:
            if asked_cache is not None:
                asked_cache()
            _kept.add(sha256.lower())
            return data
    if asked_cache is not None:
        asked_cache()
    data = await download(url, sha256=sha256, what=what, credentials=credentials, keep_in_js=keep_in_js)
    if cache is not None and sha256:
        write_behind(cache.put(sha256, data))
    return data


async def get_hashed(url: str, sha256: str | None, *, suffix: str = ".metadata") -> Response:
    """A small file whose sha256 the index gave (a PEP 658 metadata file): from the persistent
    cache when kept (hashed again on read), else fetched, checked and kept by that hash.

    A returning visitor's resolution then asks no metadata file again: content-addressed
    entries never go stale. Without a sha256 this is ``get``. A request ``begin_hashed``
    made for the same file is taken instead (once)."""
    begun = _begun.pop((url, sha256, suffix), None)
    if begun is not None:
        return await asyncio.shield(begun)
    return await _get_hashed(url, sha256, suffix)


def begin_hashed(url: str, sha256: str | None, *, suffix: str = ".metadata") -> asyncio.Future:
    """Start ``get_hashed`` ahead of its caller (a first install's likely metadata, asked while
    the resolver compiles: ``resolution.early_guess``); the next ``get_hashed`` of it takes it."""
    key = (url, sha256, suffix)
    if key not in _begun:
        _begun[key] = asyncio.ensure_future(_get_hashed(url, sha256, suffix))
    return _begun[key]


def drop_begun() -> None:
    """Cancel what ``begin_hashed`` started and nobody took (the install did not need it)."""
    for future in _begun.values():
        future.cancel()  # a failure was read already: the guess that began it awaited it
    _begun.clear()


_begun: dict[tuple[str, str | None, str], asyncio.Future] = {}


async def _get_hashed(url: str, sha256: str | None, suffix: str) -> Response:
    store = persistent.current() if sha256 else None
    name = f"{sha256.lower()}{suffix}" if sha256 else ""
    if store is not None and persistent.is_entry(name):
        body = await store.read(name)
        if body is not None:
            return Response(url, 200, {}, transport.as_bytes(body))
    response = await get(url)
    if store is not None and response.ok:
        check_sha256(response.body, sha256 or "", url, f"the file {url}")
        write_behind(store.write(name, response.body))
    return response


_cache_writes: set[asyncio.Future] = set()
_kept: set[str] = set()  # sha256 of the files this interpreter took from the persistent cache


def came_from_cache(sha256: str | None) -> bool:
    """Whether ``download_cached`` answered this file from the persistent cache (a returning
    visitor's wheel: its compiled modules are likely kept too; a download's never are)."""
    return bool(sha256) and sha256.lower() in _kept


def write_behind(write: Awaitable[object]) -> None:
    """Run a cache write while the install goes on (Cache Storage in a page took 100-200 ms of a
    first install when awaited in line); ``flush_cache_writes`` waits for what is left."""
    task = asyncio.ensure_future(write)
    _cache_writes.add(task)
    task.add_done_callback(_cache_writes.discard)


async def flush_cache_writes() -> None:
    """Wait for the cache writes begun by ``write_behind`` (an install ends with this).

    A failed write only costs a later download: the cache logs it, the install goes on."""
    while _cache_writes:
        writes = list(_cache_writes)
        await asyncio.gather(*writes, return_exceptions=True)
        # Taken out here, not only by their done callbacks: those run on a later turn, and
        # awaiting writes that are all done never yields one, so this looped forever.
        _cache_writes.difference_update(writes)


def missing_local_file(url: str, what: str) -> LocalFileNotFoundError:
    """A path that names no file: a FileNotFoundError too, in the words Python (and Pyodide's
    micropip, for ``emfs:``) use: ``No such file or directory: '<path>'``."""
    path = str(transport.local_path(url))
    scheme = url.split(":", 1)[0] if ":" in url else ""
    if scheme == "file":
        where = "on the native file system (file: reads Node's disk; a relative path is relative to Node's working directory)"
    else:
        where = "in Pyodide's file system (emfs: and plain paths are read from it; write the file there first, e.g. with open(path, 'wb'))"
    named = f" for {what}" if what and what not in (url, path) else ""
    return LocalFileNotFoundError(f"No such file or directory: {path!r}{named}, {where}", url=url, path=path)


async def read_requirements_text(location: str) -> str:
    """A requirements or constraints file, given as a path (emfs:) or URL (``-r``/``-c``)."""
    response = await get(location)
    if not response.ok:
        raise RequirementError(f"cannot read requirements file {location}: HTTP {response.status}")
    return response.body.decode("utf-8")


def check_sha256(data: bytes | JsBytes, expected: str, url: str, what: str = "") -> None:
    actual = transport.sha256_hex(data)
    if actual != expected.lower():
        raise HashMismatchError(
            f"hash mismatch for {what or url} downloaded from {url}: expected sha256 {expected}, got {actual}. "
            "The file changed on the server or was tampered with; nothing was installed."
        )
