"""A stand-in for the npm registry and the Pyodide CDN on 127.0.0.1, for the release catalog's tests.

It serves what the real ones serve for the ``pyodide`` package: the package document
(``/pyodide``, each version's tarball URL and sha512 integrity), the tarballs
(``/pyodide/-/pyodide-VERSION.tgz``) and a CDN layout (``/cdn/vVERSION/full/...``).
Tarballs are built here from files (a tiny fake release, or a real release's files
repacked), so no test reaches the network. ``requests`` records every path asked for.
"""

from __future__ import annotations

import io
import json
import tarfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pyodide_pm.npm_registry import sri


def tarball(files: Mapping[str, bytes]) -> bytes:
    """An npm tarball: every file under ``package/``, gzip level 1 (repacking 20 MB stays quick)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=1) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            info.mtime = 499162500  # npm's fixed date
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def release_files(folder: Path) -> dict[str, bytes]:
    """A real release's files (a catalog cache folder or an npm package), to repack."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "release.json"}


def small_release(version: str, python: str = "3.14.2", abi: str = "2026_0", platform: str = "emscripten_5_0_3") -> dict[str, bytes]:
    """A fake release small enough to build per test: a lock with one package, and runtime files."""
    lock = {
        "info": {"abi_version": abi, "arch": "wasm32", "platform": platform, "python": python},
        "packages": {
            "numpy": {
                "name": "numpy", "version": "2.4.6", "file_name": f"numpy-2.4.6-cp314-cp314-pyemscripten_{abi}_wasm32.whl",
                "install_dir": "site", "sha256": "a" * 64, "package_type": "package", "imports": ["numpy"],
                "depends": [], "unvendored_tests": False,
            }
        },
    }
    return {
        "package.json": json.dumps({"name": "pyodide", "version": version}).encode(),
        "pyodide-lock.json": json.dumps(lock).encode(),
        "pyodide.mjs": f"// the loader of {version}\n".encode(),
        "pyodide.asm.wasm": b"\0asm\x01\0\0\0" + version.encode(),
        "python_stdlib.zip": b"PK\x05\x06" + b"\0" * 18,
    }


@dataclass
class RegistryStandIn:
    url: str  # the registry root, e.g. http://127.0.0.1:PORT
    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    versions: dict[str, dict] = field(default_factory=dict)

    @property
    def cdn(self) -> str:
        return self.url + "/cdn"

    def publish(self, version: str, files: Mapping[str, bytes], *, served: bytes | None = None) -> bytes:
        """List ``version`` with the integrity of its true tarball; serve ``served`` instead when given."""
        data = tarball(files)
        path = f"/pyodide/-/pyodide-{version}.tgz"
        self.versions[version] = {"name": "pyodide", "version": version, "dist": {"tarball": self.url + path, "integrity": sri(data)}}
        self.routes[path] = (200, data if served is None else served)
        self._document()
        return data

    def list_only(self, version: str) -> None:
        """A version in the document whose tarball is missing (404)."""
        self.versions[version] = {"dist": {"tarball": f"{self.url}/pyodide/-/pyodide-{version}.tgz", "integrity": "sha512-AAAA"}}
        self._document()

    def put_cdn_lock(self, version: str, lock: bytes) -> None:
        self.routes[f"/cdn/v{version}/full/pyodide-lock.json"] = (200, lock)

    def _document(self) -> None:
        doc = {"name": "pyodide", "versions": self.versions, "dist-tags": {"latest": max(self.versions, default="")}}
        self.routes["/pyodide"] = (200, json.dumps(doc).encode())


@contextmanager
def serve_registry() -> Iterator[RegistryStandIn]:
    """The stand-in on an ephemeral loopback port, stopped on exit."""
    stand_in: RegistryStandIn

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            stand_in.requests.append(self.path)
            status, body = stand_in.routes.get(self.path, (404, b"not found"))
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if self.path == "/pyodide" else "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 64  # http.server's default backlog of 5 stalls parallel fetches
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    stand_in = RegistryStandIn(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="npm-registry-stand-in", daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
