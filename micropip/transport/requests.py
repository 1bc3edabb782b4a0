"""Requests: a GET through the JS ``fetch`` in Pyodide, urllib on the host, the filesystem for local URLs.

HTTP error statuses are returned, not raised: retries and their policy are ``micropip.index.http``'s.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import TransportError
from .js_modules import js_module, loaded
from .response import IN_PYODIDE, JsBytes, Response, js_to_bytes, origin
from .runtime import in_node, page_origin, resolve_url


def is_local(url: str) -> bool:
    """``emfs:``/``file:`` URLs and plain paths are read from a file system, not fetched.

    ``emfs:`` is Pyodide's own (virtual) file system; ``file:`` in Pyodide is the native
    one (Node's disk), on the host CPython's.
    """
    import urllib.parse  # here, not at import: a returning visitor's kept code serves it by then
    scheme = urllib.parse.urlsplit(url).scheme
    return scheme in ("emfs", "file", "") or (len(scheme) == 1 and not IN_PYODIDE)  # C:\ on Windows


def local_path(url: str) -> Path:
    import urllib.parse
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("emfs", "file"):
        return Path(urllib.parse.unquote(parts.path if parts.path else parts.netloc))
    return Path(url)


async def local_file_exists(url: str) -> bool:
    """Whether a local URL (``is_local``) names a file where ``fetch`` would read it.

    Pyodide's file system first; in Node an absolute plain path, or ``file:``, is also
    looked up on the host disk (read there: Pyodide offers no cheaper question).
    """
    import urllib.parse

    url = resolve_url(url)
    if IN_PYODIDE and urllib.parse.urlsplit(url).scheme == "file":
        if not in_node():
            return True  # fetch says why a browser cannot read it
        return (await _read_node_file(url, urllib.parse.unquote(urllib.parse.urlsplit(url).path))).status != 404
    path = local_path(url)
    if path.is_file():
        return True
    if IN_PYODIDE and in_node() and path.is_absolute() and not url.startswith("emfs:"):
        return (await _read_node_file(url, str(path))).status != 404
    return False


def may_send_validators(url: str) -> bool:
    """Whether a request of ours may carry ``If-None-Match``/``If-Modified-Since``.

    Everywhere but a browser page asking another origin: there those headers are not
    CORS-safelisted, so they would cost a preflight (or fail on a server that refuses it);
    the browser's own HTTP cache revalidates such a page instead.
    """
    if not IN_PYODIDE or in_node():
        return True
    page = page_origin()
    return page is not None and origin(page) == origin(url)


async def fetch(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    credentials: str | None = None,
    timeout: float | None = None,
    keep_in_js: bool = False,
    sent: Callable[[], object] | None = None,
) -> Response:
    """GET ``url``. HTTP error statuses are returned, not raised; network failures raise.

    ``credentials`` is the browser's fetch credentials mode ("include", "same-origin",
    "omit"): the browser attaches its own cookies or HTTP auth for each origin it
    talks to, so nothing given for one origin follows a redirect to another. The
    host transport has no credential store and ignores it; credential headers a
    caller passes are dropped when a redirect leaves the origin.

    ``keep_in_js``: in Pyodide, a successful body stays in JS memory (``Response.js_body``,
    hashed natively) instead of being copied into Python; elsewhere it is ignored.

    ``sent()`` is called once the request is on its way (in a page: handed to ``fetch``), so
    a caller can hold CPU work back until then: the request goes out at the next turn of
    the JavaScript event loop, not when the work is over.
    """
    import urllib.parse
    if timeout is None:
        from . import DEFAULT_TIMEOUT  # read at call time: tests and slow networks change it

        timeout = DEFAULT_TIMEOUT
    url = resolve_url(url)
    if IN_PYODIDE and urllib.parse.urlsplit(url).scheme == "file":
        return await _fetch_native_file(url)
    if is_local(url):
        path = local_path(url)
        try:
            body = await asyncio.to_thread(path.read_bytes) if not IN_PYODIDE else path.read_bytes()
        except FileNotFoundError:
            if IN_PYODIDE and in_node() and path.is_absolute() and not url.startswith("emfs:"):
                return await _read_node_file(url, str(path))
            return Response(url, 404)
        except OSError as exc:
            raise TransportError(f"cannot read {path}: {exc}", url=url) from exc
        return Response(url, 200, {}, body)
    if IN_PYODIDE:
        return await _fetch_browser(url, headers or {}, credentials, timeout, keep_in_js, sent)
    from .host import fetch_host

    if sent is not None:
        sent()
    return await asyncio.to_thread(fetch_host, url, dict(headers or {}), timeout)


def receiving() -> bool:
    """Whether a response body is arriving now (in Pyodide; elsewhere False): each of its
    pieces is read on a turn of the JavaScript event loop, so CPU work yields more often."""
    module = loaded("requests") if IN_PYODIDE else None
    return bool(module is not None and module.receiving())


async def _fetch_native_file(url: str) -> Response:
    """``file:`` in Pyodide means the native file system, as in Pyodide's micropip: Node's disk.

    A relative ``file:`` path is relative to Node's working directory. A browser has no
    native file system a page may read, so there ``file:`` is refused with what to use instead.
    """
    import urllib.parse
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(parts.path)
    if not in_node():
        raise TransportError(
            f"cannot read {url}: file: URLs name the native file system, which only Pyodide in Node.js can read; "
            "in a browser serve the file over https: or put it in Pyodide's file system and use an emfs: path",
            url=url,
        )
    return await _read_node_file(url, path)


async def _read_node_file(url: str, path: str) -> Response:
    """Pyodide in Node keeps its lockfile's wheels on the host disk, outside the wasm FS."""
    import pyodide_js  # type: ignore[import-not-found]

    try:
        data = await pyodide_js._api.loadBinaryFile(path)
    except Exception as exc:
        if "ENOENT" in str(exc) or "no such file" in str(exc).lower():
            return Response(url, 404)
        raise TransportError(f"cannot read {path}: {exc}", url=url) from exc
    return Response(url, 200, {}, js_to_bytes(data, f"{path}", url))


