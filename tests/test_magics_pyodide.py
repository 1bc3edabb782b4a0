"""``%pip`` / ``%micropip`` in real Pyodide (Node): ``run_magic`` and the IPython glue.

IPython is not part of our Pyodide, so the registration is checked with a tiny
fake shell that records ``register_magic_function`` calls.
"""

from __future__ import annotations

import pytest

from .harness.pyodide_node import PyodideError
from .snippets import installed_version

pytestmark = pytest.mark.pyodide

RUN = "from micropip.magics import run_magic\n"

FAKE_SHELL = """
import sys, types
class _FakeShell:
    display_pub = None  # no display publisher: progress goes to text
    def __init__(self):
        self.registered = []
    def register_magic_function(self, func, magic_kind="line", magic_name=None):
        self.registered.append((magic_kind, magic_name, func))
_shell = _FakeShell()
_ipython = types.ModuleType("IPython")
_ipython.get_ipython = lambda: _shell
"""


def version(py, name):
    return py.run(installed_version(name))


def test_install_returns_the_summary(pyodide):
    out = pyodide.run(RUN + "await run_magic('install demo-app')")
    lines = out.splitlines()
    assert lines[0].startswith("Installed 4 packages in ")
    assert " + demo-app==1.0" in lines and " + greeting==1.1" in lines
    assert pyodide.run("import greeting; greeting.hello('magic')") == "Hello, magic!"


def test_install_options(pyodide):
    index = pyodide.index_url
    pyodide.run(
        """
from pathlib import Path
Path("requirements.txt").write_text("demo-app\\n")
Path("constraints.txt").write_text("greeting==1.0\\n")
"""
    )
    out = pyodide.run(RUN + "await run_magic('install -r requirements.txt -c constraints.txt')")
    assert " + greeting==1.0" in out.splitlines()
    assert version(pyodide, "greeting") == "1.0"
    # --reinstall replaces; --no-deps leaves dependencies alone
    out = pyodide.run(RUN + "await run_magic('install --reinstall --no-deps greeting==1.1')")
    assert out.splitlines()[1:] == [" + greeting==1.1"]
    assert version(pyodide, "greeting") == "1.1"
    # --pre
    assert "+ prerel==2.0b1" in pyodide.run(RUN + "await run_magic('install --pre --dry-run prerel')")
    assert "+ prerel==1.0" in pyodide.run(RUN + "await run_magic('install --dry-run prerel')")
    # --dry-run changes nothing
    plan = pyodide.run(RUN + "await run_magic('install --dry-run bt-top')")
    assert plan.startswith("Would install 3 package(s):") and "bt-top==2.0" in plan
    assert version(pyodide, "bt-top") is None
    # --index-url (repeatable) replaces the configured indexes for this call
    pyodide.run("micropip.set_index_urls(['http://127.0.0.1:9/nothing-here/'])")
    out = pyodide.run(RUN + f"await run_magic('install --index-url {index} -i {index} markerpkg')")
    assert " + markerpkg==1.0" in out.splitlines()


def test_uninstall_list_freeze(pyodide):
    pyodide.run(RUN + "await run_magic('install demo-app')")
    listing = pyodide.run(RUN + "await run_magic('list')")
    rows = [[cell.strip() for cell in line.split("|")] for line in listing.splitlines()]
    assert rows[0] == ["Name", "Version", "Source"]  # micropip.list()'s table
    assert any(row[:2] == ["demo-app", "1.0"] for row in rows)
    frozen = pyodide.run(RUN + "await run_magic('freeze')").splitlines()
    assert "demo-app==1.0" in frozen and "greeting==1.1" in frozen
    lock = pyodide.run(RUN + "import json; json.loads(await run_magic('freeze --lockfile'))['packages']['demo-app']['version']")
    assert lock == "1.0"
    out = pyodide.run(RUN + "await run_magic('uninstall -y demo-app not-installed')")
    assert out.splitlines() == ["Uninstalled demo-app-1.0", "WARNING: Skipping not-installed as it is not installed."]
    assert version(pyodide, "demo-app") is None
    assert version(pyodide, "greeting") == "1.1"


