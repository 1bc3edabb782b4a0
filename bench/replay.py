"""A recorded slice of PyPI, served back on loopback over a shaped link.

The recording (``.cache/bench/recording/``, never committed) holds PyPI's PEP 691 JSON
pages, PEP 658 ``.metadata`` files and wheels exactly as PyPI sent them, and a manifest
(``manifest.json``) naming every upstream URL with its sha256. ``ReplayServer`` answers:

* ``/simple/<name>/`` the recorded page of ``https://pypi.org/simple/<name>/``, with one
  change: ``https://files.pythonhosted.org/`` becomes this server's ``/files/``. A name
  that is not normalized (or a missing trailing slash) gets a 301 to the normalized URL,
  as PyPI answers it.
* ``/files/<path>`` the recorded ``https://files.pythonhosted.org/<path>``.
* ``/static/<mount>/...`` plain folders (the micropip bundles for the browser bootstrap).

PEP 658: the gateway this machine reaches PyPI through serves pages without the
``core-metadata`` keys (its JSON API says ``"core-metadata": false`` for every file), while
pypi.org advertises a metadata file for every wheel (backfilled in 2024), and
files.pythonhosted.org does serve them here. So by default (``pep658=True``) each wheel of
a page gets ``core-metadata`` and ``data-dist-info-metadata``: ``{"sha256": ...}`` of the
recorded ``.metadata`` file, ``true`` when that file is not recorded (asking for it is then
a miss), nothing when PyPI answered 404 for it. ``pep658=False`` serves the pages as the
gateway sent them (then both micropips read metadata from whole wheels).

Anything else is a 404 and, when it is not a recorded 404 of PyPI, a *miss*, counted in
``stats`` so a benchmark run that left the recording is visible. With ``upstream=True``
(the recorder) a miss is fetched from PyPI, stored, then served.

Shaping: ``latency_s`` before every answer (a request's round trip) and ``bytes_per_s``
per connection for bodies (``shared_link=True``: one budget for all connections, like one
access link). Text bodies are gzip-compressed when the client accepts it, as PyPI's CDN
does; wheels never are.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import socketserver
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit
import zipfile

PYPI_SIMPLE = "https://pypi.org/simple/"
PYPI_FILES = "https://files.pythonhosted.org/"
JSON_ACCEPT = "application/vnd.pypi.simple.v1+json"
RECORDING = Path(__file__).resolve().parent.parent / ".cache" / "bench" / "recording"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Recording:
    """The stored answers of PyPI, keyed by upstream URL; thread-safe for the recorder."""

    def __init__(self, root: Path = RECORDING) -> None:
        self.root = root
        self.manifest_path = root / "manifest.json"
        self.entries: dict[str, dict] = {}
        self.info: dict = {}
        self._lock = threading.Lock()
        self._dirty = 0
        if self.manifest_path.is_file():
            data = json.loads(self.manifest_path.read_text())
            self.entries, self.info = data["entries"], data.get("info", {})

    @staticmethod
    def local_path(url: str) -> str:
        """Where an upstream URL's body lives, relative to the recording folder."""
        if url.startswith(PYPI_SIMPLE):
            return f"pages/{url[len(PYPI_SIMPLE):].strip('/')}.json"
        if url.startswith(PYPI_FILES):
            return "files/" + unquote(url[len(PYPI_FILES):])
        raise ValueError(f"not a PyPI URL: {url}")

    def get(self, url: str) -> dict | None:
        return self.entries.get(url)

    def body(self, entry: dict) -> bytes:
        return (self.root / entry["file"]).read_bytes()

    def put(self, url: str, status: int, content_type: str, body: bytes, synthesized: str | None = None) -> dict:
        entry = {"status": status, "content_type": content_type, "size": len(body), "sha256": sha256_bytes(body),
                 "file": self.local_path(url) if status == 200 else None, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if synthesized:
            entry["synthesized"] = synthesized
        if status == 200:
            path = self.root / entry["file"]
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(body)
            tmp.replace(path)
        with self._lock:
            self.entries[url] = entry
            self._dirty += 1
            if self._dirty >= 50:
                self._save_locked()
        return entry

    def save(self, **info) -> None:
        with self._lock:
            self.info.update(info)
            self._save_locked()

    def _save_locked(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(".part")
        tmp.write_text(json.dumps({"format": 1, "info": self.info, "entries": dict(sorted(self.entries.items()))}, indent=0))
        tmp.replace(self.manifest_path)
        self._dirty = 0

    def verify(self) -> list[str]:
        """URLs whose stored body is missing or does not match its sha256."""
        bad = []
        for url, entry in self.entries.items():
            if entry["status"] != 200:
                continue
            path = self.root / entry["file"]
            if not path.is_file() or path.stat().st_size != entry["size"] or sha256_bytes(path.read_bytes()) != entry["sha256"]:
                bad.append(url)
        return bad


def fetch_upstream(url: str, timeout: float = 60.0, tries: int = 3) -> tuple[int, str, bytes]:
    """(status, content type, body) of ``url`` on PyPI; 404/410 are answers, other errors retried."""
    headers = {"Accept": JSON_ACCEPT, "User-Agent": "micropip-bench-recorder"} if url.startswith(PYPI_SIMPLE) else {
        "User-Agent": "micropip-bench-recorder"}
    for attempt in range(tries):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return exc.code, exc.headers.get("Content-Type", ""), exc.read()
            if attempt == tries - 1:
                raise
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            if attempt == tries - 1:
                raise
        time.sleep(1 + attempt)
    raise AssertionError("unreachable")


class _RangeFile(io.RawIOBase):
    """A remote file read with HTTP range requests, in blocks (enough for ``zipfile``)."""

    BLOCK = 256 * 1024

    def __init__(self, url: str) -> None:
        self.url, self.pos, self.blocks, self.requests = url, 0, {}, 0
        data, total = self._get(f"bytes=-{self.BLOCK}")
        self.size = total
        self._store(total - len(data), data)

    def _get(self, byte_range: str) -> tuple[bytes, int]:
        request = urllib.request.Request(self.url, headers={"Range": byte_range, "User-Agent": "micropip-bench-recorder"})
        for attempt in range(3):
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    self.requests += 1
                    data = response.read()
                    if response.status != 206:
                        return data, len(data)
                    return data, int(response.headers["Content-Range"].rsplit("/", 1)[1])
            except (urllib.error.URLError, TimeoutError, ConnectionError):
                if attempt == 2:
                    raise
                time.sleep(1 + attempt)
        raise AssertionError("unreachable")

    def _store(self, start: int, data: bytes) -> None:
        self.blocks[start] = data

    def _read_at(self, pos: int, n: int) -> bytes:
        for start, data in self.blocks.items():
            if start <= pos and pos + n <= start + len(data):
                return data[pos - start:pos - start + n]
        end = min(self.size, max(pos + n, pos + self.BLOCK)) - 1
        data, _ = self._get(f"bytes={pos}-{end}")
        self.blocks[pos] = data
        return data[:n]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.pos + offset if whence == 1 else self.size + offset
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        if n <= 0:
            return b""
        data = self._read_at(self.pos, n)
        self.pos += len(data)
        return data


def metadata_from_wheel(wheel_url: str) -> tuple[bytes, int]:
    """The ``*.dist-info/METADATA`` member of a remote wheel, as PyPI's PEP 658 backfill
    extracted it, read with range requests (returns the bytes and the requests made)."""
    remote = _RangeFile(wheel_url)
    with zipfile.ZipFile(remote) as zf:
        names = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise ValueError(f"{wheel_url}: {len(names)} .dist-info/METADATA members")
        return zf.read(names[0]), remote.requests


@dataclass
class Stats:
    """What the clients asked for since the last ``reset``."""

    requests: int = 0
    bytes_sent: int = 0
    misses: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # upstream mode: fetched from PyPI and stored
    paths: list[str] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)  # time.monotonic() of each request, beside ``paths``
    not_modified: int = 0  # 304 answers (``caching_headers``)

    def snapshot(self) -> dict:
        return {"requests": self.requests, "bytes_sent": self.bytes_sent, "misses": list(self.misses),
                "recorded": len(self.recorded), "not_modified": self.not_modified}


class _Link:
    """One sending budget shared by every connection (``shared_link``)."""

    def __init__(self, rate: float) -> None:
        self.rate, self.free_at, self.lock = rate, 0.0, threading.Lock()

    def reserve(self, n: int) -> float:
        with self.lock:
            now = time.monotonic()
            self.free_at = max(self.free_at, now) + n / self.rate
            return self.free_at


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # http.server's 5 stalls a burst of parallel fetches on SYN retransmits
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        # A client that drops a connection (a cancelled fetch) is normal here; anything else is logged.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, TimeoutError)):
            super().handle_error(request, client_address)

    def server_bind(self) -> None:  # skip the reverse DNS lookup of HTTPServer.server_bind
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class ReplayServer:
    """Serve a ``Recording`` on 127.0.0.1 (see the module docstring)."""

    def __init__(self, recording: Recording, *, latency_s: float = 0.0, bytes_per_s: float = 0.0,
                 shared_link: bool = False, upstream: bool = False, static: dict[str, Path] | None = None,
                 pep658: bool = True, gzip_text: bool = True, caching_headers: bool = False) -> None:
        self.recording = recording
        # PyPI's own caching headers (the gateway strips them): pages ``max-age=600`` with an
        # ETag (a matching If-None-Match gets 304), files ``max-age=365000000, immutable``.
        self.caching_headers = caching_headers
        self.gzip_text = gzip_text
        self.pep658 = pep658
        self._pages: dict[str, bytes] = {}
        self.latency_s, self.bytes_per_s = latency_s, bytes_per_s
        self.link = _Link(bytes_per_s) if shared_link and bytes_per_s else None
        self.upstream = upstream
        self.static = {k.strip("/"): Path(v) for k, v in (static or {}).items()}
        self.stats = Stats()
        self._stats_lock = threading.Lock()
        self._gz: dict[str, bytes] = {}
        self._fetching: dict[str, threading.Lock] = {}
        self._fetch_lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _make_handler(self))
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.simple_url = self.url + "simple/"
        self.files_prefix = (self.url + "files/").encode()
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replay", daemon=True)
        self._thread.start()

    def shape(self, latency_s: float, bytes_per_s: float, shared_link: bool = False) -> None:
        self.latency_s, self.bytes_per_s = latency_s, bytes_per_s
        self.link = _Link(bytes_per_s) if shared_link and bytes_per_s else None

    def wait_quiet(self, quiet_s: float = 0.5, limit_s: float = 15.0) -> int:
        """Wait until no request has arrived for ``quiet_s`` (at most ``limit_s``); returns how
        many arrived meanwhile. A dropped interpreter's abandoned downloads (the reference
        micropip does not abort them after a failed install) otherwise land in the next run."""
        start = time.monotonic()
        while True:
            with self._stats_lock:
                arrivals = list(self.stats.arrivals)
            last = arrivals[-1] if arrivals else start
            now = time.monotonic()
            if now - max(last, start) >= quiet_s or now - start >= limit_s:
                return len(arrivals)
            time.sleep(0.05)

    def reset_stats(self) -> Stats:
        with self._stats_lock:
            old, self.stats = self.stats, Stats()
        return old

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---- answering ----------------------------------------------------------------------

    def lookup(self, url: str) -> dict | None:
        entry = self.recording.get(url)
        if entry is None and self.upstream:
            with self._fetch_lock:
                lock = self._fetching.setdefault(url, threading.Lock())
            with lock:
                entry = self.recording.get(url)
                if entry is None:
                    try:
                        status, ctype, body = fetch_upstream(url)
                    except Exception as exc:  # noqa: BLE001 - the client sees a 502 and the log says why
                        print(f"[replay] upstream {url}: {exc!r}", file=sys.stderr, flush=True)
                        return None
                    synthesized = None
                    if status == 404 and url.endswith(".whl.metadata"):
                        # pypi.org has this file (backfilled); the gateway's mirror may not
                        try:
                            body, n = metadata_from_wheel(url[: -len(".metadata")])
                            status, ctype = 200, "application/octet-stream"
                            synthesized = f"METADATA of the wheel, read with {n} range requests (the gateway answered 404)"
                        except Exception as exc:  # noqa: BLE001 - recorded as PyPI's 404
                            print(f"[replay] no metadata for {url}: {exc!r}", file=sys.stderr, flush=True)
                    entry = self.recording.put(url, status, ctype, body, synthesized=synthesized)
                    with self._stats_lock:
                        self.stats.recorded.append(url)
        return entry

    def page_body(self, url: str, entry: dict) -> bytes:
        body = self._pages.get(url)
        if body is None:
            body = self.recording.body(entry)
            if self.pep658:
                body = self.with_core_metadata(body)
            body = body.replace(PYPI_FILES.encode(), self.files_prefix)
            if not self.upstream:  # while recording, advertised hashes may still change
                self._pages[url] = body
        return body

    def with_core_metadata(self, body: bytes) -> bytes:
        """The page as pypi.org serves it: PEP 658/714 keys on every wheel (see ``pep658``)."""
        page = json.loads(body)
        for f in page.get("files", []):
            if not f["filename"].endswith(".whl") or f.get("core-metadata"):
                continue
            meta = self.recording.get(f["url"] + ".metadata")
            if meta is not None and meta["status"] != 200:
                continue  # PyPI has no metadata file for this wheel: do not advertise one
            value = {"sha256": meta["sha256"]} if meta is not None else True
            f["core-metadata"] = f["data-dist-info-metadata"] = value
        return json.dumps(page, separators=(",", ":")).encode()

    def compressed_size(self, key: str) -> int | None:
        """Bytes of the gzip-compressed answer for ``key`` once one was sent (else None)."""
        data = self._gz.get(key)
        return len(data) if data is not None else None

    def gzipped(self, key: str, body: bytes) -> bytes:
        data = self._gz.get(key)
        if data is None:
            data = self._gz[key] = gzip.compress(body, 6)
        return data


