"""The transport's JavaScript modules tested directly as JavaScript, with Node's built-in test runner.

The same modules run inside Pyodide in every Pyodide test; here crafted archives and
local servers reach corners those tests cannot (zip64 markers, overlapping members, timeouts).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

JS_TESTS = Path(__file__).resolve().parent / "js"


def test_javascript_modules_pass_their_node_tests() -> None:
    node = shutil.which("node")
    assert node, "node is not on PATH: scripts/setup.sh expects Node 20"
    files = sorted(str(p) for p in JS_TESTS.glob("*.test.mjs"))
    assert len(files) >= 2
    result = subprocess.run([node, "--test", *files], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
