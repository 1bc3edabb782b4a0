"""``pyodide-pm check`` on the host: every verdict, the report formats, exit codes, bad input,
lockfile inputs, the WebAssembly reader, and ``micropip.check()``'s logic on CPython."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from micropip.installation.check_installed import find_problems
from pyodide_pm.cli import main
from micropip.installation.installed import installed_distributions
from pyodide_pm.wasm_module import WasmFormatError, parse_wasm_module
from micropip.installation.wheelbuilder import make_metadata, write_wheel

from .conftest import BROKEN_WHEELS, REPO_ROOT

CHECK_DIR = REPO_ROOT / "fixtures" / "check"
WHEEL = {p.name.split("-")[0]: p for p in CHECK_DIR.glob("*.whl")}


def _script():
    spec = importlib.util.spec_from_file_location("make_check_wheels", REPO_ROOT / "fixtures" / "make_check_wheels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["check", *map(str, args)])
    return code, capsys.readouterr().out


def run_json(capsys, *args: str) -> tuple[int, dict]:
    code, out = run(capsys, *args, "--format", "json")
    return code, json.loads(out)


def item(report: dict, name: str, target: str = "314.0.7") -> dict:
    def matches(text: str) -> bool:
        base = text.replace("\\", "/").rsplit("/", 1)[-1]
        return base == name or base.startswith(name + "-")

    found = [i for i in report["items"] if matches(i["input"]) and i["target"] == target]
    assert len(found) == 1, (name, [i["input"] for i in report["items"]])
    return found[0]


def check(entry: dict, name: str) -> dict:
    return next(c for c in entry["checks"] if c["name"] == name)


def failed(entry: dict) -> dict[str, str]:
    return {c["name"]: c["detail"] for c in entry["checks"] if not c["ok"]}


@pytest.fixture(scope="module")
def folder_report() -> dict:
    """One run over the whole fixture folder (it needs no index: all dependencies are in it)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["check", str(CHECK_DIR), "--format", "json"])
    report = json.loads(out.getvalue())
    report["exit_code"] = code
    return report


# ---- the fixtures ---------------------------------------------------------------------------------


