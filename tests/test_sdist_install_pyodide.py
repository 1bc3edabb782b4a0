"""``install(..., build_sdists=True)`` in real Pyodide (Node), end to end (issue 18).

The index serves the fixture wheels, the fixture sdists (fixtures/sdists) and the pinned
build backends (.cache/build-backends). Each pure-Python sdist is resolved (PEP 643 static
PKG-INFO, or a build for its METADATA), built in-process, installed and imported; the
refused ones leave the environment exactly as it was; a second interpreter takes the
built wheel from the persistent cache; ``freeze()`` records the sdist (URL + sha256).

Install timings per fixture are printed (pytest -s) and written to
test-artifacts/sdist_install_pyodide_timings.json.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from index_server.server import start_server

from .harness.pyodide_node import Interpreter, NodeRunner, PyodideError
from .snippets import SNAPSHOT

pytestmark = pytest.mark.pyodide

REPO_ROOT = Path(__file__).resolve().parent.parent
SDISTS = REPO_ROOT / "fixtures" / "sdists"
TIMINGS: dict[str, dict] = {}

# Log lines of the ``micropip`` logger, kept in a list (to see what was built or cached).
CAPTURE = """
import logging
class _Keep(logging.Handler):
    def emit(self, record):
        LINES.append(record.getMessage())
LINES = []
_log = logging.getLogger("micropip")
_log.addHandler(_Keep())
_log.setLevel(logging.INFO)
"""


@pytest.fixture
def py(pyodide, build_index) -> Interpreter:
    pyodide.run(f"import micropip, sys; micropip.set_index_urls([{build_index.simple_url!r}])\n{CAPTURE}")
    return pyodide


@pytest.fixture
def fresh(node_runner: NodeRunner, bundle_dir: Path, build_index) -> Iterator:
    started: list[Interpreter] = []

    def start(cache: Path) -> Interpreter:
        interp = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
        started.append(interp)
        interp.run(
            f"import micropip, sys; micropip.set_index_urls([{build_index.simple_url!r}])\n"
            f"micropip.set_cache(True, path={str(cache)!r})\n{CAPTURE}"
        )
        return interp

    yield start
    for interp in started:
        interp.drop()


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def install_timed(py: Interpreter, requirement: str, **kwargs) -> float:
    args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    return py.run(
        f"""
import time
t0 = time.perf_counter()
await micropip.install({requirement!r}{args})
round(time.perf_counter() - t0, 3)
"""
    )


FIXTURES = [
    # project, sdist file, module, BUILT_BY, answer(), metadata from
    ("sdist-setuppy", "sdist-setuppy-1.0.tar.gz", "sdist_setuppy", "setuptools.build_meta:__legacy__", "setuppy", "build"),
    ("sdist-setuptools", "sdist_setuptools-1.0.tar.gz", "sdist_setuptools", "setuptools.build_meta", "setuptools", "static"),
    ("sdist-flit", "sdist_flit-1.0.tar.gz", "sdist_flit", "flit_core.buildapi", "flit", "build"),
    ("sdist-hatch", "sdist_hatch-1.0.tar.gz", "sdist_hatch", "hatchling.build", "hatch", "static"),
    ("sdist-zip", "sdist-zip-1.0.zip", "sdist_zip", "setuptools.build_meta:__legacy__", "zip", "build"),
]


@pytest.mark.parametrize(("project", "filename", "module", "built_by", "answer", "metadata"), FIXTURES)
def test_each_pure_sdist_builds_installs_and_imports(py, build_index, project, filename, module, built_by, answer, metadata):
    assert py.run("'micropip.sdist' in sys.modules") is False  # the build stage loads only when needed
    seconds = install_timed(py, project, build_sdists=True)
    TIMINGS[project] = {"install_seconds": seconds}
    print(f"\n[pyodide] install({project!r}, build_sdists=True): {seconds} s")
    out = py.run(
        f"""
import importlib, importlib.metadata, json
m = importlib.import_module({module!r})
dist = importlib.metadata.distribution({project!r})
frozen = json.loads(micropip.freeze())["packages"][{project!r}]
backends = sorted(n for n in ("setuptools", "flit-core", "hatchling", "pathspec", "pluggy", "trove-classifiers", "tomlkit")
                  if any(d.metadata["Name"].lower().replace("_", "-") == n for d in importlib.metadata.distributions()))
[m.BUILT_BY, m.answer(), dist.read_text("INSTALLER").strip(), micropip.list()[{project!r}].source,
 frozen["file_name"], frozen["sha256"], backends,
 any("PKG-INFO is static" in line for line in LINES), any(line.startswith("building ") for line in LINES)]
