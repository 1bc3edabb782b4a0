"""Every code example in docs/*.md runs here, and the API reference builds.

A fenced block's info string says how it runs:

``python pyodide``            in a fresh Pyodide (Node) with micropip pointed at the fixture
                              index; ``raises=NAME`` expects that exception. What it prints,
                              and the value of its last expression, is its output.
``console host``              each ``$ `` line in bash on the host, ``python`` being the
                              venv's; the lines under a command are its expected output.
                              ``exit=N``: the last command exits N. ``cwd=repo``: run in the
                              repository instead of the doc's work folder.
``js browser page=PATH``      a module script in Chromium, in the page PATH of the work folder.
``text output``               the output of the block before it (checked).
``text``                      a sample that is not run.

Expected output is matched line by line, in order, allowing other lines in between;
``...`` inside a line matches anything. Placeholders: ``INDEX_URL`` (the fixture
index), ``FILES_URL`` (its wheel files) and ``APP_URL`` (the doc's work folder over
HTTP) in Python and JS; ``$INDEX_URL`` and ``$APP_URL`` in shell. Each doc gets one
work folder, shared by its blocks in order, holding only ``wheels/`` (the fixture wheels):
the host tools get each Pyodide release from the release catalog (the suite's seeded
cache, offline), as an installed ``pyodide-pm`` does. The Pyodide CDN is out of reach
here, so in Chromium its URLs (``https://cdn.jsdelivr.net/pyodide/vX/full/...``) are
answered from the same release's files in that cache; a file the cache lacks (a
package wheel) answers 404, as an unreachable CDN would fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from index_server.server import start_static_server
from micropip.errors import MicropipError
from pyodide_pm.catalog import Catalog

from .conftest import FIXTURE_WHEELS, REPO_ROOT
from .harness.pyodide_node import PyodideError

DOCS = REPO_ROOT / "docs"
DOC_FILES = sorted(DOCS.glob("*.md"))
REQUIRED_DOCS = {"notebook.md", "app-author.md", "ci.md", "api.md"}
KINDS = {("python", "pyodide"): "pyodide", ("console", "host"): "host", ("js", "browser"): "browser"}
COMMAND_TIMEOUT = 300


@dataclass
class Block:
    path: Path
    line: int
    info: str
    body: str
    kind: str = ""  # pyodide, host, browser, output, sample, or "" (not runnable)
    options: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO_ROOT)}:{self.line} ({self.info or 'no info string'})"


def parse_blocks(path: Path) -> list[Block]:
    blocks: list[Block] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        match = re.match(r"^ {0,3}(`{3,}|~{3,})(.*)$", lines[i])
        if not match:
            i += 1
            continue
        fence, info = match.group(1), match.group(2).strip()
        start = i + 1
        i += 1
        while i < len(lines) and not re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[i]):
            i += 1
        blocks.append(classify(Block(path, start, info, "\n".join(lines[start:i]) + "\n")))
        i += 1
    return blocks


def classify(block: Block) -> Block:
    words = block.info.split()
    flags = tuple(w for w in words if "=" not in w)
    block.options = dict(w.split("=", 1) for w in words if "=" in w)
    if flags[:2] in KINDS:
        block.kind = KINDS[flags[:2]]
    elif flags == ("text", "output"):
        block.kind = "output"
    elif flags == ("text",):
        block.kind = "sample"
    return block


def assert_output(expected: str, actual: str, where: str) -> None:
    """Each expected line appears in ``actual``, in order; ``...`` matches anything."""
    lines = [line.strip() for line in actual.splitlines()]
    at = 0
    for want in (w.strip() for w in expected.splitlines()):
        if not want:
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in want.split("...")))
        while at < len(lines) and not pattern.fullmatch(lines[at]):
            at += 1
        if at == len(lines):
            pytest.fail(f"{where}: expected output line not found (in order):\n  {want}\nactual output:\n{actual}")
        at += 1


# ---- the doc's work folder ---------------------------------------------------------------------


@dataclass
class DocRun:
    workdir: Path
    app_url: str
    index_url: str
    files_url: str

    def substitute(self, text: str) -> str:
        return text.replace("INDEX_URL", self.index_url).replace("FILES_URL", self.files_url).replace("APP_URL", self.app_url)

    def env(self) -> dict[str, str]:
        venv_bin = str(Path(sys.executable).parent)
        return dict(os.environ, PATH=venv_bin + os.pathsep + os.environ.get("PATH", ""), INDEX_URL=self.index_url, APP_URL=self.app_url)


@pytest.fixture
def doc_run(tmp_path, fixture_index) -> Iterator[DocRun]:
    work = tmp_path / "work"
    shutil.copytree(FIXTURE_WHEELS, work / "wheels")
    with start_static_server({"/app/": work}) as server:
        yield DocRun(work, server.url + "app", fixture_index.simple_url, fixture_index.url + "files")


# ---- running one block --------------------------------------------------------------------------

PYODIDE_PREAMBLE = """
import io, sys, micropip
_doc_out = io.StringIO()
sys.stdout = sys.stderr = _doc_out
micropip.set_index_urls([{index!r}])
"""

PYODIDE_RUN = """
from pyodide.code import eval_code_async as _eval
_doc_value = await _eval({code!r}, {{"__name__": "__main__"}}, filename="<doc>")
if _doc_value is not None:
    print(repr(_doc_value))
