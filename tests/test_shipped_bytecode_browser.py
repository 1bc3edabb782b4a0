"""A new visitor's first install in Chromium fetches the bundle's bytecode part over HTTP
(``installation.shipped_bytecode``) and imports the machinery from it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import booted_page
from .harness.browser import BrowserPage
from .test_shipped_bytecode_pyodide import SPY

pytestmark = pytest.mark.browser


@pytest.fixture
def new_visitor(chromium, page_server) -> Iterator[BrowserPage]:
    """A fresh profile's page where only ``import micropip`` ran (the cache on, a page's default)."""
    context, bp = booted_page(chromium, page_server)
    bp.run("import micropip\n" + SPY)
    yield bp
    context.close()


def test_a_new_visitors_first_install_imports_the_machinery_from_the_fetched_part(new_visitor, fixture_index):
    bp = new_visitor
    bp.run(f"await micropip.install('greeting', index_urls=[{fixture_index.simple_url!r}])")
    assert bp.run("import importlib.metadata as _md; _md.version('greeting')") == "1.1"
    calls = bp.run("_asked_with")
    assert calls and calls[0][0] is True
    for module in ("micropip.package_manager", "packaging.specifiers", "resolvelib.resolvers", "platform"):
        assert bp.run(f"_loader({module!r})") == "_KeptLoader", module
    # it came over HTTP, from beside micropip's wheel, checked against the lock's sha256
    fetched = bp.page.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('micropip_bytecode'))"
    )
    assert len(fetched) == 1 and fetched[0].startswith(bp.page.url.split("/harness/")[0] + "/bundle/")
    assert not [m for m in bp.run("_log") if "bytecode:" in m]  # nothing refused
