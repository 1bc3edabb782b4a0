"""``check --import`` and ``micropip.check()`` in real Pyodide (Node.js)."""

from __future__ import annotations

import json

import pytest

from pyodide_pm.cli import main

from .conftest import REPO_ROOT

CHECK_DIR = REPO_ROOT / "fixtures" / "check"


@pytest.mark.pyodide
def test_import_check_in_real_pyodide(capsys, pep783_wheel):
    """One Node run: pure wheels, a module that raises, our hand-made side module and a real PEP 783 wheel."""
    wheels = [
        CHECK_DIR / "good_pure-1.0-py3-none-any.whl",
        CHECK_DIR / "raises_on_import-1.0-py3-none-any.whl",
        CHECK_DIR / "good_native-1.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
        CHECK_DIR / "linux_only-1.0-cp314-cp314-manylinux_2_17_x86_64.whl",
        pep783_wheel,
    ]
    code = main(["check", *map(str, wheels), "--import", "--pyodide", "314.0.7", "--pyodide", "0.27.7", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1

    def import_check(name: str, target: str = "314.0.7") -> dict:
        entry = next(i for i in report["items"] if name in i["input"] and i["target"] == target)
        return next(c for c in entry["checks"] if c["name"] == "import")

    assert import_check("good_pure") == {"name": "import", "ok": True, "status": "ok", "detail": "installed and imported in Pyodide: good_pure"}
    raises = import_check("raises_on_import")
    assert not raises["ok"]
    assert raises["detail"] == "import raises_on_import: RuntimeError: raises_on_import refuses to be imported (a check fixture)"
    # The side module and its needed library (found through $ORIGIN) really load.
    assert import_check("good_native")["ok"], import_check("good_native")
    assert import_check("msgpack-1.2.4") == {"name": "import", "ok": True, "status": "ok", "detail": "installed and imported in Pyodide: msgpack"}
    assert import_check("linux_only")["status"] == "skipped"
    assert import_check("good_pure", "0.27.7")["status"] == "skipped"


@pytest.mark.pyodide
def test_micropip_check_in_real_pyodide(pyodide):
    assert pyodide.run("import micropip; micropip.check()") == []
    pyodide.run("await micropip.install('greeting')")
    assert pyodide.run("micropip.check()") == []
    pyodide.run("micropip.uninstall('textwrap3-lite')")
    assert pyodide.run("micropip.check()") == ["greeting 1.1 requires textwrap3-lite, which is not installed"]
    pyodide.run("micropip.uninstall('colorama-lite'); await micropip.install('colorama-lite==0.1', deps=False)")
    assert pyodide.run("micropip.check()") == [
        "greeting 1.1 has requirement colorama-lite>=0.2, but you have colorama-lite 0.1",
        "greeting 1.1 requires textwrap3-lite, which is not installed",
    ]
