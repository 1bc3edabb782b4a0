"""Drop-in compatibility with Pyodide's micropip (issue 14, part A), in real Pyodide (Node).

Code and notebooks written for Pyodide's micropip must work unchanged: a synchronous
``uninstall``, ``list()`` entries with attributes and the reference's ``source`` values,
a ``freeze()`` that loads from anywhere, callable mock modules kept in memory,
``PackageManager.list_packages``, a quiet ``install`` (pip's words with ``verbose=True``)
and a truthful ``pyodide.loadedPackages``.
"""

from __future__ import annotations

import json

import pytest

from .harness.pyodide_node import PyodideError
from .snippets import SNAPSHOT, installed_version

pytestmark = pytest.mark.pyodide


def version(py, name):
    return py.run(installed_version(name))


def use_lock(py, packages: dict, base_url: str) -> None:
    lock = {"info": {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3", "python": "3.14.2"}, "packages": packages}
    py.run(f"import json; micropip._get_manager().lock_override = (json.loads({json.dumps(lock)!r}), {base_url!r})")


def lock_entry(name, version, file_name, sha256, depends=()):
    return {"name": name, "version": version, "file_name": file_name, "sha256": sha256, "depends": list(depends),
            "imports": [name], "install_dir": "site", "package_type": "package", "unvendored_tests": False, "shared_library": False}


def sha(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- 1. uninstall is synchronous -----------------------------------------------------------------


def test_uninstall_without_await_removes_at_once(pyodide):
    pyodide.run("await micropip.install('greeting')")
    # Called as in Pyodide's micropip: no await, and the package is gone when it returns.
    assert pyodide.run(
        "import importlib, importlib.metadata as _md\n"
        "_r = micropip.uninstall('greeting')\n"
        "importlib.invalidate_caches()\n"
        "[_md.version(d) if any(x.metadata['Name'] == d for x in _md.distributions()) else None for d in ['greeting']]"
    ) == [None]
    # Code written for the earlier async uninstall still works: awaiting gives None.
    assert pyodide.run("await micropip.uninstall('colorama-lite')") is None
    assert version(pyodide, "colorama-lite") is None
    assert pyodide.run("repr(micropip.uninstall('textwrap3-lite'))") == "Successfully uninstalled textwrap3-lite-1.0"
    assert pyodide.run("repr(micropip.uninstall('not-installed'))") == "Nothing uninstalled: not-installed not installed."


def test_failed_synchronous_uninstall_changes_nothing(pyodide):
    pyodide.run("await micropip.install('greeting')")
    pyodide.run(SNAPSHOT)
    before = pyodide.run("_snapshot()")
    pyodide.run(
        """
import micropip.installation.uninstaller as _u
_real_apply = _u.apply_removal
_calls = []
def _failing(plan, journal):
    _calls.append(plan.dist.name)
    if len(_calls) == 2:
        raise OSError("disk on fire")
    return _real_apply(plan, journal)
_u.apply_removal = _failing
"""
    )
    with pytest.raises(PyodideError) as info:
        pyodide.run("micropip.uninstall(['greeting', 'colorama-lite'])")
    assert info.value.type == "UninstallError" and "nothing was changed" in info.value.message
    pyodide.run("_u.apply_removal = _real_apply")
    assert pyodide.run("_snapshot()") == before
    assert pyodide.run("import pyodide_js; pyodide_js.loadedPackages.greeting") == "pypi"  # not forgotten either


def test_pip_uninstall_magic_is_synchronous_inside(pyodide):
    pyodide.run("await micropip.install('greeting')")
    out = pyodide.run("from micropip.magics import run_magic; await run_magic('uninstall -y greeting')")
    assert "greeting" in out and version(pyodide, "greeting") is None


# ---- 2. list() entries have attributes ------------------------------------------------------------


def test_list_entries_have_attributes_and_items(pyodide):
    pyodide.run("await micropip.install('greeting')")
    got = pyodide.run("_p = micropip.list()['greeting']; [_p.name, _p.version, _p.source, _p['version'], _p['name'], dict(_p)]")
    assert got[:5] == ["greeting", "1.1", "pypi", "1.1", "greeting"]
    assert got[5] == {"name": "greeting", "version": "1.1", "source": "pypi"}
    # As in Pyodide's micropip: any spelling of a name finds it, an entry unpacks to its values.
    got = pyodide.run(
        "_l = micropip.list(); _name, _version, _source = _l['Greeting']; "
        "[_name, _version, _source, 'GREETING' in _l, _l.get('greeting') is _l['greeting'], repr(_l['greeting'])]"
    )
    assert got == ["greeting", "1.1", "pypi", True, True, "PackageMetadata(name='greeting', version='1.1', source='pypi')"]
    assert pyodide.run("[micropip.list()['Colorama_Lite'].version, 'colorama.lite' in micropip.list()]") == ["0.2", True]
    table = pyodide.run("repr(micropip.list())").splitlines()
    assert [c.strip() for c in table[0].split("|")] == ["Name", "Version", "Source"]  # the reference's table
    assert set(table[1]) == {"-", " ", "|"}
    assert ["greeting", "1.1", "pypi"] in [[c.strip() for c in line.split("|")] for line in table]
    assert pyodide.run("repr(micropip.package_manager.PackageDict())").splitlines()[0].split("|")[0].strip() == "Name"


# ---- 3. source values follow the reference ---------------------------------------------------------


def test_list_sources_follow_the_reference(pyodide):
    from .conftest import FIXTURE_WHEELS

    files = pyodide.index_url.replace("/simple/", "/files/")
    url = files + "extradep-1.0-py3-none-any.whl"
    pyodide.run(f"await micropip.install(['greeting', {url!r}])")
    sources = pyodide.run("{k: v.source for k, v in micropip.list().items()}")
    assert sources["greeting"] == "pypi"  # the index gave its sha256
    assert sources["extradep"] == url  # a direct URL requirement
    assert sources["micropip"] == "pyodide" and sources["packaging"] == "pyodide"  # loaded by pyodide.loadPackage
    # A package of Pyodide's lockfile that micropip installs is "pyodide" too.
    use_lock(pyodide, {"shared": lock_entry("shared", "2.0", "shared-2.0-py3-none-any.whl", sha(FIXTURE_WHEELS / "shared-2.0-py3-none-any.whl"))}, files)
    pyodide.run("await micropip.install('shared')")
    assert pyodide.run("micropip.list()['shared'].source") == "pyodide"
    # The wheel's URL is still recorded for freeze().
    lock = json.loads(pyodide.run("micropip.freeze()"))
    assert lock["packages"]["greeting"]["file_name"] == files + "greeting-1.1-py3-none-any.whl"
    assert lock["packages"]["extradep"]["file_name"] == url


# ---- 8. freeze() loads anywhere ----------------------------------------------------------------------


def test_frozen_lock_loads_from_another_folder(pyodide, node_runner, bundle_dir, tmp_path):
    pyodide.run("await micropip.install('greeting')")
    lock = json.loads(pyodide.run("micropip.freeze()"))
    base = str(bundle_dir) + "/"
    assert lock["packages"]["micropip"]["file_name"] == base + "micropip-1.0.0a1-py3-none-any.whl"
    # Every entry of Pyodide's own lock now carries an absolute location.
    assert all(e["file_name"].startswith((base, "http://", "https://")) for e in lock["packages"].values())
    files = pyodide.index_url.replace("/simple/", "/files/")
    assert lock["packages"]["greeting"]["file_name"] == files + "greeting-1.1-py3-none-any.whl"
    # Served from elsewhere (not beside the wheels), Pyodide's own loader still finds its packages
    # (Pyodide under Node loads lock entries from local paths only, so the index's wheels are not
    # loaded here; a page loads them from their http URLs).
    (tmp_path / "elsewhere").mkdir()
    frozen = tmp_path / "elsewhere" / "pyodide-lock.json"
    frozen.write_text(json.dumps(lock))
    fresh = node_runner.new_interpreter(frozen, load=["micropip"])
    try:
        assert fresh.run("import micropip, resolvelib; micropip.list()['resolvelib'].source") == "pyodide"
    finally:
        fresh.drop()


# ---- 9. mocks: callables, memory only; PackageManager.list_packages ------------------------------------


def test_mock_with_callable_module_lives_in_memory(pyodide):
    pyodide.run(SNAPSHOT)
    before = pyodide.run("_snapshot()")["files"]
    pyodide.run(
        """
def _init(module):
    module.X = 41 + 1
    module.where = module.__name__
micropip.add_mock_package('colorama-lite', '0.2', modules={'colorama_lite': _init, 'colorama_lite.sub': 'Y = 2'})
"""
    )
    assert pyodide.run("import colorama_lite, colorama_lite.sub; [colorama_lite.X, colorama_lite.where, colorama_lite.sub.Y]") == [42, "colorama_lite", 2]
    assert pyodide.run("micropip.list_mock_packages()") == ["colorama-lite"]
    assert pyodide.run("micropip.list()['colorama-lite'].source") == "mock"
    assert version(pyodide, "colorama-lite") == "0.2"
    assert pyodide.run("_snapshot()")["files"] == before  # nothing written to site-packages
    # The mock satisfies a dependency: greeting installs without colorama-lite.
    pyodide.run("await micropip.install('greeting')")
    assert version(pyodide, "colorama-lite") == "0.2" and pyodide.run("micropip.list()['colorama-lite'].source") == "mock"
    pyodide.run("micropip.remove_mock_package('colorama-lite')")
    assert version(pyodide, "colorama-lite") is None
    with pytest.raises(PyodideError) as info:
        pyodide.run("import sys; sys.modules.pop('colorama_lite', None); sys.modules.pop('colorama_lite.sub', None); import colorama_lite")
    assert info.value.type == "ModuleNotFoundError"
    # Removing what is not a mock is a ValueError, as in Pyodide's micropip, and says what it is.
    assert pyodide.run(
        "_r = []\nfor _n in ('greeting', 'never-installed'):\n"
        "    try:\n        micropip.remove_mock_package(_n)\n    except ValueError as e:\n        _r.append(str(e))\n_r"
    ) == [
        "Package greeting doesn't seem to be a micropip mock (installed by micropip); micropip.list_mock_packages() "
        "lists the mocks, micropip.uninstall() removes other packages",
        "Package never-installed doesn't seem to be a micropip mock (not installed); micropip.list_mock_packages() "
        "lists the mocks, micropip.uninstall() removes other packages",
    ]
    # A callable cannot be written to the file system.
    with pytest.raises(PyodideError) as info:
        pyodide.run("micropip.add_mock_package('m2', '1.0', modules={'m2': _init}, persistent=True)")
    assert "m2" in info.value.message and "persistent=False" in info.value.message
    # Persistent mocks go into site-packages, and micropip.uninstall removes them like any package.
    pyodide.run("micropip.add_mock_package('m3', '1.0', modules={'m3': 'Z = 3'}, persistent=True)")
    assert pyodide.run("import m3; m3.Z") == 3
    pyodide.run("micropip.uninstall('m3')")
    assert version(pyodide, "m3") is None


def test_package_manager_has_list_packages(pyodide):
    pyodide.run("await micropip.install('greeting')")
    assert pyodide.run("micropip._get_manager().list_packages() == micropip.list()") is True
    # micropip.PackageManager is the class, as in Pyodide's micropip (whose constructor takes a compatibility layer).
    assert pyodide.run(
        "from micropip.package_manager import PackageManager as _P; "
        "[micropip.PackageManager is _P, isinstance(micropip._get_manager(), micropip.PackageManager), "
        "micropip.PackageManager(None).list_packages()['greeting'].version]"
    ) == [True, True, "1.1"]
    assert pyodide.run("micropip._get_manager().list_packages()['greeting'].version") == "1.1"


# ---- 10. quiet by default, pip's words with verbose=True ------------------------------------------------


CAPTURE = """
import contextlib, io, logging
async def _captured(coro):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        await coro
    return [out.getvalue(), err.getvalue()]
"""


def test_install_is_quiet_by_default_and_speaks_pip_when_verbose(pyodide):
    pyodide.run(CAPTURE)
    assert pyodide.run("await _captured(micropip.install('demo-app'))") == ["", ""]
    out, _err = pyodide.run("await _captured(micropip.install('bt-top', verbose=True))")
    lines = out.splitlines()
    assert lines[0] == "Collecting bt-top"
    assert "Collecting bt-mid (from bt-top 2.0)" in lines
    assert any(line.startswith("  Downloading bt_top-2.0-py3-none-any.whl") for line in lines)
    assert "Installing collected packages: " in out
    assert lines[-1] == "Successfully installed bt-leaf-2.0, bt-mid-2.0, bt-top-2.0"  # joined as Pyodide's micropip does
    # The level is the caller's again afterwards: the next plain install is quiet. The one
    # handler left is micropip's own stdout handler (warnings show without verbose).
    assert pyodide.run("[logging.getLogger('micropip').level, len(logging.getLogger('micropip').handlers)]") == [0, 1]
    assert pyodide.run("await _captured(micropip.install('markerpkg'))") == ["", ""]
    # uninstall speaks pip too, when asked.
    out = pyodide.run(
        "_out = io.StringIO()\nwith contextlib.redirect_stdout(_out):\n    micropip.uninstall('bt-top', verbose=True)\n_out.getvalue()"
    )
    assert out.splitlines() == ["Found existing installation: bt-top 2.0", "  Successfully uninstalled bt-top-2.0"]


def test_warnings_reach_stdout_without_verbose_in_the_references_words(pyodide):
    pyodide.run(CAPTURE)
    out = pyodide.run(
        "_out = io.StringIO()\nwith contextlib.redirect_stdout(_out):\n    micropip.uninstall('no-such-package')\n_out.getvalue()"
    )
    assert out == "WARNING: Skipping 'no-such-package' as it is not installed.\n"
    # A package whose files were changed by hand: the files it lists but lost, and the folder
    # it leaves behind because of a file it never listed, are both named.
    pyodide.run("await micropip.install('greeting', deps=False)")
    out = pyodide.run(
        """
import importlib.metadata as _md, pathlib
_dist = _md.distribution('greeting')
_pkg = pathlib.Path(_dist.locate_file('greeting'))
(_pkg / '__init__.py').unlink()
(_pkg / 'notes.txt').write_text('mine')
_out = io.StringIO()
with contextlib.redirect_stdout(_out):
    micropip.uninstall('greeting')
_out.getvalue()
"""
    )
    lines = out.splitlines()
    assert [line for line in lines if "does not exist" in line] == [
        f"WARNING: A file '{pyodide.run('str(_pkg)')}/__init__.py' listed in the metadata of 'greeting' does not exist."
    ]
    assert len([line for line in lines if "is not empty after uninstallation of 'greeting'" in line]) == 1
    assert pyodide.run("(_pkg / 'notes.txt').read_text()") == "mine"  # never removes what it did not install


def test_verbose_lines_reach_stdout_when_logging_is_configured(pyodide):
    # A page or a test runner that configured logging still sees pip's lines with verbose=True
    # (and its own handlers get them too).
    pyodide.run(CAPTURE + "import logging; logging.basicConfig(level=logging.WARNING)")
    out, _err = pyodide.run("await _captured(micropip.install('greeting', deps=False, verbose=True))")
    assert "Collecting greeting" in out.splitlines() and "Successfully installed greeting-1.1" in out


def test_a_wheel_url_is_collected_by_its_project_name(pyodide):
    pyodide.run(CAPTURE)
    url = pyodide.index_url.replace("/simple/", "/files/") + "extradep-1.0-py3-none-any.whl"
    out, _err = pyodide.run(f"await _captured(micropip.install({url!r}, verbose=True))")
    assert out.splitlines()[0] == "Collecting extradep"


def test_reinstall_keeps_an_installed_version_that_satisfies(pyodide):
    pyodide.run(CAPTURE + "await micropip.install('greeting==1.0', deps=False)")
    # reinstall=True allows replacing what does not fit; what fits stays (no download), as in
    # Pyodide's micropip.
    out, _err = pyodide.run("await _captured(micropip.install('greeting', deps=False, reinstall=True, verbose=True))")
    assert "Requirement already satisfied: greeting (1.0)" in out and "Downloading" not in out
    assert version(pyodide, "greeting") == "1.0"
    pyodide.run("await micropip.install('greeting>=1.1', deps=False, reinstall=True)")
    assert version(pyodide, "greeting") == "1.1"


def test_a_wheel_url_for_another_platform_is_refused_before_download(pyodide):
    files = pyodide.index_url.replace("/simple/", "/files/")
    pyodide.run(SNAPSHOT)
    before = pyodide.run("_snapshot()")
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install({files + 'chain_native-1.0-cp314-cp314-manylinux_2_17_x86_64.whl'!r})")
    assert info.value.type == "NoCompatibleWheelError"
    assert "Wheel platform 'manylinux_2_17_x86_64' is not compatible with Pyodide's platform" in info.value.message
    assert pyodide.run(
        f"try:\n    await micropip.install({files + 'chain_native-1.0-cp314-cp314-manylinux_2_17_x86_64.whl'!r})\n"
        "except ValueError:\n    _r = 'ValueError'\n_r"
    ) == "ValueError"
    assert pyodide.run("_snapshot()") == before


# ---- 11. pyodide.loadedPackages tells the truth --------------------------------------------------------


def test_loaded_packages_records_installs_and_forgets_uninstalls(pyodide):
    files = pyodide.index_url.replace("/simple/", "/files/")
    url = files + "extradep-1.0-py3-none-any.whl"
    pyodide.run(f"await micropip.install(['greeting', {url!r}])")
    loaded = pyodide.run("import pyodide_js; pyodide_js.loadedPackages.to_py()")
    assert loaded["greeting"] == "pypi" and loaded["colorama-lite"] == "pypi" and loaded["extradep"] == url
    pyodide.run("micropip.uninstall(['greeting', 'extradep'])")
    loaded = pyodide.run("pyodide_js.loadedPackages.to_py()")
    assert "greeting" not in loaded and "extradep" not in loaded and "colorama-lite" in loaded


def test_package_from_pyodides_lock_is_not_loaded_twice(pyodide):
    # resolvelib comes from the running Pyodide's lockfile (the bundle); micropip reinstalls it.
    pyodide.run("micropip.uninstall('resolvelib')")
    assert "resolvelib" not in pyodide.run("import pyodide_js; pyodide_js.loadedPackages.to_py()")
    pyodide.run("await micropip.install('resolvelib')")
    assert pyodide.run("pyodide_js.loadedPackages.resolvelib") == "default channel"
    assert pyodide.run("micropip.list()['resolvelib'].source") == "pyodide"
    messages = pyodide.run(
        "_msgs = []\nawait pyodide_js.loadPackage('resolvelib', messageCallback=_msgs.append)\n_msgs"
    )
    assert any("already loaded" in m for m in messages), messages
    dists = pyodide.run(
        "import importlib, importlib.metadata as _md; importlib.invalidate_caches(); "
        "[(d.metadata['Name'], d.read_text('INSTALLER').strip()) for d in _md.distributions() if d.metadata['Name'] == 'resolvelib']"
    )
    assert dists == [["resolvelib", "micropip"]]
