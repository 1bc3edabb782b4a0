"""Drive Debian's Chromium with Python Playwright (never a downloaded browser)."""

from __future__ import annotations

import json
import shutil
import textwrap
from typing import Any

from .pyodide_node import PyodideError

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path:
        raise RuntimeError("chromium not found on PATH: run `apt-get install -y chromium` (scripts/setup.sh does)")
    return path


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)


class BrowserPage:
    """A page that booted Pyodide + micropip; ``run`` works like the Node harness."""

    def __init__(self, page, console: list[str]) -> None:
        self.page = page
        self.console = console

    def wait_ready(self, timeout_ms: int = 90_000) -> None:
        self.page.wait_for_function("window.pyodideReady || window.pyodideError", timeout=timeout_ms)
        error = self.page.evaluate("window.pyodideError || null")
        if error:
            raise RuntimeError(f"Pyodide failed to boot in Chromium: {error}\nconsole: {self.console[-20:]}")

    def run(self, code: str) -> Any:
        answer = json.loads(self.page.evaluate("code => window.runPython(code)", textwrap.dedent(code)))
        if not answer["ok"]:
            raise PyodideError(answer)
        return answer["value"]