"""


def run_pyodide(block: Block, run: DocRun, node_runner, bundle_dir: Path) -> str:
    interp = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
    try:
        interp.run(PYODIDE_PREAMBLE.format(index=run.index_url))
        error = None
        try:
            interp.run(PYODIDE_RUN.format(code=run.substitute(block.body)))
        except PyodideError as exc:
            error = exc
        output = interp.run("_doc_out.getvalue()")
    finally:
        interp.drop()
    expected = block.options.get("raises")
    if expected:
        assert error is not None, f"{block.where}: expected {expected}, but the example succeeded\n{output}"
        assert error.type == expected, f"{block.where}: expected {expected}, got {error}"
        output += f"{error.type}: {error.message}\n"
    elif error is not None:
        pytest.fail(f"{block.where} failed:\n{error}\noutput:\n{output}")
    return output


def console_commands(body: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs; a trailing backslash continues a command."""
    pairs: list[tuple[str, list[str]]] = []
    continued = False
    for line in body.splitlines():
        if continued:
            pairs[-1] = (pairs[-1][0] + "\n" + line, pairs[-1][1])
        elif line.startswith("$ "):
            pairs.append((line[2:], []))
        elif pairs:
            pairs[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"output before the first `$ ` command: {line!r}")
        continued = line.endswith("\\") and (line.startswith("$ ") or continued)
    return [(cmd, "\n".join(out)) for cmd, out in pairs]


def run_host(block: Block, run: DocRun) -> str:
    commands = console_commands(block.body)
    assert commands, f"{block.where}: no `$ ` command in a console block"
    cwd = REPO_ROOT if block.options.get("cwd") == "repo" else run.workdir
    output = ""
    for number, (command, expected) in enumerate(commands, 1):
        proc = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=run.env(), capture_output=True, text=True, timeout=COMMAND_TIMEOUT
        )
        want = int(block.options.get("exit", 0)) if number == len(commands) else 0
        output = proc.stdout + proc.stderr
        assert proc.returncode == want, f"{block.where}: `{command}` exited {proc.returncode}, expected {want}:\n{output}"
        assert_output(expected, output, f"{block.where}: `{command}`")
    return output


BROWSER_PAGE = """<!doctype html>
<meta charset="utf-8">
<title>doc example</title>
<script type="module">
{imports}
try {{
{body}
  window.docResult = "ok";
}} catch (err) {{
  window.docResult = "error: " + (err && err.stack || err);
}}
</script>
"""


CDN_PREFIX = "https://cdn.jsdelivr.net/pyodide/"
CONTENT_TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".zip": "application/zip"}


def serve_cdn(context) -> None:
    """Answer the Pyodide CDN's URLs with the release's own files from the release catalog's cache."""

    def handle(route) -> None:
        rest = route.request.url[len(CDN_PREFIX) :].split("?", 1)[0]
        folder, _, name = rest.partition("/full/")
        try:
            files = Catalog().release(folder.removeprefix("v"), runtime=True).runtime_files()
        except MicropipError:
            files = {}
        path = files.get(name)
        if path is None:
            route.fulfill(status=404, body=f"{name} is not in the CDN stand-in", headers={"Access-Control-Allow-Origin": "*"})
            return
        content_type = CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")
        route.fulfill(path=str(path), content_type=content_type, headers={"Access-Control-Allow-Origin": "*"})

    context.route(CDN_PREFIX + "**", handle)


