"""micropip in real Pyodide (Node) against real third-party indexes: pypiserver and devpi-server.

Issue 16. pypiserver serves PEP 503 HTML, devpi PEP 691 JSON; neither serves PEP 658
metadata files, so every wheel's metadata comes from the wheel itself. Each server
sits behind a recording proxy (tests/harness/third_party_indexes.py) that counts
requests and keeps their Authorization header.

Some tests assert behaviour micropip does not have yet (authentication from the
URL's user-info, secrets kept out of every output, the wheel cache without PEP 658,
require_hashes before any download, clear errors for devpi's index page and for
authentication failures): they fail until it lands.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from index_server.server import start_static_server

from .harness.pyodide_node import Interpreter, NodeRunner, PyodideError
from .harness.third_party_indexes import DevpiServer, PypiServer, basic_auth
from .snippets import SNAPSHOT, installed_version

pytestmark = pytest.mark.pyodide

GREETING_SET = {"greeting": "1.1", "colorama-lite": "0.2", "textwrap3-lite": "1.0"}
GREETING_WHEELS = {"greeting-1.1-py3-none-any.whl", "colorama_lite-0.2-py3-none-any.whl",
                   "textwrap3_lite-1.0-py3-none-any.whl"}
BACKTRACK = {"bt-top": "1.0", "bt-mid": "1.5", "bt-leaf": "1.0"}

# Runs an install-like call inside Pyodide and returns everything a user could see of it:
# log records (all loggers, DEBUG), stdout/stderr, progress events, and the exception
# with its message, attributes and whole traceback (chained causes included).
CAPTURE = """
import contextlib, io, json, logging, traceback
async def _capture(call):
    buf = io.StringIO(); handler = logging.StreamHandler(buf); handler.setLevel(logging.DEBUG)
    root = logging.getLogger(); mlog = logging.getLogger('micropip')
    saved = (root.level, mlog.level)
    root.setLevel(logging.DEBUG); mlog.setLevel(logging.DEBUG); root.addHandler(handler)
    events, out, error = [], io.StringIO(), None
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            await call(events.append)
    except Exception as exc:
        error = {"type": type(exc).__name__, "message": str(exc), "repr": repr(exc),
                 "attrs": repr(getattr(exc, '__dict__', {})),
                 "traceback": "".join(traceback.format_exception(exc))}
    finally:
        root.removeHandler(handler); root.setLevel(saved[0]); mlog.setLevel(saved[1])
    shown = [json.dumps(e.to_dict(), default=repr) for e in events] + [repr(e) for e in events]
    return {"log": buf.getvalue(), "out": out.getvalue(), "events": shown, "error": error}
"""

ENV_TEXT = """
import os, sysconfig
def _env_text():
    '''Every file micropip wrote into the environment, as text (dist-info records, sources...).'''
    chunks = []
    for root in {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}:
        for dirpath, _, filenames in os.walk(root):
            for fn in filenames:
                with open(os.path.join(dirpath, fn), "rb") as fh:
                    chunks.append(fh.read().decode("utf-8", "replace"))
    return "\\n".join(chunks)
