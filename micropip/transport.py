"""The one module that talks to the browser (``js``, ``pyodide``).

Everything else in micropip calls these functions, so it runs unchanged on
host CPython, where a standard-library transport takes over.
"""

from __future__ import annotations

import asyncio
import sys
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import TransportError

IN_PYODIDE = sys.platform == "emscripten"
# Seconds per request (headers and body each); read at call time, so tests and
# slow networks can change it: ``micropip.transport.DEFAULT_TIMEOUT = 5``.
DEFAULT_TIMEOUT = 60.0
# Sent by a caller only for the URL it was given for; dropped when a redirect leaves that origin.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


@dataclass
class Response:
    url: str  # final URL after redirects
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    attempts: int = 1  # how many requests it took (http.get retries transient failures)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def is_local(url: str) -> bool:
    """``emfs:``/``file:`` URLs and plain paths are read from the filesystem."""
    scheme = urllib.parse.urlsplit(url).scheme
    return scheme in ("emfs", "file", "") or (len(scheme) == 1 and not IN_PYODIDE)  # C:\ on Windows


def local_path(url: str) -> Path:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("emfs", "file"):
        return Path(urllib.parse.unquote(parts.path if parts.path else parts.netloc))
    return Path(url)


async def fetch(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    credentials: str | None = None,
    timeout: float | None = None,
) -> Response:
    """GET ``url``. HTTP error statuses are returned, not raised; network failures raise.

    ``credentials`` is the browser's fetch credentials mode ("include", "same-origin",
    "omit"): the browser attaches its own cookies or HTTP auth for each origin it
    talks to, so nothing given for one origin follows a redirect to another. The
    host transport has no credential store and ignores it; credential headers a
    caller passes are dropped when a redirect leaves the origin.
    """
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    url = resolve_url(url)
    if is_local(url):
        path = local_path(url)
        try:
            body = await asyncio.to_thread(path.read_bytes) if not IN_PYODIDE else path.read_bytes()
        except FileNotFoundError:
            if IN_PYODIDE and _in_node() and path.is_absolute() and not url.startswith("emfs:"):
                return await _read_node_file(url, str(path))
            return Response(url, 404)
        except OSError as exc:
            raise TransportError(f"cannot read {path}: {exc}", url=url) from exc
        return Response(url, 200, {}, body)
    if IN_PYODIDE:
        return await _fetch_browser(url, headers or {}, credentials, timeout)
    from .host_transport import fetch_host

    return await asyncio.to_thread(fetch_host, url, dict(headers or {}), timeout)


def _in_node() -> bool:
    import js  # type: ignore[import-not-found]

    return hasattr(js, "process") and hasattr(js.process, "versions") and bool(getattr(js.process.versions, "node", None))


def resolve_url(url: str) -> str:
    """A scheme-less URL in a browser page is relative to the page, as fetch() would do."""
    if not IN_PYODIDE or urllib.parse.urlsplit(url).scheme:
        return url
    import js  # type: ignore[import-not-found]

    location = getattr(js, "location", None)
    if location is None or _in_node():
        return url  # Node: a path in the filesystem
    return urllib.parse.urljoin(str(location.href), url)


def page_origin() -> str | None:
    """The origin of the page Pyodide runs in; None on the host and in Node."""
    if not IN_PYODIDE:
        return None
    import js  # type: ignore[import-not-found]

    location = getattr(js, "location", None)
    if location is None or _in_node():
        return None
    return str(location.origin)


async def _read_node_file(url: str, path: str) -> Response:
    """Pyodide in Node keeps its lockfile's wheels on the host disk, outside the wasm FS."""
    import pyodide_js  # type: ignore[import-not-found]

    try:
        data = await pyodide_js._api.loadBinaryFile(path)
    except Exception as exc:
        if "ENOENT" in str(exc) or "no such file" in str(exc).lower():
            return Response(url, 404)
        raise TransportError(f"cannot read {path}: {exc}", url=url) from exc
    return Response(url, 200, {}, data.to_bytes())


