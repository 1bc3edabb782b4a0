"""The house rules of the layout (README "Layout"), checked on the source tree.

- the runtime (``micropip``) never imports the host tools (``pyodide_pm``); the browser wheel carries none;
- resolution and installation never import each other; index and transport import no stage above them;
- no import circles between modules at import time;
- ``import micropip`` works on the host with only packaging and resolvelib beside it.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import packaging
import resolvelib

from pyodide_pm.bundle import HOST_SHIMS, build_own_wheel

REPO = Path(__file__).resolve().parent.parent
RUNTIME = REPO / "micropip"
STAGES = ("resolution", "index", "installation", "transport", "sdist", "cache")
# what each stage may import inside micropip (besides itself and the plain-data modules)
ALLOWED = {
    "transport": set(),
    "cache": {"transport"},  # the persistent cache: pages and metadata (index), wheels and bytecode (installation)
    "index": {"cache", "transport"},
    "resolution": {"index", "cache", "transport"},
    "installation": {"index", "cache", "transport"},
    "sdist": {"index", "transport"},  # the build stage (build_sdists); package_manager injects the rest
}
PLAIN_DATA = {"micropip.errors", "micropip.plan"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    """Modules ``path`` imports (absolute names), at import time only when ``top_level_only``."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                is_module = (REPO / (candidate.replace(".", "/") + ".py")).exists() or (REPO / candidate.replace(".", "/")).is_dir()
                found.add(candidate if is_module else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _runtime_modules() -> list[Path]:
    return sorted(p for p in RUNTIME.rglob("*.py") if "__pycache__" not in p.parts)


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "micropip" and parts[1] in STAGES else None


def test_the_runtime_never_imports_the_host_tools():
    shims = {str(REPO / s) for s in HOST_SHIMS}
    offenders = [
        (_module_name(p), m)
        for p in _runtime_modules()
        if str(p) not in shims
        for m in _imports(p, top_level_only=False)
        if m.split(".")[0] == "pyodide_pm"
    ]
    assert offenders == []


def test_stages_import_only_what_their_docstring_allows():
    offenders = []
    for path in _runtime_modules():
        own = _stage(_module_name(path))
        if own is None:
            continue
        for target in _imports(path, top_level_only=False):
            other = _stage(target)
            if target.split(".")[0] == "micropip" and other is None and target not in PLAIN_DATA and target != "micropip":
                offenders.append((_module_name(path), target))  # a stage reaching up to the front end
            elif other is not None and other != own and other not in ALLOWED[own]:
                offenders.append((_module_name(path), target))
    assert offenders == []


def test_no_import_circles_at_import_time():
    graph: dict[str, set[str]] = defaultdict(set)
    names = {_module_name(p) for p in _runtime_modules()}
    for path in _runtime_modules():
        graph[_module_name(path)] = {m for m in _imports(path, top_level_only=True) if m in names}
    # a package imports its submodules by design (re-exports); a submodule importing its own
    # package __init__ at import time would be the circle, and is caught below like any other
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1 and not node.startswith(nxt + "."):
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_browser_wheel_carries_no_host_module(tmp_path):
    wheel = build_own_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith("pyodide_pm/") or n in HOST_SHIMS]
    for mjs in ("requests.mjs", "unpack.mjs", "cache_store.mjs", "page.mjs"):
        assert f"micropip/transport/{mjs}" in names


