"""After a first install, a standard library module is compiled once when imported, in real
Pyodide (``installation.bytecode.serve_stdlib``): Pyodide's own zip import compiled each one
twice. Nothing else about the import may change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.pyodide

COUNT_COMPILES = """
import builtins
_compiled = []
_real_compile = builtins.compile
def _counting(source, filename, *args, **kwargs):
    _compiled.append(str(filename))
    return _real_compile(source, filename, *args, **kwargs)
builtins.compile = _counting
"""


@pytest.fixture
def installed_once(node_runner, bundle_dir, fixture_index) -> Iterator:
    interp = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
    interp.run("import micropip")
    interp.run(f"await micropip.install('greeting', index_urls=[{fixture_index.simple_url!r}])")
    interp.run(COUNT_COMPILES)
    yield interp
    interp.drop()


def test_a_stdlib_module_is_compiled_once_and_is_the_zips_own(installed_once):
    py = installed_once
    py.run("import colorsys")
    assert py.run("[f for f in _compiled if f.endswith('colorsys.py')]") == ["/lib/python314.zip/colorsys.py"]
    assert py.run("colorsys.__file__") == "/lib/python314.zip/colorsys.py"
    assert py.run("import inspect; 'def rgb_to_hsv' in inspect.getsource(colorsys.rgb_to_hsv)")
    # a traceback through it shows its source line
    assert py.run("""
import traceback
try:
    colorsys.rgb_to_hsv("a", 0, 0)
except TypeError:
    _line = traceback.format_exc().strip().splitlines()[-2].strip()
bool(_line) and _line in inspect.getsource(colorsys)
""") is True


def test_packages_submodules_builtins_and_the_working_folder_import_as_without_it(installed_once):
    py = installed_once
    assert py.run("import email.mime.text as _t; _t.__name__") == "email.mime.text"
    assert py.run("import email; email.__path__[0]") == "/lib/python314.zip/email"
    assert py.run("import math; math.__spec__.origin") == "built-in"
    # a module of the working folder (first on sys.path) still shadows the standard library's
    py.run("import os, sys; open(os.path.join(os.getcwd(), 'this.py'), 'w').write('SHADOW = True\\n')")
    assert py.run("import importlib; importlib.invalidate_caches(); import this; this.SHADOW") is True
    py.run("os.remove(os.path.join(os.getcwd(), 'this.py'))")


def test_with_the_cache_switched_off_the_zip_imports_as_ever(installed_once):
    py = installed_once
    py.run("micropip.set_cache(False)")
    py.run("import colorsys")
    assert py.run("type(colorsys.__spec__.loader).__name__") == "zipimporter"
