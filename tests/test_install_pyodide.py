"""micropip.install and friends in real Pyodide (Node), against the fixture index on loopback."""

from __future__ import annotations

import pytest

from .harness.pyodide_node import PyodideError
from .snippets import SNAPSHOT, installed_version

pytestmark = pytest.mark.pyodide


def version(py, name):
    return py.run(installed_version(name))


def test_install_with_dependencies_and_import(pyodide):
    pyodide.run("await micropip.install('greeting')")
    assert pyodide.run("import greeting; greeting.hello('pyodide')") == "Hello, pyodide!"
    assert version(pyodide, "greeting") == "1.1"
    assert version(pyodide, "colorama-lite") == "0.2"
    assert version(pyodide, "textwrap3-lite") == "1.0"
    dist_info = pyodide.run(
        "import importlib.metadata as m; d = m.distribution('greeting'); "
        "(d.read_text('INSTALLER'), d.read_text('REQUESTED') is not None, "
        "m.distribution('colorama-lite').read_text('REQUESTED') is not None)"
    )
    assert dist_info == ["micropip", True, False]  # INSTALLER without a newline, as Pyodide's micropip writes it


def test_backtracking_through_two_levels(pyodide):
    pyodide.run("await micropip.install(['bt-top', 'bt-leaf==1.0'])")
    assert pyodide.run("import bt_top, bt_mid, bt_leaf; (bt_top.__version__, bt_mid.__version__, bt_leaf.__version__)") == [
        "1.0",
        "1.5",
        "1.0",
    ]


def test_requirement_order_does_not_change_the_result(pyodide):
    plans = pyodide.run(
        """
a = await micropip.install(['bt-top', 'bt-leaf==1.0', 'greeting'], dry_run=True)
b = await micropip.install(['greeting', 'bt-leaf==1.0', 'bt-top'], dry_run=True)
[sorted((p.name, p.version) for p in a.install), sorted((p.name, p.version) for p in b.install)]
"""
    )
    assert plans[0] == plans[1]
    assert ["bt-top", "1.0"] in plans[0]


def test_newest_release_rejected_for_requires_python(pyodide):
    pyodide.run("await micropip.install('pyver')")
    assert version(pyodide, "pyver") == "1.0"


def test_extras_do_not_leak_to_other_packages(pyodide):
    pyodide.run("await micropip.install('plainuser')")
    assert version(pyodide, "withextras") == "1.0"
    assert version(pyodide, "extradep") is None
    pyodide.run("await micropip.install('extrauser')")
    assert version(pyodide, "extradep") == "1.0"


def test_markers_evaluated_for_pyodide(pyodide):
    pyodide.run("await micropip.install('markerpkg')")
    assert version(pyodide, "emdep") == "1.0"


def test_yanked_skipped_for_range_taken_for_exact_pin(pyodide):
    plan = pyodide.run("p = await micropip.install('yankme', dry_run=True); [(x.name, x.version) for x in p.install]")
    assert plan == [["yankme", "1.0"]]
    # The warning reaches stdout without verbose=True, in pip's (and Pyodide's micropip's) words.
    out = pyodide.run(
        """
import contextlib, io
_buf = io.StringIO()
with contextlib.redirect_stdout(_buf):
    await micropip.install('yankme==1.1')
_buf.getvalue()
"""
    )
    assert version(pyodide, "yankme") == "1.1"
    assert out.startswith("WARNING: The candidate selected for download or install is a yanked version: 'yankme' candidate (version 1.1 at ")
    assert "\nReason for being yanked: broken release\n" in out


def test_prereleases_only_when_asked(pyodide):
    assert pyodide.run("[(p.name, p.version) for p in (await micropip.install('prerel', dry_run=True)).install]") == [["prerel", "1.0"]]
    assert pyodide.run("[p.version for p in (await micropip.install('prerel', pre=True, dry_run=True)).install]") == ["2.0b1"]
    assert pyodide.run("[p.version for p in (await micropip.install('prerel>=2.0b1', dry_run=True)).install]") == ["2.0b1"]


def test_best_platform_tag_wins(pyodide):
    pyodide.run("await micropip.install(['nativepkg', 'pyodidetag', 'abi3pkg'])")
    assert pyodide.run("import nativepkg; nativepkg.PLATFORM") == "emscripten"
    assert version(pyodide, "pyodidetag") == "1.0"
    assert version(pyodide, "abi3pkg") == "1.0"


def test_no_usable_wheel_names_the_chain_and_each_file(pyodide):
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('chain-top')")
    err = info.value
    assert err.type == "NoCompatibleWheelError"
    assert "chain-top -> chain-middle -> chain-native" in err.message
    assert "manylinux_2_17_x86_64" in err.message
    assert "ABI 2025_0" in err.message and "Python 3.13" in err.message
    assert version(pyodide, "chain-top") is None