def test_import_micropip_with_only_packaging_and_resolvelib(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    for module in (packaging, resolvelib):
        folder = Path(module.__file__).parent
        shutil.copytree(folder, site / folder.name)
    for package in ("micropip", "lockfile"):
        shutil.copytree(REPO / package, site / package, ignore=shutil.ignore_patterns("__pycache__"))
    code = (
        "import sys, micropip, micropip.package_manager\n"
        "assert micropip.install and micropip.list\n"
        "print(sorted(m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('pyodide_pm', 'index_server')))"
    )
    result = subprocess.run([sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n" + code],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_build_stage_is_imported_only_when_a_build_happens():
    """micropip.sdist is loaded lazily (page-load size and time): nothing imports it at import time."""
    eager = [
        _module_name(p) for p in _runtime_modules()
        if not _module_name(p).startswith("micropip.sdist")
        and any(m == "micropip.sdist" or m.startswith("micropip.sdist.") for m in _imports(p, top_level_only=True))
    ]
    assert eager == []


def test_wheels_a_page_loads_stay_within_300_kb(tmp_path):
    """What ``loadPackage("micropip")`` downloads: micropip and its dependencies, not the optional parts."""
    import json

    from pyodide_pm.bundle import OPTIONAL_PARTS, write_bundle

    lock = json.loads(write_bundle(tmp_path).read_text())["packages"]
    loaded, todo = set(), ["micropip"]
    while todo:
        name = todo.pop()
        if name not in loaded:
            loaded.add(name)
            todo.extend(lock[name]["depends"])
    assert loaded == {"micropip", "packaging", "resolvelib"}
    sizes = {name: (tmp_path / lock[name]["file_name"]).stat().st_size for name in loaded}
    assert sum(sizes.values()) <= 300_000, sizes
    for part in OPTIONAL_PARTS:  # listed in the lock, fetched only when first used
        assert (tmp_path / lock[part]["file_name"]).exists()
        assert lock[part]["depends"] == ["micropip"]


def _same_code(a, b) -> bool:
    """Same instructions, names, constants and line numbers (columns aside), nested code included."""
    import types

    if (a.co_code, a.co_names, a.co_varnames, list(a.co_lines())) != (b.co_code, b.co_names, b.co_varnames, list(b.co_lines())):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, types.CodeType) or isinstance(y, types.CodeType):
            if not (isinstance(x, types.CodeType) and isinstance(y, types.CodeType) and _same_code(x, y)):
                return False
        elif type(x) is not type(y) or x != y:
            return False
    return True


def test_the_bundle_drops_comments_and_nothing_else():
    """The page-load wheel carries our modules without comments: same lines, same bytecode.

    The inner stages (``NO_DOCSTRINGS``) also lose their docstrings: the same lines, and the
    same code as ``-OO`` compiles from the original. Public modules keep theirs (``help()``)."""
    import marshal

    from pyodide_pm.bundle import NO_DOCSTRINGS, own_sources

    shipped = own_sources()
    checked = stripped = 0
    for name, data in shipped.items():
        if not name.endswith(".py"):
            continue
        original = (REPO / name).read_bytes()
        assert data.count(b"\n") == original.count(b"\n"), name
        if name.startswith(NO_DOCSTRINGS):
            assert _same_code(compile(data, name, "exec", optimize=2), compile(original, name, "exec", optimize=2)), name
            stripped += 1
        else:
            assert marshal.dumps(compile(data, name, "exec")) == marshal.dumps(compile(original, name, "exec")), name
        checked += 1
    assert checked > 50 and stripped > 20
    public = shipped["micropip/__init__.py"].decode()
    assert "Install packages and their dependencies" in public  # public docstrings stay (help() in a notebook)
    inner = shipped["micropip/resolution/selection.py"].decode()
    assert "Group usable files by version" not in inner and "def classify_files(" in inner
    # A dataclass keeps its docstring: without one ``@dataclass`` makes a ``__doc__`` through
    # inspect.signature at each first install.
    assert "One version of a project the resolver may pick" in shipped["micropip/resolution/candidates.py"].decode()
    assert sum(len(d) for n, d in shipped.items() if n.endswith(".py")) < sum(
        len((REPO / n).read_bytes()) for n in shipped if n.endswith(".py"))


def test_the_bundle_drops_whole_line_js_comments_and_nothing_else():
    """The .mjs modules lose only lines that are nothing but a comment; the rest is byte for byte."""
    from pyodide_pm.bundle import own_sources

    shipped = {n: d for n, d in own_sources().items() if n.endswith(".mjs")}
    assert len(shipped) == 4
    for name, data in shipped.items():
        original = (REPO / name).read_bytes().decode().splitlines()
        lines = data.decode().splitlines()
        assert len(lines) == len(original), name
        for kept, line in zip(lines, original):
            if kept != line:
                assert kept == "" and line.strip().startswith(("//", "/*")), (name, line)
        assert sum(1 for a, b in zip(lines, original) if a != b) >= 5, name
