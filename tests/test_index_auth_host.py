"""Index credentials on host CPython (issue 16): user-info and set_index_credentials become an
Authorization header for one origin, secrets are redacted wherever a URL is shown, and
permanent errors are not retried. The Pyodide side is tests/test_third_party_indexes_pyodide.py."""

from __future__ import annotations

import pytest

from micropip.errors import AuthenticationError, TransportError
from micropip.index import auth, http
from micropip.index.client import IndexClient

from .harness.fault_server import FaultServer, Reply


@pytest.fixture(autouse=True)
def no_credentials():
    auth.clear_credentials()
    yield
    auth.clear_credentials()


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(http, "RETRY_DELAYS", (0.01, 0.02))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://alice:s3cret@host/simple/", "https://alice:***@host/simple/"),
        ("https://tok3n@host:8443/simple/", "https://***@host:8443/simple/"),
        ("https://host/simple/", "https://host/simple/"),
        ("emfs:/wheels/x.whl", "emfs:/wheels/x.whl"),
    ],
)
def test_redact_url(url, shown):
    assert auth.redact_url(url) == shown


def test_redact_text_hides_every_url_userinfo_but_not_other_at_signs():
    text = "pkg @ https://u:pw@h/pkg-1.0-py3-none-any.whl, other @ https://tok@h2/x.whl, mail a@b"
    assert auth.redact_text(text) == "pkg @ https://u:***@h/pkg-1.0-py3-none-any.whl, other @ https://***@h2/x.whl, mail a@b"


def test_userinfo_is_taken_and_scoped_to_its_origin():
    clean = auth.take_credentials("https://alice:p%40ss@host/simple/")
    assert clean == "https://host/simple/"
    basic = auth.basic_header("alice", "p@ss")
    assert auth.header_for("https://host/simple/greeting/") == basic
    assert auth.header_for("https://host:443/packages/greeting.whl") == basic  # same origin (default port)
    assert auth.header_for("http://host/simple/") is None  # another scheme is another origin
    assert auth.header_for("https://host:444/simple/") is None
    assert auth.header_for("https://cdn.example/packages/greeting.whl") is None


def test_longest_prefix_wins_on_one_origin():
    auth.set_credentials("https://gitlab.example/api/v4/projects/1/", token="one")
    auth.set_credentials("https://gitlab.example/api/v4/projects/2/", username="u", password="two")
    assert auth.header_for("https://gitlab.example/api/v4/projects/1/packages/pypi/simple/x/") == "Bearer one"
    assert auth.header_for("https://gitlab.example/api/v4/projects/2/files/x.whl") == auth.basic_header("u", "two")
    auth.set_credentials("https://gitlab.example/api/v4/projects/2/")  # forget
    assert auth.header_for("https://gitlab.example/api/v4/projects/2/files/x.whl") == "Bearer one"


async def test_get_sends_userinfo_as_a_header_and_requests_a_clean_url():
    with FaultServer() as server:
        server.route("/simple/demo/", Reply(body=b"ok"))
        url = server.simple_url.replace("://", "://alice:s3cret@", 1) + "demo/"
        response = await http.get(url)
        assert response.ok and "s3cret" not in response.url
        assert server.requests_to("/simple/demo/")[0].headers["authorization"] == auth.basic_header("alice", "s3cret")


async def test_401_names_the_index_and_how_to_authenticate_without_the_secret(fast_retries):
    with FaultServer() as server:
        server.route("/simple/demo/", Reply(401))
        client = IndexClient((server.simple_url.replace("://", "://alice:s3cret@", 1),))
        assert client.index_urls == (server.simple_url,)
        with pytest.raises(AuthenticationError) as info:
            await client.project("demo")
        message = str(info.value)
        assert server.simple_url in message and "401" in message and "set_index_credentials" in message
        assert "not accepted" in message and "s3cret" not in message + repr(info.value.__dict__)
        assert server.count("/simple/demo/") == 1


async def test_403_download_is_not_retried_and_says_forbidden(fast_retries):
    with FaultServer() as server:
        server.route("/files/x.whl", Reply(403))
        with pytest.raises(AuthenticationError, match=r"forbidden.*HTTP 403"):
            await http.download(server.url + "files/x.whl", what="x.whl")
        assert server.count("/files/x.whl") == 1


@pytest.mark.parametrize("status", [408, 429, 500])
async def test_transient_statuses_are_retried(fast_retries, status):
    with FaultServer() as server:
        server.route("/x", Reply(status), Reply(body=b"ok"))
        assert (await http.get(server.url + "x")).ok
        assert server.count("/x") == 2


async def test_an_invalid_url_is_not_retried(fast_retries, monkeypatch):
    calls = []
    real = http.transport.fetch

    async def counting(url, **kw):
        calls.append(url)
        return await real(url, **kw)

    monkeypatch.setattr(http.transport, "fetch", counting)
    with pytest.raises(TransportError, match="not a valid URL") as info:
        await http.get("gopher://example.org/x")
    assert info.value.permanent and len(calls) == 1
