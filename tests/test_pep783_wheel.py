"""A real PEP 783 wheel with a compiled side module, installed and imported in Node and Chromium."""

from __future__ import annotations

import pytest

from index_server.server import start_server


@pytest.fixture(scope="module")
def pep783_index(pep783_wheel):
    with start_server(pep783_wheel.parent) as server:
        yield server


@pytest.mark.pyodide
def test_pep783_wheel_in_node(pyodide, pep783_index):
    # Pyodide's lock has msgpack 1.1.2 (taken first, as Pyodide's micropip does, but its CDN is
    # out of reach here): the requirement asks for the index's PEP 783 release.
    pyodide.run(f"await micropip.install('msgpack>=1.2', index_urls=[{pep783_index.simple_url!r}])")
    result = pyodide.run(
        "import msgpack, msgpack._cmsgpack as c; "
        "(msgpack.unpackb(msgpack.packb({'a': [1, 2]})), c.__file__.endswith('.so'), msgpack.version)"
    )
    assert result[0] == {"a": [1, 2]} and result[1] is True


@pytest.mark.browser
def test_pep783_wheel_in_chromium(browser_page, pep783_index):
    browser_page.run(f"await micropip.install('msgpack>=1.2', index_urls=[{pep783_index.simple_url!r}])")
    result = browser_page.run(
        "import msgpack, msgpack._cmsgpack as c; (msgpack.unpackb(msgpack.packb([1, 'x'])), c.__file__.endswith('.so'))"
    )
    assert result == [[1, "x"], True]
