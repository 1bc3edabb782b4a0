"""Serve plain folders under URL prefixes, with the MIME types browsers insist on.

``WebAssembly.instantiateStreaming`` refuses anything but ``application/wasm`` and
module scripts need a JavaScript type, so the table here is explicit rather than
left to the platform's ``mimetypes`` database.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from .paths import RequestPath, split_prefix
from .responses import Response, not_found, redirect, send_file

_TYPES = {
    ".wasm": "application/wasm",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".py": "text/x-python; charset=utf-8",
    ".whl": "application/octet-stream",
    ".metadata": "text/plain; charset=utf-8",
    ".zip": "application/zip",
    ".tar": "application/x-tar",
    ".gz": "application/gzip",
    ".tgz": "application/gzip",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}

# Files with these exact names have no extension but a known type (the static JSON API).
_NAMED = {"json": "application/json"}


def content_type_for(path: Path | str) -> str:
    name = Path(path).name
    if name in _NAMED:
        return _NAMED[name]
    suffix = Path(name).suffix.lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


class StaticMounts:
    """URL prefix -> folder; the longest matching prefix wins."""

    def __init__(self, folders: Mapping[str, Path]) -> None:
        mounts = [(split_prefix(prefix), Path(folder)) for prefix, folder in folders.items()]
        self._mounts = sorted(mounts, key=lambda m: len(m[0]), reverse=True)

    def __bool__(self) -> bool:
        return bool(self._mounts)

    def lookup(self, path: RequestPath) -> Response | None:
        """The answer for ``path``, or None when no prefix covers it."""
        for prefix, folder in self._mounts:
            if path.startswith(prefix):
                return _serve(folder, path.segments[len(prefix) :], path)
        return None


def _serve(folder: Path, rest: tuple[str, ...], path: RequestPath) -> Response:
    shown = "/" + "/".join(path.segments)
    root = folder.resolve()
    target = root.joinpath(*rest).resolve()
    # Resolving also follows symlinks: a link pointing out of the folder is refused too.
    if target != root and not target.is_relative_to(root):
        return not_found(shown)
    if target.is_dir():
        if not path.trailing_slash:
            location = quote(shown if shown.endswith("/") else shown + "/")
            return redirect(location + (f"?{path.query}" if path.query else ""))
        target = target / "index.html"
    elif path.trailing_slash:
        return not_found(shown + "/")
    if not target.is_file():
        return not_found(shown)
    return send_file(target, content_type_for(target))
