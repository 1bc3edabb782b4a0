"""Hostile wheels, broken indexes, faults and concurrency in real Pyodide (Node).

Every case must end in a clear error naming the package, file or URL and leave
the environment byte-for-byte as it was (``_snapshot()`` before and after).

One interpreter serves the whole module (a fresh one costs ~1.5 s): the ``py``
fixture resets micropip's settings before each test and afterwards removes what
the test installed and checks the environment equals the module's baseline, so
a leak from one case fails that case instead of hiding in the next.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from index_server.server import start_server, start_static_server
from micropip.installation.wheelbuilder import make_metadata, write_wheel

from .conftest import BROKEN_WHEELS, FIXTURE_WHEELS
from .harness.fault_server import FaultServer, Reply, html_reply, json_reply, upstream
from .harness.pyodide_node import PyodideError
from .snippets import SNAPSHOT, installed_version

pytestmark = pytest.mark.pyodide

FAST_RETRIES = "(0.05, 0.1)"  # two retries, 3 attempts in all, as in production; shorter waits
SOAK_CYCLES = 200
FAN_OUT = 300

HELPERS = """
import asyncio, importlib, importlib.metadata, io, logging, time
import micropip, micropip.index.http, micropip.transport, micropip.installation.installer, micropip.package_manager
_ORIGINAL = {
    "write_file": micropip.installation.installer._write_file,
    "write_members": micropip.installation.installer._write_members,
    "load_shared_libraries": micropip.transport.load_shared_libraries,
}

class _Logs:
    def __enter__(self):
        self.buf = io.StringIO()
        self.handler = logging.StreamHandler(self.buf)
        logging.getLogger("micropip").addHandler(self.handler)
        return self
    def __exit__(self, *exc):
        logging.getLogger("micropip").removeHandler(self.handler)
    @property
    def text(self):
        return self.buf.getvalue()

async def _cleanup(baseline):
    micropip.installation.installer._write_file = _ORIGINAL["write_file"]
    micropip.installation.installer._write_members = _ORIGINAL["write_members"]
    micropip.transport.load_shared_libraries = _ORIGINAL["load_shared_libraries"]
    importlib.invalidate_caches()
    extra = sorted({d.metadata["Name"] for d in importlib.metadata.distributions()
                    if f"{d.metadata['Name']}=={d.version}" not in baseline})
    if extra:
        micropip.uninstall(extra)
    return extra
