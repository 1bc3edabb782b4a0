"""The committed fixture wheels are exactly what fixtures/make_wheels.py makes."""

from __future__ import annotations

import importlib.util
import sys
import zipfile

from .conftest import BROKEN_WHEELS, FIXTURE_WHEELS, REPO_ROOT


def _load_script():
    spec = importlib.util.spec_from_file_location("make_wheels", REPO_ROOT / "fixtures" / "make_wheels.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script runs
    spec.loader.exec_module(module)
    return module


def test_committed_fixtures_match_the_script(tmp_path):
    make_wheels = _load_script()
    make_wheels.build(tmp_path / "wheels", tmp_path / "broken")
    for committed, fresh in ((FIXTURE_WHEELS, tmp_path / "wheels"), (BROKEN_WHEELS, tmp_path / "broken")):
        names = sorted(p.name for p in committed.iterdir())
        assert names == sorted(p.name for p in fresh.iterdir())
        for name in names:
            assert (committed / name).read_bytes() == (fresh / name).read_bytes(), f"{committed / name} differs: run python fixtures/make_wheels.py"


def test_fixture_wheels_are_valid_zips_with_record():
    wheels = sorted(FIXTURE_WHEELS.glob("*.whl"))
    assert len(wheels) >= 40
    for path in wheels:
        with zipfile.ZipFile(path) as zf:
            assert zf.testzip() is None
            assert any(n.endswith(".dist-info/RECORD") for n in zf.namelist()), path.name
