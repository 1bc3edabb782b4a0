"""A new visitor's first install loads the machinery from the bundle's bytecode part
(``micropip-bytecode``, ``installation.shipped_bytecode``), in real Pyodide under Node.

The part is listed in the bundle's lock but loaded by no page; the first install asks for it
right after its index pages and hands it to the finder of kept bytecode. These tests check
that it is used, that a part that does not match its lock entry or this interpreter is never
used (the install goes on from sources), and that with the cache on it becomes the
machinery's cache entries, so the next visit asks for nothing.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from micropip.installation.shipped_bytecode import MEMBER, PART
from pyodide_pm.bundle import sha256_file
from pyodide_pm.machinery_bytecode import BEFORE_THE_REQUEST, FIRST_INSTALL_STDLIB

from .snippets import installed_version

pytestmark = pytest.mark.pyodide

# Records which modules were imported when the part was asked for, and how each later import loaded.
SPY = """
import sys, logging
from micropip.installation import shipped_bytecode as _sb
_asked_with = []
_start = _sb.start
def _spy():
    asked = _start()
    _asked_with.append([asked, sorted(sys.modules)])
    return asked
_sb.start = _spy
_log = []
class _Keep(logging.Handler):
    def emit(self, record):
        _log.append(record.getMessage())
logging.getLogger("micropip").addHandler(_Keep())
logging.getLogger("micropip").setLevel(logging.DEBUG)
def _loader(name):
    return type(sys.modules[name].__spec__.loader).__name__
"""


@pytest.fixture
def fresh(node_runner) -> Iterator:
    """A fresh interpreter (only ``import micropip`` ran) on the lock it is given."""
    made = []

    def make(lock: Path):
        interp = node_runner.new_interpreter(lock)
        interp.run("import micropip")
        interp.run(SPY)
        made.append(interp)
        return interp

    yield make
    for interp in made:
        interp.drop()


def _copy_bundle(bundle_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "bundle"
    shutil.copytree(bundle_dir, out)
    return out


def _set_part(bundle: Path, data: bytes) -> None:
    """Replace the part's wheel and give the lock its new sha256."""
    lock_path = bundle / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    wheel = bundle / lock["packages"][PART]["file_name"]
    wheel.write_bytes(data)
    lock["packages"][PART]["sha256"] = sha256_file(wheel)
    lock_path.write_text(json.dumps(lock))


def test_a_first_install_loads_the_machinery_from_the_bundles_bytecode(fresh, bundle_dir, fixture_index):
    lock = json.loads((bundle_dir / "pyodide-lock.json").read_text())
    assert PART in lock["packages"] and "micropip" in lock["packages"][PART]["depends"]
    assert PART not in lock["packages"]["micropip"]["depends"]  # no page loads it with micropip
    interp = fresh(bundle_dir / "pyodide-lock.json")
    interp.run(f"await micropip.install('greeting', index_urls=[{fixture_index.simple_url!r}])")
    assert interp.run(installed_version("greeting")) == "1.1"
    calls = interp.run("_asked_with")
    assert [c[0] for c in calls] == [True] + [False] * (len(calls) - 1)  # asked once
    imported = calls[0][1]
    # What the part leaves out is imported by the time it is asked for (else it would be compiled).
    before = {p[: -len(".py")].removesuffix("/__init__").replace("/", ".") for p in BEFORE_THE_REQUEST}
    assert sorted(before - set(imported)) == []
    # And what it holds is not imported by then (it would only make the part bigger).
    assert sorted(m for m in imported if m.split(".")[0] in ("micropip", "resolvelib") and m not in before) == []
    assert "micropip.index.formats" not in imported  # the page readers: after the request, from the part
    for module in ("micropip.package_manager", "micropip.resolution.resolver", "packaging.specifiers", "resolvelib.resolvers"):
        assert interp.run(f"_loader({module!r})") == "_KeptLoader", module
    # A root Pyodide's lockfile lacks has no lockfile wheels to fetch early: their downloader (and
    # the wheel fetcher and file model it brings) load later, from the part, not compiled then.
    for module in ("micropip.installation.early_lock", "micropip.installation.fetch", "micropip.index.project"):
        assert module not in imported and interp.run(f"_loader({module!r})") == "_KeptLoader", module
    # The standard library modules it carries were imported after the request, from its code.
    stdlib = [p[: -len(".py")].removesuffix("/__init__").replace("/", ".") for p in FIRST_INSTALL_STDLIB]
    assert not set(stdlib) & set(imported)
    for module in stdlib:
        assert interp.run(f"_loader({module!r})") == "_KeptLoader", module
    assert interp.run("_loader('micropip.transport')") != "_KeptLoader"  # imported before: compiled
    # The kept code is the module's own: its functions run and report their real file.
    assert interp.run("import micropip.package_manager as _pm; _pm.__file__.endswith('micropip/package_manager.py')")
    assert interp.run("_pm.PackageManager.install.__code__.co_filename") == interp.run("_pm.__file__")