def _make_handler(server: ReplayServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "replay"
        disable_nagle_algorithm = True
        timeout = 120

        def log_message(self, format, *args):  # noqa: A002 - quiet
            pass

        def do_OPTIONS(self) -> None:
            self._delay()
            self._send(204, "text/plain", b"", head_only=True)

        def do_HEAD(self) -> None:
            self._answer(head_only=True)

        def do_GET(self) -> None:
            self._answer(head_only=False)

        def _delay(self) -> None:
            with server._stats_lock:
                server.stats.requests += 1
                server.stats.paths.append(self.path)
                server.stats.arrivals.append(time.monotonic())
            if server.latency_s:
                time.sleep(server.latency_s)

        def _answer(self, head_only: bool) -> None:
            self._delay()
            path = re.sub(r"/{2,}", "/", urlsplit(self.path).path)
            try:
                if path.startswith("/simple/"):
                    self._simple(path[len("/simple/"):], head_only)
                elif path.startswith("/files/"):
                    self._file(PYPI_FILES + path[len("/files/"):], head_only)
                elif path.startswith("/static/"):
                    self._static(path[len("/static/"):], head_only)
                else:
                    self._miss(self.path, head_only)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _simple(self, rest: str, head_only: bool) -> None:
            name = rest.rstrip("/")
            if not name or "/" in name:
                return self._miss(self.path, head_only)
            canonical = normalize(unquote(name))
            if rest != canonical + "/":  # PyPI's answer to a name that is not normalized
                return self._send(301, "text/plain", b"", head_only, [("Location", f"/simple/{canonical}/")])
            url = f"{PYPI_SIMPLE}{canonical}/"
            entry = server.lookup(url)
            if entry is None:
                return self._miss(url, head_only)
            if entry["status"] != 200:
                return self._send(entry["status"], "text/plain", b"Not Found", head_only)
            body = server.page_body(url, entry)
            headers = []
            if server.caching_headers:
                etag = '"' + sha256_bytes(body)[:24] + '"'
                headers = [("Cache-Control", "max-age=600, public"), ("ETag", etag)]
                if self.headers.get("If-None-Match") == etag:
                    with server._stats_lock:
                        server.stats.not_modified += 1
                    return self._send(304, entry["content_type"] or JSON_ACCEPT, b"", True, headers)
            self._send(200, entry["content_type"] or JSON_ACCEPT, body, head_only, headers, gzip_key=url)

        def _file(self, url: str, head_only: bool) -> None:
            entry = server.lookup(url)
            if entry is None:
                return self._miss(url, head_only)
            if entry["status"] != 200:
                return self._send(entry["status"], "text/plain", b"Not Found", head_only)
            body = server.recording.body(entry)
            ctype = entry["content_type"] or "application/octet-stream"
            text = url.endswith(".metadata")
            headers = [("Cache-Control", "max-age=365000000, immutable, public")] if server.caching_headers else []
            self._send(200, ctype, body, head_only, headers, gzip_key=url if text else None)

        def _static(self, rest: str, head_only: bool) -> None:
            mount, _, sub = rest.partition("/")
            folder = server.static.get(mount)
            target = (folder / unquote(sub)).resolve() if folder else None
            if not folder or not target.is_file() or folder.resolve() not in target.parents:
                return self._miss(self.path, head_only)
            ctype = "application/json" if target.suffix == ".json" else "application/octet-stream"
            # A CDN's versioned release files (Pyodide's own on jsDelivr): a year.
            headers = [("Cache-Control", "max-age=31536000, public")] if server.caching_headers else []
            self._send(200, ctype, target.read_bytes(), head_only, headers)

        def _miss(self, what: str, head_only: bool) -> None:
            with server._stats_lock:
                server.stats.misses.append(what)
            self._send(404, "text/plain", b"not in the recording", head_only)

        def _send(self, status: int, ctype: str, body: bytes, head_only: bool, headers=(), gzip_key: str | None = None) -> None:
            encoding = None
            if gzip_key and body and server.gzip_text and "gzip" in self.headers.get("Accept-Encoding", ""):
                body, encoding = server.gzipped(gzip_key, body), "gzip"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "*")
            self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
            if encoding:
                self.send_header("Content-Encoding", encoding)
                self.send_header("Vary", "Accept-Encoding")
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            if head_only or not body:
                return
            self._write(body)
            with server._stats_lock:
                server.stats.bytes_sent += len(body)

        def _write(self, body: bytes) -> None:
            rate, link = server.bytes_per_s, server.link
            view = memoryview(body)
            if not rate:
                self.wfile.write(view)
                return
            chunk = 16 * 1024
            start_t = time.monotonic()
            for start in range(0, len(view), chunk):
                part = view[start:start + chunk]
                if link is not None:
                    wait = link.reserve(len(part)) - time.monotonic()
                else:
                    wait = start_t + (start + len(part)) / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self.wfile.write(part)

    return Handler

