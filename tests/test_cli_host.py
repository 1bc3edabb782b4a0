"""The one console script: subcommands, help with examples, exit codes."""

from __future__ import annotations

import subprocess
import sys

from pyodide_pm.cli import main

from .conftest import FIXTURE_WHEELS, REPO_ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pyodide_pm.cli", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_help_lists_every_subcommand_with_examples():
    out = run("--help")
    assert out.returncode == 0
    for command in ("bundle", "lock", "check", "index", "demo"):
        assert command in out.stdout
    assert "Examples" in out.stdout or "examples" in out.stdout
    for command in ("lock", "check"):
        sub = run(command, "--help")
        assert sub.returncode == 0 and "xample" in sub.stdout


def test_usage_errors_exit_2():
    assert run("no-such-command").returncode == 2
    assert run("index", "bogus").returncode == 2


def test_index_build_through_the_console_script(tmp_path):
    assert main(["index", "build", str(FIXTURE_WHEELS), str(tmp_path / "site")]) == 0
    assert (tmp_path / "site" / "simple" / "greeting" / "index.html").exists()
    assert (tmp_path / "site" / "files" / "greeting-1.1-py3-none-any.whl.metadata").exists()
    assert main(["index", "build", str(tmp_path / "missing"), str(tmp_path / "x")]) == 1
