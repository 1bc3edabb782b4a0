"""The demo console page (demo/console.html) in Chromium, served like `python -m pyodide_pm.cli demo`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from index_server.server import start_server

from .conftest import FIXTURE_WHEELS, PYODIDE_DIR, REPO_ROOT

pytestmark = pytest.mark.browser

DEMO_TREE = ["demo_app-1.0-py3-none-any.whl", "greeting-1.1-py3-none-any.whl", "colorama_lite-0.2-py3-none-any.whl", "textwrap3_lite-1.0-py3-none-any.whl"]


@pytest.fixture(scope="module")
def demo_server(bundle_dir) -> Iterator:
    """The same folders `_cmd_demo` serves: the fixture index, Pyodide, the bundle, the console."""
    folders = {"/pyodide/": PYODIDE_DIR, "/bundle/": bundle_dir, "/console/": REPO_ROOT / "demo", "/docs/": REPO_ROOT / "docs"}
    with start_server(FIXTURE_WHEELS, extra_static=folders) as server:
        yield server


@pytest.fixture
def console(chromium, demo_server) -> Iterator:
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    page.goto(demo_server.url + "console/console.html")
    page.wait_for_function("window.consoleReady || window.consoleError", timeout=90_000)
    assert page.evaluate("window.consoleError || null") is None, messages
    yield page
    context.close()


def run_in_console(page, code: str) -> None:
    page.fill("#code", code)
    page.click("#run")


def test_install_through_the_page_with_a_progress_bar(console, artifacts):
    run_in_console(console, 'await micropip.install("demo-app")')
    console.wait_for_function(
        """() => {
            const bar = document.getElementById('progress');
            return bar.hasAttribute('value') && bar.max > 1 && bar.value >= bar.max
                && document.getElementById('summary').textContent.includes('demo-app');
        }""",
        timeout=60_000,
    )
    console.screenshot(path=str(artifacts / "demo-console.png"), full_page=True)
    summary = console.inner_text("#summary")
    assert "Installed 4 packages in " in summary
    assert "+ demo-app==1.0" in summary and "+ greeting==1.1" in summary
    # the bar counted bytes: its maximum is the size of the four wheels
    assert console.evaluate("document.getElementById('progress').max") == sum((FIXTURE_WHEELS / f).stat().st_size for f in DEMO_TREE)
    assert console.inner_text("#progress-text").startswith("done: 4 files")
    assert console.is_hidden("#error")
    # the installed package imports, with Enter running the input
    console.fill("#code", "import greeting; greeting.hello('console')")
    console.press("#code", "Enter")
    console.wait_for_function("document.getElementById('out').textContent.includes('Hello, console!')", timeout=30_000)


def test_impossible_install_shows_the_explanation_not_a_traceback(console, artifacts):
    run_in_console(console, 'await micropip.install(["conflict-a", "conflict-b"])')
    console.wait_for_selector("#error:not([hidden])", timeout=60_000)
    console.screenshot(path=str(artifacts / "demo-console-error.png"), full_page=True)
    assert console.inner_text("#error-type") == "ResolutionError"
    message = console.inner_text("#error-message")
    assert message.startswith("Cannot find a set of versions that works")
    assert "conflicting requirements for shared" in message and "conflict-a" in message
    assert "Traceback" not in console.inner_text("body")
    assert console.inner_text("#progress-text") == "failed"
    assert console.inner_text("#summary") == ""


def test_index_chooser_and_plain_python_errors(console):
    console.check("input[value=pypi]")
    run_in_console(console, "micropip._get_manager().index_urls")
    console.wait_for_function("document.getElementById('out').textContent.includes('pypi.org')", timeout=30_000)
    assert "['https://pypi.org/simple']" in console.inner_text("#out")
    console.check("input[value=fixture]")
    run_in_console(console, "1/0")
    console.wait_for_function("document.getElementById('out').textContent.includes('ZeroDivisionError')", timeout=30_000)
    out = console.inner_text("#out")
    assert 'File "<console>", line 1' in out and "pyodide" not in out.split(">>> 1/0", 1)[1]
    assert console.is_hidden("#error")
    run_in_console(console, "micropip._get_manager().index_urls")
    console.wait_for_function("document.getElementById('out').textContent.includes(\"/simple/']\")", timeout=30_000)
    assert f"['{console.url.split('/console/')[0]}/simple/']" in console.inner_text("#out")


def test_console_links_to_the_client_guides(console, demo_server):
    """The JupyterLite/PyScript guide is one click away, and the demo server serves it."""
    href = console.get_attribute("a[href$='clients.md']", "href")
    assert href == "/docs/clients.md"
    answer = console.request.get(demo_server.url + href.lstrip("/"))
    assert answer.ok
    text = answer.text()
    assert "JupyterLite" in text and "PyScript" in text
