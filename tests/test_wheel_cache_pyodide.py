"""The wheel cache in real Pyodide (Node): stored on the host disk, so a new interpreter finds it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness.pyodide_node import Interpreter, NodeRunner

pytestmark = pytest.mark.pyodide

DATA_EXPR = "bytes(range(256)) * 300"  # 76,800 bytes, built inside Pyodide
DATA = bytes(range(256)) * 300
KEY = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def fresh(node_runner: NodeRunner, bundle_dir: Path) -> Iterator:
    """Starts fresh interpreters on demand (each one a new, empty in-memory filesystem)."""
    started: list[Interpreter] = []

    def start() -> Interpreter:
        interp = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
        started.append(interp)
        return interp

    yield start
    for interp in started:
        interp.drop()


def use_cache(py: Interpreter, folder: Path, **settings) -> None:
    args = ", ".join(f"{k}={v!r}" for k, v in settings.items())
    py.run(f"from micropip import cache as wheel_cache; wheel_cache.configure(enabled=True, path={str(folder)!r}{', ' + args if args else ''})")


def test_put_in_one_interpreter_get_in_a_new_one(fresh, tmp_path):
    folder = tmp_path / "cache"
    a = fresh()
    use_cache(a, folder)
    assert a.run(f"c = wheel_cache.current(); await c.put({KEY!r}, {DATA_EXPR}); type(c.store).__name__") == "NodeFolderStore"
    # on the host disk, outside Pyodide's in-memory filesystem
    assert (folder / f"{KEY}.whl").read_bytes() == DATA
    assert (folder / "index.json").exists()
    assert a.run("import os; os.path.exists(wheel_cache.current().store.folder)") is False
    a.drop()

    b = fresh()
    use_cache(b, folder)
    assert b.run(f"data = await wheel_cache.current().get({KEY!r}); data == {DATA_EXPR}") is True
    assert b.run("await wheel_cache.current().usage()") == len(DATA)
    assert b.run("import micropip; await micropip.clear_cache(); await wheel_cache.current().usage()") == 0
    assert not (folder / f"{KEY}.whl").exists()


def test_corrupt_file_on_disk_is_detected_in_a_new_interpreter(fresh, tmp_path):
    folder = tmp_path / "cache"
    a = fresh()
    use_cache(a, folder)
    a.run(f"await wheel_cache.current().put({KEY!r}, {DATA_EXPR})")
    (folder / f"{KEY}.whl").write_bytes(DATA[:-1] + b"\0")  # flipped on disk between sessions

    b = fresh()
    use_cache(b, folder)
    assert b.run(f"await wheel_cache.current().get({KEY!r}) is None") is True
    assert not (folder / f"{KEY}.whl").exists()
    assert b.run(f"await wheel_cache.current().put('{'0' * 64}', {DATA_EXPR}); await wheel_cache.current().usage()") == 0


def test_eviction_and_refusal_in_pyodide(fresh, tmp_path):
    folder = tmp_path / "cache"
    py = fresh()
    use_cache(py, folder, max_bytes=2500)
    result = py.run(
        """
import hashlib
def blob(i):
    d = bytes([i]) * 1000
    return hashlib.sha256(d).hexdigest(), d
c = wheel_cache.current()
(ka, a), (kb, b), (kc, c_) = blob(1), blob(2), blob(3)
await c.put(ka, a); await c.put(kb, b)
await c.get(ka)
await c.put(kc, c_)
[await c.get(ka) == a, await c.get(kb), await c.get(kc) == c_, await c.usage()]
"""
    )
    assert result == [True, None, True, 2000]
    assert len(list(folder.glob("*.whl"))) == 2


def test_default_folder_and_opt_out_follow_the_node_process(fresh, tmp_path):
    """Pyodide's os.environ is not Node's: the default folder and the opt-out come from Node."""
    py = fresh()
    py.run(
        f"""
from pyodide.code import run_js
run_js("globalThis.__saved = [process.env.XDG_CACHE_HOME, process.env.PYODIDE_PM_NO_CACHE]")
run_js("process.env.XDG_CACHE_HOME = {str(tmp_path)!r}; delete process.env.PYODIDE_PM_NO_CACHE")
"""
    )
    try:
        py.run(f"from micropip import cache as wheel_cache; await wheel_cache.current().put({KEY!r}, {DATA_EXPR})")
        assert (tmp_path / "pyodide-pm" / "wheels" / f"{KEY}.whl").read_bytes() == DATA
        py.run("run_js('process.env.PYODIDE_PM_NO_CACHE = \"1\"')")
        assert py.run("wheel_cache.current() is None") is True
        assert py.run("import micropip; micropip.set_cache(True); wheel_cache.current() is not None") is True
    finally:
        py.run(
            """
