"""The HTTP layer: a threaded loopback server for the index and for static folders.

Everything a browser needs to use it from another origin is here: CORS headers on
every answer, 204 preflights, HEAD, and a deep listen backlog (the default of 5
makes a page's burst of parallel fetches wait on 1 s SYN retransmits).
"""

from __future__ import annotations

import os
import shutil
import socket
import socketserver
import sys
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from .catalog import Catalog
from .paths import parse_request_path
from .responses import Response, not_found
from .routes import IndexRoutes, Request
from .static_files import StaticMounts

CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"),
    # "*" does not cover Authorization (Fetch spec), so it is named explicitly.
    ("Access-Control-Allow-Headers", "*, Accept, Authorization, Range"),
    ("Access-Control-Max-Age", "600"),
)

_LOG = os.environ.get("INDEX_SERVER_LOG", "") not in ("", "0")
_COPY_CHUNK = 1 << 16


class _HTTPServer(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    routes: IndexRoutes | None
    mounts: StaticMounts

    def server_bind(self) -> None:
        # HTTPServer.server_bind asks DNS for the host's full name, which can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _HTTPServerV6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive: a page fetches dozens of files
    server_version = "index_server"
    timeout = 60  # an idle keep-alive connection gives its thread back after this
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body waits
    # for the client's delayed ACK (about 40 ms per keep-alive request).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._answer(head_only=False)

    def do_HEAD(self) -> None:
        self._answer(head_only=True)

    def do_OPTIONS(self) -> None:
        self._send(Response(204), head_only=True)

    def _answer(self, *, head_only: bool) -> None:
        try:
            response = self._route()
        except Exception as exc:  # a bug or a vanished folder must not kill the connection silently
            print(f"index_server: error answering {self.path}: {exc!r}", file=sys.stderr, flush=True)
            response = Response(500, body=f"500 Internal Server Error: {exc}\n".encode("utf-8", "replace"))
        self._send(response, head_only=head_only)

    def _route(self) -> Response:
        path = parse_request_path(self.path)
        if path is None:
            return not_found("path outside the served folders")
        routes = self.server.routes
        if routes is not None:
            request = Request(path, accept=self.headers.get("Accept"), host=self.headers.get("Host"))
            answer = routes.handle(request)
            if answer is not None:
                return answer
        answer = self.server.mounts.lookup(path)
        if answer is not None:
            return answer
        hint = " (the index is at /simple/)" if routes is not None else ""
        return not_found("/" + "/".join(path.segments) + hint)

    def _send(self, response: Response, *, head_only: bool) -> None:
        try:
            stream = open(response.file, "rb") if response.file is not None else None
        except OSError:
            stream, response = None, not_found(self.path)
        try:
            length = os.fstat(stream.fileno()).st_size if stream else len(response.body)
            self.send_response(response.status)
            for key, value in CORS_HEADERS:
                self.send_header(key, value)
            for key, value in response.headers:
                self.send_header(key, value)
            if response.status != 204:  # a 204 carries neither (RFC 9110)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(length))
            self.end_headers()
            if head_only or response.status == 204:
                return
            if stream is not None:
                shutil.copyfileobj(stream, self.wfile, _COPY_CHUNK)
            else:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if stream is not None:
                stream.close()

    def log_message(self, format: str, *args: object) -> None:
        if _LOG:
            super().log_message(format, *args)


class IndexServer:
    """A running server; ``with`` stops it on exit."""

    def __init__(self, httpd: _HTTPServer) -> None:
        self._httpd = httpd
        self.host, self.port = _reachable_address(httpd)
        self.url = f"http://{_authority(httpd)}/"
        self.simple_url = self.url + "simple/"
        # A short poll interval keeps stop() quick; an idle poll costs next to nothing.
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"index_server:{self.port}", daemon=True
        )
        self._thread.start()
        self._stopped = False

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> IndexServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<IndexServer {self.url}>"


def start_server(
    folder: Path | Sequence[Path],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    metadata_files: bool = True,
    absolute_urls: bool = False,
    extra_static: dict[str, Path] | None = None,
) -> IndexServer:
    """Serve the wheels and sdists in ``folder`` as an index (plus ``extra_static`` folders) until stopped.

    ``folder`` may be several folders served as one index (the first one wins a file
    name found twice). Returns at once; the first scan of the wheels runs in the background so broken
    files are reported early without delaying the caller.
    """
    folders = [Path(folder)] if isinstance(folder, (str, Path)) else [Path(f) for f in folder]
    for one in folders:
        if not one.is_dir():
            raise FileNotFoundError(f"index folder {one} does not exist or is not a folder")
    catalog = Catalog(folders)
    httpd = _bind(host, port)
    httpd.routes = IndexRoutes(
        catalog, metadata_files=metadata_files, absolute_urls=absolute_urls, fallback_host=_authority(httpd)
    )
    httpd.mounts = StaticMounts(extra_static or {})
    threading.Thread(target=_warm_up, args=(catalog,), name="index_server:scan", daemon=True).start()
    return IndexServer(httpd)


def start_static_server(folders: Mapping[str, Path], *, host: str = "127.0.0.1", port: int = 0) -> IndexServer:
    """Serve plain folders under URL prefixes (``{"/pyodide/": path}``), nothing else."""
    httpd = _bind(host, port)
    httpd.routes = None
    httpd.mounts = StaticMounts(folders)
    return IndexServer(httpd)


def _bind(host: str, port: int) -> _HTTPServer:
    cls = _HTTPServerV6 if ":" in host else _HTTPServer
    return cls((host, port), _Handler)


def _reachable_address(httpd: _HTTPServer) -> tuple[str, int]:
    """Where a local client connects: a wildcard bind is reached through loopback."""
    host, port = httpd.server_address[:2]
    return {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host), port


def _authority(httpd: _HTTPServer) -> str:
    host, port = _reachable_address(httpd)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _warm_up(catalog: Catalog) -> None:
    try:
        catalog.contents()
    except OSError as exc:
        print(f"index_server: cannot read {catalog.folder}: {exc}", file=sys.stderr, flush=True)
