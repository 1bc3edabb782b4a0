"""Plain-data HTTP answers, so routing can be tested and reused without a socket."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Response:
    status: int
    content_type: str = "text/plain; charset=utf-8"
    body: bytes = b""
    file: Path | None = None  # streamed from disk instead of ``body``
    headers: list[tuple[str, str]] = field(default_factory=list)


def ok(body: bytes, content_type: str, *headers: tuple[str, str]) -> Response:
    return Response(200, content_type, body, headers=list(headers))


def send_file(path: Path, content_type: str) -> Response:
    return Response(200, content_type, file=path)


def not_found(what: str) -> Response:
    return Response(404, body=f"404 Not Found: {what}\n".encode("utf-8", "replace"))


def redirect(location: str) -> Response:
    """301, as PEP 503 asks for non-normalized project names and missing trailing slashes."""
    return Response(301, body=f"moved to {location}\n".encode(), headers=[("Location", location)])
