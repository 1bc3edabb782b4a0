"""The lockfile formats on host CPython: round trips, validation messages, wheel selection, fuzzing."""

from __future__ import annotations

import copy
import json
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.tags import compatible_tags, cpython_tags

from lockfile import (
    LockfileError,
    LockfileWarning,
    LockInfo,
    LockPackage,
    PyodideLock,
    Pylock,
    PylockPackage,
    PylockWheel,
    detect_format,
    read_pylock,
    read_pyodide_lock,
    select_for_environment,
    write_pylock,
)
from lockfile.merging import merge

REAL_LOCK = Path(__file__).resolve().parent.parent / "node_modules" / "pyodide" / "pyodide-lock.json"
SHA = "a" * 64
SHA_B = "b" * 64

PLATFORMS = ["pyemscripten_2026_0_wasm32", "pyodide_2026_0_wasm32"]
PYODIDE_TAGS = [
    *cpython_tags((3, 14), abis=["cp314"], platforms=PLATFORMS),
    *compatible_tags((3, 14), interpreter="cp314", platforms=PLATFORMS),
]
PYODIDE_ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.14.2",
    "os_name": "posix",
    "platform_machine": "wasm32",
    "platform_release": "5.0.3",
    "platform_system": "Emscripten",
    "platform_version": "#1",
    "platform_python_implementation": "CPython",
    "python_full_version": "3.14.2",
    "python_version": "3.14",
    "sys_platform": "emscripten",
}


def lock_error(call, *args, **kwargs) -> LockfileError:
    with pytest.raises(LockfileError) as info:
        call(*args, **kwargs)
    return info.value


# -- pyodide-lock.json ---------------------------------------------------------------------------


