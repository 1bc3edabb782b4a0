"""The JupyterLite flavour: ``jupyter lite build`` (jupyterlite-core and jupyterlite-pyodide-kernel
0.8), then the site's packages, with the Pyodide kernel pointed at them.

We run JupyterLite's own build, from scratch or from the deployer's ``--lite-dir`` (their
``jupyter_lite_config.json``, ``jupyter-lite.json``, contents, extensions), since that is
how JupyterLite sites are made and kept; then write ``packages/`` and set the kernel's
settings in the built ``jupyter-lite.json``:

- ``pyodideUrl``: the site's loader (``./pyodide.mjs``), which starts the release's runtime
  (``./pyodide/`` offline, else its CDN) with the site's lock, and warm on a return visit
  (``warm_start.mjs``): the kernel's worker imports it as it would Pyodide's own;
- ``loadPyodideOptions.lockFileURL``: the site's lock; ``loadPyodideOptions.packages``:
  micropip, piplite, the kernel's packages (ipykernel, comm, pyodide-kernel, jedi,
  ipython) and the requirements. The kernel installs at start-up only what that list
  lacks, so with all of them there it installs nothing: every package comes from the
  lock, verified, before the kernel reports idle;
- ``pipliteUrls``: the site's ``all.json`` first, so ``%pip install`` finds the site's
  packages through piplite; what piplite does not know goes to our micropip, whose
  indexes (from the lock) are the site's, then (online) the public ones.

The kernel's own wheels (piplite, the ipykernel shim, pyodide-kernel) are the ones the
installed jupyterlite-pyodide-kernel ships; they are resolved with the site's packages.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from .. import user_cache
from .options import SiteError

# What the kernel's worker installs at start-up unless ``loadPyodideOptions.packages`` has it.
KERNEL_PACKAGES = ("ipykernel", "comm", "pyodide-kernel", "jedi", "ipython")
PRELOAD = ("micropip", "piplite", *KERNEL_PACKAGES)
PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
EXTENSION = "@jupyterlite/pyodide-kernel-extension"
INSTALL_HINT = "pip install 'micropip[jupyterlite]' (jupyterlite-core and jupyterlite-pyodide-kernel 0.8)"


def kernel_wheels() -> Path:
    """The folder of wheels the installed Pyodide kernel extension ships (``static/pypi``)."""
    try:
        from jupyter_core.paths import jupyter_path
        import jupyterlite_pyodide_kernel  # noqa: F401
        import jupyterlite_core  # noqa: F401
    except ImportError:
        raise SiteError(f"a JupyterLite site needs JupyterLite's build tools: {INSTALL_HINT}") from None
    for root in jupyter_path("labextensions"):
        folder = Path(root) / EXTENSION / "static" / "pypi"
        if folder.is_dir() and any(folder.glob("piplite-*.whl")):
            return folder
    raise SiteError(f"the Pyodide kernel extension ({EXTENSION}) is not installed where Jupyter looks for it: {INSTALL_HINT}")


def build_app(site: Path, lite_dir: Path | None) -> None:
    """``jupyter lite build`` into ``site`` (an empty folder), from ``lite_dir`` or from scratch."""
    if lite_dir is not None and not Path(lite_dir).is_dir():
        raise SiteError(f"--lite-dir {lite_dir}: no such folder")
    with tempfile.TemporaryDirectory(prefix="lite-") as empty:
        source = Path(lite_dir).resolve() if lite_dir is not None else Path(empty)
        command = [
            sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(source), "--output-dir", str(site),
            "--no-sourcemaps", f"--LiteBuildConfig.cache_dir={user_cache.cache_dir('jupyterlite')}",
        ]
        done = subprocess.run(command, cwd=source, capture_output=True, text=True)
    if done.returncode != 0 or not (site / "jupyter-lite.json").is_file():
        raise SiteError(f"jupyter lite build failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}")


def configure(site: Path, *, pyodide_url: str, lock_url: str, preload: list[str], piplite_url: str) -> None:
    """Point the Pyodide kernel at the site's runtime, lock, preloaded packages and ``all.json``."""
    path = site / "jupyter-lite.json"
    config = json.loads(path.read_text())
    data = config.setdefault("jupyter-config-data", {})
    settings = data.setdefault("litePluginSettings", {}).setdefault(PLUGIN, {})
    options = settings.setdefault("loadPyodideOptions", {})
    options["lockFileURL"] = lock_url
    options["packages"] = list(dict.fromkeys([*preload, *options.get("packages", [])]))
    settings["pyodideUrl"] = pyodide_url
    settings["pipliteUrls"] = [piplite_url, *[u for u in settings.get("pipliteUrls", []) if u != piplite_url]]
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