def test_conflict_explained(pyodide):
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install(['conflict-a', 'conflict-b'])")
    msg = info.value.message
    assert info.value.type == "ResolutionError"
    assert "shared==1.0" in msg and "shared==2.0" in msg
    assert "conflict-a 1.0" in msg and "conflict-b 1.0" in msg


def test_unknown_package_names_the_index(pyodide):
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('no-such-package-here')")
    assert info.value.type == "PackageNotFoundError"
    assert "no-such-package-here" in info.value.message and pyodide.index_url in info.value.message
    assert "Can't fetch metadata for 'no-such-package-here'" in info.value.message  # the reference's phrase


def test_keep_going_reports_every_problem(pyodide):
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install(['chain-top', 'no-such-package-here', 'greeting'], keep_going=True)")
    msg = info.value.message
    assert "chain-native" in msg and "no-such-package-here" in msg
    # The projects without a usable wheel come first, on one line, as Pyodide's micropip puts them.
    assert msg.startswith("Can't find a pure Python 3 wheel for: 'chain-native'\n2 problems:")
    assert version(pyodide, "greeting") is None


def test_hash_mismatch_leaves_environment_unchanged(pyodide):
    pyodide.run(SNAPSHOT)
    before = pyodide.run("_snapshot()")
    url = pyodide.index_url.replace("/simple/", "/files/") + "greeting-1.0-py3-none-any.whl#sha256=" + "0" * 64
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install({url!r})")
    assert info.value.type == "HashMismatchError"
    assert "greeting-1.0-py3-none-any.whl" in info.value.message
    assert pyodide.run("_snapshot()") == before


def test_dry_run_touches_nothing(pyodide):
    pyodide.run(SNAPSHOT)
    before = pyodide.run("_snapshot()")
    plan = pyodide.run(
        "p = await micropip.install('demo-app', dry_run=True); "
        "{'names': sorted(x.name for x in p.install), 'text': str(p), 'why': {x.name: list(x.required_by) for x in p.install}}"
    )
    assert "demo-app" in plan["names"] and "greeting" in plan["names"]
    assert plan["why"]["demo-app"] == ["requested"]
    assert plan["why"]["greeting"] == ["demo-app 1.0"]
    assert "Would install" in plan["text"]
    assert pyodide.run("_snapshot()") == before


def test_uninstall_removes_exactly_the_record_files(pyodide):
    pyodide.run(SNAPSHOT)
    before = pyodide.run("_snapshot()")
    pyodide.run("await micropip.install('treepkg')")
    assert pyodide.run("import treepkg.sub.mod; True")
    pyodide.run("micropip.uninstall('treepkg')")
    after = pyodide.run("_snapshot()")
    assert after == before


def test_installed_package_is_kept_and_reinstall_replaces(pyodide):
    pyodide.run("await micropip.install('greeting==1.0')")
    plan = pyodide.run("p = await micropip.install('greeting', dry_run=True); [p.keep, [x.name for x in p.install]]")
    assert plan == [[["colorama-lite", "0.2"], ["greeting", "1.0"]], []]
    # Another version only with reinstall=True (as in Pyodide's micropip): imported modules cannot be swapped.
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('greeting>=1.1')")
    assert info.value.type == "VersionChangeError" and "reinstall=True" in info.value.message
    assert version(pyodide, "greeting") == "1.0"
    pyodide.run("await micropip.install('greeting>=1.1', reinstall=True)")
    assert version(pyodide, "greeting") == "1.1"
    pyodide.run("await micropip.install('greeting==1.1', reinstall=True)")
    assert version(pyodide, "greeting") == "1.1"
    files = pyodide.run("import importlib.metadata as m; len([d for d in m.distributions() if d.metadata['Name'] == 'greeting'])")
    assert files == 1


def test_json_api_index_and_template_urls(pyodide):
    base = pyodide.index_url.replace("/simple/", "")
    pyodide.run(f"micropip.set_index_urls([{base + '/pypi/{package_name}/json'!r}])")
    pyodide.run("await micropip.install('bt-top')")
    assert version(pyodide, "bt-top") == "2.0"


def test_index_without_metadata_files_falls_back_to_wheels(pyodide, tmp_path):
    from index_server.server import start_server

    from .conftest import FIXTURE_WHEELS

    with start_server(FIXTURE_WHEELS, metadata_files=False) as server:
        plan = pyodide.run(
            f"p = await micropip.install(['bt-top', 'bt-leaf==1.0'], index_urls=[{server.simple_url!r}], dry_run=True); "
            "[sorted((x.name, x.version) for x in p.install), p.bytes_metadata, p.bytes_wheels_for_metadata]"
        )
    assert plan[0] == [["bt-leaf", "1.0"], ["bt-mid", "1.5"], ["bt-top", "1.0"]]
    assert plan[1] == 0 and plan[2] > 0


