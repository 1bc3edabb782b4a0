"""`lock`, `bundle` and `check` use the target release's own lock (from the release catalog).

Pyodide's entries in what they write point at the release's CDN folder (or
``--package-base-url``), so the lock loads from any host; entries from an index keep their
absolute URLs; ``--wheel-dir`` copies what the lock adds; ``--for-node`` keeps bare names for
Pyodide's loader under Node.js. The catalog reads the suite's seeded cache (offline).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from pyodide_pm.bundle import write_bundle
from pyodide_pm.catalog import Catalog
from pyodide_pm.cli import main

CDN = "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/"


def lock(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["lock", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def pyodide_lock() -> dict:
    return Catalog().release("314.0.7").lock.to_dict()


def test_pyodide_entries_point_at_the_cdn_index_entries_keep_their_urls(capsys, tmp_path, fixture_index, pyodide_lock):
    out = tmp_path / "app.json"
    code, stdout, _ = lock(capsys, "numpy", "greeting", "-i", fixture_index.simple_url, "-o", str(out))
    assert code == 0 and "numpy==2.4.6  (lockfile)" in stdout and "greeting==1.1  (index)" in stdout
    data = json.loads(out.read_text())
    numpy = data["packages"]["numpy"]
    assert numpy["file_name"] == CDN + pyodide_lock["packages"]["numpy"]["file_name"]
    assert numpy["sha256"] == pyodide_lock["packages"]["numpy"]["sha256"]
    assert all(e["file_name"].startswith(CDN) for k, e in data["packages"].items() if k in pyodide_lock["packages"])
    assert data["packages"]["greeting"]["file_name"] == fixture_index.url + "files/greeting-1.1-py3-none-any.whl"
    assert data["info"] == pyodide_lock["info"]


def test_package_base_url_and_wheel_dir(capsys, tmp_path, fixture_index):
    out = tmp_path / "site" / "pyodide-lock.json"
    code, _, _ = lock(
        capsys, "numpy", "greeting", "-i", fixture_index.simple_url, "--package-base-url", "https://mirror.example/py/",
        "--wheel-dir", str(tmp_path / "site" / "wheels"), "-o", str(out),
    )
    assert code == 0
    data = json.loads(out.read_text())
    assert data["packages"]["numpy"]["file_name"].startswith("https://mirror.example/py/numpy-2.4.6-")
    assert data["packages"]["greeting"]["file_name"] == "wheels/greeting-1.1-py3-none-any.whl"
    assert sorted(p.name for p in (tmp_path / "site" / "wheels").iterdir()) == [
        "colorama_lite-0.2-py3-none-any.whl", "greeting-1.1-py3-none-any.whl", "textwrap3_lite-1.0-py3-none-any.whl"
    ]


def test_pylock_follows_the_same_rules(capsys, tmp_path, fixture_index):
    out = tmp_path / "pylock.toml"
    assert lock(capsys, "numpy", "greeting", "-i", fixture_index.simple_url, "-o", str(out))[0] == 0
    packages = {p["name"]: p for p in tomllib.loads(out.read_text())["packages"]}
    assert packages["numpy"]["wheels"][0]["url"].startswith(CDN + "numpy-2.4.6-")
    assert packages["greeting"]["wheels"][0]["url"] == fixture_index.url + "files/greeting-1.1-py3-none-any.whl"


def test_for_node_keeps_bare_names_and_needs_a_wheel_dir(capsys, tmp_path, fixture_index):
    code, _, err = lock(capsys, "greeting", "-i", fixture_index.simple_url, "--for-node", "-o", str(tmp_path / "a.json"))
    assert code == 1 and "--for-node" in err and "--wheel-dir" in err and "greeting" in err
    out = tmp_path / "b.json"
    code, _, _ = lock(capsys, "numpy", "greeting", "-i", fixture_index.simple_url, "--for-node", "--wheel-dir", str(tmp_path), "-o", str(out))
    assert code == 0
    data = json.loads(out.read_text())
    assert data["packages"]["numpy"]["file_name"].startswith("numpy-2.4.6-") and data["packages"]["greeting"]["file_name"] == "greeting-1.1-py3-none-any.whl"


def test_an_older_release_uses_its_own_lock(capsys, tmp_path):
    out = tmp_path / "old.json"
    code, stdout, _ = lock(capsys, "numpy", "--pyodide", "0.27.7", "-o", str(out))
    assert code == 0 and "for Pyodide 0.27.7" in stdout and "numpy==2.0.2  (lockfile)" in stdout
    data = json.loads(out.read_text())
    assert data["packages"]["numpy"]["file_name"] == "https://cdn.jsdelivr.net/pyodide/v0.27.7/full/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
    assert data["info"]["python"] == "3.12.7"


def test_a_given_lock_and_merge_with(capsys, tmp_path, fixture_index, pyodide_lock):
    custom = json.loads(json.dumps(pyodide_lock))
    entry = dict(custom["packages"]["numpy"], version="9.9.9", file_name="numpy-9.9.9-cp314-cp314-pyemscripten_2026_0_wasm32.whl")
    custom["packages"]["numpy"] = entry
    given = tmp_path / "custom-lock.json"
    given.write_text(json.dumps(custom))
    out = tmp_path / "app.json"
    code, stdout, _ = lock(capsys, "numpy", "--pyodide-lock", str(given), "-o", str(out))
    assert code == 0 and "numpy==9.9.9  (lockfile)" in stdout
    assert json.loads(out.read_text())["packages"]["numpy"]["file_name"] == CDN + entry["file_name"]
    # --merge-with keeps that lock's entries as written, unless --package-base-url is given
    code, _, _ = lock(capsys, "greeting", "-i", fixture_index.simple_url, "--merge-with", str(given), "-o", str(out))
    assert code == 0 and json.loads(out.read_text())["packages"]["numpy"]["file_name"] == entry["file_name"]
    code, _, _ = lock(capsys, "greeting", "-i", fixture_index.simple_url, "--merge-with", str(given), "--package-base-url", "https://m.example/", "-o", str(out))
    assert code == 0 and json.loads(out.read_text())["packages"]["numpy"]["file_name"] == "https://m.example/" + entry["file_name"]


def test_bundle_entries(tmp_path, pyodide_lock):
    data = json.loads(write_bundle(tmp_path / "web").read_text())
    assert data["packages"]["numpy"]["file_name"] == CDN + pyodide_lock["packages"]["numpy"]["file_name"]
    for ours in ("micropip", "micropip-sdist", "micropip-pylock", "packaging", "resolvelib"):
        assert "/" not in data["packages"][ours]["file_name"] and (tmp_path / "web" / data["packages"][ours]["file_name"]).is_file()
    node = json.loads(write_bundle(tmp_path / "node", for_node=True).read_text())
    assert node["packages"]["numpy"]["file_name"] == pyodide_lock["packages"]["numpy"]["file_name"]


def test_check_says_where_each_package_comes_from(capsys, tmp_path, fixture_index):
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("numpy\ngreeting\n")
    code = main(["check", "-r", str(reqs), "-i", fixture_index.simple_url])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "numpy 2.4.6: from Pyodide's lock (built by Pyodide)" in out
    assert "greeting 1.1: pure wheel from 127.0.0.1:" in out
    code = main(["check", "numpy", "--pyodide", "0.27.7"])
    assert code == 0 and "numpy 2.0.2: from Pyodide's lock" in capsys.readouterr().out


def test_check_with_a_given_lock(capsys, tmp_path, fixture_index, pyodide_lock):
    custom = {"info": pyodide_lock["info"], "packages": {"numpy": pyodide_lock["packages"]["numpy"]}}
    given = tmp_path / "small-lock.json"
    given.write_text(json.dumps(custom))
    assert main(["check", "numpy", "--pyodide-lock", str(given), "-i", fixture_index.simple_url]) == 0
    assert "numpy 2.4.6: from Pyodide's lock" in capsys.readouterr().out
    assert main(["check", "regex", "--pyodide-lock", str(given), "-i", fixture_index.simple_url]) == 1  # not in that lock
    out = capsys.readouterr().out
    assert "lock: small-lock.json" in out or str(given) in out


def test_installing_such_a_lock_leaves_pyodides_own_packages_to_pyodide():
    """install_lockfile(app.json) where the page runs a bundle: the lock's own micropip (Pyodide's
    0.11.1, another build than the running one) is not installed, a package the app needs is."""
    from micropip.resolution.environment import TargetEnvironment
    from micropip.resolution.lock_plan import plan_from_lockfile

    def entry(name: str, sha: str, depends: tuple[str, ...] = ()) -> dict:
        return {"name": name, "version": "1.0", "file_name": f"https://cdn.example/{name}-1.0-py3-none-any.whl",
                "install_dir": "site", "sha256": sha * 64, "package_type": "package", "imports": [name],
                "depends": list(depends), "unvendored_tests": False}

    info = {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3", "python": "3.14.2"}
    running = {"info": info, "packages": {"micropip": entry("micropip", "1"), "numpy": entry("numpy", "2"), "six": entry("six", "3")}}
    app = {"info": info, "packages": {
        "micropip": entry("micropip", "4"), "numpy": entry("numpy", "2"), "six": entry("six", "5"),
        "app": entry("app", "6", ("six", "numpy")),
    }}
    plan = plan_from_lockfile(json.dumps(app), "https://site.example/app.json", TargetEnvironment.for_pyodide("314.0.7"),
                              installed={}, runtime_lock=running)
    assert sorted(p.name for p in plan.install) == ["app", "six"]
    explicit = plan_from_lockfile(json.dumps(app), "https://site.example/app.json", TargetEnvironment.for_pyodide("314.0.7"),
                                  installed={}, runtime_lock=running, names=["micropip"])
    assert [p.name for p in explicit.install] == ["micropip"]  # asked for by name: installed
