"""Wheels inflated, hashed and written natively (``unpack.mjs``), with Python keeping every check.

Inflating, hashing and writing thousands of members from wasm is most of an install's
time; the JS engine does all three natively and the inflated bytes never enter Python's
memory. ``open_archive`` answers None off the browser or for an unusual archive, and the
wheel then goes down the plain Python path, which reports the precise error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from .js_modules import js_module
from .response import IN_PYODIDE, JsBytes, js_to_bytes


# In a browser, wheels whose members average less than this (uncompressed) go down the Python
# path (zlib in wasm): there a DecompressionStream per member costs more than it saves
# (``unpack.mjs``). Read on each call, so a test can send every wheel down the native path.
BROWSER_NATIVE_MIN_AVG_MEMBER = 128 * 1024


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

    def __init__(self, proxy: Any, entries: list[ArchiveEntry], lengths: list[int], digests: str | None) -> None:
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
        return js_to_bytes(self._proxy.read(index), f"member {self.entries[index].filename!r} of a wheel")

    def write(self, items: list[tuple[int, int, str]], folders: Sequence[str] = ()) -> None:
        """Write members to paths: ``(member index, mode or 0, absolute path)``, after making
        ``folders`` in order (each new, its parent existing or made before it); other folders must exist."""
        if self._proxy is None:
            raise RuntimeError("the native archive was released")
        try:
            self._proxy.write(json.dumps(items), json.dumps(list(folders)))
        except Exception as exc:  # a JS exception from Pyodide's file system (ErrnoError, quota...)
            from ..errors import InstallError

            raise InstallError(f"could not write {len(items)} wheel member(s) to Pyodide's file system: {type(exc).__name__}: {exc}") from exc

    def release(self) -> None:
        if self._proxy is not None:
            self._proxy.release()
            self._proxy = None


async def open_archive(data: bytes | JsBytes) -> NativeArchive | None:
    """Inflate and hash a wheel natively; None off Pyodide, for an unusual archive, or in a
    browser for a wheel of small members (``BROWSER_NATIVE_MIN_AVG_MEMBER``)."""
    if not IN_PYODIDE:
        return None
    try:
        import pyodide_js  # type: ignore[import-not-found]
        from pyodide.ffi import to_js  # type: ignore[import-not-found]

        native = await js_module("unpack")
        buf = data.proxy if isinstance(data, JsBytes) else to_js(data)
        proxy = await native.open(pyodide_js.FS, buf, BROWSER_NATIVE_MIN_AVG_MEMBER)
        if proxy is None:
            return None
        rows = json.loads(proxy.info())
        digests = proxy.digests  # a str, or None
    except Exception:
        return None
    entries = [ArchiveEntry(*row[:6]) for row in rows]
    return NativeArchive(proxy, entries, [row[6] for row in rows], digests)
