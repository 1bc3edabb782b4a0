"""Loads the ``.mjs`` files beside this module into the running JS engine, once each.

The JavaScript ships as package data, so it can be read, linted and tested as
JavaScript (``tests/js/``). Python reads a file's text from the installed package
and imports it as a ``data:`` URL module: that works in Node (where such a module
may import ``node:`` builtins), in a page and in a Web Worker alike.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
_loaded: dict[str, Any] = {}
_importer: Any = None


def source_of(name: str) -> str:
    """The text of ``<name>.mjs`` from this package."""
    return (_HERE / f"{name}.mjs").read_text(encoding="utf-8")


async def js_module(name: str) -> Any:
    """The module namespace of ``<name>.mjs``, evaluated on first use in this interpreter."""
    module = _loaded.get(name)
    if module is None:
        global _importer
        if _importer is None:
            from pyodide.code import run_js  # type: ignore[import-not-found]

            _importer = run_js("(url) => import(url)")  # `import()` is syntax: the one line of glue
        encoded = base64.b64encode(source_of(name).encode("utf-8")).decode("ascii")
        module = await _importer(f"data:text/javascript;base64,{encoded}")
        _loaded[name] = module
    return module


def loaded(name: str) -> Any:
    """The module namespace of ``<name>.mjs`` if this interpreter evaluated it already, else None
    (for a synchronous question, such as ``requests.receiving``)."""
    return _loaded.get(name)
