"""Drop-in compatibility with Pyodide's micropip, resolution side (issue 14, part B), in real Pyodide (Node).

Errors catchable as ``ValueError``, version changes only with ``reinstall=True``, the
PEP 440 pre-release rule, ``emfs:``/``file:`` paths, explained older picks and
summarized "no usable wheel" errors.
"""

from __future__ import annotations

import shutil

import pytest

from .conftest import FIXTURE_WHEELS
from .harness.pyodide_node import PyodideError
from .snippets import SNAPSHOT, installed_version, micropip_log

pytestmark = pytest.mark.pyodide

FAQ_PHRASE = "Can't find a pure Python 3 wheel for"


def version(py, name):
    return py.run(installed_version(name))


CATCH = """
async def _catch(reqs, **kw):
    try:
        await micropip.install(reqs, **kw)
    except ValueError as exc:
        return [type(exc).__name__, str(exc), isinstance(exc, micropip.errors.MicropipError)]
    except Exception as exc:
        return ['not a ValueError: ' + type(exc).__name__, str(exc), False]
    return None
"""


# ---- item 4: errors are ValueErrors, with the reference's phrases ------------------------------


def test_errors_where_the_reference_raises_valueerror_are_valueerrors(pyodide):
    pyodide.run("import micropip.errors\n" + CATCH)
    cases = {
        "no wheel": "['chain-top']",
        "no version": "['greeting==9.9']",
        "conflict": "['conflict-a', 'conflict-b']",
        "unknown": "['no-such-package-here']",
    }
    got = {case: pyodide.run(f"await _catch({reqs})") for case, reqs in cases.items()}
    assert got["no wheel"][0] == "NoCompatibleWheelError"
    assert f"{FAQ_PHRASE} 'chain-native'" in got["no wheel"][1]
    assert got["no version"][0] == "ResolutionError" and "greeting==9.9" in got["no version"][1]
    assert got["conflict"][0] == "ResolutionError" and "shared==1.0" in got["conflict"][1]
    assert got["unknown"][0] == "PackageNotFoundError"
    assert all(answer[2] for answer in got.values()), got  # still our own classes too
    # A failed fetch in Node does not blame CORS (there is none); in a page it does (browser test below).
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('http://127.0.0.1:1/gone-1.0-py3-none-any.whl')")
    assert info.value.type == "TransportError"
    assert "127.0.0.1:1" in info.value.message and "Access-Control-Allow-Origin" not in info.value.message


@pytest.mark.browser
def test_failed_fetch_in_a_page_names_cors(browser_page):
    with pytest.raises(PyodideError) as info:
        browser_page.run("await micropip.install('http://127.0.0.1:1/gone-1.0-py3-none-any.whl')")
    assert info.value.type == "TransportError"
    assert "CORS" in info.value.message and "Access-Control-Allow-Origin" in info.value.message


# ---- item 5: a version change needs reinstall=True -----------------------------------------------


def test_version_change_needs_reinstall(pyodide):
    pyodide.run("import micropip.errors\n" + CATCH + SNAPSHOT)
    pyodide.run("await micropip.install('greeting==1.0')")
    pyodide.run("import greeting")  # imported: exactly why it must not be swapped silently
    before = pyodide.run("_snapshot()")

    root = pyodide.run("await _catch('greeting>=1.1')")
    assert root[0] == "VersionChangeError", root
    assert "Requested 'greeting>=1.1', but greeting==1.0 is already installed" in root[1]
    assert "greeting 1.0 is installed and would have to be replaced by greeting 1.1" in root[1]
    assert "(requested)" in root[1] and "reinstall=True" in root[1]

    dep = pyodide.run("await _catch('needs-greeting-11')")
    assert dep[0] == "VersionChangeError", dep
    assert "required by needs-greeting-11 1.0" in dep[1] and "reinstall=True" in dep[1]

    url = pyodide.index_url.replace("/simple/", "/files/") + "greeting-1.1-py3-none-any.whl"
    direct = pyodide.run(f"await _catch({url!r})")
    assert direct[0] == "VersionChangeError" and "greeting 1.1" in direct[1], direct
    assert pyodide.run("_snapshot()") == before  # nothing changed

    # Still satisfied: kept, nothing to do.
    assert pyodide.run("(await micropip.install('greeting>=1.0', dry_run=True)).install") == []
    pyodide.run("await micropip.install('needs-greeting-11', reinstall=True)")
    assert version(pyodide, "greeting") == "1.1" and version(pyodide, "needs-greeting-11") == "1.0"


