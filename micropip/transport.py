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


# ---- native unpacking -----------------------------------------------------------------------
# Inflating and hashing thousands of members in wasm is most of an install's time; the
# host JS engine does both natively (Node: zlib + crypto; browsers: DecompressionStream +
# WebCrypto). Python still runs every check on the results; any failure here just sends
# the wheel down the plain Python path, which reports the precise error.

_UNPACKER_JS = r"""
(async () => {
  const isNode = typeof process !== "undefined" && !!(process.versions && process.versions.node);
  const zlib = isNode ? await import("node:zlib") : null;
  const nodeCrypto = isNode ? await import("node:crypto") : null;
  const subtle = !isNode && globalThis.crypto && globalThis.crypto.subtle ? globalThis.crypto.subtle : null;

  async function inflate(raw, size) {
    if (zlib) return zlib.inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
    const reader = new Blob([raw]).stream().pipeThrough(new DecompressionStream("deflate-raw")).getReader();
    const chunks = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > size) { await reader.cancel(); throw new Error("member inflates past its declared size"); }
      chunks.push(value);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) { out.set(c, at); at += c.length; }
    return out;
  }

  async function sha256(buf) {
    if (nodeCrypto) return nodeCrypto.createHash("sha256").update(buf).digest();
    if (subtle) return new Uint8Array(await subtle.digest("SHA-256", buf));
    return null;
  }

  return async (data, table) => {
    const n = table.length / 4;
    const outs = await Promise.all(Array.from({ length: n }, (_, i) => {
      const [offset, csize, size, deflated] = table.slice(4 * i, 4 * i + 4);
      const raw = data.subarray(offset, offset + csize);
      return deflated ? inflate(raw, size) : raw;
    }));
    const lengths = new Float64Array(n);
    let total = 0;
    outs.forEach((o, i) => { lengths[i] = o.length; total += o.length; });
    const blob = new Uint8Array(total);
    let at = 0;
    outs.forEach((o) => { blob.set(o, at); at += o.length; });
    const digests = await Promise.all(outs.map(sha256));
    const hashed = digests.every((d) => d !== null);
    const digestBlob = new Uint8Array(hashed ? 32 * n : 0);
    if (hashed) digests.forEach((d, i) => digestBlob.set(d, 32 * i));
    return { blob, lengths, digests: digestBlob };
  };
})()
"""

_unpacker = None


async def inflate_members(data: bytes, members: list) -> dict[str, tuple[bytes, bytes | None]] | None:
    """Inflate (and sha256) a wheel's members natively; None off the browser or on any failure.

    ``members`` are ``wheelfile.RawMember`` records; the result maps each path to
    (content, sha256 digest or None) for ``WheelFile.from_bytes(inflated=...)``.
    """
    global _unpacker
    if not IN_PYODIDE or not members:
        return None
    try:
        from pyodide.code import run_js  # type: ignore[import-not-found]
        from pyodide.ffi import to_js  # type: ignore[import-not-found]

        if _unpacker is None:
            _unpacker = await run_js(_UNPACKER_JS)
        table = []
        for m in members:
            table += [m.offset, m.compressed_size, m.size, 1 if m.deflated else 0]
        result = await _unpacker(to_js(data), to_js(table))
        blob = result.blob.to_bytes()
        lengths = result.lengths.to_py()
        digests = result.digests.to_bytes()
    except Exception:
        return None
    out: dict[str, tuple[bytes, bytes | None]] = {}
    at = 0
    for i, m in enumerate(members):
        length = int(lengths[i])
        digest = digests[32 * i : 32 * i + 32] if digests else None
        out[m.path] = (blob[at : at + length], digest)
        at += length
    return out
