"""The last drop-in behaviours of Pyodide's micropip (issue 30), in real Pyodide (Node).

Removed mocks stop importing; a wheel file name from Pyodide's lock installs that entry;
a missing ``emfs:`` or plain path is a ``FileNotFoundError`` before anything else is judged.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from .conftest import FIXTURE_WHEELS
from .harness.pyodide_node import PyodideError
from .snippets import SNAPSHOT, installed_version

pytestmark = pytest.mark.pyodide

IMPORTABLE = """
def _importable(*names):
    import importlib
    importlib.invalidate_caches()
    out = {}
    for name in names:
        try:
            importlib.import_module(name)
            out[name] = True
        except ImportError:
            out[name] = False
    return out
"""


def test_removed_mocks_no_longer_import(pyodide):
    pyodide.run(IMPORTABLE)
    pyodide.run(
        "micropip.add_mock_package('bob', '1.0', modules={'bob_mod': '\\n        X = 1', 'bob_mod.fn': lambda m: setattr(m, 'add2', lambda x: x + 2)})\n"
        # Indented source (written in a function or a triple-quoted string) is dedented, as in Pyodide's micropip.
        "micropip.add_mock_package('carl', '1.0', modules={'t1': '\\n    Y = 1\\n', 't2': None}, persistent=True)\n"
        "import bob_mod.fn, t1, t2\n"
        "assert bob_mod.fn.add2(5) == 7 and t1.Y == 1"
    )
    pyodide.run("micropip.remove_mock_package('bob')")
    assert pyodide.run("_importable('bob_mod', 'bob_mod.fn', 't1')") == {"bob_mod": False, "bob_mod.fn": False, "t1": True}
    # The last in-memory mock took its finder and its folder out of the import system.
    assert pyodide.run(
        "import sys; [type(f).__name__ for f in sys.meta_path if 'Mock' in type(f).__name__] + [p for p in sys.path if 'micropip-mocks' in p]"
    ) == []
    pyodide.run("micropip.remove_mock_package('carl')")
    assert pyodide.run("_importable('t1', 't2')") == {"t1": False, "t2": False}
    assert pyodide.run("micropip.list_mock_packages()") == []
    # uninstall() of a mock undoes it the same way; a new mock of a removed name imports afresh.
    pyodide.run("micropip.add_mock_package('bob', '2.0', modules={'bob_mod': 'X = 2'})\nimport bob_mod")
    assert pyodide.run("bob_mod.X") == 2
    pyodide.run("micropip.uninstall('bob')")
    assert pyodide.run("_importable('bob_mod')") == {"bob_mod": False}


def test_a_wheel_name_from_pyodides_lock_installs_that_entry(pyodide, fixture_index):
    # The running Pyodide's own lock, as code written for Pyodide's micropip reads it.
    pyodide.run(
        "import pyodide_js\n"
        "_entry = pyodide_js._api.lockfile_packages.to_py()['micropip-pylock']\n"
        "await micropip.install(_entry['file_name'])"
    )
    assert pyodide.run(installed_version("micropip-pylock")) == pyodide.run("_entry['version']")
    assert pyodide.run("import lockfile.pylock; lockfile.pylock.__name__") == "lockfile.pylock"

    # From the lock's base URL, checked against the lock's sha256.
    wheel = FIXTURE_WHEELS / "greeting-1.0-py3-none-any.whl"
    real = hashlib.sha256(wheel.read_bytes()).hexdigest()

    def use_lock(sha256: str) -> None:
        entry = {"name": "greeting", "version": "1.0", "file_name": wheel.name, "sha256": sha256, "depends": ["colorama-lite"],
                 "imports": ["greeting"], "install_dir": "site", "package_type": "package"}
        lock = {"info": {}, "packages": {"greeting": entry}}
        pyodide.run(f"import json; micropip._get_manager().lock_override = (json.loads({json.dumps(lock)!r}), {fixture_index.url + 'files/'!r})")

    use_lock("0" * 64)
    pyodide.run(SNAPSHOT + "_before = _snapshot()")
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install({wheel.name!r})")
    assert info.value.type == "HashMismatchError" and real in info.value.message
    assert pyodide.run("_snapshot() == _before")
    use_lock(real)
    pyodide.run(f"await micropip.install({wheel.name!r})")
    assert pyodide.run(installed_version("greeting")) == "1.0"
    assert pyodide.run("micropip.list()['greeting'].source") == fixture_index.url + "files/" + wheel.name


def test_a_missing_local_wheel_is_file_not_found_first(pyodide):
    # Tags that would be refused too: the missing file is said first, in Python's words.
    name = "a-2.0.2-cp313-cp313-pyodide_2025_0_wasm32.whl"
    for typed in (f"emfs:{name}", name, f"/nowhere/{name}", f"x[y] @ emfs:/tmp/{name}"):
        with pytest.raises(PyodideError) as info:
            pyodide.run(f"await micropip.install({typed!r})")
        path = typed.split("emfs:")[-1]
        assert info.value.type == "LocalFileNotFoundError", typed
        assert f"No such file or directory: {path!r}" in info.value.message, info.value.message
    assert pyodide.run(
        f"import errno\ntry:\n    await micropip.install('emfs:{name}')\nexcept FileNotFoundError as e:\n    _e = [e.errno == errno.ENOENT, e.filename]\n_e"
    ) == [True, name]
    # An existing file for another platform is still refused by its tags.
    pyodide.run(f"open({name!r}, 'wb').write(b'not read')")
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install('emfs:{name}')")
    assert info.value.type == "NoCompatibleWheelError" and "ABI 2025_0" in info.value.message


def test_freeze_records_the_dependencies_extras_brought(pyodide):
    # An extra asked for by a dependency (extrauser -> withextras[fast] -> extradep) and directly.
    pyodide.run("await micropip.install(['extrauser', 'markerpkg'])")
    packages = json.loads(pyodide.run("micropip.freeze()"))["packages"]
    assert packages["extrauser"]["depends"] == ["withextras"]
    assert packages["withextras"]["depends"] == ["extradep"]
    assert packages["extradep"]["depends"] == []
    assert packages["markerpkg"]["depends"] == ["emdep"]  # linuxdep's marker does not hold here


def test_pylock_installs_wheels_sdists_and_archives_like_the_json_lock(pyodide, build_index, tmp_path):
    from pyodide_pm.cli import main

    files = build_index.url + "files/"
    reqs = ["sdist-flit", f"greeting @ {files}greeting-1.0-py3-none-any.whl", "withextras[fast]"]
    for out in ("lock.json", "pylock.toml"):
        assert main(["lock", *reqs, "-i", build_index.simple_url, "--build-sdists", "-o", str(tmp_path / out)]) == 0
    pylock = (tmp_path / "pylock.toml").read_text()
    assert "[packages.sdist]" in pylock and "[packages.archive]" in pylock and "[[packages.wheels]]" in pylock
    pyodide.run(
        f"micropip.set_index_urls([{build_index.simple_url!r}])\n"  # where the sdist's build requirements come from
        f"open('lock.json', 'w').write({(tmp_path / 'lock.json').read_text()!r})\n"
        f"open('pylock.toml', 'w').write({pylock!r})\n"
        "def _ours():\n"
        "    return sorted(f'{p.name}=={p.version}' for p in micropip.list().values() if p.source != 'pyodide')\n"
    )
    # A dry run lists every kind (and loads the pylock reader, a part of micropip of its own).
    planned = pyodide.run("_p = await micropip.install_lockfile('pylock.toml', dry_run=True); sorted([p.name, p.filename] for p in _p.install)")
    assert planned == [["colorama-lite", "colorama_lite-0.2-py3-none-any.whl"], ["extradep", "extradep-1.0-py3-none-any.whl"],
                       ["greeting", "greeting-1.0-py3-none-any.whl"], ["sdist-flit", "sdist_flit-1.0.tar.gz"],
                       ["withextras", "withextras-1.0-py3-none-any.whl"]]
    pyodide.run(SNAPSHOT + "_before = _snapshot()")
    # An sdist is built only when asked for; until then nothing changes.
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install_lockfile('pylock.toml')")
    assert info.value.type == "BuildError" and "sdist_flit-1.0.tar.gz" in info.value.message
    assert "build_sdists=True" in info.value.message
    assert pyodide.run("_snapshot() == _before")

    pyodide.run("await micropip.install_lockfile('lock.json', build_sdists=True)")
    from_json = pyodide.run("_ours()")
    pyodide.run("micropip.uninstall([n.split('==')[0] for n in _ours()])")
    assert pyodide.run("_ours()") == []
    pyodide.run("await micropip.install_lockfile('pylock.toml', build_sdists=True)")
    assert pyodide.run("_ours()") == from_json
    assert {"sdist-flit==1.0", "greeting==1.0", "colorama-lite==0.2", "withextras==1.0", "extradep==1.0"} <= set(from_json)
    assert pyodide.run("import sdist_flit, greeting; micropip.list()['greeting'].source") == f"{files}greeting-1.0-py3-none-any.whl"


def test_pip_magic_takes_the_options_people_type(pyodide, build_index):
    run = "from micropip.magics import run_magic\n"
    # -U takes the newest allowed version (and what it needs); an installed one that satisfies is kept otherwise.
    pyodide.run(run + "await run_magic('install greeting==1.0')")
    pyodide.run(run + "await run_magic('install greeting')")
    assert pyodide.run(installed_version("greeting")) == "1.0"
    out = pyodide.run(run + "await run_magic('install -U greeting --no-build-isolation')")
    assert out.splitlines()[0].startswith("note: --no-build-isolation is ignored")
    assert [pyodide.run(installed_version(n)) for n in ("greeting", "colorama-lite")] == ["1.1", "0.2"]
    # --extra-index-url appends an index (only the build index has sdist-flit); --build-sdists builds it.
    pyodide.run(run + f"await run_magic('install --build-sdists sdist-flit --extra-index-url {build_index.simple_url}')")
    assert pyodide.run("import sdist_flit; sdist_flit.__name__") == "sdist_flit"
    # show, as pip prints it.
    shown = pyodide.run(run + "await run_magic('show greeting colorama-lite nothere')")
    blocks = shown.split("\n---\n")
    assert blocks[0].splitlines()[:2] == ["Name: greeting", "Version: 1.1"]
    assert "Requires: colorama-lite, textwrap3-lite" in blocks[0].splitlines()
    assert "Location: /lib/python3.14/site-packages" in blocks[0].splitlines()
    assert "Required-by: greeting" in blocks[1].splitlines()
    assert shown.endswith("\nWARNING: Package(s) not found: nothere")
    # An unknown flag names itself and every option the command takes.
    with pytest.raises(PyodideError) as info:
        pyodide.run(run + "await run_magic('install --upgrade-strategy eager greeting')")
    assert info.value.type == "MagicUsageError" and "unrecognized arguments: --upgrade-strategy" in info.value.message
    assert "-U / --upgrade" in info.value.message and "--extra-index-url" in info.value.message