# ---- item 6: pre-releases -----------------------------------------------------------------------------


def test_prerelease_only_project_and_installed_prerelease_kept(pyodide):
    pyodide.run("await micropip.install('onlypre')")
    assert version(pyodide, "onlypre") == "1.0b2"  # the newest of its pre-releases

    # An installed pre-release that satisfies a requirement stays.
    pyodide.run("await micropip.install('prerel==2.0b1')")
    plan = pyodide.run("p = await micropip.install('prerel', dry_run=True); [p.keep, p.install]")
    assert plan == [[["prerel", "2.0b1"]], []]
    pyodide.run("await micropip.install('prerel')")
    assert version(pyodide, "prerel") == "2.0b1"


def test_installed_prerelease_satisfies_a_dependency(pyodide):
    pyodide.run("await micropip.install('onlypre==0.9a1')")
    plan = pyodide.run("p = await micropip.install('needs-onlypre', dry_run=True); [p.keep, [x.name for x in p.install]]")
    assert plan == [[["onlypre", "0.9a1"]], ["needs-onlypre"]]


# ---- item 7: local files -------------------------------------------------------------------------------


def test_emfs_missing_file_and_file_urls_in_node(pyodide, tmp_path):
    answer = pyodide.run(
        """
import errno
try:
    await micropip.install('emfs:/tmp/nowhere/greeting-1.0-py3-none-any.whl')
except FileNotFoundError as exc:
    _r = [type(exc).__name__, str(exc), exc.errno == errno.ENOENT, exc.filename]
_r
"""
    )
    assert answer[0] == "LocalFileNotFoundError" and answer[2]
    assert "/tmp/nowhere/greeting-1.0-py3-none-any.whl" in answer[1] and answer[3] == "/tmp/nowhere/greeting-1.0-py3-none-any.whl"

    # file: is the native file system (Node's disk), as in Pyodide's micropip.
    wheel = tmp_path / "extradep-1.0-py3-none-any.whl"
    shutil.copyfile(FIXTURE_WHEELS / wheel.name, wheel)
    pyodide.run(f"await micropip.install({wheel.as_uri()!r})")
    assert version(pyodide, "extradep") == "1.0"
    # The one-slash spelling of the same absolute path (file:/dir/x.whl) is the same file.
    pyodide.run("micropip.uninstall('extradep')")
    pyodide.run(f"await micropip.install('file:{wheel}')")
    assert version(pyodide, "extradep") == "1.0"

    # A file only in Pyodide's own file system is not on Node's disk.
    missing = tmp_path / "emfs-only" / "colorama_lite-0.1-py3-none-any.whl"
    url = pyodide.index_url.replace("/simple/", "/files/") + "colorama_lite-0.1-py3-none-any.whl"
    pyodide.run(
        f"import os; from pyodide.http import pyfetch; os.makedirs({str(missing.parent)!r}, exist_ok=True)\n"
        f"open({str(missing)!r}, 'wb').write(await (await pyfetch({url!r})).bytes())"
    )
    with pytest.raises(PyodideError) as info:
        pyodide.run(f"await micropip.install({missing.as_uri()!r})")
    assert info.value.type == "LocalFileNotFoundError"
    assert str(missing) in info.value.message and "native file system" in info.value.message
    pyodide.run(f"await micropip.install('emfs:{missing}')")  # the same path through emfs: works
    assert version(pyodide, "colorama-lite") == "0.1"


# ---- item 12: why an older version was picked --------------------------------------------------------