def small_lock_data() -> dict:
    def entry(name: str, version: str, depends: list[str]) -> dict:
        return {
            "name": name,
            "version": version,
            "file_name": f"{name.replace('-', '_')}-{version}-py3-none-any.whl",
            "install_dir": "site",
            "sha256": SHA,
            "package_type": "package",
            "imports": [name.replace("-", "_")],
            "depends": depends,
            "unvendored_tests": False,
            "tool": {"note": 1},
        }

    return {
        "info": {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3", "python": "3.14.2"},
        "packages": {
            "numpy": entry("numpy", "2.2.5", []),
            "pandas": entry("pandas", "2.3.0", ["numpy", "python_dateutil"]),
            "python-dateutil": entry("python-dateutil", "2.9.0", []),
        },
        "tool": {},
    }


def read_small(data: dict) -> PyodideLock:
    return read_pyodide_lock(json.dumps(data), source="pyodide-lock.json")


def test_real_pyodide_lock_round_trips():
    text = REAL_LOCK.read_text()
    lock = read_pyodide_lock(text, source=str(REAL_LOCK))
    assert lock.to_dict() == json.loads(text)
    again = read_pyodide_lock(lock.to_json())
    assert again == lock
    assert again.to_json() == lock.to_json()
    assert lock.info.python == "3.14.2" and lock.info.abi_version == "2026_0"
    assert lock.get("Jinja2").name == "Jinja2"
    assert lock.to_json().endswith("}\n")


def test_pyodide_lock_bytes_and_determinism():
    data = small_lock_data()
    lock = read_pyodide_lock(json.dumps(data).encode())
    assert lock.to_dict() == data
    assert lock.packages["numpy"].extra == {"tool": {"note": 1}}
    shuffled = PyodideLock(lock.info, dict(reversed(lock.packages.items())), lock.extra)
    assert shuffled.to_json() == lock.to_json()
    assert list(json.loads(lock.to_json())["packages"]) == ["numpy", "pandas", "python-dateutil"]


def test_legacy_lock_keeps_its_keys():
    data = small_lock_data()
    data["info"]["version"] = "0.25.0"
    data["info"]["new_field"] = [1, 2]
    for entry in data["packages"].values():
        entry["shared_library"] = False
    data["packages"]["numpy"]["package_type"] = "shared_library"
    data["packages"]["numpy"]["shared_library"] = True
    lock = read_small(data)
    assert lock.packages["numpy"].shared_library is True
    assert lock.info.extra == {"new_field": [1, 2]}
    assert lock.to_dict() == data
    assert read_pyodide_lock(lock.to_json()) == lock


def test_merge_overrides_and_revalidates():
    base = read_small(small_lock_data())
    newer = LockPackage("NumPy", "2.3.0", "numpy-2.3.0-py3-none-any.whl", "site", SHA_B, depends=("packaging",))
    with pytest.raises(LockfileError) as info:
        merge(base, {"numpy": newer})
    assert "'packaging'" in str(info.value) and "numpy" in str(info.value)
    packaging = LockPackage("packaging", "26.2", "packaging-26.2-py3-none-any.whl", "site", SHA)
    merged = merge(base, {"NumPy": newer, "packaging": packaging})
    assert merged.packages["numpy"].version == "2.3.0"
    assert set(merged.packages) == {"numpy", "pandas", "python-dateutil", "packaging"}
    assert base.packages["numpy"].version == "2.2.5"  # the base lock is not changed
    assert read_pyodide_lock(merged.to_json()) == merged


@pytest.mark.parametrize(
    ("change", "package", "field", "words"),
    [
        (lambda d: d["packages"]["numpy"].update(sha256="ABC"), "numpy", "packages.numpy.sha256", "64 lowercase"),
        (lambda d: d["packages"]["numpy"].update(sha256=SHA.upper()), "numpy", "packages.numpy.sha256", "sha256"),
        (lambda d: d["packages"]["pandas"]["depends"].append("pytz"), "pandas", "packages.pandas.depends[2]", "'pytz'"),
        (lambda d: d["packages"]["numpy"].update(version="not a version"), "numpy", "packages.numpy.version", "version"),
        (lambda d: d["packages"]["numpy"].update(install_dir="usr"), "numpy", "packages.numpy.install_dir", "site"),
        (lambda d: d["packages"]["numpy"].update(package_type="x"), "numpy", "packages.numpy.package_type", "x"),
        (lambda d: d["packages"]["numpy"].update(name="scipy"), "numpy", "packages.numpy", "'scipy'"),
        (lambda d: d["packages"]["numpy"].update(imports="numpy"), "numpy", "packages.numpy.imports", "array"),
        (lambda d: d["packages"]["numpy"].pop("file_name"), "numpy", "packages.numpy.file_name", "missing"),
        (lambda d: d["packages"]["numpy"].update(unvendored_tests="no"), "numpy", "packages.numpy.unvendored_tests", "true or false"),
        (lambda d: d["info"].pop("python"), None, "info.python", "3.14"),
    ],
)
def test_pyodide_lock_errors_name_package_and_field(change, package, field, words):
    data = small_lock_data()
    change(data)
    error = lock_error(read_small, data)
    message = str(error)
    assert error.path == "pyodide-lock.json" and message.startswith("pyodide-lock.json")
    assert error.package == package and error.field == field
    assert field in message and words in message
    if package:
        assert repr(package) in message


def test_pyodide_lock_depends_error_names_both_packages():
    data = small_lock_data()
    data["packages"]["pandas"]["depends"].append("pytz")
    message = str(lock_error(read_small, data))
    assert "'pandas'" in message and "'pytz'" in message


def test_validate_on_built_objects():
    info = LockInfo("wasm32", "emscripten_5_0_3", None, "3.14.2", "2026_0")
    good = PyodideLock(info, {"a": LockPackage("a", "1.0", "a-1.0-py3-none-any.whl", "site", SHA)})
    assert good.validate() is None
    bad = PyodideLock(info, {"a": LockPackage("a", 1.0, "a-1.0-py3-none-any.whl", "site", SHA)})  # type: ignore[arg-type]
    assert lock_error(bad.validate).field == "packages.a.version"


# -- pylock.toml ---------------------------------------------------------------------------------

UV_STYLE = """\
lock-version = "1.0"
created-by = "uv"
requires-python = ">=3.12"

[[packages]]
name = "attrs"
version = "25.3.0"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files.pythonhosted.org/packages/77/06/attrs-25.3.0-py3-none-any.whl", upload-time = 2025-03-13T11:10:21Z, size = 63815, hashes = { sha256 = "%(a)s" } }]

[[packages]]
name = "markupsafe"
version = "3.0.2"
index = "https://pypi.org/simple"
sdist = { url = "https://files.pythonhosted.org/packages/b2/97/markupsafe-3.0.2.tar.gz", upload-time = 2024-10-18T15:21:54Z, size = 20537, hashes = { sha256 = "%(b)s" } }
wheels = [
    { url = "https://files.pythonhosted.org/packages/22/35/MarkupSafe-3.0.2-cp314-cp314-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", upload-time = 2024-10-18T15:21:13Z, size = 23000, hashes = { sha256 = "%(a)s" } },
    { url = "https://files.pythonhosted.org/packages/22/36/markupsafe-3.0.2-py3-none-any.whl", upload-time = 2024-10-18T15:21:14Z, size = 15000, hashes = { sha256 = "%(b)s" } },
]
""" % {"a": SHA, "b": SHA_B}


def test_uv_style_pylock_is_read():
    lock = read_pylock(UV_STYLE, source="pylock.toml")
    assert lock.lock_version == "1.0" and lock.created_by == "uv" and lock.requires_python == ">=3.12"
    attrs, markupsafe = lock.packages
    assert (attrs.name, attrs.version, attrs.index) == ("attrs", "25.3.0", "https://pypi.org/simple")
    (wheel,) = attrs.wheels
    assert wheel.filename == "attrs-25.3.0-py3-none-any.whl"
    assert wheel.upload_time == datetime(2025, 3, 13, 11, 10, 21, tzinfo=timezone.utc)
    assert wheel.size == 63815 and wheel.hashes == {"sha256": SHA}
    assert markupsafe.sdist is not None and markupsafe.sources == ("sdist", "wheels")
    assert [w.filename for w in markupsafe.wheels][0].startswith("MarkupSafe-3.0.2-cp314")
    assert read_pylock(UV_STYLE.encode()) == lock
    assert read_pylock(write_pylock(lock)) == lock


def sample_pylock() -> Pylock:
    def wheel(filename: str, digest: str = SHA) -> PylockWheel:
        return PylockWheel(
            url=f"https://files.example/{filename}",
            size=1234,
            upload_time=datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc),
            hashes={"sha256": digest, "md5": "0" * 32},
        )

    return Pylock(
        environments=("sys_platform == 'emscripten'", "sys_platform == 'linux'"),
        requires_python=">=3.12",
        extras=(),
        dependency_groups=("docs",),
        default_groups=("default",),
        created_by="micropip",
        packages=(
            PylockPackage(
                "zeta", "1.0", wheels=(wheel("zeta-1.0-py3-none-any.whl"),), dependencies=({"name": "alpha"},)
            ),
            PylockPackage(
                "alpha",
                "2.0",
                marker="sys_platform == 'emscripten'",
                requires_python=">=3.10",
                index="https://pypi.org/simple",
                wheels=(
                    wheel("alpha-2.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"),
                    wheel("alpha-2.0-py3-none-any.whl", SHA_B),
                ),
                tool={"micropip": {"source": "index"}},
            ),
            PylockPackage(
                "alpha", "1.0", marker="sys_platform == 'linux'", wheels=(wheel("alpha-1.0-py3-none-any.whl"),)
            ),
            PylockPackage("local", directory={"path": "../local", "editable": True}),
        ),
        tool={"micropip": {"version": "1"}},
    )


