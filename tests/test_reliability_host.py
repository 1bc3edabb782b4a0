"""Reliability and security on host CPython: transport faults, retries, https policy,
credential scoping, ``require_hashes`` and file clashes (the same code runs in Pyodide,
see test_reliability_pyodide.py)."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from micropip.index import http
from micropip import transport
from micropip.resolution.environment import TargetEnvironment
from micropip.errors import HashRequiredError, InsecureIndexError, InstallError, MetadataError, TransportError
from micropip.resolution.hash_policy import require_hashes, unverifiable
from micropip.index.client import IndexClient, check_index_url, insecure_reason, is_loopback_host
from micropip.index.formats import parse_project_page
from micropip.installation.installed import Scheme, find_distribution
from micropip.installation.installer import InstallItem, install_transaction, install_wheels
from micropip.index.metadata import parse_core_metadata
from micropip.plan import Plan, PlannedPackage
from micropip.index.project import ProjectFile
from micropip.resolution.selection import classify_files
from micropip.transport import Response
from micropip.installation.wheelbuilder import write_wheel
from micropip.installation.wheelfile import WheelFile

from .harness.fault_server import FaultServer, Reply

ENV = TargetEnvironment.for_pyodide("314.0.7")


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(http, "RETRY_DELAYS", (0.01, 0.02))


@pytest.fixture
def server():
    with FaultServer() as s:
        yield s


# ---- transport and retries -------------------------------------------------------------------


async def test_timeout_is_read_at_call_time(server, monkeypatch):
    server.route("/slow", Reply(body=b"late", delay=3))
    monkeypatch.setattr(transport, "DEFAULT_TIMEOUT", 0.3)
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"timed out after 0.3 s waiting for http://127\.0\.0\.1:\d+/slow"):
        await transport.fetch(server.url + "slow")
    assert time.monotonic() - started < 2


async def test_truncated_body_is_a_transport_error(server):
    server.route("/short", Reply(body=b"x" * 1000, truncate_to=10))
    with pytest.raises(TransportError, match="truncated download: the connection to .*/short closed after 10 of the announced 1000 bytes"):
        await transport.fetch(server.url + "short")


async def test_transient_statuses_are_retried_a_bounded_number_of_times(server, fast_retries):
    server.route("/flaky", Reply(503), Reply(429, headers={"Retry-After": "0"}), Reply(body=b"ok"))
    response = await http.get(server.url + "flaky")
    assert (response.status, response.body, response.attempts) == (200, b"ok", 3)
    server.route("/down", Reply(503))
    response = await http.get(server.url + "down")
    assert (response.status, response.attempts) == (503, 3)
    assert server.count("/down") == 3
    with pytest.raises(TransportError, match=r"downloading demo\.whl failed: HTTP 503 from .*/down after 3 attempts"):
        await http.download(server.url + "down", what="demo.whl")


async def test_retry_after_is_honoured_but_capped(server, fast_retries, monkeypatch):
    monkeypatch.setattr(http, "MAX_RETRY_AFTER", 0.5)
    server.route("/busy", Reply(429, headers={"Retry-After": "100"}), Reply(body=b"ok"))
    started = time.monotonic()
    assert (await http.get(server.url + "busy")).ok
    assert 0.4 < time.monotonic() - started < 3


async def test_network_errors_are_retried_then_reported(fast_retries):
    with FaultServer() as gone:
        url = gone.url + "x"
    with pytest.raises(TransportError, match=r"could not fetch .* \(gave up after 3 attempts\)"):
        await http.get(url)


async def test_client_errors_are_not_retried(server, fast_retries):
    server.route("/missing", Reply(404))
    assert (await http.get(server.url + "missing")).status == 404
    assert server.count("/missing") == 1


# ---- credentials never leave their origin ----------------------------------------------------


async def test_credential_headers_are_dropped_on_a_cross_origin_redirect(server):
    with FaultServer() as other:
        other.route("/target", Reply(body=b"there"))
        server.route("/same", Reply(302, redirect="/here"))
        server.route("/here", Reply(body=b"here"))
        server.route("/away", Reply(302, redirect=other.url + "target"))
        secret = {"Authorization": "Bearer s3cret", "Cookie": "session=1"}
        assert (await transport.fetch(server.url + "same", headers=secret)).body == b"here"
        assert server.requests_to("/here")[0].headers["authorization"] == "Bearer s3cret"  # same origin: kept
        response = await transport.fetch(server.url + "away", headers=secret)
        assert response.body == b"there" and response.url == other.url + "target"
        assert server.requests_to("/away")[0].headers["authorization"] == "Bearer s3cret"
        sent = other.requests_to("/target")[0].headers
        assert "authorization" not in sent and "cookie" not in sent


async def test_micropip_itself_sends_no_credentials(server, fast_retries):
    server.route("/simple/demo/", Reply(404))
    client = IndexClient((server.simple_url,), credentials="include")
    assert await client.project("demo") is None
    assert not {"authorization", "cookie"} & set(server.requests_to("/simple/demo/")[0].headers)


# ---- https only, except loopback -------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST.", "app.localhost"])
def test_loopback_hosts(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["example.com", "10.0.0.1", "192.168.1.1", "::2", "localhost.example.com", "0.0.0.0", ""])
def test_non_loopback_hosts(host):
    assert not is_loopback_host(host)


@pytest.mark.parametrize(
    "url",
    ["https://pypi.org/simple", "http://127.0.0.1:8000/simple/", "http://[::1]:8000/simple", "http://localhost/simple",
     "emfs:/tmp/index/", "file:///srv/index", "/relative/simple", "http://127.0.0.1/pypi/{package_name}/json"],
)
def test_allowed_index_urls(url):
    assert insecure_reason(url) is None
    IndexClient((url,))


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://example.com/simple", "plain http to the remote host 'example.com'"),
        ("http://10.1.2.3:8080/simple", "plain http to the remote host '10.1.2.3'"),
        ("ftp://example.com/simple", "its scheme 'ftp' is not https"),
        ("http://[::1/simple", "not a valid URL"),
    ],
)
def test_insecure_index_is_refused_before_any_request(url, reason, monkeypatch):
    async def no_network(*args, **kwargs):
        raise AssertionError("a request was made")

    monkeypatch.setattr(transport, "fetch", no_network)
    with pytest.raises(InsecureIndexError, match="refusing index") as info:
        IndexClient(("https://pypi.org/simple", url))
    assert reason in str(info.value) and url in str(info.value)
    with pytest.raises(InsecureIndexError):
        check_index_url(url)


async def test_redirect_to_an_insecure_remote_is_refused(monkeypatch):
    async def redirected(url, **kwargs):
        return Response("http://mirror.example/simple/demo/", 200, {"content-type": "text/html"}, b"<a href='demo-1.0-py3-none-any.whl'>x</a>")

    monkeypatch.setattr(http, "get", redirected)
    with pytest.raises(InsecureIndexError, match=r"index page https://index\.example/simple/demo/ for 'demo' redirected to http://mirror\.example/simple/demo/"):
        await IndexClient(("https://index.example/simple",)).project("demo")


async def test_index_error_messages_name_project_url_and_attempts(server, fast_retries):
    server.route("/simple/demo/", Reply(503))
    with pytest.raises(TransportError, match=r"answered HTTP 503 for project 'demo' \(http://.*/simple/demo/\) after 3 attempts"):
        await IndexClient((server.simple_url,)).project("demo")


# ---- require_hashes --------------------------------------------------------------------------


def planned(name: str, sha256: str | None) -> PlannedPackage:
    return PlannedPackage(name, "1.0", "index", f"https://h/{name}-1.0-py3-none-any.whl", f"{name}-1.0-py3-none-any.whl", sha256, True, ("requested",))


def test_require_hashes_names_every_unverifiable_file():
    plan = Plan(install=[planned("good", "a" * 64), planned("nohash", None), planned("badhash", "xyz")])
    assert [p.name for p in unverifiable(plan)] == ["nohash", "badhash"]
    with pytest.raises(HashRequiredError) as info:
        require_hashes(plan)
    message = str(info.value)
    assert "2 planned file(s)" in message and "good" not in message.split("\n", 1)[1]
    assert "nohash 1.0: nohash-1.0-py3-none-any.whl from https://h/nohash-1.0-py3-none-any.whl" in message
    require_hashes(Plan(install=[planned("good", "A" * 64)]))
    require_hashes(Plan())


def test_unknown_hash_algorithms_leave_a_file_unverifiable():
    body = b'{"meta": {"api-version": "1.1"}, "name": "demo", "files": [{"filename": "demo-1.0-py3-none-any.whl", "url": "demo-1.0-py3-none-any.whl", "hashes": {"md5": "00", "blake2b": "11"}}]}'
    (f,) = parse_project_page(body, "application/vnd.pypi.simple.v1+json", "https://h/simple/demo/", "demo").files
    assert f.sha256 is None


# ---- parser hardening found by fuzzing -------------------------------------------------------


def test_html_core_metadata_attribute_without_value_means_available():
    body = b'<a href="demo-1.0-py3-none-any.whl" data-core-metadata>demo-1.0-py3-none-any.whl</a>'
    (f,) = parse_project_page(body, "text/html", "https://h/simple/demo/", "demo").files
    assert f.core_metadata == {} and f.metadata_url == "https://h/simple/demo/demo-1.0-py3-none-any.whl.metadata"


def test_metadata_must_be_utf8():
    with pytest.raises(MetadataError, match="metadata in demo.metadata is not UTF-8"):
        parse_core_metadata(b"Name: d\xffmo\nVersion: 1.0\n", "demo.metadata")


def test_invalid_file_names_are_skipped_and_said_at_info_level(caplog):
    files = [
        ProjectFile("demo-1.0-py3-none-any.whl", "https://h/demo-1.0-py3-none-any.whl", index_url="https://h/simple/demo/"),
        ProjectFile("demo-1.x-py3-none-any.whl", "https://h/demo-1.x-py3-none-any.whl", index_url="https://h/simple/demo/"),
        ProjectFile("demo-1.1-py3-none-any.whl", "https://h/demo-1.1-py3-none-any.whl", requires_python=">=3.x"),
        ProjectFile("demo-1.2-cp27-cp27m-win32.whl", "https://h/demo-1.2-cp27-cp27m-win32.whl"),
    ]
    with caplog.at_level(logging.INFO, logger="micropip"):
        usable, rejected = classify_files(files, ENV)
    assert [str(v) for v in usable] == ["1.0"]
    assert len(rejected) == 3
    assert all(r.levelno == logging.INFO for r in caplog.records)  # shown with verbose=True only
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2  # an unsuitable platform is normal, not worth a line
    assert "skipping demo-1.x-py3-none-any.whl listed by https://h/simple/demo/: invalid wheel file name" in warnings[0]
    assert "invalid Requires-Python '>=3.x'" in warnings[1]


# ---- a wheel that would overwrite another distribution's files ---------------------------------


@pytest.fixture
def scheme(tmp_path):
    root = tmp_path / "env"
    s = Scheme(root / "site", root / "site", root / "bin", root, root / "include")
    for folder in (s.purelib, s.scripts, s.headers):
        folder.mkdir(parents=True, exist_ok=True)
    return s


def wheel(tmp_path, name, files):
    path = write_wheel(tmp_path / "wheels", name, "1.0", files)
    return WheelFile.from_bytes(path.name, path.read_bytes())


def tree(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_clashing_file_is_refused_unless_owners_may_be_replaced(tmp_path, scheme):
    install_wheels([InstallItem(wheel(tmp_path, "owner", {"shared/__init__.py": "OWNER = 1\n"}), requested=True)], scheme)
    before = tree(scheme.purelib)
    clash = wheel(tmp_path, "clash", {"shared/__init__.py": "CLASH = 1\n"})
    with pytest.raises(InstallError, match=r"cannot install clash 1.0: .*shared/__init__.py belongs to the installed distribution owner 1.0; uninstall owner first, or install with reinstall=True"):
        install_wheels([InstallItem(clash, requested=True)], scheme)
    assert tree(scheme.purelib) == before
    report = install_wheels([InstallItem(clash, requested=True)], scheme, replace_owners=True)
    assert [r.name for r in report.replaced] == ["owner"]
    assert find_distribution("owner", [str(scheme.purelib)]) is None
    assert (scheme.purelib / "shared" / "__init__.py").read_text() == "CLASH = 1\n"


def test_replacing_an_owner_is_undone_when_the_install_fails(tmp_path, scheme, monkeypatch):
    from micropip.installation import installer

    install_wheels([InstallItem(wheel(tmp_path, "owner", {"shared/__init__.py": "OWNER = 1\n"}), requested=True)], scheme)
    before = tree(scheme.purelib)

    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(installer, "_write_file", full_disk)
    with pytest.raises(InstallError, match="nothing was changed"):
        install_wheels([InstallItem(wheel(tmp_path, "clash", {"shared/__init__.py": "X\n"}), requested=True)], scheme, replace_owners=True)
    assert tree(scheme.purelib) == before


# ---- install_transaction: undoable until the caller's last step succeeded --------------------


def test_transaction_block_failure_restores_replaced_distributions(tmp_path, scheme):
    old = write_wheel(tmp_path / "old", "demo", "1.0", {"demo/__init__.py": "V = 1\n"})
    install_wheels([InstallItem(WheelFile.from_bytes(old.name, old.read_bytes()), requested=True)], scheme)
    before = tree(scheme.purelib)
    new = write_wheel(tmp_path / "new", "demo", "2.0", {"demo/__init__.py": "V = 2\n", "demo/_x.so": b"\0asm"})
    item = InstallItem(WheelFile.from_bytes(new.name, new.read_bytes()), requested=True)
    with pytest.raises(InstallError, match=r"installing demo 2.0 was undone: cannot load _x.so \(nothing was changed\)"):
        with install_transaction([item], scheme, replace=["demo"]) as report:
            assert [p.name for p in report.shared_libraries] == ["_x.so"]
            assert (scheme.purelib / "demo" / "__init__.py").read_text() == "V = 2\n"
            raise OSError("cannot load _x.so")
    assert tree(scheme.purelib) == before
    with install_transaction([item], scheme, replace=["demo"]):
        pass
    assert (scheme.purelib / "demo" / "__init__.py").read_text() == "V = 2\n"


async def test_transaction_cancelled_in_its_block_rolls_back(tmp_path, scheme):
    before = tree(scheme.purelib)
    item = InstallItem(wheel(tmp_path, "demo", {"demo/__init__.py": ""}), requested=True)

    async def install_then_load():
        with install_transaction([item], scheme):
            await asyncio.sleep(30)  # "loading shared libraries"

    task = asyncio.ensure_future(install_then_load())
    await asyncio.sleep(0.05)
    assert (scheme.purelib / "demo" / "__init__.py").exists()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert tree(scheme.purelib) == before
