"""Real third-party index servers on loopback: pypiserver 2.4 and devpi-server 6.20.

App authors install from their own index servers, so the suite runs micropip
against the real programs rather than against imitations of them:

* ``pypiserver`` serves a folder of wheels as PEP 503 HTML; one instance asks for
  an htpasswd user on every request (``-a download,list,update``), one serves
  pages without any hash (for ``require_hashes``) and one is open.
* ``devpi-server`` (offline, no root/pypi mirror) holds a user and index
  ``alice/dev`` into which the fixture wheels are uploaded over HTTP, as twine
  would; its ``+simple/`` pages speak PEP 691 JSON. ``tamper`` changes a stored
  file on disk, which devpi then serves as it is.

Each server sits behind a ``RecordingProxy``: a transparent loopback proxy that
counts every request (and keeps its ``Authorization`` header) and adds the CORS
answers a browser page on another origin needs (pypiserver and devpi have none;
people put them behind such a proxy to use them from a page). Tests count wheel
downloads and check where credentials went through it.

A server that cannot start fails the fixture with its log; nothing here skips.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_WHEELS = REPO_ROOT / "fixtures" / "wheels"
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT = 60.0  # devpi-server needs about 8 s on this machine to answer its first request

USER = "alice"
DEVPI_INDEX = "alice/dev"
# What the tests install from devpi (each upload costs devpi about 0.2 s): greeting and
# its dependencies, and the backtracking scenario.
DEVPI_WHEEL_PREFIXES = ("greeting-", "colorama_lite-", "textwrap3_lite-", "bt_")


class ServerStartError(RuntimeError):
    """A server process exited or did not answer in time; the message holds its log."""


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1 (the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tool(name: str) -> str:
    """A console script of this venv (pypi-server, devpi-init...), never one from elsewhere on PATH."""
    path = VENV_BIN / name
    if not path.exists():
        raise ServerStartError(f"{path} is missing: run `bash scripts/setup.sh` (the `test` extra installs it)")
    return str(path)


# ---- a server process ----------------------------------------------------------------------------


class ServerProcess:
    """A child server process whose output goes to a log file; ``stop`` ends it (and only it)."""

    def __init__(self, name: str, argv: list[str], log_path: Path, *, cwd: Path | None = None) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd,
            start_new_session=True,  # Ctrl-C in the terminal reaches pytest, which then stops it here
        )

    def log_text(self, tail: int = 12000) -> str:
        self._log.flush()
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return text[-tail:]

    def wait_until_answers(self, url: str, timeout: float = START_TIMEOUT) -> None:
        """Poll ``url`` until any HTTP answer comes back; raise ServerStartError with the log otherwise."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise ServerStartError(
                    f"{self.name} exited with code {code} before answering {url}\n"
                    f"command: {' '.join(self.argv)}\n--- log ---\n{self.log_text()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    resp.read()
                return
            except urllib.error.HTTPError:
                return  # any HTTP status means it is serving
            except OSError as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise ServerStartError(
            f"{self.name} did not answer {url} within {timeout:.0f} s (last error: {last})\n"
            f"command: {' '.join(self.argv)}\n--- log ---\n{self.log_text()}"
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


# ---- the recording, CORS-adding proxy ------------------------------------------------------------


@dataclass(frozen=True)
class ProxiedRequest:
    method: str
    path: str
    authorization: str | None  # the Authorization header as sent, or None
    status: int


_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
     "transfer-encoding", "upgrade", "content-length", "host"}
)
CORS_ALLOW_HEADERS = "Accept, Authorization, Range, Content-Type"


