"""Python snippets the tests run inside Pyodide (Node or Chromium)."""

# Every file under the install roots with its sha256, plus what importlib.metadata sees:
# two snapshots are equal only if the environment is byte-for-byte the same.
SNAPSHOT = """
import hashlib, os, sysconfig, importlib.metadata
def _snapshot():
    roots = sorted({os.path.normpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib", "scripts")})
    files = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for fn in filenames:
                p = os.path.join(dirpath, fn)
                with open(p, "rb") as fh:
                    files[p] = hashlib.sha256(fh.read()).hexdigest()
            if os.path.normpath(dirpath) not in roots:  # a root may be created on first use
                files[dirpath + "/"] = "dir"
    importlib.invalidate_caches()
    dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    return {"files": files, "dists": dists}
"""


def installed_version(name: str) -> str:
    return f"""
import importlib.metadata
importlib.invalidate_caches()
try:
    _v = importlib.metadata.version({name!r})
except importlib.metadata.PackageNotFoundError:
    _v = None
_v
"""


def micropip_log(code: str) -> str:
    """``code`` run with the ``micropip`` logger captured; the snippet's value is each message logged."""
    body = "\n".join("    " + line for line in code.strip().splitlines())
    return (
        "import logging\n"
        "class _Keep(logging.Handler):\n"
        "    def __init__(self):\n"
        "        super().__init__(); self.seen = []\n"
        "    def emit(self, record):\n"
        "        self.seen.append(record.getMessage())\n"
        "_h = _Keep(); logging.getLogger('micropip').addHandler(_h)\n"
        f"try:\n{body}\n"
        "finally:\n"
        "    logging.getLogger('micropip').removeHandler(_h)\n"
        "_h.seen"
    )
