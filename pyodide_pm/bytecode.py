"""Bytecode for the bundle's wheels, compiled by the very Pyodide that will run it.

A wheel of sources makes every new interpreter compile them on first import (about
120 ms for ours under WebAssembly, and Pyodide does not keep ``__pycache__``). The
bundle therefore carries ``.pyc`` files next to the sources. They must come from the
target's own CPython (the magic number changes between versions), so the host runs
the pinned Pyodide in Node once, at bundle time. They are "unchecked-hash" pycs
(PEP 552): valid whatever the file times after unpacking; the sources stay in the
wheel for tracebacks.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

SITE = "/lib/python3.14/site-packages"

_COMPILER = r"""
import { loadPyodide } from "PYODIDE";
import { readFileSync } from "node:fs";
const sources = JSON.parse(readFileSync(0, "utf8"));
const py = await loadPyodide();
py.globals.set("sources_json", JSON.stringify(sources));
const out = py.runPython(`
SITE = SITE_PATH
import base64, importlib.util, json, sys
from importlib._bootstrap_external import _code_to_hash_pyc
tag = sys.implementation.cache_tag
out = {}
for path, text in json.loads(sources_json).items():
    source = text.encode()
    code = compile(source, SITE + "/" + path, "exec", dont_inherit=True)
    folder, _, name = path.rpartition("/")
    target = (folder + "/" if folder else "") + "__pycache__/" + name[:-3] + "." + tag + ".pyc"
    out[target] = base64.b64encode(_code_to_hash_pyc(code, importlib.util.source_hash(source), False)).decode()
json.dumps(out)
`);
process.stdout.write(out);
"""


class BytecodeError(Exception):
    """Compiling in Pyodide failed; the message says why."""


def compile_in_pyodide(sources: Mapping[str, bytes], pyodide_dir: Path, timeout: float = 120.0) -> dict[str, bytes]:
    """``{archive path of each .pyc: bytes}`` for the given ``{archive path: source}``.

    Raises ``BytecodeError`` when Node or Pyodide cannot do it (a source that does not
    compile is one such case: the wheel would be broken anyway).
    """
    node = shutil.which("node")
    entry = pyodide_dir / "pyodide.mjs"
    if node is None or not entry.exists():
        raise BytecodeError(f"needs node and {entry}")
    script = _COMPILER.replace("PYODIDE", entry.resolve().as_uri()).replace("SITE_PATH", json.dumps(SITE))
    payload = json.dumps({path: data.decode("utf-8") for path, data in sources.items() if path.endswith(".py")})
    try:
        result = subprocess.run(
            [node, "--input-type=module", "-e", script], input=payload, capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BytecodeError(f"could not run node: {exc}") from exc
    if result.returncode != 0:
        raise BytecodeError(f"node exited with {result.returncode}: {result.stderr.strip()[-800:]}")
    try:
        return {path: base64.b64decode(text) for path, text in json.loads(result.stdout).items()}
    except ValueError as exc:
        raise BytecodeError(f"unreadable answer from node: {exc}") from exc
