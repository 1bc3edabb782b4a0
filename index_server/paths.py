"""Turn a request target into safe path segments, or refuse it.

Decoding happens once, here, before any routing: ``%2e%2e`` and ``..%2f`` become
``..`` and are refused like a literal ``..``, so nothing downstream can be talked
into leaving a served folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class RequestPath:
    segments: tuple[str, ...]  # decoded, no empty, "." or ".." segments
    trailing_slash: bool
    query: str

    def startswith(self, prefix: tuple[str, ...]) -> bool:
        return self.segments[: len(prefix)] == prefix


def parse_request_path(target: str) -> RequestPath | None:
    """None for anything that could point outside the served tree (answered with 404)."""
    parts = urlsplit(target)
    try:
        path = unquote(parts.path, errors="strict")
    except UnicodeDecodeError:
        return None
    if not path.startswith("/") or "\x00" in path or "\\" in path:
        return None
    raw = path.split("/")[1:]
    if ".." in raw:
        return None
    segments = tuple(s for s in raw if s not in ("", "."))
    if any(":" in s and len(s) == 2 for s in segments):  # "C:" would be a drive on Windows
        return None
    return RequestPath(segments, path.endswith("/"), parts.query)


def split_prefix(prefix: str) -> tuple[str, ...]:
    """``"/pyodide/"`` -> ``("pyodide",)``; ``"/"`` -> ``()``."""
    return tuple(s for s in prefix.split("/") if s)
