"""The notebook flow and the foundation checks in Chromium, with the index on another origin."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser


def test_bundle_boots_and_imports(browser_page):
    versions = browser_page.run("import micropip, packaging, resolvelib, sys; [micropip.__version__, packaging.__version__, resolvelib.__version__, sys.platform]")
    assert versions[1] == "26.3" and versions[3] == "emscripten"


def test_pyfetch_cross_origin_index(browser_page):
    result = browser_page.run(
        f"""
from pyodide.http import pyfetch
r = await pyfetch({browser_page.index_url + 'greeting/'!r}, headers={{'Accept': 'application/vnd.pypi.simple.v1+json'}})
d = await r.json()
[r.status, d['name'], sorted(f['filename'] for f in d['files'])]
"""
    )
    assert result[0] == 200 and result[1] == "greeting"
    assert "greeting-1.1-py3-none-any.whl" in result[2]
    html = browser_page.run(f"from pyodide.http import pyfetch; r = await pyfetch({browser_page.index_url + 'greeting/'!r}); [r.status, await r.string()]")
    assert html[0] == 200 and "greeting-1.0-py3-none-any.whl" in html[1]
    api = browser_page.run(f"from pyodide.http import pyfetch; r = await pyfetch({browser_page.index_url.replace('/simple/', '/pypi/greeting/json')!r}); await r.string()")
    assert json.loads(api)["info"]["name"] == "greeting"


def test_notebook_flow_install_then_import(browser_page):
    browser_page.run("await micropip.install('demo-app')")
    assert browser_page.run("import greeting; greeting.hello()") == "Hello, world!"
    listed = browser_page.run("sorted(micropip.list())")
    assert "demo-app" in listed and "greeting" in listed