class _ProxyServer(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: "RecordingProxy"

    def server_bind(self) -> None:  # skip HTTPServer's reverse DNS lookup
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"
    timeout = 30
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._forward(head_only=False)

    def do_HEAD(self) -> None:
        self._forward(head_only=True)

    def do_OPTIONS(self) -> None:
        # A browser's preflight: answered here, never sent on (pypiserver and devpi have no CORS).
        self.server.owner._record(ProxiedRequest("OPTIONS", self.path, self.headers.get("Authorization"), 204))
        self.send_response(204)
        self._cors()
        self.send_header("Access-Control-Max-Age", "600")
        self.end_headers()

    def _cors(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        # "*" does not cover Authorization (Fetch spec): name it.
        self.send_header("Access-Control-Allow-Headers", CORS_ALLOW_HEADERS)
        self.send_header("Access-Control-Expose-Headers", "WWW-Authenticate, Content-Length")

    def _forward(self, *, head_only: bool) -> None:
        owner = self.server.owner
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Host"] = f"{owner.upstream_host}:{owner.upstream_port}"
        conn = http.client.HTTPConnection(owner.upstream_host, owner.upstream_port, timeout=30)
        try:
            conn.request(self.command, self.path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            status, reason = resp.status, resp.reason
            upstream_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP
                                and not k.lower().startswith("access-control-")]
        except OSError as exc:
            status, reason, body = 502, "Bad Gateway", f"proxy: upstream failed: {exc!r}\n".encode()
            upstream_headers = [("Content-Type", "text/plain")]
        finally:
            conn.close()
        owner._record(ProxiedRequest(self.command, self.path, self.headers.get("Authorization"), status))
        try:
            self.send_response(status, reason)
            self._cors()
            for key, value in upstream_headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head_only:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


class RecordingProxy:
    """Forwards every request to ``upstream`` unchanged and records it; adds CORS answers."""

    def __init__(self, upstream_port: int, *, upstream_host: str = "127.0.0.1") -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.requests: list[ProxiedRequest] = []
        self._lock = threading.Lock()
        self._httpd = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"proxy:{self.port}", daemon=True
        )
        self._thread.start()

    def _record(self, request: ProxiedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def snapshot(self) -> list[ProxiedRequest]:
        with self._lock:
            return list(self.requests)

    def reset(self) -> None:
        """Forget what was recorded (servers are shared by the session; each test counts its own)."""
        with self._lock:
            self.requests.clear()

    def wheel_requests(self) -> list[ProxiedRequest]:
        """Downloads of wheel files (``.whl``; PEP 658 ``.whl.metadata`` files are not wheels)."""
        return [r for r in self.snapshot() if r.method == "GET" and r.path.split("?", 1)[0].endswith(".whl")]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def with_userinfo(url: str, user: str, password: str) -> str:
    """``http://host/x`` -> ``http://user:password@host/x`` (what an app author writes)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest}"


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# ---- pypiserver ----------------------------------------------------------------------------------


@dataclass
class PypiServer:
    """A running pypiserver behind a RecordingProxy. ``url``/``simple_url`` go through the proxy."""

    name: str
    process: ServerProcess
    proxy: RecordingProxy
    packages: Path
    direct_url: str  # pypiserver itself, without the proxy
    user: str | None = None
    password: str | None = None

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def simple_url(self) -> str:
        return self.proxy.url + "simple/"

    def simple_url_with_credentials(self, password: str | None = None) -> str:
        """The index URL with ``user:password@`` in it (the right password unless one is given)."""
        assert self.user is not None, "this pypiserver has no user"
        return with_userinfo(self.simple_url, self.user, password if password is not None else self.password or "")


def write_htpasswd(path: Path, user: str, password: str) -> None:
    """An Apache htpasswd file (apr1 / MD5-crypt, which passlib checks without bcrypt)."""
    from passlib.apache import HtpasswdFile

    ht = HtpasswdFile(str(path), new=True, default_scheme="apr_md5_crypt")
    ht.set_password(user, password)
    ht.save()


@contextmanager
def start_pypiserver(
    workdir: Path,
    *,
    name: str = "pypiserver",
    wheels: Path = FIXTURE_WHEELS,
    auth: bool = False,
    hashes: bool = True,
) -> Iterator[PypiServer]:
    """pypiserver on 127.0.0.1 serving a temp copy of ``wheels``.

    ``auth``: every action (list, download, update) needs the htpasswd user
    ``alice`` with a random password. ``hashes=False``: links carry no
    ``#sha256=`` fragment (``--hash-algo off``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    packages = workdir / "packages"
    packages.mkdir(exist_ok=True)
    for wheel in wheels.glob("*.whl"):
        shutil.copy2(wheel, packages / wheel.name)
    port = free_port()
    argv = [tool("pypi-server"), "run", "--host", "127.0.0.1", "--port", str(port), "--disable-fallback",
            "--backend", "simple-dir", "--hash-algo", "sha256" if hashes else "off", "-v"]
    user = password = None
    if auth:
        user, password = USER, "pw-" + secrets.token_urlsafe(12)
        write_htpasswd(workdir / "htpasswd", user, password)
        argv += ["--authenticate", "download,list,update", "--passwords", str(workdir / "htpasswd")]
    else:
        argv += ["--authenticate", ".", "--passwords", "."]
    argv.append(str(packages))
    process = ServerProcess(name, argv, workdir / "server.log")
    proxy = None
    try:
        process.wait_until_answers(f"http://127.0.0.1:{port}/health")
        proxy = RecordingProxy(port)
        yield PypiServer(name, process, proxy, packages, f"http://127.0.0.1:{port}/", user, password)
    finally:
        if proxy is not None:
            proxy.stop()
        process.stop()


# ---- devpi-server --------------------------------------------------------------------------------


@dataclass
class DevpiServer:
    """A running devpi-server (offline) with ``alice/dev`` filled; ``simple_url`` is its ``+simple/``."""

    process: ServerProcess
    proxy: RecordingProxy
    serverdir: Path
    direct_url: str
    user: str
    password: str
    index: str = DEVPI_INDEX
    uploaded: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def simple_url(self) -> str:
        """The URL pip and micropip need: ``<server>/<user>/<index>/+simple/``."""
        return f"{self.proxy.url}{self.index}/+simple/"

    @property
    def index_page_url(self) -> str:
        """The index's own (JSON) page, a common mistake for the simple URL."""
        return f"{self.proxy.url}{self.index}/"

    def stored_file(self, filename: str) -> Path:
        """Where devpi keeps an uploaded file on disk (``+files/<user>/<index>/+f/xxx/yyy/<name>``)."""
        found = list((self.serverdir / "+files").rglob(filename))
        if len(found) != 1:
            raise FileNotFoundError(f"{filename} is stored {len(found)} times under {self.serverdir / '+files'}")
        return found[0]

    @contextmanager
    def tamper(self, filename: str) -> Iterator[Path]:
        """Change bytes of a stored file in place (same size); devpi keeps listing the old sha256.

        The original bytes are put back on exit, so the session's server stays usable.
        """
        path = self.stored_file(filename)
        original = path.read_bytes()
        changed = bytearray(original)
        middle = len(changed) // 2
        changed[middle : middle + 8] = bytes(b ^ 0xFF for b in changed[middle : middle + 8])
        path.write_bytes(bytes(changed))
        try:
            yield path
        finally:
            path.write_bytes(original)


def _devpi_json(base: str, method: str, path: str, payload: dict, auth: tuple[str, str] | None = None) -> dict:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if auth:
        headers["Authorization"] = basic_auth(*auth)
    request = urllib.request.Request(base + path, data=json.dumps(payload).encode(), method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise ServerStartError(f"devpi {method} {path} answered {exc.code}: {exc.read()[:500]!r}") from exc


def _multipart(fields: dict[str, str], file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload_to_devpi(base: str, index: str, wheel: Path, auth: tuple[str, str]) -> None:
    """The legacy upload API that twine speaks: POST multipart with ``:action=file_upload``."""
    stem = wheel.name[: -len(".whl")]
    name, version = stem.split("-")[:2]
    body, content_type = _multipart(
        {":action": "file_upload", "name": name, "version": version, "protocol_version": "1", "filetype": "bdist_wheel"},
        "content", wheel.name, wheel.read_bytes(),
    )
    request = urllib.request.Request(
        f"{base}{index}/", data=body, method="POST",
        headers={"Content-Type": content_type, "Authorization": basic_auth(*auth)},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        raise ServerStartError(f"devpi refused the upload of {wheel.name}: {exc.code} {exc.read()[:500]!r}") from exc


@contextmanager
def start_devpi(workdir: Path, *, wheels: Path = FIXTURE_WHEELS) -> Iterator[DevpiServer]:
    """devpi-server in a fresh serverdir: no root/pypi, offline, user alice, index alice/dev with ``wheels``."""
    workdir.mkdir(parents=True, exist_ok=True)
    serverdir = workdir / "serverdir"
    init = subprocess.run(
        [tool("devpi-init"), "--serverdir", str(serverdir), "--no-root-pypi", "--root-passwd", secrets.token_urlsafe(12)],
        capture_output=True, text=True, timeout=120,
    )
    if init.returncode != 0:
        raise ServerStartError(f"devpi-init failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
    secretfile = workdir / "secret"
    secretfile.write_bytes(secrets.token_bytes(32))
    os.chmod(secretfile, 0o600)
    port = free_port()
    argv = [tool("devpi-server"), "--serverdir", str(serverdir), "--host", "127.0.0.1", "--port", str(port),
            "--offline-mode", "--secretfile", str(secretfile), "--threads", "16"]
    process = ServerProcess("devpi-server", argv, workdir / "server.log")
    proxy = None
    try:
        process.wait_until_answers(f"http://127.0.0.1:{port}/+api")
        direct = f"http://127.0.0.1:{port}/"
        password = "pw-" + secrets.token_urlsafe(12)
        _devpi_json(direct, "PUT", USER, {"password": password})
        _devpi_json(direct, "PUT", DEVPI_INDEX, {"bases": [], "volatile": True}, auth=(USER, password))
        uploaded = []
        for wheel in sorted(wheels.glob("*.whl")):
            if not wheel.name.startswith(DEVPI_WHEEL_PREFIXES):
                continue
            upload_to_devpi(direct, DEVPI_INDEX, wheel, (USER, password))
            uploaded.append(wheel.name)
        proxy = RecordingProxy(port)
        yield DevpiServer(process, proxy, serverdir, direct, USER, password, DEVPI_INDEX, uploaded)
    finally:
        if proxy is not None:
            proxy.stop()
        process.stop()


# ---- pytest fixtures (registered in tests/conftest.py) -------------------------------------------


@contextmanager
def _or_fail(what: str) -> Iterator[None]:
    """Turn a start-up failure into a failed fixture that shows the server's log (never a skip)."""
    try:
        yield
    except ServerStartError as exc:
        pytest.fail(f"{what} could not start:\n{exc}", pytrace=False)


def _session_server(factory, what: str, request, tmp_path_factory, **kwargs):
    workdir = tmp_path_factory.mktemp(what.replace(" ", "_"))
    cm = factory(workdir, **kwargs) if factory is start_devpi else factory(workdir, name=what, **kwargs)
    with _or_fail(what):
        server = cm.__enter__()
    request.addfinalizer(lambda: cm.__exit__(None, None, None))
    return server


@pytest.fixture(scope="session")
def pypiserver_open(request, tmp_path_factory) -> PypiServer:
    """pypiserver without authentication, sha256 on every link (PEP 503 HTML)."""
    return _session_server(start_pypiserver, "pypiserver open", request, tmp_path_factory)


@pytest.fixture(scope="session")
def pypiserver_auth(request, tmp_path_factory) -> PypiServer:
    """pypiserver asking alice's password for listing and downloading too."""
    return _session_server(start_pypiserver, "pypiserver auth", request, tmp_path_factory, auth=True)


@pytest.fixture(scope="session")
def pypiserver_nohash(request, tmp_path_factory) -> PypiServer:
    """pypiserver whose links carry no hash at all (``--hash-algo off``)."""
    return _session_server(start_pypiserver, "pypiserver nohash", request, tmp_path_factory, hashes=False)


@pytest.fixture(scope="session")
def devpi(request, tmp_path_factory) -> DevpiServer:
    """devpi-server with alice/dev holding the fixture wheels (PEP 691 JSON on ``+simple/``)."""
    return _session_server(start_devpi, "devpi", request, tmp_path_factory)