"""


@pytest.fixture
def fresh(node_runner: NodeRunner, bundle_dir: Path) -> Iterator:
    """Starts fresh interpreters (micropip imported, helpers defined), dropped after the test."""
    started: list[Interpreter] = []

    def start() -> Interpreter:
        interp = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
        started.append(interp)
        interp.run("import micropip")
        interp.run(SNAPSHOT)
        interp.run(CAPTURE)
        interp.run(ENV_TEXT)
        return interp

    yield start
    for interp in started:
        interp.drop()


@pytest.fixture(params=["pypiserver", "devpi"])
def server(request) -> PypiServer | DevpiServer:
    """Each open third-party index in turn (pypiserver: HTML, devpi: PEP 691 JSON); its record cleared."""
    srv = request.getfixturevalue("pypiserver_open" if request.param == "pypiserver" else "devpi")
    srv.proxy.reset()
    return srv


def versions(py: Interpreter, names) -> dict:
    return {n: py.run(installed_version(n)) for n in names}


def wheel_names(server) -> list[str]:
    return sorted(r.path.rsplit("/", 1)[-1] for r in server.proxy.wheel_requests())


def secret_free(password: str, **texts: str) -> list[str]:
    """The names of the texts that contain the password (raw or percent-encoded)."""
    import urllib.parse

    forms = {password, urllib.parse.quote(password, safe="")}
    return [name for name, text in texts.items() if any(f in text for f in forms)]


# ---- what works with any index (pypiserver HTML, devpi PEP 691) ------------------------------------


def test_install_with_dependencies(fresh, server):
    py = fresh()
    py.run(f"await micropip.install('greeting', index_urls=[{server.simple_url!r}])")
    assert versions(py, GREETING_SET) == GREETING_SET
    assert py.run("import greeting; greeting.hello('index')") == "Hello, index!"
    # every wheel came from this index, and once (the metadata read and the install share one download)
    assert wheel_names(server) == sorted(GREETING_WHEELS)


def test_backtracking(fresh, server):
    py = fresh()
    py.run(f"await micropip.install(['bt-top', 'bt-leaf==1.0'], index_urls=[{server.simple_url!r}])")
    assert versions(py, BACKTRACK) == BACKTRACK
    assert py.run("import bt_top, bt_mid, bt_leaf; [m.__version__ for m in (bt_top, bt_mid, bt_leaf)]") == ["1.0", "1.5", "1.0"]


def test_dry_run_changes_nothing(fresh, server):
    py = fresh()
    before = py.run("_snapshot()")
    plan = py.run(
        f"p = await micropip.install(['bt-top', 'bt-leaf==1.0'], index_urls=[{server.simple_url!r}], dry_run=True)\n"
        "sorted([x.name, x.version] for x in p.install)"
    )
    assert plan == sorted([k, v] for k, v in BACKTRACK.items())
    assert py.run("_snapshot()") == before


def test_freeze_then_install_lockfile_in_a_fresh_interpreter(fresh, server, tmp_path):
    a = fresh()
    a.run(f"await micropip.install(['greeting', 'bt-top', 'bt-leaf==1.0'], index_urls=[{server.simple_url!r}])")
    frozen = a.run("micropip.freeze()")
    want = {**GREETING_SET, **BACKTRACK}
    data = json.loads(frozen)
    for name in want:
        entry = data["packages"][name]
        assert entry["file_name"].startswith(server.url), entry  # the lock points at the index it came from
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
    (tmp_path / "frozen.json").write_text(frozen)

    server.proxy.reset()
    with start_static_server({"/locks/": tmp_path}) as locks:
        b = fresh()
        b.run(f"await micropip.install_lockfile({locks.url + 'locks/frozen.json'!r})")
    assert versions(b, want) == want
    pages = [r.path for r in server.proxy.snapshot() if "/simple/" in r.path or "/+simple/" in r.path]
    assert pages == [], "a lockfile install must not resolve (no index page requests)"
    assert len(wheel_names(server)) == len(want)


# ---- devpi: a file changed on the server ----------------------------------------------------------


def test_tampered_file_on_devpi_is_refused_and_nothing_changes(fresh, devpi):
    py = fresh()
    before = py.run("_snapshot()")
    with devpi.tamper("greeting-1.1-py3-none-any.whl"):
        with pytest.raises(PyodideError) as info:
            py.run(f"await micropip.install('greeting', index_urls=[{devpi.simple_url!r}])")
    assert info.value.type == "HashMismatchError", info.value
    assert "greeting-1.1-py3-none-any.whl" in info.value.message
    assert py.run("_snapshot()") == before
    assert versions(py, GREETING_SET) == dict.fromkeys(GREETING_SET)


# ---- the persistent wheel cache without PEP 658 -----------------------------------------------------


def test_warm_reinstall_in_a_new_interpreter_makes_no_wheel_request(fresh, server, tmp_path):
    folder = tmp_path / "wheel-cache"
    a = fresh()
    a.run(f"micropip.set_cache(True, path={str(folder)!r})")
    a.run(f"await micropip.install(['greeting', 'bt-top', 'bt-leaf==1.0'], index_urls=[{server.simple_url!r}])")
    assert wheel_names(server), "the cold install downloaded nothing?"
    a.drop()

    server.proxy.reset()
    b = fresh()
    b.run(f"micropip.set_cache(True, path={str(folder)!r})")
    b.run(f"await micropip.install(['greeting', 'bt-top', 'bt-leaf==1.0'], index_urls=[{server.simple_url!r}])")
    assert versions(b, {**GREETING_SET, **BACKTRACK}) == {**GREETING_SET, **BACKTRACK}
    fetched = wheel_names(server)
    assert fetched == [], f"a warm re-install must take every wheel from the cache; it fetched {fetched}"


# ---- require_hashes ---------------------------------------------------------------------------------


def test_require_hashes_refuses_unhashed_files_before_any_download(fresh, pypiserver_nohash):
    srv = pypiserver_nohash
    srv.proxy.reset()
    py = fresh()
    before = py.run("_snapshot()")
    with pytest.raises(PyodideError) as info:
        py.run(f"await micropip.install('greeting', index_urls=[{srv.simple_url!r}], require_hashes=True)")
    assert info.value.type == "HashRequiredError", info.value
    assert "greeting" in info.value.message and "sha256" in info.value.message
    fetched = wheel_names(srv)
    assert fetched == [], f"not one byte of an unverifiable file may be fetched; fetched {fetched}"
    assert py.run("_snapshot()") == before


# ---- authentication (pypiserver with an htpasswd user) ----------------------------------------------


def test_pypiserver_accepts_the_header_written_by_hand(fresh, pypiserver_auth):
    """The set-up itself: pypiserver wants alice, and takes her Basic header through the proxy."""
    srv = pypiserver_auth
    page = srv.simple_url + "greeting/"
    py = fresh()
    statuses = py.run(
        f"""
