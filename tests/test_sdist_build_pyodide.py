"""Proof in real Pyodide (Node): the sdist-build draft (issue 18) builds the fixture sdists
in-process, with backends installed into an isolated prefix from a loopback index.

The package is ``micropip.sdist`` from the bundle. Build requirements are installed by ``install_into`` below: a deliberately
small resolver over the index's PEP 691 pages that unzips pure wheels into the prefix.
It stands in for the micropip-backed ``install_into`` the installer will provide, so
these tests exercise everything the draft itself does for real: download, sha256,
unpack, PKG-INFO, [build-system], backend import, in-process PEP 517 hooks, isolation,
watchdog, wheel check, and installing the built wheel with micropip (``emfs:``).

Each build's timings are printed (pytest -s shows them) and written to
test-artifacts/sdist_build_pyodide_timings.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .harness.pyodide_node import PyodideError

pytestmark = pytest.mark.pyodide

REPO_ROOT = Path(__file__).resolve().parent.parent
SDISTS = REPO_ROOT / "fixtures" / "sdists"
TIMINGS: dict[str, dict] = {}


SETUP = r'''
import base64, hashlib, io, json, os, sys, time, zipfile
from pathlib import Path

from pyodide.http import pyfetch
from packaging.requirements import Requirement
from packaging.markers import default_environment
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

async def fetch_bytes(url):
    response = await pyfetch(url)
    if not response.ok:
        raise RuntimeError(f"{url}: HTTP {response.status}")
    return await response.bytes()

async def project_page(name):
    url = INDEX + canonicalize_name(name) + "/"
    response = await pyfetch(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    if not response.ok:
        raise RuntimeError(f"{name} is not in the index ({response.status})")
    return url, json.loads(await response.string())

async def install_into(prefix, requirements):
    """Pure wheels only, newest matching version, dependencies followed, unzipped into prefix."""
    env = {**default_environment(), "extra": ""}
    todo = [Requirement(r) for r in requirements]
    done = {canonicalize_name(p.name.split("-")[0]) for p in Path(prefix).glob("*.dist-info")}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in done or (req.marker is not None and not req.marker.evaluate(env)):
            continue
        base, page = await project_page(req.name)
        wheels = []
        for f in page["files"]:
            if not f["filename"].endswith(".whl"):
                continue
            _n, version, _b, tags = parse_wheel_filename(f["filename"])
            if any(t.platform == "any" for t in tags) and req.specifier.contains(version, prereleases=True):
                wheels.append((version, f))
        if not wheels:
            raise RuntimeError(f"no pure wheel for {req}")
        _version, chosen = max(wheels, key=lambda vf: vf[0])
        from urllib.parse import urljoin
        data = await fetch_bytes(urljoin(base, chosen["url"]))
        assert hashlib.sha256(data).hexdigest() == chosen["hashes"]["sha256"]
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            zf.extractall(prefix)
            meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            from packaging.metadata import parse_email
            raw, _ = parse_email(zf.read(meta).decode())
        INSTALLED.append(chosen["filename"])
        done.add(name)
        todo.extend(Requirement(r) for r in raw.get("requires_dist", []))

INSTALLED = []

async def download_sdist(project):
    base, page = await project_page(project)
    (f,) = [f for f in page["files"] if not f["filename"].endswith(".whl")]
    from urllib.parse import urljoin
    data = await fetch_bytes(urljoin(base, f["url"]))
    if hashlib.sha256(data).hexdigest() != f["hashes"]["sha256"]:
        raise RuntimeError("sha256 mismatch")
    return f["filename"], data

def state():
    return (list(sys.path), os.getcwd(), dict(os.environ), list(sys.meta_path), len(__import__("logging").root.handlers))

import micropip.sdist
"ready"
'''


def setup_draft(pyodide, index) -> None:
    pyodide.run(f"INDEX = {index.simple_url!r}\n")
    # The bundle ships micropip.sdist as a wheel of its own (micropip-sdist), loaded on first use.
    pyodide.run("from micropip.transport import load_optional_part\nawait load_optional_part('micropip-sdist', 'micropip.sdist')")
    assert pyodide.run(SETUP) == "ready"


def build_in_pyodide(pyodide, project: str, *, watchdog: bool = True) -> dict:
    return pyodide.run(
        f"""
import shutil, tempfile
from micropip.sdist import build_sdist
INSTALLED.clear()
before_state, before_modules = state(), dict(sys.modules)
t0 = time.perf_counter()
filename, data = await download_sdist({project!r})
t_download = time.perf_counter() - t0
work = Path(tempfile.mkdtemp(prefix="sdist-build-"))
built = await build_sdist(data, filename, work_dir=work / "w", install_into=install_into, watchdog={watchdog!r})
after_state = state()
leaked = sorted(
    name for name, mod in sys.modules.items()
    if name not in before_modules and str(getattr(mod, "__file__", "") or "").startswith(str(work))
)
replaced = sorted(name for name, mod in before_modules.items() if sys.modules.get(name) is not mod)
result = {{
    "filename": filename,
    "wheel": built.path.name,
    "wheel_path": str(built.path),
    "tags": list(built.wheel.tags),
    "backend": built.build_system.backend,
    "installed_build_requirements": list(INSTALLED),
    "seconds": {{"download": round(t_download, 3), **{{k: round(v, 3) for k, v in built.seconds.items()}}}},
    "state_restored": before_state == after_state,
    "leaked_modules": leaked,
    "replaced_modules": replaced,
}}
result
"""
    )


def install_and_import(pyodide, wheel_path: str, module: str) -> list:
    return pyodide.run(
        f"""