async def _fetch_browser(url: str, headers: Mapping[str, str], credentials: str | None, timeout: float) -> Response:
    from pyodide.http import pyfetch  # type: ignore[import-not-found]

    kwargs: dict = {"headers": dict(headers)}
    if credentials:
        kwargs["credentials"] = credentials
    # pyfetch aborts the JS request when its task is cancelled (by wait_for or by the caller).
    try:
        resp = await asyncio.wait_for(pyfetch(url, **kwargs), timeout)
    except asyncio.TimeoutError as exc:
        raise TransportError(f"timed out after {timeout:g} s waiting for {url}", url=url) from exc
    except Exception as exc:  # a JS TypeError("Failed to fetch") and friends
        raise TransportError(f"could not fetch {url}: {_describe(exc)} (offline, blocked by CORS, or wrong URL?)", url=url) from exc
    resp_headers = {k.lower(): v for k, v in dict(resp.headers).items()}
    declared = resp_headers.get("content-length")
    try:
        body = await asyncio.wait_for(resp.bytes(), timeout)
    except asyncio.TimeoutError as exc:
        raise TransportError(f"timed out after {timeout:g} s reading the body of {url}", url=url) from exc
    except Exception as exc:  # the connection closed early: undici's "terminated"
        announced = f" of the announced {declared} bytes" if declared else ""
        raise TransportError(
            f"truncated download: the connection to {url} closed before all{announced} arrived ({_describe(exc)})",
            url=url,
        ) from exc
    if declared and declared.isdigit() and "content-encoding" not in resp_headers and int(declared) != len(body):
        raise TransportError(f"truncated download: {url} sent {len(body)} bytes but announced {declared}", url=url)
    return Response(resp.url or url, resp.status, resp_headers, body)


def _describe(exc: BaseException) -> str:
    """A readable reason; prefers the JavaScript error underneath (pyodide's AbortError can fail to build)."""
    seen = exc
    for _ in range(5):
        if type(seen).__name__ == "JsException" or seen.__context__ is None:
            break
        seen = seen.__context__
    if type(seen).__name__ == "JsException":
        return str(seen)  # already "TypeError: terminated"
    try:
        text = str(exc)
    except Exception:
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in, as browsers compare origins."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


async def load_shared_libraries(paths: list[str]) -> None:
    """Load an emscripten wheel's ``.so`` files so ``import`` works on a browser main thread.

    Browsers refuse to compile large wasm modules synchronously, which is what
    a plain ``import`` of an extension would do; loading them first avoids that.
    Plain libraries go before extension modules, which may link against them.
    """
    if not IN_PYODIDE or not paths:
        return
    import pyodide_js  # type: ignore[import-not-found]

    ordered = sorted(paths, key=lambda p: (".cpython-" in p or ".abi3." in p, p))
    for path in ordered:
        await pyodide_js._api.loadDynlib(path)


def pyodide_lockfile() -> tuple[dict, str] | None:
    """The running Pyodide's lockfile (as a dict) and the base URL of its packages."""
    if not IN_PYODIDE:
        return None
    import pyodide_js  # type: ignore[import-not-found]

    api = pyodide_js._api
    lock = api.lockfile.to_py() if hasattr(api.lockfile, "to_py") else None
    if lock is None:
        return None
    base = str(getattr(pyodide_js, "lockfileBaseUrl", "") or "")
    return lock, base


def forget_loaded_packages(names: list[str]) -> None:
    """Tell Pyodide's loader that uninstalled packages are gone, so loadPackage can load them again."""
    if not IN_PYODIDE:
        return
    import pyodide_js  # type: ignore[import-not-found]

    loaded = pyodide_js.loadedPackages
    for name in names:
        try:
            if hasattr(loaded, name):
                delattr(loaded, name)
        except Exception:  # a read-only view in some releases: nothing to forget
            pass