def test_pylock_round_trip_and_order():
    lock = sample_pylock()
    assert [(p.name, p.version) for p in lock.packages] == [
        ("alpha", "1.0"),
        ("alpha", "2.0"),
        ("local", None),
        ("zeta", "1.0"),
    ]
    text = write_pylock(lock)
    assert write_pylock(lock) == text
    again = read_pylock(text)
    assert again == lock
    assert write_pylock(again) == text
    keys = [
        "lock-version",
        "environments",
        "requires-python",
        "extras",
        "dependency-groups",
        "default-groups",
        "created-by",
        "[[packages]]",
        "[tool",
    ]
    positions = [text.index(key) for key in keys]
    assert positions == sorted(positions)
    first = text[text.index("[[packages]]") :]
    assert first.index("name =") < first.index("version =") < first.index("marker =") < first.index("requires-python =")


def test_pylock_warns_for_newer_minor_version():
    with pytest.warns(LockfileWarning, match="1.1"):
        lock = read_pylock(UV_STYLE.replace('"1.0"', '"1.1"', 1))
    assert lock.lock_version == "1.1"


def test_write_pylock_without_tomli_w(monkeypatch):
    monkeypatch.setitem(sys.modules, "tomli_w", None)
    with pytest.raises(ImportError, match="pip install tomli-w"):
        write_pylock(sample_pylock())


PYLOCK_HEAD = 'lock-version = "1.0"\ncreated-by = "test"\n'


def one_package(body: str) -> str:
    return PYLOCK_HEAD + "\n[[packages]]\n" + body


