"""The native unpack path (Node zlib/crypto, browser DecompressionStream/WebCrypto) agrees with zipfile.

In a browser only wheels of big members take it by default (``BROWSER_NATIVE_MIN_AVG_MEMBER``)."""

from __future__ import annotations

import pytest

CHECK = """
import zipfile, io, hashlib, base64
from pyodide.http import pyfetch
from micropip import transport
from micropip.installation.wheelfile import WheelFile
data = await (await pyfetch({url!r})).bytes()
archive = await transport.open_archive(data)
zf = zipfile.ZipFile(io.BytesIO(data))
expected = {{i.filename: zf.read(i) for i in zf.infolist()}}
native = {{e.filename: archive.read(i) for i, e in enumerate(archive.entries)}}
wheel = WheelFile.from_archive("treepkg-1.0-py3-none-any.whl", archive)
ok = [archive is not None, native == expected,
      all(archive.digest(i) == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(native[e.filename]).digest()).rstrip(b"=").decode() for i, e in enumerate(archive.entries)),
      dict(wheel.files()) == dict(WheelFile.from_bytes("treepkg-1.0-py3-none-any.whl", data).files())]
archive.release()
ok
"""

# A central directory that claims a smaller uncompressed size for one deflated member: the
# native inflater must not produce more than declared (zip-bomb bound) and hands the wheel
# to the Python path, which names the member.
LYING = """
import struct
from micropip.installation.wheelfile import WheelFile
bad = bytearray(data)
eocd = bytes(bad).rindex(b"PK\\x05\\x06")
p = struct.unpack_from("<I", bad, eocd + 16)[0]
while bad[p:p + 4] == b"PK\\x01\\x02":
    method, size = struct.unpack_from("<H", bad, p + 10)[0], struct.unpack_from("<I", bad, p + 24)[0]
    if method == 8 and size > 10:
        struct.pack_into("<I", bad, p + 24, 5)
        break
    n, e, c = struct.unpack_from("<HHH", bad, p + 28)
    p += 46 + n + e + c
refused = await transport.open_archive(bytes(bad))
try:
    WheelFile.from_bytes("treepkg-1.0-py3-none-any.whl", bytes(bad))
    message = None
except Exception as exc:
    message = str(exc)
[refused is None, message]
"""


def _url(index_url: str) -> str:
    return index_url.replace("/simple/", "/files/") + "treepkg-1.0-py3-none-any.whl"


SMALL_MEMBERS_IN_A_BROWSER = """
from pyodide.http import pyfetch
from micropip import transport
data = await (await pyfetch({url!r})).bytes()
[transport.native.BROWSER_NATIVE_MIN_AVG_MEMBER, (await transport.open_archive(data)) is None]
"""


def _check(run, index_url, browser=False):
    if browser:
        # treepkg's members are tiny: a page sends it down the Python path by default...
        assert run(SMALL_MEMBERS_IN_A_BROWSER.format(url=_url(index_url))) == [128 * 1024, True]
        # ...and the native browser path (DecompressionStream, WebCrypto) is checked with no minimum.
        run("micropip.transport.native.BROWSER_NATIVE_MIN_AVG_MEMBER = 0")
    try:
        assert run(CHECK.format(url=_url(index_url))) == [True, True, True, True]
    finally:
        if browser:
            run("micropip.transport.native.BROWSER_NATIVE_MIN_AVG_MEMBER = 128 * 1024")
    refused, message = run(LYING)
    assert refused is True
    assert "inflates to" in message or "size mismatch" in message


@pytest.mark.pyodide
def test_native_unpack_in_node(pyodide):
    _check(pyodide.run, pyodide.index_url)


@pytest.mark.browser
def test_native_unpack_in_chromium(browser_page):
    _check(browser_page.run, browser_page.index_url, browser=True)
