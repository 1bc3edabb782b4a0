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
from typing import NamedTuple

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
    js_body: JsBytes | None = None  # instead of ``body``, when the caller asked to keep it in JS

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
    keep_in_js: bool = False,
) -> Response:
    """GET ``url``. HTTP error statuses are returned, not raised; network failures raise.

    ``credentials`` is the browser's fetch credentials mode ("include", "same-origin",
    "omit"): the browser attaches its own cookies or HTTP auth for each origin it
    talks to, so nothing given for one origin follows a redirect to another. The
    host transport has no credential store and ignores it; credential headers a
    caller passes are dropped when a redirect leaves the origin.

    ``keep_in_js``: in Pyodide, a successful body stays in JS memory (``Response.js_body``,
    hashed natively) instead of being copied into Python; elsewhere it is ignored.
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
        return await _fetch_browser(url, headers or {}, credentials, timeout, keep_in_js)
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


async def _fetch_browser(
    url: str, headers: Mapping[str, str], credentials: str | None, timeout: float, keep_in_js: bool = False
) -> Response:
    """One request through the JS ``fetch``, in a single round trip to JS (see ``_NATIVE_JS``).

    The timeout runs in JS, per phase (headers, then body); a cancelled task aborts the request.
    """
    import json

    import js  # type: ignore[import-not-found]

    native = await _native()
    controller = js.AbortController.new()
    try:
        answer = await native.request(
            url, json.dumps(dict(headers)), credentials or "", timeout * 1000, keep_in_js, controller
        )
    except BaseException:
        controller.abort()  # cancelled (or interrupted): the request must not go on
        raise
    if not answer.ok:
        phase, reason = str(answer.phase), str(answer.error)
        if answer.timedOut:
            raise TransportError(f"timed out after {timeout:g} s {phase} {url}", url=url)
        if phase == "reading the body of":  # the connection closed early: undici's "terminated"
            declared = str(answer.declared or "")
            announced = f" of the announced {declared} bytes" if declared else ""
            raise TransportError(
                f"truncated download: the connection to {url} closed before all{announced} arrived ({reason})", url=url
            )
        raise TransportError(f"could not fetch {url}: {reason} (offline, blocked by CORS, or wrong URL?)", url=url)
    resp_headers = json.loads(answer.headers)
    status, final_url = int(answer.status), str(answer.url or url)
    length = int(answer.body.length)
    declared = resp_headers.get("content-length")
    if declared and declared.isdigit() and "content-encoding" not in resp_headers and int(declared) != length:
        raise TransportError(f"truncated download: {url} sent {length} bytes but announced {declared}", url=url)
    if answer.digest is not None:  # kept in JS, hashed there
        return Response(final_url, status, resp_headers, b"", js_body=JsBytes(answer.body, length, str(answer.digest)))
    return Response(final_url, status, resp_headers, answer.body.to_bytes())


class JsBytes:
    """A download kept in JS memory, with the sha256 computed natively when it arrived."""

    def __init__(self, proxy, length: int, sha256: str | None) -> None:
        self.proxy = proxy
        self.length = length
        self._sha256 = sha256

    def __len__(self) -> int:
        return self.length

    def sha256(self) -> str:
        """Hex digest."""
        if self._sha256 is None:
            import hashlib

            self._sha256 = hashlib.sha256(self.to_bytes()).hexdigest()
        return self._sha256

    def to_bytes(self) -> bytes:
        return self.proxy.to_bytes()


def sha256_hex(data: bytes | JsBytes) -> str:
    """The sha256 of downloaded bytes, wherever they are (computed natively for ``JsBytes``)."""
    if isinstance(data, JsBytes):
        return data.sha256()
    import hashlib

    return hashlib.sha256(data).hexdigest()


def as_bytes(data: bytes | JsBytes) -> bytes:
    """Python bytes for code that needs them (the plain Python paths)."""
    return data.to_bytes() if isinstance(data, JsBytes) else data


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


# ---- native helpers: HTTP requests, unpacking ------------------------------------------------
# One request is one round trip to JS (fetch, headers, body, and for wheels the sha256).
# Inflating, hashing and writing thousands of members from wasm is most of an install's
# time; the host JS engine does all three natively (Node: zlib + crypto; browsers:
# DecompressionStream + WebCrypto) and the inflated bytes never enter Python's memory.
# Python still runs every check (paths, sizes, RECORD hashes) on what this returns. The
# central-directory parser is strict: anything unusual (zip64, encryption, another
# compression method, a non-UTF-8 name, overlapping data) answers None and the wheel goes
# down the plain Python path, which reports the precise error.

# Values handed back to Python use undefined for "nothing": Pyodide turns it into None,
# while null becomes pyodide.ffi.jsnull, which is not None.
_NATIVE_JS = r"""
(async () => {
  const isNode = typeof process !== "undefined" && !!(process.versions && process.versions.node);
  const zlib = isNode ? await import("node:zlib") : null;
  const nodeCrypto = isNode ? await import("node:crypto") : null;
  const subtle = !isNode && globalThis.crypto && globalThis.crypto.subtle ? globalThis.crypto.subtle : null;
  const MAX_TOTAL = 2 ** 30, RATIO_MIN = 10 * 1024 * 1024, MAX_RATIO = 200;
  const utf8 = new TextDecoder("utf-8", { fatal: true });

  // Node: synchronous zlib measured faster here than its thread-pool variant (less scheduling);
  // one output chunk of the declared size (up to 1 MiB, so a lying size cannot make it allocate
  // much) saves the chunk joins. Never inflates past the declared size.
  function inflate(raw, size) {
    const chunkSize = Math.min(Math.max(64, size), 1 << 20);
    if (zlib) return zlib.inflateRawSync(raw, { maxOutputLength: Math.max(size, 1), chunkSize });
    return inflateStream(raw, size);
  }

  async function inflateStream(raw, size) {
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

  // RECORD-style: urlsafe base64 without padding, 43 characters.
  async function sha256(buf) {
    if (nodeCrypto) return nodeCrypto.createHash("sha256").update(buf).digest("base64url");
    if (!subtle) return undefined;
    const bytes = new Uint8Array(await subtle.digest("SHA-256", buf));
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function parse(buf) {
    const n = buf.length;
    if (n < 22) return undefined;
    const view = new DataView(buf.buffer, buf.byteOffset, n);
    let eocd = -1;
    for (let i = n - 22; i >= Math.max(0, n - 22 - 0xffff); i--) {
      if (view.getUint32(i, true) === 0x06054b50 && i + 22 + view.getUint16(i + 20, true) === n) { eocd = i; break; }
    }
    if (eocd < 0 || view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) return undefined;
    const count = view.getUint16(eocd + 10, true);
    const cdSize = view.getUint32(eocd + 12, true), cdStart = view.getUint32(eocd + 16, true);
    if (count !== view.getUint16(eocd + 8, true) || count === 0xffff || cdStart + cdSize !== eocd) return undefined;
    const entries = [];
    let p = cdStart, total = 0, dataEnd = 0;
    for (let k = 0; k < count; k++) {
      if (p + 46 > eocd || view.getUint32(p, true) !== 0x02014b50) return undefined;
      const flags = view.getUint16(p + 8, true), method = view.getUint16(p + 10, true);
      const csize = view.getUint32(p + 20, true), size = view.getUint32(p + 24, true);
      const nameLen = view.getUint16(p + 28, true), extraLen = view.getUint16(p + 30, true);
      const commentLen = view.getUint16(p + 32, true);
      const extAttr = view.getUint32(p + 38, true), local = view.getUint32(p + 42, true);
      const next = p + 46 + nameLen + extraLen + commentLen;
      if (next > eocd || (flags & 0x1) || (method !== 0 && method !== 8)) return undefined;
      if (csize === 0xffffffff || size === 0xffffffff || local === 0xffffffff) return undefined;
      if (method === 0 && csize !== size) return undefined;
      const nameBytes = buf.subarray(p + 46, p + 46 + nameLen);
      if (!(flags & 0x800) && nameBytes.some((b) => b >= 0x80)) return undefined;  // cp437: Python decodes
      let name;
      try { name = utf8.decode(nameBytes); } catch { return undefined; }
      if (name.includes("\0")) return undefined;
      if (local + 30 > cdStart || view.getUint32(local, true) !== 0x04034b50) return undefined;
      const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
      if (start + csize > cdStart || local < dataEnd) return undefined;  // overlapping members
      dataEnd = start + csize;
      total += size;
      if (total > MAX_TOTAL || (size > RATIO_MIN && size > MAX_RATIO * csize)) return undefined;
      entries.push({ name, method, csize, size, flags, extAttr, start });
      p = next;
    }
    return p === eocd ? entries : undefined;
  }

  class Archive {
    constructor(FS, entries, outs, digests) {
      this.FS = FS;
      this.entries = entries;
      this.outs = outs;
      this.digests = digests;
    }
    info() {
      return JSON.stringify(this.entries.map((e, i) => [e.name, e.method, e.csize, e.size, e.flags, e.extAttr, this.outs[i].length]));
    }
    read(i) { const b = this.outs[i]; return new Uint8Array(b.buffer, b.byteOffset, b.length); }  // not a Node Buffer
    // spec: JSON [[member index, mode or 0, path], ...]; the folders exist (the journal made them).
    write(spec) {
      for (const [i, mode, path] of JSON.parse(spec)) {
        this.FS.writeFile(path, this.outs[i]);
        if (mode) this.FS.chmod(path, mode);
      }
    }
    release() { this.outs = this.entries = this.digests = null; }
  }

  async function digestHex(buf) {
    const u8 = new Uint8Array(buf);
    if (nodeCrypto) return [u8, nodeCrypto.createHash("sha256").update(u8).digest("hex")];
    if (!subtle) return [u8, undefined];
    const bytes = new Uint8Array(await subtle.digest("SHA-256", u8));
    return [u8, Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")];
  }

  // One HTTP GET: status, final URL, headers (JSON) and body, or why it failed and in which
  // phase. keepInJs: a successful body is also hashed here (it stays in JS memory).
  async function request(url, headers, credentials, timeoutMs, keepInJs, controller) {
    let phase = "waiting for", timedOut = false, declared = undefined;
    const arm = () => setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
    let timer = arm();
    try {
      const init = { headers: JSON.parse(headers), signal: controller.signal };
      if (credentials) init.credentials = credentials;
      const resp = await fetch(url, init);
      clearTimeout(timer);
      phase = "reading the body of";
      declared = resp.headers.get("content-length") ?? undefined;
      timer = arm();
      const body = new Uint8Array(await resp.arrayBuffer());
      clearTimeout(timer);
      const names = {};
      resp.headers.forEach((value, name) => { names[name.toLowerCase()] = value; });
      const digest = keepInJs && resp.ok ? (await digestHex(body))[1] : undefined;
      return { ok: true, status: resp.status, url: resp.url, headers: JSON.stringify(names), body, digest };
    } catch (e) {
      clearTimeout(timer);
      const error = e && e.name ? `${e.name}: ${e.message}` : String(e);
      return { ok: false, timedOut, phase, declared, error };
    }
  }

  async function open(FS, buf) {
    const entries = parse(buf);
    if (!entries) return undefined;
    let outs;
    try {
      outs = await Promise.all(entries.map((e) => {
        if (e.name.endsWith("/")) return new Uint8Array(0);
        const raw = buf.subarray(e.start, e.start + e.csize);
        return e.method === 8 ? inflate(raw, e.size) : raw;
      }));
    } catch {
      return undefined;  // corrupt data or a lying size: the Python path says which member
    }
    const digests = [];
    for (const out of outs) {
      const d = await sha256(out);
      if (d === undefined) return new Archive(FS, entries, outs, undefined);
      digests.push(d);
    }
    return new Archive(FS, entries, outs, digests.join(""));
  }

  return { open, digestHex, request };
})()
"""

_native_js = None


async def _native():
    """The JS helpers above, compiled once per interpreter."""
    global _native_js
    if _native_js is None:
        from pyodide.code import run_js  # type: ignore[import-not-found]

        _native_js = await run_js(_NATIVE_JS)
    return _native_js


class ArchiveEntry(NamedTuple):
    """One central-directory record, with the attribute names of ``zipfile.ZipInfo``.

    A tuple: thousands are made per install, and tuples are the cheapest to build.
    """

    filename: str
    compress_type: int
    compress_size: int
    file_size: int
    flag_bits: int
    external_attr: int

    @property
    def orig_filename(self) -> str:
        return self.filename


class NativeArchive:
    """A wheel's members inflated (and sha256-hashed) in JS memory, written from there.

    Only what Python asks for (``read``) crosses into wasm memory. ``release`` frees the
    JS buffers; the install path calls it once the transaction is over.
    """

    def __init__(self, proxy, entries: list[ArchiveEntry], lengths: list[int], digests: str | None) -> None:
        self._proxy = proxy
        self.entries = entries
        self.lengths = lengths
        self._digests = digests

    def digest(self, index: int) -> str | None:
        """The member's sha256 as RECORD writes it (``sha256=<urlsafe b64>``), if hashed natively."""
        return "sha256=" + self._digests[43 * index : 43 * index + 43] if self._digests else None

    def read(self, index: int) -> bytes:
        if self._proxy is None:
            raise RuntimeError("the native archive was released")
        return self._proxy.read(index).to_bytes()

    def write(self, items: list[tuple[int, int, str]]) -> None:
        """Write members to paths: ``(member index, mode or 0, absolute path)``; folders must exist."""
        if self._proxy is None:
            raise RuntimeError("the native archive was released")
        import json

        self._proxy.write(json.dumps(items))

    def release(self) -> None:
        if self._proxy is not None:
            self._proxy.release()
            self._proxy = None


async def open_archive(data: bytes | JsBytes) -> NativeArchive | None:
    """Inflate and hash a wheel natively; None off the browser, or when the archive is unusual."""
    if not IN_PYODIDE:
        return None
    try:
        import json

        import pyodide_js  # type: ignore[import-not-found]
        from pyodide.ffi import to_js  # type: ignore[import-not-found]

        native = await _native()
        proxy = await native.open(pyodide_js.FS, data.proxy if isinstance(data, JsBytes) else to_js(data))
        if proxy is None:
            return None
        rows = json.loads(proxy.info())
        digests = proxy.digests  # a str, or None
    except Exception:
        return None
    entries = [ArchiveEntry(*row[:6]) for row in rows]
    return NativeArchive(proxy, entries, [row[6] for row in rows], digests)


# ---- persistent wheel cache storage ----
# micropip.wheel_cache keeps verified wheels across interpreters. A fresh Pyodide starts
# with an empty in-memory filesystem, so the bytes live outside it: on the host disk
# through Node's fs, or in the browser's Cache Storage. These functions only move bytes;
# naming, verification, the index and eviction are wheel_cache's business.

_STORE_JS = r"""
(async () => {
  const isNode = typeof process !== "undefined" && !!(process.versions && process.versions.node);
  if (isNode) {
    const fs = await import("node:fs/promises");
    const path = await import("node:path");
    const os = await import("node:os");
    const missing = (e) => e && (e.code === "ENOENT" || e.code === "ENOTDIR");
    return {
      defaultDir() {
        const xdg = process.env.XDG_CACHE_HOME;
        const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache");
        return path.join(base, "pyodide-pm", "wheels");
      },
      async read(dir, name) {
        try {
          const b = await fs.readFile(path.join(dir, name));
          return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
        } catch (e) {
          if (missing(e)) return undefined;
          throw e;
        }
      },
      async write(dir, name, data) {
        await fs.mkdir(dir, { recursive: true });
        const tmp = path.join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
        try {
          await fs.writeFile(tmp, data);
          await fs.rename(tmp, path.join(dir, name));  // atomic: readers see the old file or the new one
        } catch (e) {
          await fs.rm(tmp, { force: true }).catch(() => {});
          throw e;
        }
      },
      async remove(dir, name) { await fs.rm(path.join(dir, name), { force: true }); },
      async list(dir) {
        let names;
        try { names = await fs.readdir(dir); } catch (e) { if (missing(e)) return "[]"; throw e; }
        const rows = [];
        for (const name of names) {
          try {
            const st = await fs.stat(path.join(dir, name));
            if (st.isFile()) rows.push([name, st.size]);
          } catch (e) { if (!missing(e)) throw e; }
        }
        return JSON.stringify(rows);
      },
    };
  }
  if (typeof caches === "undefined" || !caches) return undefined;
  const SIZE = "x-pyodide-pm-size";
  return {
    async read(cacheName, url) {
      const r = await (await caches.open(cacheName)).match(url);
      return r ? new Uint8Array(await r.arrayBuffer()) : undefined;
    },
    async write(cacheName, url, data) {
      const headers = { "content-type": "application/octet-stream", [SIZE]: String(data.length) };
      await (await caches.open(cacheName)).put(url, new Response(data, { headers }));
    },
    async remove(cacheName, url) { await (await caches.open(cacheName)).delete(url); },
    async list(cacheName) {
      if (!(await caches.has(cacheName))) return "[]";
      const cache = await caches.open(cacheName);
      const rows = [];
      for (const req of await cache.keys()) {
        const r = await cache.match(req);
        if (!r) continue;
        const size = r.headers.has(SIZE) ? Number(r.headers.get(SIZE)) : (await r.blob()).size;
        rows.push([req.url, size]);
      }
      return JSON.stringify(rows);
    },
  };
})()
"""

_store = None


def persistent_store_kind() -> str | None:
    """Where a cache that outlives the interpreter can live: "host", "node", "browser" or None.

    None in a page or worker without Cache Storage (an insecure context, some workers).
    """
    if not IN_PYODIDE:
        return "host"
    if _in_node():
        return "node"
    import js  # type: ignore[import-not-found]

    return "browser" if getattr(js, "caches", None) is not None else None


def node_env(name: str) -> str | None:
    """An environment variable of the Node process (Pyodide's ``os.environ`` is its own)."""
    if not IN_PYODIDE or not _in_node():
        return None
    import js  # type: ignore[import-not-found]

    value = getattr(js.process.env, name, None)
    return None if value is None else str(value)


async def _persistent_store():
    global _store
    if _store is None:
        from pyodide.code import run_js  # type: ignore[import-not-found]

        store = await run_js(_STORE_JS)
        if store is None:
            raise OSError("this page has no Cache Storage (an insecure context, or a worker without caches)")
        _store = store
    return _store


async def node_default_cache_dir() -> str:
    """``$XDG_CACHE_HOME/pyodide-pm/wheels`` or ``~/.cache/pyodide-pm/wheels`` of the Node process."""
    return str((await _persistent_store()).defaultDir())


async def store_read(where: str, name: str, *, keep_in_js: bool = False) -> bytes | JsBytes | None:
    """The bytes kept under ``name``; None when absent.

    ``where``/``name`` are a folder on the host disk and a file name in it (Node), or
    a Cache Storage cache and a URL in it (browser). ``keep_in_js``: a ``JsBytes``
    (hashed natively) instead of a copy in Python memory.
    """
    data = await (await _persistent_store()).read(where, name)
    if data is None:
        return None
    if keep_in_js:
        pair = await (await _native()).digestHex(data)
        return JsBytes(pair[0], int(pair[0].length), pair[1])
    return data.to_bytes()


async def store_write(where: str, name: str, data: bytes | JsBytes) -> None:
    """Keep ``data`` under ``name``, replacing it atomically; raises on quota or permission errors."""
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    await (await _persistent_store()).write(where, name, data.proxy if isinstance(data, JsBytes) else to_js(data))


async def store_remove(where: str, name: str) -> None:
    """Delete ``name``; nothing happens when it is absent."""
    await (await _persistent_store()).remove(where, name)


async def store_list(where: str) -> dict[str, int]:
    """Every name kept in ``where``, with its size in bytes."""
    import json

    listed = json.loads(str(await (await _persistent_store()).list(where)))
    return {name: int(size) for name, size in listed}
