"""A new visitor's machinery bytecode, compiled when the bundle was made.

A fresh page's first install compiled micropip's machinery (and packaging's and resolvelib's
modules) from sources: ~250 ms in Node and more in Chromium, most of what it cost beyond the
reference on a fast link. ``pyodide-pm bundle`` compiles those modules with the release's own
Pyodide into one more lockfile entry (``PART``), which no page loads with micropip (the page-load
budget stays whole). The first install asks for it once its index pages are on their way
(``start``); as soon as it has arrived it is handed to the finder of kept bytecode
(``installation.bytecode``), so each module imported from then on loads its code instead of
compiling it (the machinery is imported a module per event-loop turn, so none waits long). A module imported before compiles as ever, so a slow link loses
nothing but the bytes.

Safe as the kept bytecode is: the part is used only when Pyodide's lockfile lists it with a
sha256 and the download matches it; each module's code is used only while its source still
hashes to what was compiled (checked-hash ``.pyc``, PEP 552), and a file of another magic
discards the whole part. With the persistent cache on, the part's files become the machinery's
cache entries, so a returning visitor's first install needs neither part nor compile.
"""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger("micropip")

PART = "micropip-bytecode"  # its entry in Pyodide's lockfile
# In the part's wheel: {wheel sha256: {path in the wheel: .pyc}}, and under STDLIB {path in the zip: .pyc}
# for the standard library modules a first install imports (Pyodide imports them from sources).
MEMBER = "micropip_bytecode/machinery.marshal"
STDLIB = "stdlib"

_asked = False  # once per interpreter
_download: asyncio.Future | None = None  # held while it travels (a task nothing refers to may be collected)


def start() -> bool:
    """Ask for the part (once per interpreter) when Pyodide's lockfile lists it; True if asked."""
    global _asked, _download
    if _asked:
        return False
    from .. import transport

    found = transport.lockfile_entry("packages", PART)  # one entry: converting the whole lock takes tens of ms
    entry, base = found if found else (None, "")
    if not isinstance(entry, dict):
        return False
    file_name, sha256 = entry.get("file_name"), entry.get("sha256")
    if not isinstance(file_name, str) or not isinstance(sha256, str) or len(sha256) != 64:
        return False
    _asked = True
    _download = asyncio.ensure_future(_fetch(transport.lock_file_url(file_name, base), sha256.lower()))
    _download.add_done_callback(_arrived)
    return True


def _arrived(download: asyncio.Future) -> None:
    """Hand the part to the import system as soon as it is here (a done callback: it runs before
    the next module of the machinery is imported). Arriving after the machinery is imported, it
    still serves what the install imports next (its stage: installer, wheel reader ...), and with
    the cache on becomes the cache's entries."""
    global _download
    _download = None
    try:
        wheels = None if download.cancelled() else download.result()  # _fetch answers None, not raises
        if wheels:
            from . import bytecode

            bytecode.adopt_machinery(wheels)
    except Exception as exc:  # noqa: BLE001 - a callback never raises: only time is lost
        logger.debug("bytecode: the part could not be taken: %s", exc)


async def _fetch(url: str, sha256: str) -> dict[str, dict[str, bytes]] | None:
    from .. import transport

    try:  # kept in JS until whole: hashed there, one copy into Python. Its body buys the import
        # loop's extra turns as a page's does (``transport.receiving``): with a turn per module
        # only, it arrived ~0.5 s late in Chromium, after most of the modules it serves.
        response = await transport.fetch(url, keep_in_js=True)
    except Exception as exc:  # noqa: BLE001 - only time is lost: the machinery compiles from sources
        logger.debug("bytecode: %s could not be fetched: %s", url, exc)
        return None
    if not response.ok:
        logger.debug("bytecode: %s answered %s", url, response.status)
        return None
    body = response.js_body if response.js_body is not None else response.body
    if transport.sha256_hex(body) != sha256:
        logger.warning("bytecode: %s does not match the sha256 Pyodide's lockfile gives it; not used", url)
        return None
    return _read(transport.as_bytes(body), url)


def _read(data: bytes, url: str) -> dict[str, dict[str, bytes]] | None:
    import io
    import marshal
    import zipfile

    from . import bytecode

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            wheels = marshal.loads(zf.read(MEMBER))
    except Exception as exc:  # noqa: BLE001 - a broken part is not used
        logger.debug("bytecode: %s is not a bytecode part: %s", url, exc)
        return None
    if not isinstance(wheels, dict):
        return None
    out = {}
    for sha256, files in wheels.items():
        checked = bytecode.checked_files(files)
        if not isinstance(sha256, str) or checked is None:
            logger.debug("bytecode: %s was compiled for another interpreter; not used", url)
            return None
        out[sha256] = checked
    return out