@pytest.mark.parametrize(
    ("text", "package", "field", "words"),
    [
        (UV_STYLE.replace('lock-version = "1.0"\n', ""), None, "lock-version", "lock-version"),
        (UV_STYLE.replace('"1.0"', '"2.0"', 1), None, "lock-version", "2.0"),
        (UV_STYLE.replace('created-by = "uv"\n', ""), None, "created-by", "created-by"),
        (
            one_package('name = "foo"\nversion = "1.0"\nwheels = [{ url = "https://x/foo-1.0-py3-none-any.whl" }]\n'),
            "foo",
            "packages[0].wheels[0].hashes",
            "hashes",
        ),
        (
            one_package(f'name = "foo"\nversion = "1.0"\nwheels = [{{ url = "https://x/foo-1.0-py3-none-any.whl", hashes = {{}} }}]\n'),
            "foo",
            "packages[0].wheels[0].hashes",
            "no hashes",
        ),
        (
            one_package(f'name = "foo"\nversion = "1.0"\nwheels = [{{ url = "https://x/bar-1.0-py3-none-any.whl", hashes = {{ sha256 = "{SHA}" }} }}]\n'),
            "foo",
            "packages[0].wheels[0].url",
            "'bar'",
        ),
        (
            one_package(f'name = "foo"\nversion = "1.0"\nwheels = [{{ name = "foo-2.0-py3-none-any.whl", url = "https://x/y", hashes = {{ sha256 = "{SHA}" }} }}]\n'),
            "foo",
            "packages[0].wheels[0].name",
            "version 2.0",
        ),
        (
            one_package(f'name = "foo"\nversion = "one"\nwheels = [{{ url = "https://x/foo-1.0-py3-none-any.whl", hashes = {{ sha256 = "{SHA}" }} }}]\n'),
            "foo",
            "packages[0].version",
            "'one'",
        ),
        (
            one_package(f'name = "foo"\nversion = "1.0"\nwheels = [{{ name = "foo-1.0-py3-none-any.whl", hashes = {{ sha256 = "{SHA}" }} }}]\n'),
            "foo",
            "packages[0].wheels[0]",
            "url nor path",
        ),
        (
            one_package('name = "foo"\nversion = "1.0"\nwheels = [{ url = "https://x/foo-1.0-py3-none-any.whl", hashes = { sha256 = "abc" } }]\n'),
            "foo",
            "packages[0].wheels[0].hashes.sha256",
            "64 hex",
        ),
        (one_package('name = "foo"\nmarker = "sys_platform =="\n'), "foo", "packages[0].marker", "marker"),
        (one_package('version = "1.0"\n'), None, "packages[0].name", "name"),
        (
            one_package('name = "foo"\ndirectory = { path = "." }\nvcs = { type = "git", url = "https://x", commit-id = "abc" }\n'),
            "foo",
            "packages[0]",
            "conflicting sources",
        ),
        (PYLOCK_HEAD + 'requires-python = ">>3"\npackages = []\n', None, "requires-python", ">>3"),
        (PYLOCK_HEAD + 'environments = ["os_name ~"]\npackages = []\n', None, "environments[0]", "marker"),
        ("lock-version = 1.0\n", None, "lock-version", "string"),
        ("[[packages]\n", None, None, "TOML"),
    ],
)
def test_pylock_errors_name_package_and_field(text, package, field, words):
    error = lock_error(read_pylock, text, source="pylock.toml")
    message = str(error)
    assert error.path == "pylock.toml" and message.startswith("pylock.toml")
    assert error.package == package and error.field == field
    assert words in message
    if field:
        assert field in message
    if package:
        assert repr(package) in message


def test_sdist_only_package_is_kept_but_refused():
    text = one_package(f'name = "foo"\nversion = "1.0"\nsdist = {{ url = "https://x/foo-1.0.tar.gz", hashes = {{ sha256 = "{SHA}" }} }}\n')
    lock = read_pylock(text)
    (package,) = lock.packages
    assert not package.has_wheels and lock.packages_without_wheels == (package,)
    error = lock_error(select_for_environment, lock, PYODIDE_ENV, PYODIDE_TAGS, source="pylock.toml")
    assert "only wheels are installed" in str(error) and "'foo'" in str(error) and "sdist" in str(error)
    assert error.field == "packages[0].wheels"
    assert "only wheels are installed" in str(lock_error(package.installable_wheels))


