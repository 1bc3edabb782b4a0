"""The sites in which real clients (JupyterLite, PyScript) meet our micropip.

Both clients load whichever ``micropip`` the Pyodide lock names, so each site is the
pinned Pyodide runtime plus a lock that is our bundle lock:

- ``build/jupyterlite/``: a JupyterLite site (``jupyter lite build``, offline) whose Pyodide
  kernel loads ``static/pyodide-lock/pyodide-lock.json`` (``loadPyodideOptions.lockFileURL``
  in ``tests/clients/jupyterlite/jupyter-lite.json``). Pyodide's CDN is out of reach, so
  the packages the kernel installs from the lock at start-up (ipython, jedi, their
  dependencies, and comm) are the same versions' wheels from PyPI, placed beside a copy of
  the bundle lock whose entries point at them with their sha256 rewritten: a browser checks
  every lock entry's sha256 as subresource integrity.
- ``build/clients/pyscript-pyodide/``: the Pyodide runtime with the bundle lock as its
  ``pyodide-lock.json``. PyScript passes no lock option to ``loadPyodide``; it reads the
  lock beside ``pyodide.mjs``, the URL the page's ``interpreter`` setting names.

``python -m tests.harness.client_sites`` (scripts/setup_clients.sh) builds both from
``build/bundle`` and caches downloads under ``.cache/clients/``; a stamp of the inputs
makes a second run a no-op and nothing needs the network after the first. The tests
rebuild only the two lock folders, from the bundle of the current source, offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version as installed_version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BUNDLE = ROOT / "build" / "bundle"
PYODIDE = ROOT / "node_modules" / "pyodide"
PYSCRIPT_DIST = ROOT / "node_modules" / "@pyscript" / "core" / "dist"
CLIENT_PAGES = ROOT / "tests" / "clients"
LITE_SOURCE = CLIENT_PAGES / "jupyterlite"
LITE_OUT = ROOT / "build" / "jupyterlite"
LITE_LOCK_DIR = LITE_OUT / "static" / "pyodide-lock"
WORK = ROOT / "build" / "clients"
PYSCRIPT_PYODIDE = WORK / "pyscript-pyodide"
CACHE = ROOT / ".cache" / "clients"
WHEEL_CACHE = CACHE / "wheels"
STAMP = WORK / ".stamp"

# The Pyodide kernel's worker (jupyterlite-pyodide-kernel 0.8, initKernel) runs
# ``piplite.install(name, keep_going=True)`` for ipykernel, comm, pyodide-kernel, jedi and
# ipython. ipykernel and pyodide-kernel are in the kernel's own all.json; jedi and ipython
# (and what they depend on) come from the Pyodide lock.
KERNEL_LOCK_ROOTS = ("ipython", "jedi")
# comm is required by pyodide-kernel but is not in Pyodide's lock (upstream fetches it from
# PyPI at run time); here it becomes a lock entry, so the kernel starts offline.
EXTRA_ENTRIES = {"comm": ("0.2.3", ["comm"])}


class MissingDownload(RuntimeError):
    """A wheel the site needs is not cached and downloading was not allowed."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def lock_closure(packages: dict[str, dict], roots: tuple[str, ...]) -> list[str]:
    """Lock keys of ``roots`` and of everything they depend on through ``depends``."""
    by_canonical = {canonical(key): key for key in packages}
    seen: set[str] = set()
    todo = [by_canonical[canonical(root)] for root in roots]
    while todo:
        key = todo.pop()
        if key not in seen:
            seen.add(key)
            todo.extend(by_canonical[canonical(dep)] for dep in packages[key]["depends"])
    return sorted(seen)


def _cached_wheel(name: str, version: str) -> Path | None:
    prefix = f"{canonical(name).replace('-', '_')}-{version}-"
    for path in sorted(WHEEL_CACHE.glob("*-none-any.whl")):
        if path.name.lower().startswith(prefix):
            return path
    return None


def pypi_wheel(name: str, version: str, *, download: bool) -> Path:
    """The pure-Python PyPI wheel of ``name==version``, from the cache or downloaded once."""
    found = _cached_wheel(name, version)
    if found is None and download:
        WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
        print(f"[clients] downloading {name}=={version} from PyPI", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--only-binary=:all:", "--no-deps", "--python-version", "3.14",
             "--dest", str(WHEEL_CACHE), f"{name}=={version}"],
            check=True,
        )
        found = _cached_wheel(name, version)
    if found is None:
        raise MissingDownload(f"{name}=={version} is not in {WHEEL_CACHE}: run `bash scripts/setup.sh`")
    return found


def _bundle_wheels(bundle_dir: Path, lock: dict) -> list[Path]:
    """The bundle's own wheels (micropip and its dependencies): those beside its lock."""
    names = {entry["file_name"] for entry in lock["packages"].values()}
    return sorted(p for p in bundle_dir.glob("*.whl") if p.name in names)


