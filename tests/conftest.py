"""Shared fixtures: the fixture index on loopback, real Pyodide in Node, Chromium.

Tests never reach the internet: every server here listens on 127.0.0.1 with an
ephemeral port.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
# The host tools' user cache (release catalog, pinned wheels) is the repository's, seeded by
# scripts/setup.sh (`pyodide-pm release 314.0.7 0.27.7`), and nothing may be downloaded
# into it during the suite: tests never reach the network. Subprocesses (the CLI, the docs'
# shell blocks) inherit both. A test that exercises downloads points at loopback stand-ins
# and lifts PYODIDE_PM_OFFLINE for itself.
os.environ["PYODIDE_PM_CACHE_DIR"] = str(REPO_ROOT / ".cache" / "pyodide-pm")
os.environ["PYODIDE_PM_OFFLINE"] = "1"

from index_server.server import start_server, start_static_server  # noqa: E402
from pyodide_pm.bundle import PEP783_WHEELS, pep783_cache_dir, write_bundle  # noqa: E402

from .harness.browser import BrowserPage, launch_chromium  # noqa: E402
from .harness.pyodide_node import Interpreter, NodeRunner  # noqa: E402

# ---- issue 16: pypiserver and devpi-server on loopback (session-wide, started on first use) ----
from .harness.third_party_indexes import devpi, pypiserver_auth, pypiserver_nohash, pypiserver_open  # noqa: F401, E402
# ---- end issue 16 ----

# The persistent wheel cache stays off unless a test turns it on (wheel_cache.configure):
# the suite must never answer a download from an earlier run, nor fill ~/.cache. Node
# interpreters inherit this from the environment.
os.environ.setdefault("PYODIDE_PM_NO_CACHE", "1")

FIXTURE_WHEELS = REPO_ROOT / "fixtures" / "wheels"
BROKEN_WHEELS = REPO_ROOT / "fixtures" / "broken"
PYODIDE_DIR = REPO_ROOT / "node_modules" / "pyodide"
ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def bundle_dir(tmp_path_factory) -> Path:
    """The browser bundle, built from the current source tree."""
    out = tmp_path_factory.mktemp("bundle")
    write_bundle(out)
    return out


@pytest.fixture(scope="session")
def fixture_index() -> Iterator:
    """The committed fixture wheels served as an index (PEP 691/503, JSON API, PEP 658)."""
    with start_server(FIXTURE_WHEELS) as server:
        yield server


SDISTS = REPO_ROOT / "fixtures" / "sdists"
BUILD_BACKENDS = REPO_ROOT / ".cache" / "build-backends"


@pytest.fixture(scope="session")
def build_index() -> Iterator:
    """The fixture wheels, the fixture sdists and the pinned PEP 517 backends as one index."""
    if not (BUILD_BACKENDS / "setuptools-84.2.1-py3-none-any.whl").exists():
        pytest.fail(f"{BUILD_BACKENDS} lacks the pinned build backends: run `bash scripts/setup.sh`")
    with start_server([FIXTURE_WHEELS, SDISTS, BUILD_BACKENDS]) as server:
        yield server


@pytest.fixture(scope="session")
def node_runner() -> Iterator[NodeRunner]:
    runner = NodeRunner()
    yield runner
    runner.close()


@pytest.fixture
def pyodide(node_runner: NodeRunner, bundle_dir: Path, fixture_index) -> Iterator[Interpreter]:
    """A fresh Pyodide interpreter in Node with micropip loaded, pointed at the fixture index."""
    interp = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
    interp.index_url = fixture_index.simple_url
    interp.run(f"import micropip; micropip.set_index_urls([{fixture_index.simple_url!r}])")
    yield interp
    interp.drop()


@pytest.fixture(scope="session")
def pep783_wheel() -> Path:
    """A real PEP 783 wheel with a compiled side module, fetched at set-up time (never committed)."""
    pin = PEP783_WHEELS[0]
    path = pep783_cache_dir() / pin.filename
    if not path.exists():
        pytest.fail(f"{path} is missing: run `bash scripts/setup.sh` (it downloads and verifies it)")
    return path


# ---- Chromium ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def page_server(bundle_dir: Path) -> Iterator:
    """Serves the test page, the Pyodide runtime and the bundle: one origin."""
    folders = {"/pyodide/": PYODIDE_DIR, "/bundle/": bundle_dir, "/harness/": REPO_ROOT / "tests" / "harness"}
    with start_static_server(folders) as server:
        yield server


@pytest.fixture(scope="module")
def chromium() -> Iterator:
    """Chromium for one test module. Playwright's sync API keeps an event loop running in this
    thread while it is open, where ``asyncio.run`` (the host tools) and pytest-asyncio cannot
    start theirs; closing it after each module keeps the tests independent of the order in
    which pytest-xdist hands modules to its workers."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


def booted_page(chromium, page_server) -> tuple[Any, BrowserPage]:
    """A new browser profile's page that booted Pyodide with the bundle; close the context after."""
    context = chromium.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.goto(page_server.url + "harness/page.html")
    bp = BrowserPage(page, console)
    bp.wait_ready()
    return context, bp


@pytest.fixture
def browser_page(chromium, page_server, fixture_index) -> Iterator[BrowserPage]:
    """A Chromium page that booted Pyodide + micropip; the index is on another origin (CORS)."""
    context, bp = booted_page(chromium, page_server)
    bp.index_url = fixture_index.simple_url
    bp.run(f"import micropip; micropip.set_index_urls([{fixture_index.simple_url!r}])")
    yield bp
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_report_header(config) -> str:
    return f"pyodide runtime: {PYODIDE_DIR} (exists: {PYODIDE_DIR.exists()}); CI={os.environ.get('CI', '')}"


def pytest_collection_modifyitems(config, items) -> None:
    """Browser tests last within their module: Playwright's sync API keeps an event loop
    running in this thread until the module's ``chromium`` closes, where pytest-asyncio
    could not start its own."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