def test_select_files_takes_a_fitting_wheel_else_the_sdist_else_the_archive():
    from lockfile import select_files

    def entry(name: str, body: str) -> str:
        return f'\n[[packages]]\nname = "{name}"\nversion = "1.0"\n{body}'

    hashes = f'hashes = {{ sha256 = "{SHA}" }}'
    text = PYLOCK_HEAD + "".join([
        entry("both", f'sdist = {{ url = "https://x/both-1.0.tar.gz", {hashes} }}\n'
                      f'wheels = [{{ url = "https://x/both-1.0-py3-none-any.whl", {hashes} }}]'),
        entry("native", f'sdist = {{ path = "sd/native-1.0.tar.gz", {hashes} }}\n'
                        f'wheels = [{{ url = "https://x/native-1.0-cp314-cp314-manylinux_2_17_x86_64.whl", {hashes} }}]'),
        entry("direct", f'archive = {{ url = "https://x/direct-1.0-py3-none-any.whl", size = 9, {hashes} }}'),
    ])
    chosen = select_files(read_pylock(text), PYODIDE_ENV, PYODIDE_TAGS)
    assert [(p.name, f.kind, f.filename, f.url or f.path) for p, f in chosen] == [
        ("both", "wheel", "both-1.0-py3-none-any.whl", "https://x/both-1.0-py3-none-any.whl"),
        ("direct", "archive", "direct-1.0-py3-none-any.whl", "https://x/direct-1.0-py3-none-any.whl"),
        ("native", "sdist", "native-1.0.tar.gz", "sd/native-1.0.tar.gz"),
    ]
    assert chosen[1][1].size == 9 and chosen[1][1].hashes == {"sha256": SHA}
    # An archive that is a wheel for another platform, and a VCS checkout, are refused by name.
    foreign = one_package(f'name = "foreign"\narchive = {{ url = "https://x/foreign-1.0-cp314-cp314-win_amd64.whl", {hashes} }}\n')
    assert "does not fit this environment" in str(lock_error(select_files, read_pylock(foreign), PYODIDE_ENV, PYODIDE_TAGS))
    vcs = one_package('name = "checkout"\nvcs = { type = "git", url = "https://x/r.git", commit-id = "abc" }\n')
    message = str(lock_error(select_files, read_pylock(vcs), PYODIDE_ENV, PYODIDE_TAGS))
    assert "'checkout'" in message and "this entry locks vcs" in message


# -- select_for_environment ----------------------------------------------------------------------


def test_select_prefers_pyodide_wheel_and_honours_markers():
    wheel_packages = tuple(p for p in sample_pylock().packages if p.wheels)  # both alphas and zeta
    lock = Pylock(created_by="t", environments=("sys_platform == 'emscripten'",), packages=wheel_packages)
    chosen = select_for_environment(lock, PYODIDE_ENV, PYODIDE_TAGS)
    assert [(p.name, p.version, w.filename) for p, w in chosen] == [
        ("alpha", "2.0", "alpha-2.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"),
        ("zeta", "1.0", "zeta-1.0-py3-none-any.whl"),
    ]
    # The same lock for Linux picks the other alpha entry (its marker holds there).
    linux = dict(PYODIDE_ENV, sys_platform="linux", platform_system="Linux", platform_machine="x86_64")
    lock = Pylock(created_by="t", packages=wheel_packages)
    chosen = select_for_environment(lock, linux, PYODIDE_TAGS)
    assert [(p.name, p.version) for p, _ in chosen] == [("alpha", "1.0"), ("zeta", "1.0")]


def test_select_skips_linux_only_package():
    text = UV_STYLE + f"""
[[packages]]
name = "uvloop"
version = "0.21.0"
marker = "sys_platform == 'linux'"
wheels = [{{ url = "https://x/uvloop-0.21.0-cp314-cp314-manylinux_2_17_x86_64.whl", hashes = {{ sha256 = "{SHA}" }} }}]
"""
    chosen = select_for_environment(read_pylock(text), PYODIDE_ENV, PYODIDE_TAGS)
    assert [(p.name, w.filename) for p, w in chosen] == [
        ("attrs", "attrs-25.3.0-py3-none-any.whl"),
        ("markupsafe", "markupsafe-3.0.2-py3-none-any.whl"),
    ]


def test_select_refuses_manylinux_only_package():
    text = one_package(f"""name = "numpy"
version = "2.2.3"
wheels = [
    {{ url = "https://x/numpy-2.2.3-cp314-cp314-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", hashes = {{ sha256 = "{SHA}" }} }},
    {{ url = "https://x/numpy-2.2.3-cp314-cp314-win_amd64.whl", hashes = {{ sha256 = "{SHA}" }} }},
]
""")
    error = lock_error(select_for_environment, read_pylock(text), PYODIDE_ENV, PYODIDE_TAGS, source="pylock.toml")
    message = str(error)
    assert error.package == "numpy" and error.field == "packages[0].wheels"
    assert "numpy-2.2.3-cp314-cp314-win_amd64.whl" in message and "manylinux_2_17_x86_64" in message
    assert "cp314-cp314-pyemscripten_2026_0_wasm32" in message