def write_kernel_lock_dir(bundle_dir: Path, out_dir: Path, *, download: bool = False) -> Path:
    """A copy of the bundle lock whose kernel packages point at PyPI wheels beside it.

    Returns the lock's path. Every wheel the lock's relative names reach is in ``out_dir``.
    """
    bundle_lock = json.loads((bundle_dir / "pyodide-lock.json").read_text())
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    lock = json.loads(json.dumps(bundle_lock))
    packages = lock["packages"]
    for key in lock_closure(packages, KERNEL_LOCK_ROOTS):
        entry = packages[key]
        wheel = pypi_wheel(entry["name"], entry["version"], download=download)
        shutil.copy2(wheel, out_dir / wheel.name)
        entry.update(file_name=wheel.name, sha256=sha256_file(wheel), unvendored_tests=False)
    for name, (version, imports) in EXTRA_ENTRIES.items():
        wheel = pypi_wheel(name, version, download=download)
        shutil.copy2(wheel, out_dir / wheel.name)
        packages[name] = {
            "name": name, "version": version, "file_name": wheel.name, "sha256": sha256_file(wheel),
            "depends": [], "imports": imports, "install_dir": "site", "package_type": "package",
            "unvendored_tests": False,
        }
    for wheel in _bundle_wheels(bundle_dir, bundle_lock):
        shutil.copy2(wheel, out_dir / wheel.name)
    lock_path = out_dir / "pyodide-lock.json"
    lock_path.write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    return lock_path


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _copy_runtime(out_dir: Path) -> None:
    """The runtime's files (hard links where possible), without its own lock."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for item in PYODIDE.iterdir():
        if item.is_file() and item.name not in ("pyodide-lock.json", "package.json"):
            _link_or_copy(item, out_dir / item.name)


def write_pyscript_pyodide(bundle_dir: Path, out_dir: Path) -> None:
    """The runtime with our bundle lock (and its wheels) beside ``pyodide.mjs``."""
    shutil.rmtree(out_dir, ignore_errors=True)
    _copy_runtime(out_dir)
    shutil.copy2(bundle_dir / "pyodide-lock.json", out_dir / "pyodide-lock.json")
    for wheel in _bundle_wheels(bundle_dir, json.loads((bundle_dir / "pyodide-lock.json").read_text())):
        shutil.copy2(wheel, out_dir / wheel.name)


def build_jupyterlite_app() -> None:
    """``jupyter lite build`` (REPL and notebook apps) with the pinned Pyodide, offline."""
    work = WORK / "jupyterlite-src"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(LITE_SOURCE, work)
    # The add-on's well-known place for a local Pyodide; its --pyodide option expects a tarball.
    _copy_runtime(work / "static" / "pyodide")
    shutil.rmtree(LITE_OUT, ignore_errors=True)
    subprocess.run(
        [str(Path(sys.executable).parent / "jupyter"), "lite", "build", "--lite-dir", str(work),
         "--output-dir", str(LITE_OUT), "--apps", "repl", "--apps", "notebooks", "--no-sourcemaps",
         f"--LiteBuildConfig.cache_dir={CACHE / 'jupyterlite-build'}"],
        check=True, cwd=work,
    )
    check_jupyterlite_config()


def check_jupyterlite_config() -> dict:
    """The kernel's settings in the built site; fails when they do not name our files."""
    config = json.loads((LITE_OUT / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    if settings.get("pyodideUrl") != "./static/pyodide/pyodide.mjs":
        raise RuntimeError(f"jupyter lite build did not point the kernel at the local Pyodide: {settings}")
    if settings.get("loadPyodideOptions", {}).get("lockFileURL") != "./static/pyodide-lock/pyodide-lock.json":
        raise RuntimeError(f"the kernel's lockFileURL is not our lock: {settings}")
    return settings


def _inputs_digest() -> str:
    """What the sites are built from; a change in any of it rebuilds them."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update((BUNDLE / "pyodide-lock.json").read_bytes())
    for path in sorted(LITE_SOURCE.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    for package in ("jupyterlite-core", "jupyterlite-pyodide-kernel"):
        digest.update(f"{package}=={installed_version(package)}".encode())
    digest.update((PYODIDE / "package.json").read_bytes())
    return digest.hexdigest()


def main() -> int:
    if not (BUNDLE / "pyodide-lock.json").is_file():
        raise SystemExit(f"{BUNDLE / 'pyodide-lock.json'} is missing: build the bundle first (scripts/setup.sh does)")
    digest = _inputs_digest()
    if STAMP.is_file() and STAMP.read_text() == digest and LITE_LOCK_DIR.is_dir() and PYSCRIPT_PYODIDE.is_dir():
        return 0
    build_jupyterlite_app()
    write_kernel_lock_dir(BUNDLE, LITE_LOCK_DIR, download=True)
    write_pyscript_pyodide(BUNDLE, PYSCRIPT_PYODIDE)
    STAMP.write_text(digest)
    print(f"[clients] built {LITE_OUT.relative_to(ROOT)} and {PYSCRIPT_PYODIDE.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