"""


# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared(node_runner, bundle_dir):
    interp = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
    interp.run(SNAPSHOT + HELPERS)
    interp.baseline = interp.run("_snapshot()")
    yield interp
    interp.drop()


@pytest.fixture
def py(shared, fixture_index):
    shared.index_url = fixture_index.simple_url
    shared.run(
        f"micropip.set_index_urls([{fixture_index.simple_url!r}]); micropip.set_constraints([]); "
        f"micropip.index.http.RETRY_DELAYS = {FAST_RETRIES}; micropip.transport.DEFAULT_TIMEOUT = 20.0"
    )
    yield shared
    shared.run(f"await _cleanup({shared.baseline['dists']!r})")
    assert shared.run("_snapshot()") == shared.baseline, "the test left the environment changed"


@pytest.fixture(scope="module")
def broken_index():
    with start_server(BROKEN_WHEELS) as server:
        yield server


@pytest.fixture(scope="module")
def broken_files():
    """The broken wheels as plain files: the index leaves out the ones it cannot read."""
    with start_static_server({"/files/": BROKEN_WHEELS}) as server:
        yield server


@pytest.fixture(scope="module")
def made_index(tmp_path_factory):
    """Wheels made for this module: metadata faults, cycles, a 300-package fan-out, a file clash."""
    folder = tmp_path_factory.mktemp("made-index")

    def wheel(name, version="1.0", requires=(), files=None, metadata=None):
        mod = name.replace("-", "_")
        write_wheel(
            folder,
            name,
            version,
            files if files is not None else {f"{mod}/__init__.py": f"__version__ = {version!r}\n"},
            metadata=metadata or make_metadata(name, version, requires_dist=list(requires)),
        )

    wheel("badreq", "1.0")
    wheel("badreq", "2.0", metadata=make_metadata("badreq", "2.0", requires_dist=["greeting >>> 1"]))
    wheel("badmetaver", "1.0")
    wheel("badmetaver", "2.0", metadata="Metadata-Version: 2.1\nName: badmetaver\nVersion: 2.0-not!valid\n")
    wheel("onlybadreq", "1.0", metadata=make_metadata("onlybadreq", "1.0", requires_dist=["greeting >>> 1"]))
    wheel("selfdep", "1.0", requires=["selfdep", "selfdep[extra]; extra == 'never'"])
    wheel("ring-a", requires=["ring-b"])
    wheel("ring-b", requires=["ring-c"])
    wheel("ring-c", requires=["ring-a>=1"])
    wheel("clobber", files={"greeting/__init__.py": "HIJACKED = True\n", "clobber.py": ""})
    leaves = [f"fan-{i:03d}" for i in range(FAN_OUT)]
    for leaf in leaves:
        wheel(leaf)
    wheel("fan", requires=leaves)
    with start_server(folder) as server:
        yield server


def simple_page(name: str, files: list[dict]) -> str:
    return json.dumps({"meta": {"api-version": "1.1"}, "name": name, "files": files})


def entry(filename: str, url: str, sha256: str | None = None, **extra) -> dict:
    return {"filename": filename, "url": url, "hashes": {"sha256": sha256} if sha256 else {}, **extra}


def sha256_of(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(py, code: str, error_type: str, *fragments: str) -> str:
    """Run ``code``; it must raise ``error_type`` naming every fragment and change nothing."""
    before = py.run("_snapshot()")
    with pytest.raises(PyodideError) as info:
        py.run(code)
    err = info.value
    print(f"\n[case] {error_type}: {err.message}")
    assert err.type == error_type, f"{err.type}: {err.message}\n{err.traceback}"
    for fragment in fragments:
        assert fragment in err.message, f"{fragment!r} not in: {err.message}"
    assert py.run("_snapshot()") == before, "the environment changed"
    return err.message


def version(py, name):
    return py.run(installed_version(name))


# ---- hostile wheels --------------------------------------------------------------------------

WHEEL_CASES = {
    "zipslip": "entry '../../escape.py' is not a plain relative path",
    "abspath": "entry '/tmp/abs_escape.py' is an absolute path",
    "badrecord": "hash mismatch for 'badrecord/__init__.py'",
    "badsize": "size mismatch for 'badsize/__init__.py': RECORD says 999, the file has 6 bytes",
    "nowheel": "nowheel-1.0.dist-info/WHEEL is missing",
    "futurewheel": "unsupported Wheel-Version 9.0",
    "duplicate": "duplicate entry 'duplicate/__init__.py'",
    "zipbomb": "over 200:1 (zip bomb guard)",
    "distmismatch": "distmismatch-2.0.dist-info does not match the file name (distmismatch 1.0)",
}


@pytest.mark.parametrize("name", sorted(WHEEL_CASES))
def test_hostile_wheel_from_index_is_refused(py, broken_index, name):
    filename = f"{name}-1.0-py3-none-any.whl"
    refused(py, f"await micropip.install({name!r}, index_urls=[{broken_index.simple_url!r}])", "InvalidWheelError", filename, WHEEL_CASES[name], broken_index.url)


@pytest.mark.parametrize("name", sorted(WHEEL_CASES))
def test_hostile_wheel_from_url_is_refused(py, broken_files, name):
    url = f"{broken_files.url}files/{name}-1.0-py3-none-any.whl"
    refused(py, f"await micropip.install({url!r})", "InvalidWheelError", url, WHEEL_CASES[name])


UNREADABLE = {
    "notazip": "is not a valid zip file",
    "truncated": "is not a valid zip file",
    "nometadata": "has no single .dist-info/METADATA",
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_wheel_from_url_is_refused(py, broken_files, name):
    url = f"{broken_files.url}files/{name}-1.0-py3-none-any.whl"
    refused(py, f"await micropip.install({url!r})", "MetadataError", f"{name}-1.0-py3-none-any.whl", url, UNREADABLE[name])


def test_hostile_wheels_from_emfs_are_refused(py, broken_files):
    for name, error, fragment in [("zipslip", "InvalidWheelError", WHEEL_CASES["zipslip"]), ("notazip", "MetadataError", "not a valid zip")]:
        path = f"/tmp/{name}-1.0-py3-none-any.whl"
        py.run(
            f"from pyodide.http import pyfetch\n"
            f"open({path!r}, 'wb').write(await (await pyfetch({broken_files.url + 'files/' + path[5:]!r})).bytes())"
        )
        refused(py, f"await micropip.install('emfs:{path}')", error, path)


@pytest.mark.parametrize("name", ["wrongname", "wrongversion"])
def test_metadata_disagreeing_with_file_name_installs_nothing(py, broken_index, broken_files, name):
    refused(py, f"await micropip.install({name!r}, index_urls=[{broken_index.simple_url!r}])", "ResolutionError", name)
    url = f"{broken_files.url}files/{name}-1.0-py3-none-any.whl"
    refused(py, f"await micropip.install({url!r})", "ResolutionError", name)


@pytest.mark.parametrize(
    "name, why",
    [
        ("wrongname", "its metadata says othername 1.0, not wrongname 1.0"),
        ("wrongversion", "its metadata says wrongversion 2.0, not wrongversion 1.0"),
        ("onlybadreq", "has a malformed Requires-Dist 'greeting >>> 1'"),
    ],
)
def test_unusable_metadata_is_explained(py, broken_index, made_index, name, why):
    index = made_index if name == "onlybadreq" else broken_index
    refused(py, f"await micropip.install({name!r}, index_urls=[{index.simple_url!r}])", "ResolutionError", f"{name}-1.0-py3-none-any.whl", why)


def test_file_of_another_distribution_is_not_overwritten(py, made_index):
    py.run("await micropip.install('greeting')")
    refused(
        py,
        f"await micropip.install('clobber', index_urls=[{made_index.simple_url!r}])",
        "InstallError",
        "cannot install clobber 1.0",
        "greeting/__init__.py belongs to the installed distribution greeting 1.1",
        "reinstall=True",
    )
    assert py.run("import importlib, greeting; importlib.reload(greeting); hasattr(greeting, 'hello')")


def test_reinstall_replaces_the_distribution_owning_a_clashing_file(py, made_index):
    py.run("await micropip.install('greeting')")
    py.run(f"await micropip.install('clobber', index_urls=[{made_index.simple_url!r}], reinstall=True)")
    assert version(py, "clobber") == "1.0" and version(py, "greeting") is None


# ---- broken indexes --------------------------------------------------------------------------


@pytest.fixture
def fault(fixture_index):
    """A fault server in front of the fixture index: unprogrammed paths pass through."""
    with FaultServer(upstream=fixture_index.url) as server:
        yield server


def install_code(name: str, index: str, **kw) -> str:
    extra = "".join(f", {k}={v!r}" for k, v in kw.items())
    return f"await micropip.install({name!r}, index_urls=[{index!r}]{extra})"


INDEX_FAULTS = {
    "bad-json": (json_reply(b'{"files": [}'), "IndexFormatError", "is not valid JSON"),
    "bad-html": (html_reply(b"\xff\xfe<html><a href='x'>x</a>"), "IndexFormatError", "is not UTF-8 HTML"),
    "bad-href": (html_reply('<a href="http://[::1/x.whl">bad-href-1.0-py3-none-any.whl</a>'), "IndexFormatError", "has an invalid URL"),
    "plain-text": (Reply(body=b"hello", content_type="text/plain"), "IndexFormatError", "has content type 'text/plain' and is neither JSON nor HTML"),
    "api-v2": (json_reply(json.dumps({"meta": {"api-version": "2.0"}, "name": "api-v2", "files": []})), "IndexFormatError", "uses simple API version 2.0"),
    "other-name": (json_reply(simple_page("someone-else", [])), "IndexFormatError", "describes project 'someone-else', not 'other-name'"),
    "gone-404": (Reply(404), "PackageNotFoundError", "no package named 'gone-404' was found on"),
    "gone-410": (Reply(410), "PackageNotFoundError", "no package named 'gone-410' was found on"),
}


@pytest.mark.parametrize("name", sorted(INDEX_FAULTS))
def test_broken_index_page(py, fault, name):
    reply, error, fragment = INDEX_FAULTS[name]
    fault.route(f"/simple/{name}/", reply)
    refused(py, install_code(name, fault.simple_url), error, fragment, fault.simple_url)
    assert fault.count(f"/simple/{name}/") == 1  # a broken page is not retried


def test_sdist_only_gives_a_no_wheel_error(py, fault):
    fault.route("/simple/sdist-only/", json_reply(simple_page("sdist-only", [entry("sdist_only-1.0.tar.gz", "/files/sdist_only-1.0.tar.gz", "0" * 64)])))
    refused(
        py,
        install_code("sdist-only", fault.simple_url),
        "NoCompatibleWheelError",
        "no wheel of sdist-only",
        "sdist_only-1.0.tar.gz: a source distribution, not built unless asked: install(..., build_sdists=True)",
    )
    assert fault.count("/files/sdist_only-1.0.tar.gz") == 0


def test_generic_content_type_with_json_body_is_read(py, fault, fixture_index):
    page = simple_page("greeting", [entry("greeting-1.0-py3-none-any.whl", fixture_index.url + "files/greeting-1.0-py3-none-any.whl", sha256_of(FIXTURE_WHEELS / "greeting-1.0-py3-none-any.whl"))])
    fault.route("/simple/greeting/", Reply(body=page.encode(), content_type="application/octet-stream"))
    py.run(install_code("greeting", fault.simple_url, deps=False))
    assert version(py, "greeting") == "1.0"


@pytest.mark.parametrize("hashes", [{}, {"md5": "0" * 32, "blake2b": "0" * 128}], ids=["no-hash", "unknown-hash-only"])
def test_file_without_usable_hash_installs_unverified_unless_hashes_are_required(py, fault, fixture_index, hashes):
    """Decision: only sha256 is verified; a file without one is unverifiable and installs
    unless ``require_hashes`` is on (micropip.resolution.hash_policy), which refuses it by name."""
    url = fixture_index.url + "files/greeting-1.0-py3-none-any.whl"
    fault.route("/simple/greeting/", json_reply(simple_page("greeting", [{"filename": "greeting-1.0-py3-none-any.whl", "url": url, "hashes": hashes}])))
    refused(
        py,
        "from micropip.resolution import hash_policy\n"
        f"hash_policy.require_hashes(await micropip.install('greeting', index_urls=[{fault.simple_url!r}], deps=False, dry_run=True))",
        "HashRequiredError",
        "require_hashes is on",
        f"greeting 1.0: greeting-1.0-py3-none-any.whl from {url}",
    )
    py.run(install_code("greeting", fault.simple_url, deps=False))
    assert version(py, "greeting") == "1.0"


def test_hashes_from_the_fixture_index_satisfy_require_hashes(py):
    py.run("from micropip.resolution import hash_policy; hash_policy.require_hashes(await micropip.install('demo-app', dry_run=True))")


def test_install_require_hashes_parameter(py, fault, fixture_index):
    url = fixture_index.url + "files/greeting-1.0-py3-none-any.whl"
    fault.route("/simple/greeting/", json_reply(simple_page("greeting", [entry("greeting-1.0-py3-none-any.whl", url)])))
    refused(py, install_code("greeting", fault.simple_url, deps=False, require_hashes=True), "HashRequiredError", url)


def test_same_origin_redirect_is_followed(py, fault):
    fault.route("/simple/greeting/", Reply(301, redirect="/moved/"), upstream())
    fault.route("/moved/", Reply(307, redirect="/simple/greeting/"))
    py.run(install_code("greeting", fault.simple_url, deps=False))
    assert version(py, "greeting") == "1.1"
    assert fault.count("/simple/greeting/") == 2 and fault.count("/moved/") == 1


def test_two_transient_failures_then_success(py, fault):
    fault.route("/simple/greeting/", Reply(503), Reply(429, headers={"Retry-After": "1"}), upstream())
    py.run(install_code("greeting", fault.simple_url))
    assert version(py, "greeting") == "1.1"
    hits = fault.requests_to("/simple/greeting/")
    assert len(hits) == 3
    assert hits[2].at - hits[1].at >= 0.9  # Retry-After was honoured


@pytest.mark.parametrize("status", [429, 500, 503])
def test_persistent_errors_fail_after_bounded_attempts(py, fault, status):
    fault.route("/simple/greeting/", Reply(status, b"busy"))
    started = time.monotonic()
    refused(
        py,
        install_code("greeting", fault.simple_url),
        "TransportError",
        f"index {fault.simple_url} answered HTTP {status}",
        f"for project 'greeting' ({fault.simple_url}greeting/) after 3 attempts",
    )
    assert fault.count("/simple/greeting/") == 3
    assert time.monotonic() - started < 5


def test_persistent_error_on_a_wheel_names_the_file(py, fault):
    fault.route("/files/greeting-1.1-py3-none-any.whl", Reply(500))
    refused(
        py,
        install_code("greeting", fault.simple_url),
        "TransportError",
        f"downloading greeting-1.1-py3-none-any.whl (greeting 1.1) failed: HTTP 500 from {fault.url}files/greeting-1.1-py3-none-any.whl after 3 attempts",
    )
    assert fault.count("/files/greeting-1.1-py3-none-any.whl") == 3


def test_timeouts_are_bounded_and_configurable(py, fault):
    py.run("micropip.transport.DEFAULT_TIMEOUT = 0.5")
    fault.route("/simple/greeting/", upstream(delay=5))
    started = time.monotonic()
    refused(
        py,
        install_code("greeting", fault.simple_url),
        "TransportError",
        f"cannot read the index page for 'greeting' from {fault.simple_url}: timed out after 0.5 s waiting for {fault.simple_url}greeting/",
        "(gave up after 3 attempts)",
    )
    assert time.monotonic() - started < 4
    fault.route("/simple/greeting/", upstream())
    fault.route("/files/greeting-1.1-py3-none-any.whl", upstream(delay=5))
    refused(py, install_code("greeting", fault.simple_url), "TransportError", "downloading greeting-1.1-py3-none-any.whl (greeting 1.1) failed: timed out after 0.5 s")


def test_body_shorter_than_content_length(py, fault):
    fault.route("/files/greeting-1.1-py3-none-any.whl", upstream(truncate_to=100))
    refused(
        py,
        install_code("greeting", fault.simple_url),
        "TransportError",
        "downloading greeting-1.1-py3-none-any.whl (greeting 1.1) failed: truncated download",
        f"{fault.url}files/greeting-1.1-py3-none-any.whl",
    )
    fault.route("/simple/bt-top/", upstream(truncate_to=20))
    refused(
        py,
        install_code("bt-top", fault.simple_url),
        "TransportError",
        f"cannot read the index page for 'bt-top' from {fault.simple_url}: truncated download: the connection to {fault.simple_url}bt-top/ closed",
    )


def test_hash_mismatch_on_download(py, fault, fixture_index):
    url = fixture_index.url + "files/greeting-1.0-py3-none-any.whl"
    page = simple_page("greeting", [entry("greeting-1.0-py3-none-any.whl", url, "0" * 64, **{"core-metadata": True})])
    fault.route("/simple/greeting/", json_reply(page))
    refused(
        py,
        install_code("greeting", fault.simple_url, deps=False),
        "HashMismatchError",
        f"hash mismatch for greeting-1.0-py3-none-any.whl (greeting 1.0) downloaded from {url}: expected sha256 {'0' * 64}",
    )


# ---- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["badreq", "badmetaver"])
def test_bad_metadata_skips_the_candidate(py, made_index, name):
    py.run(f"await micropip.install({name!r}, index_urls=[{made_index.simple_url!r}])")
    assert version(py, name) == "1.0"  # 2.0 has broken metadata


def test_bad_metadata_is_skipped_with_a_warning(py, made_index):
    logs = py.run(f"with _Logs() as _l:\n    await micropip.install('badreq', index_urls=[{made_index.simple_url!r}])\n_l.text")
    assert "badreq-2.0-py3-none-any.whl" in logs and "Requires-Dist" in logs


def test_only_candidate_with_bad_metadata_is_an_error(py, made_index):
    refused(py, f"await micropip.install('onlybadreq', index_urls=[{made_index.simple_url!r}])", "ResolutionError", "onlybadreq")


def test_invalid_wheel_version_is_skipped_and_said_with_verbose(py, fault, fixture_index):
    good = fixture_index.url + "files/greeting-1.0-py3-none-any.whl"
    page = simple_page(
        "greeting",
        [entry("greeting-1.0-py3-none-any.whl", good, sha256_of(FIXTURE_WHEELS / "greeting-1.0-py3-none-any.whl")), entry("greeting-9.x-py3-none-any.whl", good)],
    )
    fault.route("/simple/greeting/", json_reply(page))
    logs = py.run(f"with _Logs() as _l:\n    {install_code('greeting', fault.simple_url, deps=False, verbose=True)}\n_l.text")
    assert version(py, "greeting") == "1.0"
    print(f"\n[case] warning: {logs.strip()}")
    assert f"skipping greeting-9.x-py3-none-any.whl listed by {fault.simple_url}greeting/: invalid wheel file name" in logs


def test_dependency_cycles_and_self_dependency(py, made_index):
    py.run(f"await micropip.install(['ring-a', 'selfdep'], index_urls=[{made_index.simple_url!r}])")
    assert [version(py, n) for n in ("ring-a", "ring-b", "ring-c", "selfdep")] == ["1.0"] * 4


def test_enormous_fan_out_is_bounded(py, made_index):
    started = time.monotonic()
    py.run(f"await micropip.install('fan', index_urls=[{made_index.simple_url!r}])")
    elapsed = time.monotonic() - started
    assert py.run("len([d for d in importlib.metadata.distributions() if d.metadata['Name'].startswith('fan')])") == FAN_OUT + 1
    print(f"\n[fan-out] {FAN_OUT} dependencies installed in {elapsed:.1f} s")
    assert elapsed < 30


# ---- concurrency and cancellation ------------------------------------------------------------


def test_two_installs_at_once_are_serialised(py):
    py.run("await asyncio.gather(micropip.install('greeting'), micropip.install('demo-app'), micropip.install('bt-top'))")
    assert [version(py, n) for n in ("greeting", "demo-app", "bt-top", "colorama-lite")] == ["1.1", "1.0", "2.0", "0.2"]
    assert py.run("len([d for d in importlib.metadata.distributions() if d.metadata['Name'] == 'greeting'])") == 1


def test_uninstall_during_an_install_waits_for_it(py, fault):
    py.run("await micropip.install('greeting')")
    fault.route("/files/bt_top-2.0-py3-none-any.whl", upstream(delay=1.0))
    order = py.run(
        f"""