from pyodide.http import pyfetch
ok = await pyfetch({page!r}, headers={{'Authorization': {basic_auth(srv.user, srv.password)!r}}})
wrong = await pyfetch({page!r}, headers={{'Authorization': {basic_auth(srv.user, 'nope')!r}}})
none = await pyfetch({page!r})
[ok.status, wrong.status, none.status]
"""
    )
    assert statuses[0] == 200 and statuses[1] in (401, 403) and statuses[2] == 401


def test_userinfo_credentials_authenticate_every_request(fresh, pypiserver_auth):
    srv = pypiserver_auth
    srv.proxy.reset()
    py = fresh()
    py.run(f"await micropip.install('greeting', index_urls=[{srv.simple_url_with_credentials()!r}])")
    assert versions(py, GREETING_SET) == GREETING_SET
    seen = srv.proxy.snapshot()
    assert seen and all(r.status == 200 for r in seen), seen
    assert {r.authorization for r in seen} == {basic_auth(srv.user, srv.password)}
    assert wheel_names(srv) == sorted(GREETING_WHEELS)


def test_the_password_appears_in_no_output(fresh, pypiserver_auth, tmp_path):
    srv = pypiserver_auth
    url = srv.simple_url_with_credentials()
    folder = tmp_path / "wheel-cache"
    py = fresh()
    py.run(f"micropip.set_cache(True, path={str(folder)!r})")
    plan = py.run(
        f"_plan = await micropip.install('greeting', index_urls=[{url!r}], dry_run=True)\n"
        "repr(_plan) + repr([vars(p) if hasattr(p, '__dict__') else repr(p) for p in _plan.install])"
    )
    seen = py.run(
        f"await _capture(lambda progress: micropip.install('greeting', index_urls=[{url!r}], verbose=True, progress=progress))"
    )
    assert seen["error"] is None, seen["error"]
    assert versions(py, GREETING_SET) == GREETING_SET
    texts = {
        "dry-run plan": plan,
        "log": seen["log"],
        "stdout/stderr": seen["out"],
        "progress events": "\n".join(seen["events"]),
        "freeze()": py.run("micropip.freeze()"),
        "list()": py.run("repr(micropip.list())"),
        "installed files": py.run("_env_text()"),
        "wheel cache folder": "\n".join(
            p.name + "\n" + p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()
        ),
    }
    assert secret_free(srv.password, **texts) == []
    assert texts["wheel cache folder"], "the install should have filled the wheel cache"


def test_credentials_are_sent_only_to_their_index(fresh, pypiserver_auth, devpi):
    """Two indexes merged: alice's password goes to pypiserver's origin and never to devpi."""
    for srv in (pypiserver_auth, devpi):
        srv.proxy.reset()
    py = fresh()
    py.run(
        f"await micropip.install('greeting', index_urls=[{pypiserver_auth.simple_url_with_credentials()!r}, "
        f"{devpi.simple_url!r}], merge_indexes=True)"
    )
    assert versions(py, GREETING_SET) == GREETING_SET
    asked_devpi = devpi.proxy.snapshot()
    assert asked_devpi, "merged indexes: devpi should have been asked for its pages"
    assert [r for r in asked_devpi if r.authorization] == []
    assert {r.authorization for r in pypiserver_auth.proxy.snapshot()} == {basic_auth(pypiserver_auth.user, pypiserver_auth.password)}


def test_wrong_password_is_a_clear_error_without_the_secret(fresh, pypiserver_auth):
    srv = pypiserver_auth
    srv.proxy.reset()
    wrong = "wrong-" + srv.password[::-1]
    url = srv.simple_url_with_credentials(wrong)
    py = fresh()
    before = py.run("_snapshot()")
    seen = py.run(f"await _capture(lambda progress: micropip.install('greeting', index_urls=[{url!r}], progress=progress))")
    error = seen["error"]
    assert error is not None, "a refused password must fail the install"
    message = error["message"]
    assert srv.simple_url in message or f"127.0.0.1:{srv.proxy.port}" in message, message  # names the index
    assert re.search(r"\b40[13]\b", message), message
    assert re.search(r"authenticat|credential|password|token", message, re.I), message  # says how to fix it
    leaks = secret_free(wrong, message=message, repr=error["repr"], attributes=error["attrs"],
                        traceback=error["traceback"], log=seen["log"], out=seen["out"], events="\n".join(seen["events"]))
    assert leaks == [], f"the password leaked into: {leaks}"
    # a permanent error is not retried
    assert [r.path for r in srv.proxy.snapshot() if r.method == "GET"] == ["/simple/greeting/"]
    assert py.run("_snapshot()") == before


def test_no_credentials_is_a_clear_error_saying_how_to_authenticate(fresh, pypiserver_auth):
    srv = pypiserver_auth
    srv.proxy.reset()
    py = fresh()
    with pytest.raises(PyodideError) as info:
        py.run(f"await micropip.install('greeting', index_urls=[{srv.simple_url!r}])")
    message = info.value.message
    assert srv.simple_url in message, message
    assert "401" in message, message
    assert re.search(r"authenticat|credential", message, re.I), message
    assert len(srv.proxy.snapshot()) == 1, "401 is permanent: no retry"


# ---- wrong URLs and malformed pages ------------------------------------------------------------------


def test_devpi_index_page_instead_of_simple_url_explains_the_right_url(fresh, devpi):
    devpi.proxy.reset()
    py = fresh()
    with pytest.raises(PyodideError) as info:
        py.run(f"await micropip.install('greeting', index_urls=[{devpi.index_page_url!r}])")
    message = info.value.message
    assert devpi.index_page_url in message, message
    assert devpi.simple_url in message or "+simple/" in message, message  # the URL to use instead


@pytest.mark.parametrize("api", ["json-api", "pep691"])
def test_json_page_without_filename_is_a_clear_error(fresh, fixture_index, api):
    from .harness.fault_server import FaultServer, json_reply

    wheel = "greeting-1.1-py3-none-any.whl"
    file_url = f"{fixture_index.url}files/{wheel}"
    if api == "json-api":
        page = {"info": {"name": "greeting", "version": "1.1"},
                "urls": [{"url": file_url, "packagetype": "bdist_wheel", "digests": {"sha256": "0" * 64}}]}
        path, content_type, index = "/pypi/greeting/json", "application/json", "pypi"
    else:
        page = {"meta": {"api-version": "1.0"}, "name": "greeting",
                "files": [{"url": file_url, "hashes": {"sha256": "0" * 64}}]}
        path, content_type, index = "/simple/greeting/", "application/vnd.pypi.simple.v1+json", "simple/"
    with FaultServer() as fault:
        fault.route(path, json_reply(json.dumps(page), content_type=content_type))
        py = fresh()
        with pytest.raises(PyodideError) as info:
            py.run(f"await micropip.install('greeting', index_urls=[{fault.url + index!r}])")
    assert info.value.type == "IndexFormatError", info.value
    assert "filename" in info.value.message and fault.url in info.value.message, info.value.message


# ---- retries: only for transient answers ---------------------------------------------------------


def test_a_missing_wheel_on_pypiserver_is_asked_for_once(fresh, pypiserver_open):
    srv = pypiserver_open
    srv.proxy.reset()
    url = srv.url + "packages/nothere-1.0-py3-none-any.whl"
    py = fresh()
    with pytest.raises(PyodideError) as info:
        py.run(f"await micropip.install({url!r})")
    assert "404" in info.value.message and url in info.value.message, info.value.message
    assert [r.path for r in srv.proxy.snapshot()] == ["/packages/nothere-1.0-py3-none-any.whl"]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_permanent_errors_are_not_retried(fresh, fixture_index, status):
    from .harness.fault_server import FaultServer, Reply

    wheel = "/files/greeting-1.1-py3-none-any.whl"
    with FaultServer(upstream=fixture_index.url) as fault:
        fault.route(wheel, Reply(status))
        py = fresh()
        with pytest.raises(PyodideError) as info:
            py.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
        assert str(status) in info.value.message, info.value.message
        assert fault.count(wheel) == 1, f"HTTP {status} is permanent: asked {fault.count(wheel)} times"


@pytest.mark.parametrize("status", [408, 429])
def test_408_and_429_are_retried(fresh, fixture_index, status):
    from .harness.fault_server import FaultServer, Reply, upstream

    wheel = "/files/greeting-1.1-py3-none-any.whl"
    with FaultServer(upstream=fixture_index.url) as fault:
        fault.route(wheel, Reply(status), upstream())
        py = fresh()
        py.run(f"await micropip.install('greeting', index_urls=[{fault.simple_url!r}])")
        assert fault.count(wheel) == 2
    assert versions(py, GREETING_SET) == GREETING_SET


# ---- micropip.set_index_credentials: per-index credentials without user-info ---------------------------


def test_set_index_credentials_with_user_and_password(fresh, pypiserver_auth):
    """pip's user/password, given once for the index; the URL stays clean, and forgetting them fails with 401."""
    srv = pypiserver_auth
    srv.proxy.reset()
    py = fresh()
    py.run(f"micropip.set_index_credentials({srv.simple_url!r}, username={srv.user!r}, password={srv.password!r})")
    py.run(f"await micropip.install('greeting', index_urls=[{srv.simple_url!r}])")
    assert versions(py, GREETING_SET) == GREETING_SET
    seen = srv.proxy.snapshot()
    assert seen and all(r.status == 200 for r in seen), seen
    assert {r.authorization for r in seen} == {basic_auth(srv.user, srv.password)}  # pages and files alike
    assert secret_free(srv.password, freeze=py.run("micropip.freeze()"), env=py.run("_env_text()")) == []

    # credentials given with nothing in them are forgotten: the next install is refused, clearly
    py.run(f"micropip.set_index_credentials({srv.simple_url!r})")
    srv.proxy.reset()
    with pytest.raises(PyodideError) as info:
        py.run(f"await micropip.install('bt-leaf', index_urls=[{srv.simple_url!r}])")
    assert info.value.type == "AuthenticationError", info.value
    assert "401" in info.value.message and srv.simple_url in info.value.message
    assert "set_index_credentials" in info.value.message
    assert [r.authorization for r in srv.proxy.snapshot()] == [None]