def test_select_checks_environments_and_requires_python():
    lock = read_pylock(PYLOCK_HEAD + 'environments = ["sys_platform == \'linux\'"]\npackages = []\n')
    message = str(lock_error(select_for_environment, lock, PYODIDE_ENV, PYODIDE_TAGS))
    assert "does not cover this environment" in message and "sys_platform=emscripten" in message
    lock = read_pylock(PYLOCK_HEAD + 'requires-python = ">=3.15"\npackages = []\n')
    assert "3.14.2" in str(lock_error(select_for_environment, lock, PYODIDE_ENV, PYODIDE_TAGS))


def test_select_uses_extras_and_default_groups():
    wheel = PylockWheel(url="https://x/docs_tool-1.0-py3-none-any.whl", hashes={"sha256": SHA})
    lock = Pylock(
        created_by="t",
        default_groups=("default",),
        packages=(
            PylockPackage("docs-tool", "1.0", marker="'docs' in dependency_groups", wheels=(wheel,)),
            PylockPackage("docs-tool", "1.0", marker="'Fancy' in extras", wheels=(wheel,)),
        ),
    )
    assert select_for_environment(lock, PYODIDE_ENV, PYODIDE_TAGS) == []
    assert len(select_for_environment(lock, PYODIDE_ENV, PYODIDE_TAGS, dependency_groups=["docs"])) == 1
    assert len(select_for_environment(lock, PYODIDE_ENV, PYODIDE_TAGS, extras=["fancy"])) == 1
    both = lock_error(
        select_for_environment, lock, PYODIDE_ENV, PYODIDE_TAGS, extras=["fancy"], dependency_groups=["docs"]
    )
    assert "both apply" in str(both) and both.package == "docs-tool"


# -- detect_format -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("pylock.toml", "{", "pylock"),
        ("dir/pylock.web.toml", "", "pylock"),
        ("https://x.org/a/pylock.toml?v=1", b"", "pylock"),
        ("pyodide-lock.json", "lock-version", "pyodide-lock"),
        ("lock.txt", b'\n  {"info": {}}', "pyodide-lock"),
        ("lock.txt", 'lock-version = "1.0"', "pylock"),
        ("pylock.a.b.toml", "{}", "pyodide-lock"),
    ],
)
def test_detect_format(name, text, expected):
    assert detect_format(name, text) == expected


# -- fuzzing: every bad input is a LockfileError -------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
toml_values = st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20) | st.datetimes(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def parses_or_lockfile_error(call, *args) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LockfileWarning)
            call(*args)
    except LockfileError:
        pass


@FUZZ
@given(st.text() | st.binary())
def test_fuzz_arbitrary_text(text):
    parses_or_lockfile_error(read_pylock, text)
    parses_or_lockfile_error(read_pyodide_lock, text)


def paths(value, prefix=()):
    """Every position in nested data, so that a fuzz case can replace any one of them."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths(item, (*prefix, i))


def replaced(document, path, value):
    if not path:
        return value
    document = copy.deepcopy(document)
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


PYODIDE_DOC = small_lock_data()
PYODIDE_PATHS = list(paths(PYODIDE_DOC))
PYLOCK_DOC = read_pylock(write_pylock(sample_pylock())).to_dict()
PYLOCK_PATHS = list(paths(PYLOCK_DOC))


@FUZZ
@given(st.sampled_from(PYODIDE_PATHS), json_values)
def test_fuzz_pyodide_lock_fields(path, value):
    parses_or_lockfile_error(read_pyodide_lock, json.dumps(replaced(PYODIDE_DOC, path, value)))


@FUZZ
@given(st.sampled_from(PYLOCK_PATHS), toml_values)
def test_fuzz_pylock_fields(path, value):
    document = replaced(PYLOCK_DOC, path, value)
    if not isinstance(document, dict):
        return
    parses_or_lockfile_error(read_pylock, tomli_w.dumps(document))
    try:
        lock = read_pylock(tomli_w.dumps(document))
    except LockfileError:
        return
    parses_or_lockfile_error(select_for_environment, lock, PYODIDE_ENV, PYODIDE_TAGS)
    assert read_pylock(write_pylock(lock)) == lock