"""
    )
    assert out[:3] == [built_by, answer, "micropip"]
    assert out[3] == "pypi"  # from an index, with a sha256: as for a wheel
    assert out[4] == build_index.url + "files/" + filename  # freeze names the sdist itself ...
    assert out[5] == sha256_of(SDISTS / filename)  # ... and its sha256
    assert out[6] == []  # the backends went to the build's prefix, never to site-packages
    assert out[7] is (metadata == "static")
    assert out[8] is True


def test_static_metadata_resolves_dependencies_before_building(py, build_index):
    seconds = install_timed(py, "sdist-static", build_sdists=True)
    TIMINGS["sdist-static"] = {"install_seconds": seconds}
    out = py.run(
        """
import sdist_static
order = [i for i, l in enumerate(LINES) if "PKG-INFO is static (PEP 643)" in l or l.startswith(("building", "Collecting textwrap3-lite"))]
[sdist_static.answer(), [LINES[i].split(" ")[0] for i in order], sorted(micropip.list())]
"""
    )
    assert out[0] == "static uses textwrap3-lite 1.0"
    # PKG-INFO first, then its dependency is resolved, and the build comes only at install time
    assert out[1] == ["sdist_static-1.0.tar.gz:", "Collecting", "building"]
    assert {"sdist-static", "textwrap3-lite"} <= set(out[2])


def test_without_opt_in_the_error_says_how_and_nothing_is_built(py):
    with pytest.raises(PyodideError) as caught:
        py.run("await micropip.install('sdist-flit')")
    assert caught.value.type == "NoCompatibleWheelError"
    assert "sdist_flit-1.0.tar.gz: a source distribution, not built unless asked" in caught.value.message
    assert "build_sdists=True" in caught.value.message and "set_build_sdists(True)" in caught.value.message
    assert py.run("'micropip.sdist' in sys.modules") is False
    # build_sdists=False wins over a default of True
    py.run("micropip.set_build_sdists(True)")
    with pytest.raises(PyodideError) as caught:
        py.run("await micropip.install('sdist-flit', build_sdists=False)")
    assert caught.value.type == "NoCompatibleWheelError"


def test_set_build_sdists_is_the_default(py):
    py.run("micropip.set_build_sdists(True)")
    py.run("await micropip.install('sdist-flit')")
    assert py.run("import sdist_flit; sdist_flit.answer()") == "flit"


@pytest.mark.parametrize(
    ("project", "error", "words"),
    [
        ("sdist-cext", "NotPureError", ["_speedups", "needs a Pyodide build"]),
        ("sdist-evil", "UnsafeArchiveError", ["sdist_evil-1.0.tar.gz", "'..'"]),
    ],
)
def test_refused_sdists_leave_the_environment_unchanged(py, project, error, words):
    # micropip's own build stage (the micropip-sdist part of the bundle) is loaded first: it is
    # micropip's code, not the user's packages, and stays loaded once asked for
    py.run("from micropip.transport import load_optional_part\nawait load_optional_part('micropip-sdist', 'micropip.sdist')")
    py.run(SNAPSHOT + "\nBEFORE = _snapshot()")
    with pytest.raises(PyodideError) as caught:
        py.run(f"await micropip.install({project!r}, build_sdists=True)")
    assert caught.value.type == error, caught.value
    for word in words:
        assert word in caught.value.message
    assert py.run("_snapshot() == BEFORE") is True
    assert py.run("import os; any('escaped' in n for n in os.listdir('/tmp'))") is False
    assert py.run("import micropip.errors; issubclass(micropip.errors.BuildError, micropip.errors.MicropipError)") is True


def test_a_wheel_of_any_version_wins_over_a_build(py, tmp_path, pyodide):
    """``wheelwins`` 1.0 is a wheel, 2.0 only an sdist whose setup.py fails: 1.0 is installed, 2.0 never built."""
    from micropip.installation.wheelbuilder import make_metadata, write_wheel

    folder = tmp_path / "index"
    folder.mkdir()
    write_wheel(folder, "wheelwins", "1.0", {"wheelwins/__init__.py": "V = '1.0'\n"}, metadata=make_metadata("wheelwins", "1.0"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for name, data in [
            ("wheelwins-2.0/PKG-INFO", b"Metadata-Version: 2.1\nName: wheelwins\nVersion: 2.0\n\n"),
            ("wheelwins-2.0/setup.py", b"raise SystemExit('must never be built')\n"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    (folder / "wheelwins-2.0.tar.gz").write_bytes(buffer.getvalue())
    with start_server([folder]) as server:
        plan = py.run(f"str(await micropip.install('wheelwins', index_urls={server.simple_url!r}, build_sdists=True, dry_run=True))")
        assert "wheelwins==1.0" in plan
        assert "wheelwins 1.0 was picked, not the newest release 2.0: 2.0 has only a source distribution" in plan
        py.run(f"await micropip.install('wheelwins', index_urls={server.simple_url!r}, build_sdists=True)")
    assert py.run("import wheelwins; [wheelwins.V, any(l.startswith('building') for l in LINES)]") == ["1.0", False]


def test_the_built_wheel_is_cached_and_freeze_reinstalls_in_a_new_interpreter(fresh, tmp_path, build_index):
    cache = tmp_path / "cache"
    a = fresh(cache)
    first = install_timed(a, "sdist-hatch", build_sdists=True)
    lock = a.run("micropip.freeze()")
    assert a.run("any(l.startswith('building ') for l in LINES)") is True
    stored = sorted(p.name for p in cache.iterdir())
    sdist_sha = sha256_of(SDISTS / "sdist_hatch-1.0.tar.gz")
    assert f"{sdist_sha}.built" in stored  # sdist sha256 -> the built wheel
    from micropip.cache import unseal  # a sealed entry of the cache: its sha256 in front of it

    pointer = json.loads(unseal((cache / f"{sdist_sha}.built").read_bytes()))
    assert pointer["wheel"] == "sdist_hatch-1.0-py3-none-any.whl" and f"{pointer['sha256']}.whl" in stored
    a.drop()

    b = fresh(cache)
    second = install_timed(b, "sdist-hatch", build_sdists=True)
    out = b.run("import sdist_hatch; [sdist_hatch.answer(), [l for l in LINES if 'building' in l or 'wheel cache' in l]]")
    assert out[0] == "hatch"
    assert not any(line.startswith("building") for line in out[1])
    assert any("from the wheel cache (built earlier from sdist" in line for line in out[1])
    TIMINGS["sdist-hatch cached"] = {"first_install_seconds": first, "new_interpreter_from_cache_seconds": second}
    print(f"\n[pyodide] sdist-hatch: built and installed {first} s; new interpreter, from the cache {second} s")
    b.drop()

    # The frozen lock names the sdist (URL + sha256): install_lockfile builds it, or takes the
    # cached wheel, only when asked to.
    c = fresh(cache)
    c.run(f"open('/tmp/lock.json', 'w').write({lock!r})")
    with pytest.raises(PyodideError) as caught:
        c.run("await micropip.install_lockfile('emfs:/tmp/lock.json', packages=['sdist-hatch'])")
    assert caught.value.type == "BuildError" and "build_sdists=True" in caught.value.message
    c.run("await micropip.install_lockfile('emfs:/tmp/lock.json', packages=['sdist-hatch'], build_sdists=True)")
    assert c.run("import sdist_hatch; sdist_hatch.answer()") == "hatch"


def test_an_sdist_url_is_built_with_opt_in_and_refused_without(py):
    """``name @ emfs:...tar.gz``: refused (RequirementError) unless build_sdists; then built (setuptools from the index)."""
    py.run(
        """