_order = []
async def _install():
    await micropip.install('bt-top', index_urls=[{fault.simple_url!r}])
    _order.append('installed')
async def _uninstall():
    await asyncio.sleep(0.3)
    await micropip.uninstall(['greeting', 'bt-top'])  # synchronous, but awaiting waits for the running install
    _order.append('uninstalled')
await asyncio.gather(_install(), _uninstall())
_order
"""
    )
    assert order == ["installed", "uninstalled"]
    assert version(py, "greeting") is None and version(py, "bt-top") is None


def cancel_midway(py, call: str) -> str:
    """Start ``call`` as a task, cancel it a second later; 'cancelled' or 'finished'."""
    return py.run(
        f"""
_task = asyncio.ensure_future({call})
await asyncio.sleep(1.0)
_task.cancel()
try:
    await _task
    _outcome = 'finished'
except asyncio.CancelledError:
    _outcome = 'cancelled'
_outcome
"""
    )


def test_cancelled_install_rolls_back(py, fault):
    fault.route("/files/colorama_lite-0.2-py3-none-any.whl", upstream(delay=10))
    before = py.run("_snapshot()")
    outcome = cancel_midway(py, f"micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
    assert outcome == "cancelled"
    assert fault.count("/files/colorama_lite-0.2-py3-none-any.whl") == 1
    assert py.run("_snapshot()") == before
    py.run("await micropip.install('greeting')")  # the lock was released
    assert version(py, "greeting") == "1.1"


def test_exception_midway_through_writing_rolls_back(py):
    before = py.run("_snapshot()")
    py.run(
        """