def test_metadata_files_used_first(pyodide):
    plan = pyodide.run(
        "p = await micropip.install(['bt-top', 'bt-leaf==1.0'], dry_run=True); [p.bytes_metadata, p.bytes_wheels_for_metadata]"
    )
    assert plan[0] > 0 and plan[1] == 0


def test_wheel_url_and_direct_url_json(pyodide):
    url = pyodide.index_url.replace("/simple/", "/files/") + "greeting-1.0-py3-none-any.whl"
    pyodide.run(f"await micropip.install({url!r}, deps=False)")
    direct = pyodide.run("import importlib.metadata as m, json; json.loads(m.distribution('greeting').read_text('direct_url.json'))")
    assert direct["url"] == url
    assert "sha256" in direct["archive_info"]["hashes"]


def test_emfs_wheel_and_requirements_file(pyodide):
    url = pyodide.index_url.replace("/simple/", "/files/") + "extradep-1.0-py3-none-any.whl"
    pyodide.run(
        f"""
from pyodide.http import pyfetch
data = await (await pyfetch({url!r})).bytes()
open('/tmp/extradep-1.0-py3-none-any.whl', 'wb').write(data)
open('/tmp/reqs.txt', 'w').write('# a comment\\nbt-top \\\\\\n  >=1.0\\n-c /tmp/cons.txt\\n')
open('/tmp/cons.txt', 'w').write('bt-leaf==1.0\\n')
"""
    )
    pyodide.run("await micropip.install('emfs:/tmp/extradep-1.0-py3-none-any.whl')")
    assert version(pyodide, "extradep") == "1.0"
    pyodide.run("await micropip.install('-r /tmp/reqs.txt')")
    assert version(pyodide, "bt-top") == "1.0"


def test_list_freeze_and_constraints(pyodide):
    pyodide.run("micropip.set_constraints(['colorama-lite==0.2'])")
    pyodide.run("await micropip.install('greeting')")
    listed = pyodide.run("{k: v['version'] for k, v in micropip.list().items()}")
    assert listed["greeting"] == "1.1" and listed["micropip"]
    import json

    lock = json.loads(pyodide.run("micropip.freeze()"))
    entry = lock["packages"]["greeting"]
    assert entry["version"] == "1.1" and entry["file_name"].endswith("greeting-1.1-py3-none-any.whl")
    assert sorted(entry["depends"]) == ["colorama-lite", "textwrap3-lite"]
    assert entry["imports"] == ["greeting"] and len(entry["sha256"]) == 64


def test_mock_packages(pyodide):
    pyodide.run("micropip.add_mock_package('colorama-lite', '0.2', modules={'colorama_lite': 'X = 1'})")
    assert pyodide.run("micropip.list_mock_packages()") == ["colorama-lite"]
    pyodide.run("await micropip.install('greeting')")
    assert pyodide.run("import colorama_lite; colorama_lite.X") == 1
    pyodide.run("micropip.remove_mock_package('colorama-lite')")
    assert version(pyodide, "colorama-lite") is None


def test_cycle_installs(pyodide):
    pyodide.run("await micropip.install('cycle-a')")
    assert version(pyodide, "cycle-a") == "1.0" and version(pyodide, "cycle-b") == "1.0"


def test_requirements_file_hash_pins_are_enforced(pyodide):
    import hashlib

    from .conftest import FIXTURE_WHEELS

    good = hashlib.sha256((FIXTURE_WHEELS / "extradep-1.0-py3-none-any.whl").read_bytes()).hexdigest()
    pyodide.run(SNAPSHOT)
    before = pyodide.run("_snapshot()")
    pyodide.run(f"open('/tmp/bad.txt', 'w').write('extradep==1.0 --hash=sha256:{'1' * 64}\\n')")
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('-r /tmp/bad.txt')")
    assert info.value.type == "HashMismatchError"
    assert "extradep-1.0-py3-none-any.whl" in info.value.message and "pins" in info.value.message
    assert pyodide.run("_snapshot()") == before
    pyodide.run(f"open('/tmp/good.txt', 'w').write('extradep==1.0 --hash=sha256:{good}\\n')")
    pyodide.run("await micropip.install('-r /tmp/good.txt')")
    assert version(pyodide, "extradep") == "1.0"


def test_wheels_are_inflated_while_they_download_in_node(pyodide):
    # In Node a wheel's members are inflated (and hashed) as each arrives whole; the install
    # takes them where the central directory agrees, and checks every one against RECORD.
    early = "from micropip.transport.js_modules import js_module\n(await js_module('unpack')).membersTakenEarly()"
    before = pyodide.run(early)
    pyodide.run("await micropip.install('greeting')")
    assert pyodide.run(early) > before
    assert pyodide.run("import greeting; greeting.hello('early')") == "Hello, early!"
    assert pyodide.run("import importlib.metadata as m; len(m.distribution('greeting').files)") >= 3