def run_browser(block: Block, run: DocRun, chromium) -> str:
    page_path = block.options.get("page")
    assert page_path, f"{block.where}: a js browser block needs page=PATH"
    code = run.substitute(block.body)
    imports = "\n".join(line for line in code.splitlines() if line.startswith("import "))
    body = textwrap.indent("\n".join(line for line in code.splitlines() if not line.startswith("import ")), "  ")
    target = run.workdir / page_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(BROWSER_PAGE.format(imports=imports, body=body))
    context = chromium.new_context()
    serve_cdn(context)
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text))
    page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
    try:
        page.goto(f"{run.app_url}/{page_path}")
        try:
            page.wait_for_function("window.docResult", timeout=120_000)
        except Exception as exc:
            pytest.fail(f"{block.where}: the page never finished ({exc});\nconsole: {messages}")
        result = page.evaluate("window.docResult")
    finally:
        context.close()
    output = "\n".join(messages) + "\n"
    assert result == "ok", f"{block.where}: {result}\nconsole:\n{output}"
    return output


# ---- the tests ----------------------------------------------------------------------------------


def test_docs_exist_and_every_block_is_runnable_or_text():
    assert REQUIRED_DOCS <= {p.name for p in DOC_FILES}, f"missing docs: {REQUIRED_DOCS - {p.name for p in DOC_FILES}}"
    problems = []
    for path in DOC_FILES:
        previous = None
        for block in parse_blocks(path):
            if not block.kind:
                problems.append(f"{block.where}: not runnable; use python pyodide, console host, js browser, text output or text")
            if block.kind == "output" and (previous is None or previous.kind not in ("pyodide", "host", "browser")):
                problems.append(f"{block.where}: `text output` must follow a runnable block")
            previous = block
    assert not problems, "\n".join(problems)


@pytest.mark.pyodide
@pytest.mark.parametrize("doc", [p.name for p in DOC_FILES])
def test_doc_examples(doc, doc_run, node_runner, bundle_dir):
    """Host and Pyodide blocks, in order (the browser blocks run in the test below)."""
    blocks = parse_blocks(DOCS / doc)
    ran = 0
    output = None
    for block in blocks:
        if block.kind == "pyodide":
            output = run_pyodide(block, doc_run, node_runner, bundle_dir)
        elif block.kind == "host":
            output = run_host(block, doc_run)
        elif block.kind == "output" and output is not None:
            assert_output(block.body, output, block.where)
            continue
        else:
            output = None  # browser blocks' output is checked in the browser test
            continue
        ran += 1
    assert ran or not blocks, f"{doc}: no example ran"


BROWSER_DOCS = [p.name for p in DOC_FILES if any(b.kind == "browser" for b in parse_blocks(p))]


@pytest.mark.browser
@pytest.mark.parametrize("doc", BROWSER_DOCS)
def test_doc_browser_examples(doc, doc_run, chromium):
    """Browser blocks in Chromium, after the doc's host blocks made the files they use."""
    output = None
    for block in parse_blocks(DOCS / doc):
        if block.kind == "host":
            output = run_host(block, doc_run)
        elif block.kind == "browser":
            output = run_browser(block, doc_run, chromium)
        elif block.kind == "output" and output is not None:
            assert_output(block.body, output, block.where)
        else:
            output = None


def test_api_reference_builds(tmp_path):
    if importlib.util.find_spec("pdoc") is None:
        pytest.fail("pdoc is not installed: run `bash scripts/setup.sh` (it installs the test extras, which include pdoc)")
    out = tmp_path / "api"
    proc = subprocess.run(
        [sys.executable, str(DOCS / "build_api.py"), "--out", str(out)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning" not in proc.stderr.lower(), proc.stderr
    install_page = (out / "micropip.html").read_text()
    assert "install_lockfile" in install_page and "set_index_urls" in install_page
    progress_page = (out / "micropip" / "progress.html").read_text()
    for name in ("ResolutionStarted", "DownloadStarted", "FileDownloadFinished", "Done", "Failed"):
        assert name in progress_page, name
    assert "run_magic" in (out / "micropip" / "magics.html").read_text()
    assert "NoCompatibleWheelError" in (out / "micropip" / "errors.html").read_text()
    assert (out / "index.html").exists() and (out / "lockfile.html").exists()
    # only the public modules are documented
    assert not (out / "micropip" / "wheelfile.html").exists()
