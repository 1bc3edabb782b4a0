"""The wheel cache in Chromium: Cache Storage keeps a wheel across a page reload (a new interpreter)."""

from __future__ import annotations

import hashlib

import pytest

pytestmark = pytest.mark.browser

DATA_EXPR = "bytes(range(256)) * 300"
KEY = hashlib.sha256(bytes(range(256)) * 300).hexdigest()
URL = f"https://pyodide-pm.invalid/sha256/{KEY}"


def cached_urls(page) -> list[str]:
    return page.evaluate("async () => (await (await caches.open('pyodide-pm-wheels-v1')).keys()).map((r) => r.url)")


def test_cache_storage_survives_a_reload_and_drops_a_corrupt_entry(browser_page):
    bp = browser_page
    kind = bp.run(
        f"""
from micropip import cache as wheel_cache
wheel_cache.configure(enabled=True)
c = wheel_cache.current()
await c.put({KEY!r}, {DATA_EXPR})
type(c.store).__name__
"""
    )
    assert kind == "CacheStorageStore"
    assert sorted(cached_urls(bp.page)) == ["https://pyodide-pm.invalid/index.json", URL]

    bp.page.reload()  # a new Pyodide: nothing survives but the origin's storage
    bp.wait_ready()
    assert bp.run(f"from micropip import cache as wheel_cache; (await wheel_cache.current().get({KEY!r})) == {DATA_EXPR}") is True
    assert bp.run("await wheel_cache.current().usage()") == 256 * 300

    bp.page.evaluate(f"async () => (await caches.open('pyodide-pm-wheels-v1')).put({URL!r}, new Response('tampered'))")
    assert bp.run(f"await wheel_cache.current().get({KEY!r}) is None") is True
    assert URL not in cached_urls(bp.page)

    bp.run(f"await wheel_cache.current().put({KEY!r}, {DATA_EXPR}); import micropip; await micropip.clear_cache()")
    assert cached_urls(bp.page) == []

    # where a page has no Cache Storage (an insecure context, some workers) the cache is simply off
    bp.page.evaluate("() => { Object.defineProperty(window, 'caches', { value: undefined, configurable: true }); }")
    assert bp.run("wheel_cache.configure(); wheel_cache.current() is None") is True
