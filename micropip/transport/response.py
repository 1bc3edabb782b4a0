"""What a request returns, and bytes that may still live in JS memory.

Plain data shared by both transports (browser and host) and by every caller.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from typing import Any

IN_PYODIDE = sys.platform == "emscripten"
# Sent by a caller only for the URL it was given for; dropped when a redirect leaves that origin.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class JsBytes:
    """A download kept in JS memory, with the sha256 computed natively when it arrived."""

    def __init__(self, proxy: Any, length: int, sha256: str | None) -> None:
        self.proxy = proxy
        self.length = length
        self._sha256 = sha256

    def __len__(self) -> int:
        return self.length

    def sha256(self) -> str:
        """Hex digest."""
        if self._sha256 is None:
            self._sha256 = hashlib.sha256(self.to_bytes()).hexdigest()
        return self._sha256

    def to_bytes(self) -> bytes:
        return js_to_bytes(self.proxy, f"a {self.length:,}-byte download")


def js_to_bytes(proxy: Any, what: str, url: str | None = None) -> bytes:
    """Copy a JS byte array into Python memory; a failure is a ``TransportError`` that says why.

    Pyodide copies into WebAssembly memory with a signed 32-bit offset, so once that
    memory has grown past 2 GiB every copy fails with ``RangeError: offset is out of
    bounds`` (a JS exception that would otherwise reach the caller unexplained).
    """
    try:
        return proxy.to_bytes()
    except Exception as exc:  # pyodide.ffi.JsException, MemoryError
        from ..errors import TransportError

        reason = f"{type(exc).__name__}: {exc}"
        hint = (
            "Pyodide cannot copy into WebAssembly memory past 2 GiB, and this interpreter's memory has grown "
            "that far (large downloads or data kept alive); restart the interpreter and try again, with fewer "
            "packages at once"
            if "out of bounds" in str(exc) or isinstance(exc, MemoryError)
            else "the JavaScript side failed"
        )
        raise TransportError(
            f"could not copy {what} from JavaScript into Python memory ({reason}): {hint}", url=url or "", permanent=True
        ) from exc


@dataclass
class Response:
    """One answer to a GET, the same whichever transport made it (``fetch``, urllib, a local file)."""

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


def sha256_hex(data: bytes | JsBytes) -> str:
    """The sha256 of downloaded bytes, wherever they are (computed natively for ``JsBytes``)."""
    if isinstance(data, JsBytes):
        return data.sha256()
    return hashlib.sha256(data).hexdigest()


def as_bytes(data: bytes | JsBytes) -> bytes:
    """Python bytes for code that needs them (the plain Python paths)."""
    return data.to_bytes() if isinstance(data, JsBytes) else data


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in, as browsers compare origins."""
    import urllib.parse  # here, not at import: a returning visitor's kept code serves it by then
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port
