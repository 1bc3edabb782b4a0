"""Index pages kept across page loads with their HTTP validators (RFC 9111, a private cache).

A returning visitor's install asked every index page again. Now a page is kept in the
persistent cache (``micropip.cache``) with the headers that say how long it stays fresh:

- within its freshness lifetime (``Cache-Control: max-age``, else ``Expires``) it is used
  with no request at all;
- after that, or with ``no-cache``, it is revalidated: ``If-None-Match`` (ETag) and
  ``If-Modified-Since`` (Last-Modified); a 304 renews the kept copy, a 200 replaces it, so a
  changed page is always honoured;
- ``no-store``, a page asked for with credentials (a private index) and local paths are never
  kept.

In a browser a cross-origin request that carried validators of ours would need a CORS
preflight (they are not safelisted headers); there the browser's own HTTP cache sends them
instead, and a stale page is simply fetched (``transport.may_send_validators``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

from .. import cache, transport
from ..transport import Response
from . import auth, http

# Response headers kept with a page: what freshness, validation and the parsers need.
KEPT_HEADERS = ("content-type", "etag", "last-modified", "cache-control", "expires", "date", "age")


def entry_name(url: str, accept: str) -> str:
    """The cache entry of ``url`` asked for with ``accept`` (another Accept may get another format)."""
    return hashlib.sha256(f"{url}\n{accept}".encode()).hexdigest() + ".page"


async def get_page(
    url: str, accept: str, *, credentials: str | None = None, asked: Callable[[], object] | None = None
) -> Response:
    """The page at ``url``: kept and fresh, revalidated, or fetched (``http.get``), as HTTP allows.

    ``asked()`` is called once the answer needs nothing more from this interpreter: the request
    is on its way or the kept page answers (``index.early``: CPU work waits until then)."""
    store = cache.current() if _may_keep(url, credentials) else None
    if store is None:
        return await http.get(url, headers={"Accept": accept}, credentials=credentials, asked=asked)
    name = entry_name(url, accept)
    kept = _parse(await store.read(name), url)
    headers = {"Accept": accept}
    if kept is not None:
        meta, body = kept
        if is_fresh(meta["headers"], meta["stored"], time.time()):
            if asked is not None:
                asked()
            return Response(meta["final"], 200, dict(meta["headers"]), body)
        if transport.may_send_validators(url):
            if meta["headers"].get("etag"):
                headers["If-None-Match"] = meta["headers"]["etag"]
            if meta["headers"].get("last-modified"):
                headers["If-Modified-Since"] = meta["headers"]["last-modified"]
    response = await http.get(url, headers=headers, credentials=credentials, asked=asked)
    if response.status == 304 and kept is not None:
        meta, body = kept
        fresh_headers = {**meta["headers"], **_kept_headers(response.headers)}
        http.write_behind(_keep(store, name, url, meta["final"], fresh_headers, body))
        return Response(meta["final"], 200, fresh_headers, body, attempts=response.attempts)
    if response.status == 200 and _storable(response.headers):
        http.write_behind(_keep(store, name, url, response.url or url, _kept_headers(response.headers), response.body))
    return response


async def kept_fresh(url: str, accept: str, now: float | None = None) -> bool:
    """Whether ``get_page`` would answer from the cache with no request."""
    store = cache.current() if _may_keep(url, None) else None
    if store is None:
        return False
    kept = _parse(await store.read(entry_name(url, accept)), url)
    return kept is not None and is_fresh(kept[0]["headers"], kept[0]["stored"], time.time() if now is None else now)


def freshness_lifetime(headers: dict[str, str]) -> float:
    """Seconds a response stays fresh: ``max-age``, else ``Expires`` - ``Date``; 0 for ``no-cache``."""
    directives = _directives(headers.get("cache-control", ""))
    if "no-cache" in directives or "no-store" in directives:
        return 0.0
    max_age = directives.get("max-age")
    if max_age is not None:
        return float(max_age) if max_age.isdigit() else 0.0
    if "expires" not in headers:  # the usual case behind a gateway (a ``Date`` alone says nothing):
        return 0.0  # no date is parsed, so the install never imports ``email.utils`` (~80 ms in Pyodide)
    expires, date = _http_date(headers.get("expires")), _http_date(headers.get("date"))
    if expires is not None and date is not None:
        return max(0.0, expires - date)
    return 0.0


def is_fresh(headers: dict[str, str], stored: float, now: float) -> bool:
    """Whether a response received at ``stored`` (with its ``Age``) may still be used at ``now``."""
    age_header = headers.get("age", "").strip()
    age = max(0.0, now - stored) + (float(age_header) if age_header.isdigit() else 0.0)
    return age < freshness_lifetime(headers)


def _storable(headers: dict[str, str]) -> bool:
    """Kept only when it can save something: fresh for a while, or a validator to revalidate with."""
    if "no-store" in _directives(headers.get("cache-control", "")):
        return False
    return freshness_lifetime(headers) > 0 or bool(headers.get("etag") or headers.get("last-modified"))


def _may_keep(url: str, credentials: str | None) -> bool:
    return credentials is None and not transport.is_local(url) and not auth.has_credentials(url)


def _directives(value: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for part in value.lower().split(","):
        key, _, arg = part.strip().partition("=")
        if key:
            out[key] = arg.strip().strip('"') if arg else None
    return out


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    import email.utils  # only pages with Expires and no max-age get here; importing it costs ~80 ms in Pyodide

    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.timestamp() if parsed is not None else None


def _kept_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: headers[k] for k in KEPT_HEADERS if k in headers}


async def _keep(store: cache.Cache, name: str, url: str, final: str, headers: dict[str, str], body: bytes) -> None:
    meta = {"url": url, "final": final, "headers": headers, "stored": time.time()}
    await store.write(name, json.dumps(meta, separators=(",", ":")).encode() + b"\n" + body)


def _parse(payload: bytes | None, url: str) -> tuple[dict, bytes] | None:
    """``(meta, body)`` of a kept page, or None when absent or not the page of ``url``."""
    if payload is None:
        return None
    head, sep, body = bytes(payload).partition(b"\n")
    try:
        meta = json.loads(head) if sep else None
        if not isinstance(meta, dict) or meta.get("url") != url:
            return None
        meta["stored"] = float(meta["stored"])
        meta["headers"] = {str(k): str(v) for k, v in dict(meta["headers"]).items()}
        meta["final"] = str(meta["final"])
    except (ValueError, KeyError, TypeError):
        return None
    return meta, body