import micropip, importlib
await micropip.install("emfs:{wheel_path}")
m = importlib.import_module({module!r})
[m.BUILT_BY, m.answer(), m.__file__.startswith(("/lib/python", "/lib64/python"))]
"""
    )


def record(name: str, result: dict) -> None:
    TIMINGS[name] = result["seconds"]
    print(f"\n[pyodide] {name}: {result['wheel']} via {result['backend']}; seconds {result['seconds']}")
    out = REPO_ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "sdist_build_pyodide_timings.json").write_text(json.dumps(TIMINGS, indent=2, sort_keys=True) + "\n")


@pytest.mark.parametrize(
    ("project", "module", "backend", "answer", "requirements"),
    [
        ("sdist-setuppy", "sdist_setuppy", "setuptools.build_meta:__legacy__", "setuppy", ["setuptools-84.2.1-py3-none-any.whl"]),
        ("sdist-flit", "sdist_flit", "flit_core.buildapi", "flit", ["flit_core-4.2.0-py3-none-any.whl"]),
    ],
)
def test_build_fixture_sdist_in_pyodide(pyodide, build_index, project, module, backend, answer, requirements):
    setup_draft(pyodide, build_index)
    result = build_in_pyodide(pyodide, project)
    record(project, result)
    assert result["tags"] == ["py3-none-any"]
    assert result["backend"] == backend
    assert result["installed_build_requirements"] == requirements
    assert result["state_restored"] is True
    assert result["leaked_modules"] == [] and result["replaced_modules"] == []
    assert install_and_import(pyodide, result["wheel_path"], module) == [backend, answer, True]


def test_hatchling_build_in_pyodide(pyodide, build_index):
    """hatchling needs five wheels in the prefix (packaging, pathspec, pluggy, trove-classifiers, tomlkit)."""
    setup_draft(pyodide, build_index)
    result = build_in_pyodide(pyodide, "sdist-hatch")
    record("sdist-hatch", result)
    assert sorted(result["installed_build_requirements"]) == [
        "hatchling-1.33.0-py3-none-any.whl", "packaging-26.4-py3-none-any.whl", "pathspec-1.1.1-py3-none-any.whl",
        "pluggy-1.7.0-py3-none-any.whl", "tomlkit-0.15.2-py3-none-any.whl",
        "trove_classifiers-2026.9.21.13-py3-none-any.whl",
    ]
    assert result["state_restored"] is True and result["leaked_modules"] == [] and result["replaced_modules"] == []
    assert install_and_import(pyodide, result["wheel_path"], "sdist_hatch") == ["hatchling.build", "hatch", True]


def test_zip_sdist_with_distutils_setup_py_in_pyodide(pyodide, build_index):
    setup_draft(pyodide, build_index)
    result = build_in_pyodide(pyodide, "sdist-zip")
    record("sdist-zip", result)
    assert install_and_import(pyodide, result["wheel_path"], "sdist_zip") == ["setuptools.build_meta:__legacy__", "zip", True]


def test_watchdog_overhead_in_pyodide(pyodide, build_index):
    """The same build with and without the sys.settrace watchdog, second run each (warm imports)."""
    setup_draft(pyodide, build_index)
    runs = {}
    for label, watchdog in [("with", True), ("without", False), ("with-again", True), ("without-again", False)]:
        runs[label] = build_in_pyodide(pyodide, "sdist-setuppy", watchdog=watchdog)["seconds"]
    TIMINGS["watchdog-overhead sdist-setuppy"] = runs
    record("watchdog-overhead sdist-setuppy", {"seconds": runs, "wheel": "-", "backend": "-"})
    assert all(r["total"] < 60 for r in runs.values())


def test_c_extension_and_hostile_archive_are_refused_in_pyodide(pyodide, build_index):
    setup_draft(pyodide, build_index)
    with pytest.raises(PyodideError) as caught:
        build_in_pyodide(pyodide, "sdist-cext")
    assert caught.value.type == "NotPureError", caught.value
    assert "_speedups" in caught.value.message and "Pyodide build" in caught.value.message
    with pytest.raises(PyodideError) as caught:
        build_in_pyodide(pyodide, "sdist-evil")
    assert caught.value.type == "UnsafeArchiveError"
    assert pyodide.run("import os; os.path.exists('/tmp/escaped_from_sdist.py') or any('escaped' in n for n in os.listdir('/tmp'))") is False
    # Both refusals left the interpreter as it was: the next build still works.
    assert build_in_pyodide(pyodide, "sdist-flit")["state_restored"] is True


def test_endless_setup_py_is_stopped_in_pyodide(pyodide, build_index):
    """No threads or signals in Pyodide: the settrace watchdog must stop a loop in setup.py."""
    setup_draft(pyodide, build_index)
    outcome = pyodide.run(
        """
import io, tarfile, tempfile
from micropip.sdist import build_sdist, BuildTimeoutError
buffer = io.BytesIO()
with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
    for name, data in [("looper-1.0/PKG-INFO", b"Metadata-Version: 2.1\\nName: looper\\nVersion: 1.0\\n\\n"),
                       ("looper-1.0/setup.py", b"n = 0\\nwhile True:\\n    n += 1\\n")]:
        info = tarfile.TarInfo(name); info.size = len(data); tf.addfile(info, io.BytesIO(data))
work = Path(tempfile.mkdtemp())
before = state()
t0 = time.perf_counter()
try:
    await build_sdist(buffer.getvalue(), "looper-1.0.tar.gz", work_dir=work / "w", install_into=install_into, timeout=8)
    outcome = "built?!"
except BuildTimeoutError as exc:
    outcome = str(exc)
[outcome, round(time.perf_counter() - t0, 2), state() == before]
"""
    )
    message, seconds, restored = outcome
    print(f"\n[pyodide] endless setup.py stopped after {seconds} s: {message}")
    assert "time limit" in message and "8 s" in message
    assert seconds < 20 and restored is True
