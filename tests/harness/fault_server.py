"""A loopback HTTP server whose answers the test programs: faults on demand.

Each path (an ``fnmatch`` pattern) gets a list of ``Reply`` objects; the n-th
request to it gets the n-th reply (the last one repeats); ``upstream()`` in the
list means "what upstream answers". A reply can carry any
status, headers and body, wait before answering, announce more bytes than it
sends (a truncated body), or redirect. Paths without a rule are passed through
to ``upstream`` (e.g. the fixture index), so one wheel can be slowed down while
the rest of the index stays real. Every request is counted and its headers kept,
so tests can check retries, back-off and what a client sent where.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import socketserver
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before the status line
    truncate_to: int | None = None  # send only this many body bytes (Content-Length stays full), then close
    redirect: str | None = None  # Location; the status defaults to 302 when this is set
    passthrough: bool = False  # answer with what upstream says (keeping delay / truncate_to)


def upstream(*, delay: float = 0.0, truncate_to: int | None = None) -> Reply:
    """The upstream server's answer, optionally slowed down or cut short."""
    return Reply(delay=delay, truncate_to=truncate_to, passthrough=True)


def json_reply(data: bytes | str, content_type: str = "application/vnd.pypi.simple.v1+json", **kw) -> Reply:
    return Reply(body=data.encode() if isinstance(data, str) else data, content_type=content_type, **kw)


def html_reply(text: str | bytes, content_type: str = "text/html; charset=utf-8", **kw) -> Reply:
    return Reply(body=text.encode() if isinstance(text, str) else text, content_type=content_type, **kw)


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]  # lower-cased names
    at: float  # time.monotonic()


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: "FaultServer"

    def server_bind(self) -> None:  # skip the reverse DNS lookup HTTPServer does
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        reply = owner._record(path, {k.lower(): v for k, v in self.headers.items()})
        started = time.monotonic()
        try:
            if reply is None or reply.passthrough:
                proxied = owner._proxy(self.path, self.headers.get("Accept"))
                if reply is not None:
                    proxied = dataclasses.replace(proxied, delay=reply.delay, truncate_to=reply.truncate_to)
                reply = proxied
                if owner.page_max_age is not None:
                    reply = owner._with_caching_headers(path, self.headers.get("If-None-Match"), reply)
            if reply.delay and owner._stopping.wait(reply.delay):
                self.close_connection = True
                return
            self._send(reply)
        finally:
            with owner._lock:
                owner.spans.append((path, started, time.monotonic()))

    def do_OPTIONS(self) -> None:
        self._send(Reply(204, content_type=None))

    def _send(self, reply: Reply) -> None:
        status = reply.status if not (reply.redirect and reply.status == 200) else 302
        try:
            self.send_response(status)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "*, Authorization")
            if reply.redirect:
                self.send_header("Location", reply.redirect)
            if reply.content_type and status != 204:
                self.send_header("Content-Type", reply.content_type)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            if status != 204:
                self.send_header("Content-Length", str(len(reply.body)))
            if reply.truncate_to is not None:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            body = reply.body if reply.truncate_to is None else reply.body[: reply.truncate_to]
            if status != 204:
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


class FaultServer:
    """Programmable loopback server; use as a context manager."""

    def __init__(self, *, upstream: str | None = None, host: str = "127.0.0.1") -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self._rules: list[tuple[str, list[Reply]]] = []
        self._served: Counter[str] = Counter()  # per pattern: how many replies were used
        self.hits: Counter[str] = Counter()  # per request path
        self.log: list[Hit] = []
        # PyPI's caching headers on proxied answers when set (``_with_caching_headers``):
        # pages fresh for this many seconds, with an ETag; the pages answered 304 are listed.
        self.page_max_age: int | None = None
        self.not_modified: list[str] = []
        self.spans: list[tuple[str, float, float]] = []  # (path, arrived, answered) of each GET
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.owner = self
        self.host, self.port = self._httpd.server_address[:2]
        self.url = f"http://{self.host}:{self.port}/"
        self.simple_url = self.url + "simple/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fault_server:{self.port}", daemon=True
        )
        self._thread.start()

    # ---- programming -------------------------------------------------------------------

    def route(self, pattern: str, *replies: Reply) -> FaultServer:
        """Answer requests whose path matches ``pattern`` with ``replies`` in turn (the last repeats)."""
        if not replies:
            raise ValueError("route() needs at least one Reply")
        with self._lock:
            self._rules = [(p, r) for p, r in self._rules if p != pattern]
            self._rules.insert(0, (pattern, list(replies)))
            self._served.pop(pattern, None)
        return self

    def count(self, path: str) -> int:
        with self._lock:
            return self.hits[path]

    def requests_to(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.log if h.path == path]

    def most_at_once(self, pattern: str = "*") -> int:
        """The most requests matching ``pattern`` that were being answered at the same moment."""
        with self._lock:
            spans = [(a, b) for p, a, b in self.spans if fnmatch.fnmatchcase(p, pattern)]
        events = sorted([(a, 1) for a, _b in spans] + [(b, -1) for _a, b in spans])  # an end before a start at a tie
        most = now = 0
        for _t, step in events:
            now += step
            most = max(most, now)
        return most

    # ---- serving ----------------------------------------------------------------------

    def _record(self, path: str, headers: dict[str, str]) -> Reply | None:
        with self._lock:
            self.hits[path] += 1
            self.log.append(Hit(path, headers, time.monotonic()))
            # An exact path beats a pattern; among patterns the newest rule wins.
            rules = sorted(self._rules, key=lambda rule: rule[0] != path)
            for pattern, replies in rules:
                if pattern == path or fnmatch.fnmatchcase(path, pattern):
                    n = self._served[pattern]
                    self._served[pattern] = n + 1
                    return replies[min(n, len(replies) - 1)]
        return None

    def _with_caching_headers(self, path: str, if_none_match: str | None, reply: Reply) -> Reply:
        """PyPI's caching headers on what was proxied: pages ``max-age`` + an ETag (a matching
        ``If-None-Match`` gets 304), files ``immutable``; ``page_max_age`` None: no headers."""
        if reply.status != 200:
            return reply
        if path.startswith("/simple/"):
            import hashlib

            etag = '"' + hashlib.sha256(reply.body).hexdigest()[:20] + '"'
            headers = {"Cache-Control": f"max-age={self.page_max_age}, public", "ETag": etag}
            if if_none_match == etag:
                with self._lock:
                    self.not_modified.append(path)
                return Reply(304, b"", None, headers=headers)
            return dataclasses.replace(reply, headers={**reply.headers, **headers})
        return dataclasses.replace(reply, headers={**reply.headers, "Cache-Control": "max-age=365000000, immutable, public"})

    def _proxy(self, path: str, accept: str | None) -> Reply:
        if self.upstream is None:
            return Reply(404, b"no rule for " + path.encode(), content_type="text/plain")
        request = urllib.request.Request(self.upstream + path, headers={"Accept": accept} if accept else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return Reply(resp.status, resp.read(), resp.headers.get("Content-Type"))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read() if exc.fp else b"", exc.headers.get("Content-Type"))

    # ---- lifetime ----------------------------------------------------------------------

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
