"""The native unpack path (Node zlib/crypto, browser DecompressionStream/WebCrypto) agrees with zipfile."""

from __future__ import annotations

import pytest

CHECK = """
import zipfile, io, hashlib
from pyodide.http import pyfetch
from micropip import transport
from micropip.wheelfile import raw_members
data = await (await pyfetch({url!r})).bytes()
native = await transport.inflate_members(data, raw_members(data))
zf = zipfile.ZipFile(io.BytesIO(data))
expected = {{i.filename: zf.read(i) for i in zf.infolist()}}
[native is not None,
 native is not None and {{k: v[0] for k, v in native.items()}} == expected,
 native is not None and all(v[1] == hashlib.sha256(v[0]).digest() for v in native.values())]
"""

LYING = """
import struct
bad = bytearray(data)
# Claim a smaller uncompressed size in the central directory for one deflated member:
# the native inflater must refuse to produce more than declared (zip-bomb bound).
m = next(m for m in raw_members(data) if m.deflated and m.size > 10)
from micropip.wheelfile import RawMember
fake = [RawMember(m.path, m.offset, m.compressed_size, 5, True)]
await transport.inflate_members(bytes(bad), fake)
"""


def _url(index_url: str) -> str:
    return index_url.replace("/simple/", "/files/") + "treepkg-1.0-py3-none-any.whl"


@pytest.mark.pyodide
def test_native_unpack_in_node(pyodide):
    assert pyodide.run(CHECK.format(url=_url(pyodide.index_url))) == [True, True, True]
    assert pyodide.run(LYING) is None  # refused, so the Python path (with its own checks) takes over


@pytest.mark.browser
def test_native_unpack_in_chromium(browser_page):
    assert browser_page.run(CHECK.format(url=_url(browser_page.index_url))) == [True, True, True]
    assert browser_page.run(LYING) is None