def test_older_pick_is_explained_in_the_plan_and_a_warning(pyodide):
    plan = pyodide.run(
        "p = await micropip.install(['olderpick', 'pyver'], dry_run=True); "
        "[sorted((x.name, x.version) for x in p.install), p.warnings, str(p)]"
    )
    assert plan[0] == [["olderpick", "1.0"], ["pyver", "1.0"]]
    older = next(w for w in plan[1] if w.startswith("olderpick"))
    assert older == (
        "olderpick 1.0 was picked, not the newest release 2.0: "
        "it requires olderpick-native>=1.0, which has no wheel usable in this Pyodide"
    )
    pyver = next(w for w in plan[1] if w.startswith("pyver"))
    assert "pyver 1.0 was picked, not the newest release 2.0" in pyver and "requires Python >=3.99" in pyver
    assert f"warning: {older}" in plan[2]
    # A real install says it too (as a warning on micropip's logger).
    logged = pyodide.run(micropip_log("await micropip.install('olderpick')"))
    assert older in logged
    # Asking for the older version is not a surprise: no warning.
    assert pyodide.run("(await micropip.install('pyver<2', dry_run=True)).warnings") == []


def test_an_extra_the_release_does_not_provide_is_a_warning_not_an_error(pyodide):
    """pip's rule: ``withextras[fats]`` installs withextras and warns (micropip 0.11.1 raises KeyError)."""
    logged = pyodide.run(micropip_log("await micropip.install('withextras[fats]')"))
    assert "withextras 1.0 does not provide the extra 'fats': it adds nothing (check its spelling)" in logged
    assert version(pyodide, "withextras") == "1.0"


def test_a_requirement_whose_marker_does_not_hold_here_is_ignored(pyodide):
    """As pip and Pyodide's micropip: ``x; sys_platform == 'win32'`` installs nothing in Pyodide."""
    logged = pyodide.run(micropip_log("""await micropip.install("greeting; sys_platform == 'win32'", verbose=True)"""))
    assert any(line.startswith("Ignoring greeting: markers 'sys_platform == \"win32\"' don't match") for line in logged)
    assert version(pyodide, "greeting") is None
    pyodide.run("await micropip.install(\"greeting; sys_platform == 'emscripten'\")")
    assert version(pyodide, "greeting") == "1.1"


def test_a_constraint_that_rules_out_every_release_is_named_in_the_error(pyodide):
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('greeting', constraints=['greeting<1'])")
    assert info.value.type == "ResolutionError"
    assert "greeting  (requested)\n  greeting<1  (constraint)" in info.value.message
    assert pyodide.run("isinstance(micropip.errors.ResolutionError('x'), ValueError)") is True


def test_a_missing_wheel_that_only_an_extra_needs_names_the_extra(pyodide):
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('chain-extra[gpu]')")
    assert info.value.type == "NoCompatibleWheelError"
    assert "chain-extra[gpu] -> chain-middle -> chain-native" in info.value.message
    assert version(pyodide, "chain-extra") is None  # nothing installed


# ---- item 13: readable "no usable wheel" errors ---------------------------------------------------


def test_no_usable_wheel_is_summarized_and_verbose_lists_every_file(pyodide):
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('manyfiles')")
    msg = info.value.message
    assert info.value.type == "NoCompatibleWheelError"
    assert "newest releases considered: 3.0, 2.0, 1.0" in msg
    assert "13 files rejected: 9 built for another platform (not Pyodide), 3 built for another Pyodide ABI, 1 built for another Python" in msg
    assert "closest: manyfiles-3.0-cp313-cp313-pyemscripten_2025_0_wasm32.whl: built for Pyodide ABI 2025_0" in msg
    assert msg.count(".whl") == 2  # the closest misses, not every file
    assert f"{FAQ_PHRASE} 'manyfiles'" in msg and "verbose=True" in msg

    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install('manyfiles', verbose=True)")
    assert info.value.message.count(".whl") == 13
    assert "manyfiles-1.0-cp314-cp314-win_amd64.whl: built for platform win_amd64" in info.value.message