run_js('''
for (const [k, v] of [["XDG_CACHE_HOME", __saved[0]], ["PYODIDE_PM_NO_CACHE", __saved[1]]]) {
  if (v === undefined) delete process.env[k]; else process.env[k] = v;
}
delete globalThis.__saved;
''')
"""
        )


def test_unwritable_folder_only_warns(fresh, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    py = fresh()
    use_cache(py, tmp_path / "file" / "cache")
    out = py.run(
        f"""
import io, logging
buf = io.StringIO(); h = logging.StreamHandler(buf)
logging.getLogger('micropip').addHandler(h)
try:
    await wheel_cache.current().put({KEY!r}, {DATA_EXPR})
    got = await wheel_cache.current().get({KEY!r})
finally:
    logging.getLogger('micropip').removeHandler(h)
[got, buf.getvalue()]
"""
    )
    assert out[0] is None
    assert "could not store" in out[1]


# ---- the cache in the install path ---------------------------------------------------------

GREETING_FILES = ["/files/greeting-1.1-py3-none-any.whl", "/files/colorama_lite-0.2-py3-none-any.whl",
                  "/files/textwrap3_lite-1.0-py3-none-any.whl"]


@pytest.fixture
def fault(fixture_index):
    from .harness.fault_server import FaultServer

    with FaultServer(upstream=fixture_index.url) as server:
        yield server


def installed(py: Interpreter) -> dict:
    return py.run("import importlib.metadata as m; {d.metadata['Name']: d.version for d in m.distributions()}")


def test_reinstall_in_a_new_interpreter_comes_from_the_cache(fresh, tmp_path, fault):
    from .harness.fault_server import Reply

    folder = tmp_path / "cache"
    a = fresh()
    use_cache(a, folder)
    a.run(f"import micropip; await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert all(fault.count(f) == 1 for f in GREETING_FILES)
    assert len(list(folder.glob("*.whl"))) == 3
    first = installed(a)
    a.drop()

    # The index still answers its pages, but every wheel download now fails: a new
    # interpreter installs the same set from the cache alone.
    fault.route("/files/*.whl", Reply(503))
    b = fresh()
    use_cache(b, folder)
    b.run(f"import micropip; await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert installed(b) == first
    assert all(fault.count(f) == 1 for f in GREETING_FILES)  # no new download
    assert b.run("import greeting; greeting.__name__") == "greeting"


def test_a_tampered_cache_entry_is_downloaded_again(fresh, tmp_path, fault, fixture_index):
    folder = tmp_path / "cache"
    a = fresh()
    use_cache(a, folder)
    a.run(f"import micropip; await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    a.drop()
    digest = hashlib.sha256((Path(__file__).parent.parent / "fixtures" / "wheels" / "greeting-1.1-py3-none-any.whl").read_bytes()).hexdigest()
    entry = folder / f"{digest}.whl"
    entry.write_bytes(entry.read_bytes()[:-10] + b"0123456789")  # same size, other bytes

    b = fresh()
    use_cache(b, folder)
    b.run(f"import micropip; await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert fault.count("/files/greeting-1.1-py3-none-any.whl") == 2  # the bad entry was not used
    assert fault.count("/files/colorama_lite-0.2-py3-none-any.whl") == 1
    assert hashlib.sha256(entry.read_bytes()).hexdigest() == digest  # and was replaced by the good bytes
    assert b.run("import greeting; greeting.__name__") == "greeting"


def test_cache_off_by_default_in_the_suite_and_opt_out(fresh, tmp_path, fault):
    a = fresh()
    assert a.run("from micropip import cache as wheel_cache; wheel_cache.current() is None") is True  # PYODIDE_PM_NO_CACHE=1
    folder = tmp_path / "cache"
    use_cache(a, folder)
    a.run("import micropip; micropip.set_cache(False)")
    a.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert not list(folder.glob("*.whl"))


def test_flushing_cache_writes_that_just_finished_returns(fresh):
    # A write that ends in the same turn as the flush begins: its done callback (which takes it
    # out of the set) has not run yet, and in Python 3.14 awaiting only-finished writes never
    # yields a turn for it. The flush looped forever there (a first install hung).
    py = fresh()
    assert py.run("""
import asyncio
from micropip.index import http
async def _write():
    return None
http.write_behind(_write())
await asyncio.wait_for(asyncio.ensure_future(http.flush_cache_writes()), 10)
len(http._cache_writes)
""") == 0