def test_set_index_credentials_with_a_token_sends_bearer_only_to_that_origin(fresh, pypiserver_open, devpi):
    """A token goes as ``Authorization: Bearer``, to the index's origin only (not to devpi, merged in)."""
    for srv in (pypiserver_open, devpi):
        srv.proxy.reset()
    token = "tok-" + "x7" * 10
    py = fresh()
    py.run(f"micropip.set_index_credentials({pypiserver_open.url!r}, token={token!r})")
    py.run(
        f"await micropip.install('greeting', index_urls=[{pypiserver_open.simple_url!r}, {devpi.simple_url!r}], "
        "merge_indexes=True)"
    )
    assert versions(py, GREETING_SET) == GREETING_SET
    to_pypiserver = pypiserver_open.proxy.snapshot()
    assert to_pypiserver and {r.authorization for r in to_pypiserver} == {f"Bearer {token}"}
    asked_devpi = devpi.proxy.snapshot()
    assert asked_devpi and [r for r in asked_devpi if r.authorization] == []
    assert secret_free(token, freeze=py.run("micropip.freeze()"), env=py.run("_env_text()")) == []


def test_set_index_credentials_refuses_ambiguous_or_non_http_input(fresh):
    py = fresh()
    errors = py.run(
        """
out = []
for kwargs in ({'url': 'https://example.org/simple/', 'token': 't', 'password': 'p'},
               {'url': 'emfs:/wheels/', 'token': 't'}, {'url': '', 'token': 't'}):
    try:
        micropip.set_index_credentials(**kwargs)
        out.append(None)
    except ValueError as exc:
        out.append(str(exc))
out
"""
    )
    assert errors[0] and "token" in errors[0] and "not both" in errors[0]
    assert errors[1] and "http" in errors[1]
    assert errors[2] and "URL" in errors[2]