def test_after_set_index_urls_the_first_install_still_loads_the_machinery_from_the_part(fresh, bundle_dir, fixture_index):
    # A private index set first (set_index_urls only keeps the URLs: nothing is compiled for it).
    interp = fresh(bundle_dir / "pyodide-lock.json")
    interp.run(f"micropip.set_index_urls([{fixture_index.simple_url!r}])")
    assert interp.run("'micropip.package_manager' in sys.modules") is False
    interp.run("await micropip.install('greeting')")
    assert interp.run(installed_version("greeting")) == "1.1"
    calls = interp.run("_asked_with")
    assert [c[0] for c in calls] == [True] + [False] * (len(calls) - 1)  # asked once
    for module in ("micropip.package_manager", "micropip.index.formats", "packaging.specifiers"):
        assert interp.run(f"_loader({module!r})") == "_KeptLoader", module


def test_a_root_loaded_with_micropip_installs_nothing_and_compiles_no_resolver(fresh, bundle_dir, fixture_index):
    # packaging came with micropip, as Pyodide's lockfile gives it: the lockfile decides, nothing
    # is asked of the index, and the resolver is not compiled (it was, from sources, in full).
    interp = fresh(bundle_dir / "pyodide-lock.json")
    before = interp.run("import packaging; packaging.__version__")
    interp.run(f"await micropip.install('packaging', index_urls=[{fixture_index.simple_url!r}])")
    assert interp.run("'micropip.package_manager' in sys.modules") is False
    assert interp.run("import packaging; packaging.__version__") == before
    assert interp.run("micropip.list()['packaging'].version") == before


def test_a_first_install_of_a_wheel_url_loads_the_machinery_from_the_part(fresh, bundle_dir, fixture_index):
    # No index page to ask: the part is asked all the same, and the resolver loads from it (what
    # is imported before it arrives, packaging's first modules here, compiles as ever).
    interp = fresh(bundle_dir / "pyodide-lock.json")
    url = fixture_index.simple_url.replace("/simple/", "/files/") + "greeting-1.1-py3-none-any.whl"
    interp.run(f"await micropip.install({url!r}, index_urls=[{fixture_index.simple_url!r}])")
    assert interp.run(installed_version("greeting")) == "1.1"
    assert [c[0] for c in interp.run("_asked_with")][:1] == [True]
    # (the lockfile, asked first, does not read what is installed for a root that is no name)
    for module in ("micropip.package_manager", "micropip.resolution.resolver", "resolvelib.resolvers",
                   "micropip.installation.installed"):
        assert interp.run(f"_loader({module!r})") == "_KeptLoader", module