def test_check_calls_micropip_check(pyodide):
    pyodide.run(RUN + "await run_magic('install --no-deps demo-app')")
    broken = pyodide.run(RUN + "await run_magic('check')")
    assert "demo-app" in broken and "greeting" in broken
    pyodide.run(RUN + "await run_magic('install demo-app')")
    assert pyodide.run(RUN + "await run_magic('check')") == "No broken requirements found."
    pyodide.run("micropip.check = lambda: ['greeting 1.1 requires textwrap3-lite, which is not installed']")
    assert pyodide.run(RUN + "await run_magic('check')") == "greeting 1.1 requires textwrap3-lite, which is not installed"
    pyodide.run("micropip.check = lambda: []")
    assert pyodide.run(RUN + "await run_magic('check')") == "No broken requirements found."
    pyodide.run("async def _acheck():\n    return ['x 1 requires y']\nmicropip.check = _acheck")
    assert pyodide.run(RUN + "await run_magic('check')") == "x 1 requires y"
    pyodide.run("del micropip.check")
    with pytest.raises(PyodideError) as info:
        pyodide.run(RUN + "await run_magic('check')")
    assert info.value.type == "MagicUsageError"


def test_errors_are_micropip_errors_with_the_explanation(pyodide):
    with pytest.raises(PyodideError) as info:
        pyodide.run(RUN + "await run_magic('install conflict-a conflict-b')")
    assert info.value.type == "ResolutionError" and "shared" in info.value.message
    for line, needle in [("install", "give packages"), ("install --bogus x", "unrecognized arguments: --bogus"), ("frob", "invalid choice")]:
        with pytest.raises(PyodideError) as info:
            pyodide.run(RUN + f"await run_magic({line!r})")
        assert info.value.type == "MagicUsageError" and needle in info.value.message, line
    assert pyodide.run("from micropip.errors import MicropipError; from micropip.magics import MagicUsageError; issubclass(MagicUsageError, MicropipError)")
    assert "--index-url" in pyodide.run(RUN + "await run_magic('install --help')")
    assert "uninstall" in pyodide.run(RUN + "await run_magic('')")


def test_the_line_magic_runs_in_the_background_without_jspi(pyodide):
    """Node has no JSPI here: the magic schedules the work and the error shows as text."""
    out = pyodide.run(
        """
import contextlib, io, micropip.magics
from pyodide.ffi import can_run_sync
_out, _err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(_out), contextlib.redirect_stderr(_err):
    _ret = micropip.magics.pip_magic('install conflict-a conflict-b')
    await micropip.magics.last_task
    micropip.magics.pip_magic('install greeting')
    await micropip.magics.last_task
[can_run_sync(), _ret, _out.getvalue(), _err.getvalue()]
"""
    )
    can_run_sync, returned, stdout, stderr = out
    assert can_run_sync is False and returned is None
    assert "running in the background" in stdout
    assert "Installed 3 packages" in stdout and " + greeting==1.1" in stdout
    assert stderr.startswith("ERROR: Cannot find a set of versions that works")
    assert "Traceback" not in stderr and "Traceback" not in stdout


def test_load_ipython_extension_registers_both_magics(pyodide):
    names = pyodide.run(
        FAKE_SHELL
        + """
import micropip.magics
micropip.magics.load_ipython_extension(_shell)
[(kind, name, func is micropip.magics.pip_magic) for kind, name, func in _shell.registered]
"""
    )
    assert names == [["line", "pip", True], ["line", "micropip", True]]


def test_import_micropip_registers_only_under_a_running_shell(pyodide):
    assert pyodide.run("import sys, micropip; micropip._register_magics(); ['IPython' in sys.modules, 'micropip.magics' in sys.modules]") == [False, False]
    registered = pyodide.run(
        FAKE_SHELL
        + """
_ipython.get_ipython = lambda: None
sys.modules["IPython"] = _ipython
micropip._register_magics()
_before = list(_shell.registered)
_ipython.get_ipython = lambda: _shell
import importlib
_urls = micropip._get_manager().index_urls
importlib.reload(micropip)  # what `import micropip` does in a kernel
micropip.set_index_urls(_urls)
[len(_before), sorted(name for _, name, _ in _shell.registered)]
"""
    )
    assert registered == [0, ["micropip", "pip"]]