async def _fetch_browser(
    url: str, headers: Mapping[str, str], credentials: str | None, timeout: float, keep_in_js: bool = False,
    sent: Callable[[], object] | None = None,
) -> Response:
    """One request through the JS ``fetch``, in a single round trip to JS (``requests.mjs``).

    The timeout runs in JS, per phase (headers, then body); a cancelled task aborts the request.
    """
    import js  # type: ignore[import-not-found]

    native = await js_module("requests")
    reader = None
    if keep_in_js and in_node() and url.split("?", 1)[0].split("#", 1)[0].endswith(".whl"):
        # A wheel: inflated a member at a time while it downloads (``unpack.mjs``'s BodyReader).
        reader = (await js_module("unpack")).bodyReader()
    controller = js.AbortController.new()
    try:
        pending = native.request(
            url, json.dumps(dict(headers)), credentials or "", timeout * 1000, keep_in_js, controller, reader
        )
        if sent is not None:
            sent()
        answer = await pending
    except Exception as exc:  # a JS exception outside the request's own error handling
        controller.abort()
        raise TransportError(f"could not fetch {url}: {type(exc).__name__}: {exc}", url=url) from exc
    except BaseException:
        controller.abort()  # cancelled (or interrupted): the request must not go on
        raise
    if not answer.ok:
        phase, reason = str(answer.phase), str(answer.error)
        if getattr(answer, "invalid", False):
            raise TransportError(f"cannot fetch {url}: {reason}", url=url, permanent=True)
        if answer.timedOut:
            raise TransportError(f"timed out after {timeout:g} s {phase} {url}", url=url)
        if phase == "reading the body of":  # the connection closed early: undici's "terminated"
            declared = str(answer.declared or "")
            announced = f" of the announced {declared} bytes" if declared else ""
            raise TransportError(
                f"truncated download: the connection to {url} closed before all{announced} arrived ({reason})", url=url
            )
        if in_node():
            raise TransportError(f"could not fetch {url}: {reason} (offline, or a wrong URL?)", url=url)
        raise TransportError(
            f"could not fetch {url}: {reason}. A likely cause is CORS: a server on another origin than this page "
            "must answer with an Access-Control-Allow-Origin header that allows it; otherwise the browser is "
            "offline or the URL is wrong",
            url=url,
        )
    resp_headers = json.loads(answer.headers)
    status, final_url = int(answer.status), str(answer.url or url)
    length = int(answer.body.length)
    declared = resp_headers.get("content-length")
    # Content-Length counts the bytes on the wire: a compressed page decodes to more, and a
    # cross-origin answer hides Content-Encoding from us. Only fewer bytes than announced
    # mean the body was cut short (a cut compressed body already fails to decode in fetch).
    if declared and declared.isdigit() and length < int(declared):
        raise TransportError(f"truncated download: {url} sent {length} bytes but announced {declared}", url=url)
    if answer.digest is not None:  # kept in JS, hashed there
        return Response(final_url, status, resp_headers, b"", js_body=JsBytes(answer.body, length, str(answer.digest)))
    return Response(final_url, status, resp_headers, js_to_bytes(answer.body, f"the {length:,}-byte body of {url}", url))