def test_a_part_that_does_not_match_its_lock_entry_is_never_used(fresh, bundle_dir, fixture_index, tmp_path):
    bundle = _copy_bundle(bundle_dir, tmp_path)
    lock_path = bundle / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    lock["packages"][PART]["sha256"] = "0" * 64  # the wheel beside it is another one
    lock_path.write_text(json.dumps(lock))
    interp = fresh(lock_path)
    interp.run(f"await micropip.install('greeting', index_urls=[{fixture_index.simple_url!r}])")
    assert interp.run(installed_version("greeting")) == "1.1"
    assert interp.run("_loader('micropip.package_manager')") == "SourceFileLoader"
    assert any("does not match the sha256" in m and PART.replace("-", "_") in m for m in interp.run("_log"))


def test_a_part_compiled_for_another_python_is_never_used(fresh, bundle_dir, fixture_index, tmp_path):
    import io
    import marshal

    bundle = _copy_bundle(bundle_dir, tmp_path)
    lock = json.loads((bundle / "pyodide-lock.json").read_text())
    wheel = bundle / lock["packages"][PART]["file_name"]
    with zipfile.ZipFile(wheel) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    shipped = marshal.loads(members[MEMBER])
    for files in shipped.values():  # another interpreter's magic, the rest unchanged
        for rel, pyc in files.items():
            files[rel] = b"\x00\x00" + pyc[2:]
    members[MEMBER] = marshal.dumps(shipped)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    _set_part(bundle, out.getvalue())
    interp = fresh(bundle / "pyodide-lock.json")
    interp.run(f"await micropip.install('greeting', index_urls=[{fixture_index.simple_url!r}])")
    assert interp.run(installed_version("greeting")) == "1.1"
    assert interp.run("_loader('micropip.package_manager')") == "SourceFileLoader"
    assert any("another interpreter" in m for m in interp.run("_log"))


def test_a_part_that_is_not_a_zip_is_never_used(fresh, bundle_dir, fixture_index, tmp_path):
    bundle = _copy_bundle(bundle_dir, tmp_path)
    _set_part(bundle, b"not a wheel at all")
    interp = fresh(bundle / "pyodide-lock.json")
    interp.run(f"await micropip.install('greeting', index_urls=[{fixture_index.simple_url!r}])")
    assert interp.run(installed_version("greeting")) == "1.1"
    assert interp.run("_loader('micropip.package_manager')") == "SourceFileLoader"


def test_with_the_cache_on_the_part_becomes_the_machinery_entries_and_the_next_visit_asks_nothing(
    fresh, bundle_dir, fixture_index, tmp_path
):
    folder = str(tmp_path / "cache")
    first = fresh(bundle_dir / "pyodide-lock.json")
    first.run(f"micropip.set_cache(True, path={folder!r})")
    first.run(f"await micropip.install('greeting', index_urls=[{fixture_index.simple_url!r}])")
    assert first.run("_asked_with")[0][0] is True
    assert first.run("_loader('micropip.package_manager')") == "_KeptLoader"
    first.run("from micropip.installation import bytecode as _bc\nawait _bc.idle_done()")
    # Each machinery wheel's entry holds all its modules: the part's and those compiled here.
    complete = first.run("""
import marshal
from micropip import cache as _cache
_store = _cache.current()
_out = []
for _w in _bc.machinery_files():
    _payload = await _store.read(_bc.entry_name(_w.sha256))
    _files = marshal.loads(_payload) if _payload is not None else {}
    _out.append([_w.root.name, len(_w.sources), len(set(_w.sources) & set(_files))])
_out
""")
    assert len(complete) == 3 and all(n == kept for _, n, kept in complete), complete
    # The next page load: the machinery comes back from the cache; the part is not asked for.
    second = fresh(bundle_dir / "pyodide-lock.json")
    second.run(f"micropip.set_cache(True, path={folder!r})")
    second.run(f"await micropip.install('treepkg', index_urls=[{fixture_index.simple_url!r}])")
    assert second.run("_asked_with") == []
    assert second.run("_loader('micropip.package_manager')") == "_KeptLoader"
