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
from collections.abc import Mapping, Sequence
from pathlib import Path

SITE = "/lib/python3.14/site-packages"

_COMPILER = r"""
import { loadPyodide } from "PYODIDE";
import { readFileSync } from "node:fs";
const sources = JSON.parse(readFileSync(0, "utf8"));
const py = await loadPyodide({ env: ENV });
py.globals.set("sources_json", JSON.stringify(sources));
const out = py.runPython(`
SITE = SITE_PATH
import base64, importlib.util, json, sys, zipimport
from importlib._bootstrap_external import _code_to_hash_pyc
tag = sys.implementation.cache_tag
out = {}
def put(target, source, filename):
    code = compile(source, filename, "exec", dont_inherit=True)
    out[target] = base64.b64encode(_code_to_hash_pyc(code, importlib.util.source_hash(source), CHECKED)).decode()
for path, text in json.loads(sources_json).items():
    folder, _, name = path.rpartition("/")
    put((folder + "/" if folder else "") + "__pycache__/" + name[:-3] + "." + tag + ".pyc", text.encode(), SITE + "/" + path)
where = next((e for e in sys.path if e.endswith(".zip")), None)
for path in (STDLIB if where else []):
    try:
        source = zipimport.zipimporter(where).get_data(where + "/" + path)
    except OSError:
        continue
    put(STDLIB_PREFIX + path, source, where + "/" + path)
json.dumps(out)
`);
process.stdout.write(out);
"""


class BytecodeError(Exception):
    """Compiling in Pyodide failed; the message says why."""


# Where ``compile_in_pyodide`` returns the standard library modules it was asked for.
STDLIB_PREFIX = "<stdlib>/"


def compile_in_pyodide(
    sources: Mapping[str, bytes], pyodide_dir: Path, timeout: float = 120.0, *, checked: bool = False,
    debug_ranges: bool = True, stdlib: Sequence[str] = (),
) -> dict[str, bytes]:
    """``{archive path of each .pyc: bytes}`` for the given ``{archive path: source}``.

    ``stdlib``: paths in the release's standard library zip to compile too (those it lacks are
    left out), returned under ``STDLIB_PREFIX`` + path.

    ``checked``: checked-hash pycs (the loader compares the source's hash) instead of unchecked.
    ``debug_ranges=False``: without column positions (``PYTHONNODEBUGRANGES``): tracebacks keep
    their line numbers but lose the ``^^^`` markers, and the bytecode is about a quarter smaller.

    Raises ``BytecodeError`` when Node or Pyodide cannot do it (a source that does not
    compile is one such case: the wheel would be broken anyway).
    """
    node = shutil.which("node")
    entry = pyodide_dir / "pyodide.mjs"
    if node is None or not entry.exists():
        raise BytecodeError(f"needs node and {entry}")
    env = {"HOME": "/home/pyodide"} | ({} if debug_ranges else {"PYTHONNODEBUGRANGES": "1"})
    script = (_COMPILER.replace("PYODIDE", entry.resolve().as_uri()).replace("SITE_PATH", json.dumps(SITE))
              .replace("ENV", json.dumps(env)).replace("CHECKED", "True" if checked else "False")
              .replace("STDLIB_PREFIX", json.dumps(STDLIB_PREFIX)).replace("STDLIB", json.dumps(list(stdlib))))
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