def test_authorization_does_not_follow_a_redirect_to_another_origin(fresh, fixture_index):
    """Node's fetch (the Fetch standard) drops Authorization on a cross-origin redirect; micropip adds none there."""
    from .harness.fault_server import FaultServer, Reply

    with FaultServer(upstream=fixture_index.url) as other, FaultServer() as private:
        private.route("/simple/greeting/", Reply(redirect=other.simple_url + "greeting/"))
        py = fresh()
        py.run(f"micropip.set_index_credentials({private.simple_url!r}, username='alice', password='s3cret-pw')")
        py.run(f"await micropip.install('greeting', index_urls=[{private.simple_url!r}], deps=False)")
        assert py.run(installed_version("greeting")) == "1.1"
        assert [h.headers.get("authorization") for h in private.log] == [basic_auth("alice", "s3cret-pw")]
        assert other.log, "the redirect target should have been asked"
        assert [h.path for h in other.log if "authorization" in h.headers] == []


def test_require_hashes_refuses_a_wheel_url_without_hash_before_fetching_it(fresh, pypiserver_nohash):
    srv = pypiserver_nohash
    srv.proxy.reset()
    py = fresh()
    with pytest.raises(PyodideError) as info:
        py.run(
            f"await micropip.install({srv.url + 'packages/colorama_lite-0.2-py3-none-any.whl'!r}, require_hashes=True)"
        )
    assert info.value.type == "HashRequiredError", info.value
    assert "colorama_lite-0.2-py3-none-any.whl" in info.value.message
    assert wheel_names(srv) == []