def test_committed_check_fixtures_match_the_script(tmp_path):
    _script().build(tmp_path)
    names = sorted(p.name for p in CHECK_DIR.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (CHECK_DIR / name).read_bytes() == (tmp_path / name).read_bytes(), f"run python fixtures/make_check_wheels.py ({name})"


# ---- one verdict each -------------------------------------------------------------------------------


def test_compatible_wheels_pass(folder_report):
    pure = item(folder_report, "good_pure")
    assert pure["ok"] and check(pure, "tags")["detail"] == "py3-none-any (pure Python)"
    native = item(folder_report, "good_native")
    assert native["ok"], failed(native)
    assert "2 WebAssembly side modules" in check(native, "shared-libraries")["detail"]
    assert check(native, "dependencies")["detail"] == "1 package(s) to install:\ngood-pure 1.0: pure wheel, given on the command line"
    assert item(folder_report, "raises_on_import")["ok"]  # only --import can tell


def test_wrong_platform(folder_report):
    reasons = failed(item(folder_report, "linux_only"))
    assert list(reasons) == ["tags"]
    assert "built for platform manylinux_2_17_x86_64, not for Pyodide" in reasons["tags"]


def test_wrong_abi_and_python(folder_report):
    reasons = failed(item(folder_report, "old_abi"))
    assert "built for Pyodide ABI 2025_0, this Pyodide has ABI 2026_0" in reasons["tags"]
    assert "built for Python 3.13, this is Python 3.14" in reasons["tags"]


def test_too_new_requires_python(folder_report):
    reasons = failed(item(folder_report, "future_python"))
    assert reasons == {"requires-python": "requires Python >=3.99, Pyodide 314.0.7 has Python 3.14.2"}


def test_missing_dependency_chain(folder_report):
    reasons = failed(item(folder_report, "chain_a"))
    assert list(reasons) == ["dependencies"]
    assert reasons["dependencies"].startswith("chain-a -> chain-b -> missing-native: no wheel of missing-native")
    assert "missing_native-1.0-cp314-cp314-manylinux_2_17_x86_64.whl: built for platform manylinux" in reasons["dependencies"]
    assert failed(item(folder_report, "chain_b"))["dependencies"].startswith("chain-b -> missing-native:")


def test_broken_metadata(folder_report):
    reasons = failed(item(folder_report, "bad_metadata"))
    assert list(reasons) == ["metadata"]
    assert "'9.9' is not a valid metadata version" in reasons["metadata"]
    assert "'good-pure >>> 1' is invalid for 'requires-dist'" in reasons["metadata"]
    assert "1 unreadable Requires-Dist ignored" in check(item(folder_report, "bad_metadata"), "dependencies")["detail"]


def test_elf_shared_object_in_an_emscripten_wheel(folder_report):
    reasons = failed(item(folder_report, "elf_native"))
    assert reasons == {"shared-libraries": "elf_native/_core.cpython-314-wasm32-emscripten.so: an ELF binary (built for Linux, not WebAssembly)"}


def test_folder_report_shape_and_exit_code(folder_report):
    assert folder_report["exit_code"] == 1 and folder_report["ok"] is False
    assert folder_report["schema_version"] == 1
    [target] = folder_report["targets"]
    lock = target.pop("lock")
    assert target == {"pyodide": "314.0.7", "python": "3.14.2", "abi_version": "2026_0", "platform": "emscripten_5_0_3"}
    # the release catalog's copy (cached in the user cache), which is Pyodide 314.0.7's own lock
    assert Path(lock).name == "pyodide-lock.json" and "node_modules" not in lock
    assert Path(lock).read_bytes() == (REPO_ROOT / "node_modules" / "pyodide" / "pyodide-lock.json").read_bytes()
    assert len(folder_report["items"]) == len(WHEEL) == 11
    ok = sorted(Path(i["input"]).name.split("-")[0] for i in folder_report["items"] if i["ok"])
    assert ok == ["good_native", "good_pure", "raises_on_import"]
    for entry in folder_report["items"]:
        assert set(entry) == {"input", "kind", "target", "ok", "checks"} and entry["kind"] == "wheel"
        assert entry["ok"] == all(c["ok"] for c in entry["checks"])
        for c in entry["checks"]:
            assert set(c) == {"name", "ok", "status", "detail"} and c["status"] in ("ok", "fail", "skipped")


# ---- formats and exit codes -----------------------------------------------------------------


def test_table_output(capsys):
    code, out = run(capsys, CHECK_DIR)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("Target: Pyodide 314.0.7 (Python 3.14.2, pyemscripten_2026_0_wasm32; lock: ")
    assert any(line.startswith("314.0.7  ok      wheel  ") and line.endswith("good_pure-1.0-py3-none-any.whl") for line in lines)
    row = next(i for i, line in enumerate(lines) if line.endswith("future_python-1.0-py3-none-any.whl"))
    assert "FAIL" in lines[row] and lines[row + 1] == "    requires-python: requires Python >=3.99, Pyodide 314.0.7 has Python 3.14.2"
    assert lines[-1] == "3 ok, 8 FAIL (11 checked)"


def test_junit_output_parses(capsys, tmp_path):
    out_file = tmp_path / "check.xml"
    code, out = run(capsys, WHEEL["good_pure"], WHEEL["linux_only"], "--pyodide", "314.0.7", "--pyodide", "0.27.7",
                    "--format", "junit", "-o", out_file)
    assert code == 1
    assert "wrote the junit report to" in out and "TARGET" in out  # a readable table still goes to the log
    root = ET.parse(out_file).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "4" and root.get("failures") == "2"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["Pyodide 314.0.7", "Pyodide 0.27.7"]
    for suite in suites:
        cases = suite.findall("testcase")
        assert len(cases) == 2 and suite.get("failures") == "1"
        good, bad = sorted(cases, key=lambda c: "linux_only" in c.get("name"))
        assert good.find("failure") is None
        failure = bad.find("failure")
        assert failure.get("message").startswith("tags: built for platform manylinux_2_17_x86_64")
        assert "[fail] tags:" in bad.find("system-out").text


def test_exit_codes(capsys):
    assert run(capsys, WHEEL["good_pure"], WHEEL["good_native"])[0] == 0
    assert run(capsys, WHEEL["linux_only"])[0] == 1
    for bad_usage in ([], ["--pyodide", "9.9.9", str(WHEEL["good_pure"])], ["--format", "yaml", str(WHEEL["good_pure"])]):
        with pytest.raises(SystemExit) as exc:
            main(["check", *bad_usage])
        assert exc.value.code == 2
    assert "unknown Pyodide release '9.9.9'" in capsys.readouterr().err


def test_json_written_to_a_file(capsys, tmp_path):
    out_file = tmp_path / "report.json"
    code, out = run(capsys, WHEEL["good_pure"], "--format", "json", "-o", out_file)
    assert code == 0 and json.loads(out_file.read_text())["ok"] is True
    assert "wrote the json report" in out


def test_bad_inputs_are_per_item_errors(capsys, tmp_path):
    bad_name = tmp_path / "not-a-wheel-name.whl"
    bad_name.write_bytes(b"PK")
    empty = tmp_path / "empty"
    empty.mkdir()
    other = tmp_path / "notes.md"
    other.write_text("hello")
    code, report = run_json(
        capsys, tmp_path / "missing-1.0-py3-none-any.whl", BROKEN_WHEELS / "notazip-1.0-py3-none-any.whl",
        BROKEN_WHEELS / "zipslip-1.0-py3-none-any.whl", bad_name, empty, other, WHEEL["good_pure"],
    )
    assert code == 1
    reasons = {Path(i["input"]).name: failed(i) for i in report["items"]}
    assert reasons["missing-1.0-py3-none-any.whl"] == {"file": f"{tmp_path / 'missing-1.0-py3-none-any.whl'}: no such file"}
    assert "not a readable zip archive" in reasons["notazip-1.0-py3-none-any.whl"]["wheel"]
    assert "not a plain relative path" in reasons["zipslip-1.0-py3-none-any.whl"]["wheel"]
    assert reasons["not-a-wheel-name.whl"]["wheel"].startswith("not a wheel file name")
    assert "folder without .whl files" in reasons["empty"]["file"]
    assert "neither a wheel" in reasons["notes.md"]["file"]
    assert reasons["good_pure-1.0-py3-none-any.whl"] == {}


# ---- requirements, indexes, several targets ---------------------------------------------------------


def test_requirement_specs_against_the_fixture_index(capsys, fixture_index):
    code, report = run_json(capsys, "greeting", "chain-top", "regex", "--index-url", fixture_index.simple_url)
    assert code == 1
    greeting = item(report, "greeting")
    assert greeting["ok"] and greeting["kind"] == "requirement"
    assert "greeting 1.1: pure wheel from 127.0.0.1:" in check(greeting, "resolution")["detail"]
    assert "textwrap3-lite 1.0: pure wheel from 127.0.0.1:" in check(greeting, "resolution")["detail"]
    chain = failed(item(report, "chain-top"))["resolution"]
    assert chain.startswith("chain-top -> chain-middle -> chain-native: no wheel of chain-native")
    assert "chain_native-1.0-cp313-cp313-pyodide_2025_0_wasm32.whl: built for Pyodide ABI 2025_0" in chain
    regex = item(report, "regex")
    assert regex["ok"] and "regex 2026.3.32: from Pyodide's lock (built by Pyodide)" in check(regex, "resolution")["detail"]


def test_requirements_file(capsys, tmp_path, fixture_index):
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("demo-app\nmarkerpkg  # markers for emscripten\n")
    code, report = run_json(capsys, "-r", reqs, "--index-url", fixture_index.simple_url)
    assert code == 0
    entry = report["items"][0]
    assert entry["kind"] == "requirements-file" and entry["input"] == f"-r {reqs}"
    detail = check(entry, "resolution")["detail"]
    assert "demo-app 1.0" in detail and "emdep 1.0" in detail and "linuxdep" not in detail


def test_requirements_file_reports_every_failing_requirement_summarized(capsys, tmp_path, fixture_index):
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("manyfiles\ngreeting\nchain-top\n")
    code, report = run_json(capsys, "-r", reqs, "--index-url", fixture_index.simple_url)
    assert code == 1
    detail = failed(report["items"][0])["resolution"]
    assert "2 problems" in detail and "1. manyfiles: no wheel of manyfiles" in detail and "2. chain-top -> chain-middle -> chain-native" in detail
    assert "13 files rejected: 9 built for another platform (not Pyodide)" in detail
    assert detail.count("manyfiles-") == 2 and "--verbose" in detail  # the closest misses only
    code, report = run_json(capsys, "-r", reqs, "--index-url", fixture_index.simple_url, "--verbose")
    assert failed(report["items"][0])["resolution"].count("manyfiles-") == 13


def test_several_targets(capsys, fixture_index):
    code, report = run_json(
        capsys, WHEEL["good_pure"], WHEEL["good_native"], "regex", "--pyodide", "314.0.7", "--pyodide", "0.27.7",
        "--index-url", fixture_index.simple_url,
    )
    assert code == 1
    assert [t["pyodide"] for t in report["targets"]] == ["314.0.7", "0.27.7"]
    assert report["targets"][1]["python"] == "3.12.7" and report["targets"][1]["abi_version"] == "2024_0"
    assert report["targets"][1]["lock"].endswith("pyodide-lock.json")  # the older release's own lock, from the catalog
    assert len(report["items"]) == 6
    assert item(report, "good_native")["ok"]
    old = failed(item(report, "good_native", "0.27.7"))
    assert "built for Pyodide ABI 2026_0, this Pyodide has ABI 2024_0" in old["tags"]
    assert item(report, "good_pure", "0.27.7")["ok"]
    # each release's own build of regex, from its own lock
    assert "regex 2026.3.32: from Pyodide's lock" in check(item(report, "regex"), "resolution")["detail"]
    assert "regex 2024.9.11: from Pyodide's lock" in check(item(report, "regex", "0.27.7"), "resolution")["detail"]


def test_import_is_skipped_for_targets_we_cannot_run(capsys):
    code, report = run_json(capsys, WHEEL["good_pure"], "--pyodide", "0.27.7", "--import")
    assert code == 0
    imp = check(item(report, "good_pure", "0.27.7"), "import")
    assert imp["status"] == "skipped" and "micropip runs in Pyodide 314.0.7, not 0.27.7" in imp["detail"]


# ---- lockfiles -----------------------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def lock_dir(tmp_path) -> Path:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for key in ("good_pure", "linux_only"):
        shutil.copy(WHEEL[key], wheels)
    return tmp_path


def _entry(name: str, file_name: str, sha256: str, package_type: str = "package") -> dict:
    return {"name": name, "version": "1.0", "file_name": file_name, "install_dir": "site", "sha256": sha256,
            "package_type": package_type, "imports": [], "depends": [], "unvendored_tests": False}


def test_pyodide_lock_input(capsys, lock_dir):
    good = lock_dir / "wheels" / WHEEL["good_pure"].name
    lock = {
        "info": {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3", "python": "3.14.2"},
        "packages": {
            "good-pure": _entry("good-pure", f"wheels/{good.name}", _sha(good)),
            "linux-only": _entry("linux-only", f"wheels/{WHEEL['linux_only'].name}", "0" * 64),
            "remote": _entry("remote", "https://example.invalid/remote-1.0-py3-none-any.whl", "1" * 64),
            "tampered": _entry("tampered", f"wheels/{good.name}", "2" * 64),
            "libfoo": _entry("libfoo", "libfoo-1.0.zip", "3" * 64, "shared_library"),
        },
    }
    path = lock_dir / "app-lock.json"
    path.write_text(json.dumps(lock))
    code, report = run_json(capsys, path, "--pyodide", "314.0.7", "--pyodide", "0.27.7")
    assert code == 1
    head = item(report, "app-lock.json")
    assert head["kind"] == "lock" and head["ok"]
    good_item = item(report, "app-lock.json:good-pure")
    assert good_item["ok"] and "(sha256 verified)" in check(good_item, "download")["detail"]
    assert "metadata" in {c["name"] for c in good_item["checks"]}  # the downloaded wheel got the full checks
    assert "built for platform manylinux" in failed(item(report, "app-lock.json:linux-only"))["tags"]
    assert check(item(report, "app-lock.json:remote"), "download")["status"] == "skipped"
    assert "hash mismatch" in failed(item(report, "app-lock.json:tampered"))["download"]
    assert item(report, "app-lock.json:libfoo")["kind"] == "locked-file"
    other = failed(item(report, "app-lock.json", "0.27.7"))["lock-target"]
    assert "ABI 2026_0, the target has 2024_0" in other and "Python 3.14.2, the target has 3.12.7" in other


def test_pylock_input(capsys, lock_dir):
    from lockfile import Pylock, PylockPackage, PylockWheel, write_pylock

    good = lock_dir / "wheels" / WHEEL["good_pure"].name
    lock = Pylock(
        environments=("sys_platform == 'emscripten'",),
        requires_python=">=3.13",
        created_by="test",
        packages=(
            PylockPackage(name="good-pure", version="1.0", wheels=(PylockWheel(path=f"wheels/{good.name}", hashes={"sha256": _sha(good)}),)),
            PylockPackage(name="linux-only", version="1.0", wheels=(
                PylockWheel(path=f"wheels/{WHEEL['linux_only'].name}", hashes={"sha256": "0" * 64}),)),
            PylockPackage(name="winonly", version="1.0", marker="sys_platform == 'win32'", wheels=(
                PylockWheel(url="https://example.invalid/winonly-1.0-py3-none-any.whl", hashes={"sha256": "1" * 64}),)),
        ),
    )
    path = lock_dir / "pylock.toml"
    path.write_text(write_pylock(lock))
    code, report = run_json(capsys, path, "--pyodide", "314.0.7", "--pyodide", "0.27.7")
    assert code == 1
    assert item(report, "pylock.toml")["ok"]
    assert "lock requires-python >=3.13, target Python 3.12.7" in failed(item(report, "pylock.toml", "0.27.7"))["requires-python"]
    assert item(report, "pylock.toml:good-pure")["ok"]
    assert "no locked wheel fits this target" in failed(item(report, "pylock.toml:linux-only"))["tags"]
    assert check(item(report, "pylock.toml:winonly"), "marker")["status"] == "skipped"


def test_unreadable_lock_is_a_per_item_error(capsys, tmp_path):
    path = tmp_path / "broken-lock.json"
    path.write_text("{not json")
    code, report = run_json(capsys, path)
    assert code == 1 and "not valid JSON" in failed(report["items"][0])["lockfile"]


# ---- side modules: the reader and the loader's search rules ---------------------------------------


def test_side_module_reader_reads_the_fixture_bytes():
    script = _script()
    module = parse_wasm_module(script.side_module(["libgoodhelper.so", "libz.so.1"], ["$ORIGIN/../libs"]))
    assert module.is_side_module and module.sections == ("dylink.0", "#1", "#3", "#10")
    assert module.needed == ("libgoodhelper.so", "libz.so.1") and module.runtime_paths == ("$ORIGIN/../libs",)
    assert module.mem_info is not None and module.mem_info.memory_size == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x7fELF\x02\x01\x01\x00" + bytes(16), "an ELF binary"),
        (b"\xcf\xfa\xed\xfe" + bytes(16), "Mach-O"),
        (b"", "an empty file"),
        (b"\0asm\x02\0\0\0", "binary version 2"),
        (b"\0asm\x01\0\0\0\x00\x10\x08dylink.0", "truncated"),
        (b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\xff\x01", "longer than 5 bytes"),
    ],
)
def test_side_module_reader_rejects(data, message):
    with pytest.raises(WasmFormatError, match=message):
        parse_wasm_module(data)


def test_multi_byte_leb128_and_a_late_dylink_section():
    script = _script()
    big = "lib" + "x" * 200 + ".so"  # a name longer than 127 bytes: two-byte lengths
    module = parse_wasm_module(script.side_module([big]))
    assert module.needed == (big,)
    plain = b"\0asm\x01\0\0\0" + script.section(1, script.uleb128(0))
    late = plain + script.section(0, script.wasm_name("dylink.0") + b"\x01\x04\0\0\0\0")
    assert parse_wasm_module(plain).dylink_section is None
    assert not parse_wasm_module(late).is_side_module


def _native_wheel(out: Path, name: str, so_files: dict[str, bytes]) -> Path:
    return write_wheel(out, name, "1.0", {f"{name}/__init__.py": "", **so_files}, tag="cp314-cp314-pyemscripten_2026_0_wasm32",
                       metadata=make_metadata(name, "1.0"))


def test_needed_libraries_are_searched_like_the_loader(capsys, tmp_path):
    script = _script()
    so = ".cpython-314-wasm32-emscripten.so"
    _native_wheel(tmp_path, "no_rpath", {f"no_rpath/_ext{so}": script.side_module(["libhelper.so"]), "no_rpath/libhelper.so": script.side_module([])})
    _native_wheel(tmp_path, "libs_dir", {f"libs_dir/_ext{so}": script.side_module(["libhelper.so"], ["$ORIGIN/../libs_dir.libs"]),
                                         "libs_dir.libs/libhelper.so": script.side_module([])})
    _native_wheel(tmp_path, "at_root", {f"at_root/_ext{so}": script.side_module(["libroot.so"]), "libroot.so": script.side_module([])})
    _native_wheel(tmp_path, "from_pyodide", {f"from_pyodide/_ext{so}": script.side_module(["libopenblas.so"])})
    _native_wheel(tmp_path, "nowhere", {f"nowhere/_ext{so}": script.side_module(["libmissing.so.3"])})
    _native_wheel(tmp_path, "not_side", {f"not_side/_ext{so}": b"\0asm\x01\0\0\0"})
    code, report = run_json(capsys, tmp_path, "--pyodide", "314.0.7", "--pyodide", "0.27.7")
    assert code == 1
    assert "the wheel ships no_rpath/libhelper.so, but the loader only looks in site-packages" in failed(item(report, "no_rpath"))["shared-libraries"]
    assert item(report, "libs_dir")["ok"] and item(report, "at_root")["ok"]
    assert item(report, "from_pyodide")["ok"]  # libopenblas is a shared library of Pyodide 314's lock
    assert "needs libmissing.so.3, which neither the wheel nor Pyodide" in failed(item(report, "nowhere"))["shared-libraries"]
    assert "not a side module (no dylink.0 section" in failed(item(report, "not_side"))["shared-libraries"]
    # 0.27.7's own lock (from the release catalog) has libopenblas too.
    from_pyodide_old = item(report, "from_pyodide", "0.27.7")
    assert from_pyodide_old["checks"] and check(from_pyodide_old, "shared-libraries")["ok"]


# ---- micropip.check() logic on CPython ---------------------------------------------------------


def _dist(site: Path, name: str, version: str, requires: list[str] = ()) -> None:
    dist_info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(make_metadata(name, version, requires_dist=requires))
    (dist_info / "RECORD").write_text("")


def test_installed_consistency(tmp_path):
    site = tmp_path / "site"
    _dist(site, "greeting", "1.1", ["colorama-lite>=0.2", "textwrap3-lite"])
    _dist(site, "colorama-lite", "0.1")
    _dist(site, "app", "1.0", ["greeting", 'winonly; sys_platform == "win32"', 'extradep; extra == "fast"', "Greeting>=1.0"])
    _dist(site, "broken", "1.0", ["not a requirement !!"])
    problems = [str(p) for p in find_problems(installed_distributions([str(site)]))]
    assert problems == [
        "broken 1.0 has an invalid requirement 'not a requirement !!'",
        "greeting 1.1 has requirement colorama-lite>=0.2, but you have colorama-lite 0.1",
        "greeting 1.1 requires textwrap3-lite, which is not installed",
    ]
    _dist(site, "textwrap3-lite", "1.0")
    shutil.rmtree(site / "colorama_lite-0.1.dist-info")
    _dist(site, "colorama-lite", "0.2")
    shutil.rmtree(site / "broken-1.0.dist-info")
    assert find_problems(installed_distributions([str(site)])) == []
