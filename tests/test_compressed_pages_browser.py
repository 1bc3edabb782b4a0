"""Index pages served compressed, cross-origin, in Chromium.

PyPI compresses its pages for clients that accept gzip. In a page, ``fetch`` decodes the
body, Content-Length still counts the compressed bytes, and a cross-origin answer hides
Content-Encoding: the decoded body is longer than announced, which is not a truncation.
"""

from __future__ import annotations

import gzip
import urllib.request

import pytest

from .harness.fault_server import FaultServer, Reply
from .snippets import installed_version

pytestmark = pytest.mark.browser


def test_gzip_compressed_index_pages_install(browser_page, fixture_index):
    with FaultServer(upstream=fixture_index.url) as server:
        for name in ("greeting", "colorama-lite", "textwrap3-lite"):
            request = urllib.request.Request(
                f"{fixture_index.simple_url}{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
            )
            with urllib.request.urlopen(request) as answer:
                page = answer.read()
            packed = gzip.compress(page)
            assert len(packed) < len(page)
            server.route(
                f"/simple/{name}/",
                Reply(body=packed, content_type="application/vnd.pypi.simple.v1+json", headers={"Content-Encoding": "gzip"}),
            )
        browser_page.run(f"await micropip.install('greeting', index_urls=[{server.url + 'simple/'!r}])")
        assert server.count("/simple/greeting/") == 1  # read once: no retry of a "truncated" page
    assert browser_page.run(installed_version("greeting")) == "1.1"
