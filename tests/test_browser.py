"""The notebook flow and the foundation checks in Chromium, with the index on another origin."""

from __future__ import annotations

import hashlib
import json

import pytest

from .conftest import FIXTURE_WHEELS

pytestmark = pytest.mark.browser


def test_bundle_boots_and_imports(browser_page):
    versions = browser_page.run("import micropip, packaging, resolvelib, sys; [micropip.__version__, packaging.__version__, resolvelib.__version__, sys.platform]")
    assert versions[1] == "26.2" and versions[3] == "emscripten"


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


# Pyodide's own loader, in a new page, given the lock text; what it loaded and imported.
LOAD_FROZEN_LOCK = """
async ([lock, name, code]) => {
  const { loadPyodide } = await import("/pyodide/pyodide.mjs");
  const py = await loadPyodide({ lockFileContents: lock });
  const messages = [];
  await py.loadPackage(name, { messageCallback: (m) => messages.push(m), errorCallback: (m) => messages.push("ERROR: " + m) });
  return { loaded: Object.keys(py.loadedPackages).sort(), messages, value: py.runPython(code) };
}
"""


def test_freeze_after_an_extra_loads_the_extras_dependency_in_a_new_page(browser_page, page_server):
    # Pyodide's lock has requests (a stand-in wheel here); PySocks comes from the index.
    wheel = FIXTURE_WHEELS / "requests-2.33.1-py3-none-any.whl"
    url, sha256 = browser_page.index_url.replace("/simple/", "/files/") + wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest()
    browser_page.run(
        "import pyodide_js\n"
        "_lock = pyodide_js._api.lockfile.to_py()\n"
        f"_lock['packages']['requests'].update(file_name={url!r}, sha256={sha256!r}, depends=[])\n"
        "micropip._get_manager().lock_override = (_lock, str(pyodide_js.lockfileBaseUrl))\n"
        "await micropip.install('requests[socks]')"
    )
    frozen = browser_page.run("micropip.freeze()")
    assert json.loads(frozen)["packages"]["requests"]["depends"] == ["pysocks"]

    page = browser_page.page.context.new_page()
    try:
        page.goto(page_server.url + "harness/run_helper.py")  # any page of the origin, nothing booted
        got = page.evaluate(LOAD_FROZEN_LOCK, [frozen, "requests", "import requests, socks; f'{requests.__version__} {socks.PROXY_TYPE_SOCKS5}'"])
    finally:
        page.close()
    assert [m for m in got["messages"] if m.startswith("ERROR")] == []
    assert {"requests", "PySocks"} <= set(got["loaded"]), got
    assert got["value"] == "2.33.1 2"