_writes = []
def _failing_write(path, data):
    _writes.append(path)
    if len(_writes) == 5:
        raise OSError(28, "No space left on device")
    _ORIGINAL["write_file"](path, data)
micropip.installation.installer._write_file = _failing_write
"""
    )
    refused(py, "await micropip.install('demo-app')", "InstallError", "failed while writing", "No space left on device", "(nothing was changed)")
    assert py.run("len(_writes)") == 5
    assert py.run("_snapshot()") == before


def test_native_write_failing_midway_rolls_back(py):
    """The natively held files are written from JS in one batch per wheel; a batch that
    fails after writing some of its files is undone like any other write."""
    before = py.run("_snapshot()")
    py.run(
        """
_batches = []
def _failing_members(archive, items, folders=()):
    _batches.append(len(items))
    if len(_batches) == 2:  # its new folders made, half its files written
        _ORIGINAL["write_members"](archive, items[: len(items) // 2 + 1], folders)
        raise OSError(28, "No space left on device")
    _ORIGINAL["write_members"](archive, items, folders)
micropip.installation.installer._write_members = _failing_members
"""
    )
    refused(py, "await micropip.install('demo-app')", "InstallError", "failed while writing its", "No space left on device", "(nothing was changed)")
    assert py.run("len(_batches)") == 2
    assert py.run("_snapshot()") == before


def test_keyboard_interrupt_midway_rolls_back(py):
    before = py.run("_snapshot()")
    py.run(
        """
_writes = []
def _interrupted_write(path, data):
    _writes.append(path)
    if len(_writes) == 3:
        raise KeyboardInterrupt
    _ORIGINAL["write_file"](path, data)
micropip.installation.installer._write_file = _interrupted_write
"""
    )
    with pytest.raises(PyodideError) as info:
        py.run("await micropip.install('greeting')")
    assert info.value.type == "KeyboardInterrupt"
    assert py.run("_snapshot()") == before


def test_cancelled_while_loading_shared_libraries_rolls_back(py):
    before = py.run("_snapshot()")
    py.run(
        """
async def _slow_load(paths):
    await asyncio.sleep(30)
micropip.transport.load_shared_libraries = _slow_load
"""
    )
    outcome = cancel_midway(py, "micropip.install('greeting')")
    assert outcome == "cancelled"
    assert py.run("_snapshot()") == before


# ---- security --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://example.com/simple", "http://10.0.0.1/simple/", "ftp://example.com/simple"])
def test_remote_http_index_is_refused_before_any_request(py, url):
    refused(py, f"await micropip.install('greeting', index_urls=[{url!r}])", "InsecureIndexError", f"refusing index {url}", "must use https")
    py.run(f"micropip.set_index_urls([{url!r}])")
    refused(py, "await micropip.install('greeting')", "InsecureIndexError", f"refusing index {url}")


def test_first_index_that_has_a_project_wins(py, fault, fixture_index):
    """Dependency confusion: a project found on the first index is never taken from a later one."""
    old = fixture_index.url + "files/greeting-1.0-py3-none-any.whl"
    fault.route("/simple/greeting/", json_reply(simple_page("greeting", [entry("greeting-1.0-py3-none-any.whl", old, sha256_of(FIXTURE_WHEELS / "greeting-1.0-py3-none-any.whl"))])))
    fault.route("/simple/*", Reply(404))
    urls = [fault.simple_url, fixture_index.simple_url]
    plan = py.run(f"p = await micropip.install('greeting', index_urls={urls!r}, dry_run=True); {{x.name: [x.version, x.url] for x in p.install}}")
    assert plan["greeting"] == ["1.0", old]
    assert plan["colorama-lite"][1].startswith(fixture_index.url)  # not on the first index: the next one
    merged = py.run(f"p = await micropip.install('greeting', index_urls={urls!r}, merge_indexes=True, dry_run=True); {{x.name: x.version for x in p.install}}")
    assert merged["greeting"] == "1.1"


def test_no_credentials_follow_a_redirect_to_another_origin(py, fixture_index):
    with FaultServer(upstream=fixture_index.url) as other, FaultServer(upstream=fixture_index.url) as first:
        first.route("/simple/greeting/", Reply(302, redirect=other.simple_url + "greeting/"))
        py.run(f"await micropip.install('greeting', index_urls=[{first.simple_url!r}], credentials='include', deps=False)")
        assert version(py, "greeting") == "1.1"
        assert first.count("/simple/greeting/") == 1 and other.count("/simple/greeting/") == 1
        assert other.count("/files/greeting-1.1-py3-none-any.whl") == 1
        for hit in first.log + other.log:
            assert not {"authorization", "cookie", "proxy-authorization"} & set(hit.headers), hit


# ---- load ------------------------------------------------------------------------------------


def test_soak_install_uninstall_cycles(py):
    py.run("await micropip.install('greeting'); micropip.uninstall(['greeting', 'colorama-lite', 'textwrap3-lite'])")
    start = py.run("import pyodide_js; [pyodide_js._module.HEAPU8.length, _snapshot()]")
    started = time.monotonic()
    result = py.run(
        f"""
_heaps = []
for _i in range({SOAK_CYCLES}):
    await micropip.install('greeting')
    micropip.uninstall(['greeting', 'colorama-lite', 'textwrap3-lite'])
    if _i % 50 == 49:
        _heaps.append(pyodide_js._module.HEAPU8.length)
[pyodide_js._module.HEAPU8.length, _heaps, _snapshot()]
"""
    )
    elapsed = time.monotonic() - started
    heap_start, heap_end = start[0], result[0]
    print(f"\n[soak] {SOAK_CYCLES} cycles in {elapsed:.1f} s; heap {heap_start} -> {result[1]} -> {heap_end}")
    assert result[2] == start[1]  # the file system exactly
    assert heap_end <= heap_start * 1.10


def test_fifty_concurrent_fetches(py, fixture_index):
    urls = [fixture_index.simple_url + n + "/" for n in ("greeting", "bt-top", "colorama-lite", "demo-app", "prerel")] * 10
    statuses = py.run(
        f"""
from pyodide.http import pyfetch
async def _get(url):
    r = await pyfetch(url, headers={{"Accept": "application/vnd.pypi.simple.v1+json"}})
    return r.status, len(await r.bytes())
[list(x) for x in await asyncio.gather(*(_get(u) for u in {urls!r}))]
"""
    )
    assert len(statuses) == 50
    assert all(status == 200 and size > 0 for status, size in statuses)