import io, tarfile
files = {
    "hello_sdist-1.0/PKG-INFO": "Metadata-Version: 2.1\\nName: hello-sdist\\nVersion: 1.0\\n",
    "hello_sdist-1.0/setup.py": "from setuptools import setup\\nsetup(name='hello-sdist', version='1.0', py_modules=['hello_sdist'])\\n",
    "hello_sdist-1.0/hello_sdist.py": "def hello():\\n    return 'built in Pyodide'\\n",
}
with tarfile.open("/tmp/hello_sdist-1.0.tar.gz", "w:gz") as tf:
    for name, text in files.items():
        data = text.encode(); info = tarfile.TarInfo(name); info.size = len(data); tf.addfile(info, io.BytesIO(data))
"""
    )
    with pytest.raises(PyodideError) as caught:
        py.run("await micropip.install('hello-sdist @ emfs:/tmp/hello_sdist-1.0.tar.gz')")
    assert caught.value.type == "RequirementError" and "build_sdists=True" in caught.value.message
    py.run("await micropip.install('hello-sdist @ emfs:/tmp/hello_sdist-1.0.tar.gz', build_sdists=True)")
    out = py.run(
        """
import hashlib, hello_sdist, importlib.metadata, json
direct = json.loads(importlib.metadata.distribution("hello-sdist").read_text("direct_url.json"))
[hello_sdist.hello(), direct["url"], direct["archive_info"]["hashes"]["sha256"] == hashlib.sha256(open("/tmp/hello_sdist-1.0.tar.gz", "rb").read()).hexdigest()]
"""
    )
    assert out == ["built in Pyodide", "emfs:/tmp/hello_sdist-1.0.tar.gz", True]


@pytest.fixture(scope="module", autouse=True)
def _write_timings():
    yield
    if TIMINGS:
        out = REPO_ROOT / "test-artifacts"
        out.mkdir(exist_ok=True)
        (out / "sdist_install_pyodide_timings.json").write_text(json.dumps(TIMINGS, indent=2, sort_keys=True) + "\n")
