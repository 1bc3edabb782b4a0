"""The index server and static build on host CPython: formats, negotiation, safety, parity.

Every request goes to 127.0.0.1 with the standard library's urllib/http.client.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from index_server.catalog import Catalog
from index_server.negotiation import negotiate
from index_server.server import start_server, start_static_server
from index_server.static_build import build_static
from micropip.installation.wheelbuilder import make_metadata, write_wheel

REPO_ROOT = Path(__file__).resolve().parent.parent
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
PIP_ACCEPT = f"{SIMPLE_JSON}, {SIMPLE_HTML};q=0.1, text/html;q=0.01"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


# ---- helpers ----------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # surface 301s to the test instead of following them
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Answer:
    def __init__(self, status: int, headers, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def json(self):
        return json.loads(self.body)


def fetch(url: str, *, accept: str | None = None, method: str = "GET", headers: dict | None = None) -> Answer:
    request = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    if accept is not None:
        request.add_header("Accept", accept)
    try:
        with _opener.open(request, timeout=10) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as err:
        with err:
            return Answer(err.code, err.headers, err.read())


def raw_get(server, path: str) -> Answer:
    """Send ``path`` byte for byte (urllib would be free to tidy it up)."""
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self.meta: dict[str, str | None] = {}
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open = dict(attrs)
            self.anchors.append((self._open, ""))
        elif tag == "meta":
            d = dict(attrs)
            self.meta[d.get("name") or ""] = d.get("content")

    def handle_data(self, data):
        if self._open is not None:
            attrs, text = self.anchors[-1]
            self.anchors[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "a":
            self._open = None


def anchors(body: bytes) -> dict[str, dict[str, str | None]]:
    """{link text: attributes} of a PEP 503 page."""
    parser = _Anchors()
    parser.feed(body.decode())
    return {text: attrs for attrs, text in parser.anchors}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def metadata_in_wheel(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return zf.read(name)


def make_index(folder: Path) -> Path:
    """Two projects, a pre-release, a yanked final release, Requires-Python and a broken file."""
    folder.mkdir(parents=True, exist_ok=True)
    write_wheel(
        folder,
        "Foo_Bar",
        "1.0",
        {"foo_bar/__init__.py": "V = 1\n"},
        metadata=make_metadata("Foo_Bar", "1.0", requires_dist=["baz>=1"], requires_python=">=3.8", summary="Foo"),
    )
    write_wheel(folder, "foo-bar", "1.1", {"foo_bar/__init__.py": "V = 2\n"})
    write_wheel(folder, "foo-bar", "2.0rc1", {"foo_bar/__init__.py": "V = 3\n"})
    write_wheel(folder, "baz", "1.0", {"baz.py": "B = 1\n"}, metadata=make_metadata("baz", "1.0", summary="Baz"))
    (folder / "yanked.json").write_text(json.dumps({"foo_bar-1.1-py3-none-any.whl": 'broken "release" <b>'}))
    (folder / "README.txt").write_text("not a wheel, ignored\n")
    return folder


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    return make_index(tmp_path_factory.mktemp("index") / "wheels")


@pytest.fixture(scope="module")
def server(wheels: Path):
    with start_server(wheels) as srv:
        yield srv


# ---- the simple API ---------------------------------------------------------------------------


def test_project_list_in_both_formats(server):
    as_json = fetch(server.simple_url, accept=SIMPLE_JSON)
    assert as_json.status == 200 and as_json.content_type == SIMPLE_JSON
    assert as_json.json() == {"meta": {"api-version": "1.1"}, "projects": [{"name": "baz"}, {"name": "foo-bar"}]}
    assert as_json.headers["Vary"] == "Accept"

    as_html = fetch(server.simple_url)
    assert as_html.status == 200 and as_html.content_type.startswith("text/html")
    links = anchors(as_html.body)
    assert {name: attrs["href"] for name, attrs in links.items()} == {"baz": "baz/", "foo-bar": "foo-bar/"}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/html"),
        ("*/*", "text/html"),
        ("text/html", "text/html"),
        (SIMPLE_JSON, SIMPLE_JSON),
        (SIMPLE_HTML, SIMPLE_HTML),
        ("application/vnd.pypi.simple.latest+json", SIMPLE_JSON),
        ("application/vnd.pypi.simple.latest+html", SIMPLE_HTML),
        (PIP_ACCEPT, SIMPLE_JSON),
        (f"{SIMPLE_JSON};q=0.2, {SIMPLE_HTML};q=0.9", SIMPLE_HTML),
        (f"text/html;q=0.5, {SIMPLE_JSON};q=0.6", SIMPLE_JSON),
        (f"{SIMPLE_JSON};q=0, */*", "text/html"),
        ("text/html;q=0.5, */*;q=0.9", SIMPLE_HTML),  # the specific range's weight applies to text/html
        (f"{SIMPLE_HTML}, {SIMPLE_JSON}", SIMPLE_HTML),  # equal weights: the client's order decides
        (f"{SIMPLE_JSON}, {SIMPLE_HTML}", SIMPLE_JSON),
        ("application/*", SIMPLE_HTML),
        ("application/json", None),
        ("image/png, text/plain", None),
        (f"{SIMPLE_JSON};q=0", None),
    ],
)
def test_negotiation(accept, expected):
    choice = negotiate(accept)
    if expected is None:
        assert choice is None
    else:
        assert choice is not None and choice.content_type.split(";")[0] == expected


def test_negotiation_on_the_wire(server):
    page = server.simple_url + "foo-bar/"
    assert fetch(page, accept=PIP_ACCEPT).content_type == SIMPLE_JSON
    assert fetch(page, accept=f"{SIMPLE_JSON};q=0.1, {SIMPLE_HTML}").content_type == SIMPLE_HTML
    refused = fetch(page, accept="application/json")
    assert refused.status == 406 and SIMPLE_JSON.encode() in refused.body
    assert refused.headers["Vary"] == "Accept"
    # PEP 691's ?format= overrides the header
    assert fetch(page + "?format=" + SIMPLE_JSON, accept="text/html").content_type == SIMPLE_JSON


def test_project_page_json(server, wheels):
    answer = fetch(server.simple_url + "foo-bar/", accept=SIMPLE_JSON)
    page = answer.json()
    assert page["meta"] == {"api-version": "1.1"} and page["name"] == "foo-bar"
    assert page["versions"] == ["1.0", "1.1", "2.0rc1"]
    files = {f["filename"]: f for f in page["files"]}
    assert list(files) == sorted(files)
    first = files["foo_bar-1.0-py3-none-any.whl"]
    assert first["requires-python"] == ">=3.8"
    assert "requires-python" not in files["foo_bar-1.1-py3-none-any.whl"]
    assert first["yanked"] is False
    assert files["foo_bar-1.1-py3-none-any.whl"]["yanked"] == 'broken "release" <b>'
    for name, f in files.items():
        data = (wheels / name).read_bytes()
        assert f["size"] == len(data) and f["hashes"] == {"sha256": sha256(data)}
        assert ISO_UTC.match(f["upload-time"])
        assert f["core-metadata"] == {"sha256": sha256(metadata_in_wheel(wheels / name))}


def test_project_page_html(server, wheels):
    answer = fetch(server.simple_url + "foo-bar/", accept="text/html")
    assert answer.headers["Vary"] == "Accept"
    parser = _Anchors()
    parser.feed(answer.body.decode())
    assert parser.meta["pypi:repository-version"] == "1.1"
    links = anchors(answer.body)
    assert list(links) == sorted(links)
    first = links["foo_bar-1.0-py3-none-any.whl"]
    data = (wheels / "foo_bar-1.0-py3-none-any.whl").read_bytes()
    assert first["href"].endswith("#sha256=" + sha256(data))
    assert first["data-requires-python"] == ">=3.8"
    assert b'data-requires-python="&gt;=3.8"' in answer.body  # escaped on the wire
    meta_hash = "sha256=" + sha256(metadata_in_wheel(wheels / "foo_bar-1.0-py3-none-any.whl"))
    assert first["data-core-metadata"] == meta_hash and first["data-dist-info-metadata"] == meta_hash
    assert "data-yanked" not in first
    assert links["foo_bar-1.1-py3-none-any.whl"]["data-yanked"] == 'broken "release" <b>'
    assert b"&quot;release&quot; &lt;b&gt;" in answer.body


def test_non_canonical_names_redirect(server):
    for path, location in [
        ("simple/Foo_Bar/", "/simple/foo-bar/"),
        ("simple/FOO.bar/", "/simple/foo-bar/"),
        ("simple/foo-bar", "/simple/foo-bar/"),
        ("simple", "/simple/"),
        ("simple/Foo_Bar/?format=x", "/simple/foo-bar/?format=x"),
        ("pypi/Foo_Bar/json", "/pypi/foo-bar/json"),
        ("pypi/foo-bar/1.0.0/json", "/pypi/foo-bar/1.0/json"),
    ]:
        answer = fetch(server.url + path)
        assert (answer.status, answer.headers["Location"]) == (301, location), path
        assert answer.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "path",
    [
        "simple/nothing-here/",
        "simple/NOTHING_here/",
        "simple/foo-bar/extra/",
        "pypi/nothing-here/json",
        "pypi/foo-bar/9.9/json",
        "pypi/foo-bar/not%20a%20version/json",
        "files/nothing-1.0-py3-none-any.whl",
        "files/README.txt",
        "files/yanked.json",
        "files/notzip-1.0-py3-none-any.whl",
        "nowhere",
        "",
    ],
)
def test_unknown_paths_are_404(server, path):
    answer = fetch(server.url + path)
    assert answer.status == 404
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_files_and_metadata_files(server, wheels):
    name = "foo_bar-1.0-py3-none-any.whl"
    wheel = fetch(server.url + "files/" + name)
    assert wheel.status == 200 and wheel.body == (wheels / name).read_bytes()
    assert int(wheel.headers["Content-Length"]) == len(wheel.body)
    assert wheel.content_type in ("application/octet-stream", "application/zip")
    metadata = fetch(server.url + "files/" + name + ".metadata")
    assert metadata.status == 200 and metadata.body == metadata_in_wheel(wheels / name)
    assert int(metadata.headers["Content-Length"]) == len(metadata.body)
    page = fetch(server.simple_url + "foo-bar/", accept=SIMPLE_JSON).json()
    (entry,) = [f for f in page["files"] if f["filename"] == name]
    assert entry["core-metadata"]["sha256"] == sha256(metadata.body)


def test_relative_urls_resolve_to_the_files(server, wheels):
    def check(page_url: str, url: str) -> None:
        target = urljoin(page_url, url)
        assert target.startswith(server.url + "files/")
        answer = fetch(target.split("#")[0])
        assert answer.status == 200
        assert answer.body == (wheels / target.split("#")[0].rsplit("/", 1)[1]).read_bytes()

    page_url = server.simple_url + "foo-bar/"
    for f in fetch(page_url, accept=SIMPLE_JSON).json()["files"]:
        assert not f["url"].startswith("http")
        check(page_url, f["url"])
    for attrs in anchors(fetch(page_url, accept="text/html").body).values():
        check(page_url, attrs["href"])
    project_url = server.url + "pypi/foo-bar/json"
    project = fetch(project_url).json()
    for files in project["releases"].values():
        for f in files:
            check(project_url, f["url"])
    release_url = server.url + "pypi/foo-bar/1.0/json"
    for f in fetch(release_url).json()["urls"]:
        check(release_url, f["url"])


def test_absolute_urls(wheels):
    with start_server(wheels, absolute_urls=True) as srv:
        page = fetch(srv.simple_url + "baz/", accept=SIMPLE_JSON).json()
        (url,) = [f["url"] for f in page["files"]]
        assert url == srv.url + "files/baz-1.0-py3-none-any.whl"
        assert fetch(url).status == 200
        api = fetch(srv.url + "pypi/baz/1.0/json").json()
        assert api["urls"][0]["url"] == url


def test_without_metadata_files(wheels):
    with start_server(wheels, metadata_files=False) as srv:
        page = fetch(srv.simple_url + "foo-bar/", accept=SIMPLE_JSON).json()
        assert all("core-metadata" not in f and "dist-info-metadata" not in f for f in page["files"])
        html = fetch(srv.simple_url + "foo-bar/").body
        assert b"data-core-metadata" not in html and b"data-dist-info-metadata" not in html
        assert fetch(srv.url + "files/baz-1.0-py3-none-any.whl.metadata").status == 404
        assert fetch(srv.url + "files/baz-1.0-py3-none-any.whl").status == 200
        api = fetch(srv.url + "pypi/baz/json").json()
        assert "core_metadata" not in api["urls"][0]


# ---- the PyPI JSON API ------------------------------------------------------------------------


def test_json_api_project(server, wheels):
    answer = fetch(server.url + "pypi/foo-bar/json")
    assert answer.status == 200 and answer.content_type == "application/json"
    data = answer.json()
    info = data["info"]
    # 1.1 is yanked and 2.0rc1 a pre-release: the current version is 1.0
    assert info["version"] == "1.0" and info["name"] == "foo-bar"
    assert info["requires_python"] == ">=3.8" and info["requires_dist"] == ["baz>=1"] and info["summary"] == "Foo"
    assert info["yanked"] is False and info["yanked_reason"] is None
    assert list(data["releases"]) == ["1.0", "1.1", "2.0rc1"]
    assert [f["filename"] for f in data["urls"]] == ["foo_bar-1.0-py3-none-any.whl"]
    (yanked,) = data["releases"]["1.1"]
    assert yanked["yanked"] is True and yanked["yanked_reason"] == 'broken "release" <b>'
    f = data["urls"][0]
    body = (wheels / f["filename"]).read_bytes()
    assert f["digests"] == {"sha256": sha256(body)} and f["size"] == len(body)
    assert f["packagetype"] == "bdist_wheel" and f["requires_python"] == ">=3.8"
    assert ISO_UTC.match(f["upload_time_iso_8601"])
    assert f["core_metadata"] == {"sha256": sha256(metadata_in_wheel(wheels / f["filename"]))}
    assert f["yanked"] is False and f["yanked_reason"] is None


def test_json_api_release(server):
    data = fetch(server.url + "pypi/foo-bar/1.1/json").json()
    assert "releases" not in data
    assert data["info"]["version"] == "1.1" and data["info"]["requires_dist"] is None
    assert data["info"]["yanked"] is True and data["info"]["yanked_reason"] == 'broken "release" <b>'
    assert [f["filename"] for f in data["urls"]] == ["foo_bar-1.1-py3-none-any.whl"]
    assert fetch(server.url + "pypi/foo-bar/2.0rc1/json").json()["info"]["version"] == "2.0rc1"


def test_json_api_falls_back_to_prereleases_and_yanked(tmp_path):
    write_wheel(tmp_path, "pre", "1.0", {"pre.py": ""})
    write_wheel(tmp_path, "pre", "2.0b1", {"pre.py": ""})
    (tmp_path / "yanked.json").write_text(json.dumps({"pre-1.0-py3-none-any.whl": ""}))
    with start_server(tmp_path) as srv:
        assert fetch(srv.url + "pypi/pre/json").json()["info"]["version"] == "2.0b1"
        (tmp_path / "yanked.json").write_text(
            json.dumps({"pre-1.0-py3-none-any.whl": "", "pre-2.0b1-py3-none-any.whl": "no"})
        )
        assert fetch(srv.url + "pypi/pre/json").json()["info"]["version"] == "2.0b1"
        page = fetch(srv.simple_url + "pre/", accept=SIMPLE_JSON).json()
        assert [f["yanked"] for f in page["files"]] == [True, "no"]  # an empty reason is still a yank
        assert b'data-yanked=""' in fetch(srv.simple_url + "pre/").body


# ---- HTTP behaviour ---------------------------------------------------------------------------


def test_cors_headers_and_preflight(server):
    for url in (server.simple_url, server.url + "files/baz-1.0-py3-none-any.whl", server.url + "nowhere"):
        answer = fetch(url)
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
    preflight = fetch(
        server.simple_url + "foo-bar/",
        method="OPTIONS",
        headers={"Origin": "http://example.invalid", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "accept, authorization"},
    )
    assert preflight.status == 204 and preflight.body == b""
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in preflight.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "HEAD", "OPTIONS"} <= methods
    allowed = {h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"accept", "authorization", "range"} <= allowed


def test_head_matches_get(server):
    for url in (server.simple_url + "foo-bar/", server.url + "files/baz-1.0-py3-none-any.whl"):
        got, head = fetch(url), fetch(url, method="HEAD")
        assert head.status == 200 and head.body == b""
        assert head.headers["Content-Length"] == got.headers["Content-Length"] == str(len(got.body))
        assert head.headers["Content-Type"] == got.headers["Content-Type"]


TRAVERSALS = [
    "/files/../secret.txt",
    "/files/%2e%2e/secret.txt",
    "/files/%2E%2E%2Fsecret.txt",
    "/files/..%2fsecret.txt",
    "/simple/../../secret.txt",
    "/pypi/../../etc/passwd",
    "/pypi/%2e%2e/%2e%2e/etc/passwd",
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/..%5csecret.txt",
    "/static/%00",
    "//etc/passwd",
    "/static//etc/passwd",
    "/static/link-out",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_404(tmp_path, path):
    make_index(tmp_path / "wheels")
    static = tmp_path / "static"
    static.mkdir()
    (tmp_path / "secret.txt").write_text("SECRET")
    (static / "link-out").symlink_to(tmp_path / "secret.txt")
    with start_server(tmp_path / "wheels", extra_static={"/static/": static}) as srv:
        answer = raw_get(srv, path)
        assert answer.status == 404 and b"SECRET" not in answer.body and b"root:" not in answer.body
    with start_static_server({"/": static}) as srv:
        answer = raw_get(srv, path.replace("/static/", "/", 1))
        assert answer.status == 404 and b"SECRET" not in answer.body


def test_broken_wheels_are_skipped_and_reported(tmp_path, capsys):
    write_wheel(tmp_path, "good", "1.0", {"good.py": ""})
    (tmp_path / "notzip-1.0-py3-none-any.whl").write_bytes(b"this is not a zip")
    (tmp_path / "bad name.whl").write_bytes(b"PK")
    write_wheel(tmp_path, "nometa", "1.0", {"nometa.py": ""}, filename="nometa-1.0-py3-none-any.whl")
    with zipfile.ZipFile(tmp_path / "nometa-1.0-py3-none-any.whl", "w") as zf:
        zf.writestr("nometa.py", "")  # rewritten without a dist-info
    write_wheel(tmp_path, "garbled", "1.0", {}, metadata="no headers at all\n")
    reports: list[str] = []
    contents = Catalog(tmp_path, report=reports.append).contents()
    assert list(contents.projects) == ["good"]
    skipped = dict(contents.skipped)
    assert "not a zip" in skipped["notzip-1.0-py3-none-any.whl"]
    assert "bad name.whl" in skipped
    assert "METADATA" in skipped["nometa-1.0-py3-none-any.whl"]
    assert "METADATA" in skipped["garbled-1.0-py3-none-any.whl"]
    assert len(reports) == 4 and all(any(name in line for line in reports) for name in skipped)
    Catalog(tmp_path, report=reports.append)  # nothing read yet, nothing reported
    assert len(reports) == 4

    with start_server(tmp_path) as srv:
        listing = fetch(srv.simple_url, accept=SIMPLE_JSON).json()
        assert listing["projects"] == [{"name": "good"}]
        assert fetch(srv.simple_url + "notzip/").status == 404
        time.sleep(0.05)
    err = capsys.readouterr().err
    assert "notzip-1.0-py3-none-any.whl" in err and "bad name.whl" in err


def test_new_and_changed_files_show_up(tmp_path):
    write_wheel(tmp_path, "one", "1.0", {"one.py": ""})
    with start_server(tmp_path) as srv:
        assert fetch(srv.simple_url, accept=SIMPLE_JSON).json()["projects"] == [{"name": "one"}]
        write_wheel(tmp_path, "two", "1.0", {"two.py": ""})
        assert [p["name"] for p in fetch(srv.simple_url, accept=SIMPLE_JSON).json()["projects"]] == ["one", "two"]
        path = write_wheel(tmp_path, "two", "1.0", {"two.py": "changed = True\n"})
        os.utime(path, ns=(0, 10**18))
        page = fetch(srv.simple_url + "two/", accept=SIMPLE_JSON).json()
        assert page["files"][0]["hashes"]["sha256"] == sha256(path.read_bytes())
        (tmp_path / "two-1.0-py3-none-any.whl").unlink()
        assert fetch(srv.simple_url + "two/").status == 404


def test_fifty_concurrent_requests(server):
    urls = [server.simple_url + "foo-bar/", server.url + "files/baz-1.0-py3-none-any.whl", server.url + "pypi/baz/json"]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda i: fetch(urls[i % len(urls)]), range(50)))
    elapsed = time.monotonic() - started
    assert [a.status for a in answers] == [200] * 50
    assert elapsed < 1.0, f"50 parallel requests took {elapsed:.2f}s (listen backlog too small?)"


def test_extra_static_and_mime_types(tmp_path, wheels):
    static = tmp_path / "static"
    (static / "sub").mkdir(parents=True)
    expected = {
        "a.wasm": "application/wasm",
        "a.mjs": "text/javascript",
        "a.js": "text/javascript",
        "a.json": "application/json",
        "a.html": "text/html",
        "a.whl": ("application/octet-stream", "application/zip"),
        "a.zip": "application/zip",
        "a.whl.metadata": ("text/plain", "application/octet-stream"),
        "a.tar": "application/x-tar",
        "a.py": "text/x-python",
        "json": "application/json",
    }
    for name in expected:
        (static / name).write_bytes(b"x" * 7)
    (static / "sub" / "index.html").write_text("<p>sub</p>")
    with start_server(wheels, extra_static={"/static/": static}) as srv:
        for name, types in expected.items():
            answer = fetch(srv.url + "static/" + name)
            assert answer.status == 200 and answer.body == b"x" * 7 and answer.headers["Content-Length"] == "7"
            assert answer.content_type.split(";")[0] in ((types,) if isinstance(types, str) else types), name
        assert fetch(srv.url + "static/sub/").body == b"<p>sub</p>"
        moved = fetch(srv.url + "static/sub")
        assert moved.status == 301 and moved.headers["Location"] == "/static/sub/"
        assert fetch(srv.url + "static/").status == 404  # no index.html, no listing
        assert fetch(srv.simple_url).status == 200  # the index is still there


# ---- the static build -------------------------------------------------------------------------


def test_static_build_serves_the_same_bytes(tmp_path, server, wheels):
    out = tmp_path / "site"
    written = build_static(wheels, out)
    assert all(p.is_file() for p in written)
    assert (out / "simple" / "foo-bar" / "index.json").is_file()
    with start_static_server({"/": out}) as static:
        paths = ["simple/", "simple/foo-bar/", "simple/baz/", "pypi/foo-bar/json", "pypi/baz/json"]
        live = fetch(server.url + "pypi/foo-bar/json").json()
        for version in live["releases"]:
            paths.append(f"pypi/foo-bar/{version}/json")
        for files in live["releases"].values():
            for f in files:
                paths += [f"files/{f['filename']}", f"files/{f['filename']}.metadata"]
        for path in paths:
            a, b = fetch(server.url + path, accept="text/html"), fetch(static.url + path)
            assert (a.status, b.status) == (200, 200), path
            assert a.body == b.body, path
            if path.startswith("pypi/"):
                assert b.content_type == "application/json"
        live_json = fetch(server.simple_url + "foo-bar/", accept=SIMPLE_JSON).body
        assert live_json == (out / "simple" / "foo-bar" / "index.json").read_bytes()
    assert not (out / "files" / "notzip-1.0-py3-none-any.whl").exists()


def test_static_build_without_metadata_files(tmp_path, wheels):
    out = tmp_path / "site"
    build_static(wheels, out, metadata_files=False)
    assert not list((out / "files").glob("*.metadata"))
    assert b"data-core-metadata" not in (out / "simple" / "baz" / "index.html").read_bytes()


# ---- command line -----------------------------------------------------------------------------


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "index_server", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, **kwargs
    )


def test_cli_serve(wheels):
    proc = subprocess.Popen(
        [sys.executable, "-m", "index_server", "serve", str(wheels), "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/simple/)", line)
        assert match, f"no URL in {line!r}"
        assert str(wheels) in line
        listing = fetch(match.group(1), accept=SIMPLE_JSON).json()
        assert [p["name"] for p in listing["projects"]] == ["baz", "foo-bar"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_cli_build(tmp_path, wheels):
    (wheels.parent / "with-broken").mkdir(exist_ok=True)
    broken = wheels.parent / "with-broken"
    write_wheel(broken, "ok", "1.0", {"ok.py": ""})
    (broken / "notzip-1.0-py3-none-any.whl").write_bytes(b"nope")
    result = _cli("build", str(broken), str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and str(tmp_path / "out") in result.stdout
    assert "notzip-1.0-py3-none-any.whl" in result.stderr
    assert (tmp_path / "out" / "simple" / "ok" / "index.html").is_file()
    assert (tmp_path / "out" / "files" / "ok-1.0-py3-none-any.whl.metadata").is_file()
    assert (tmp_path / "out" / "pypi" / "ok" / "1.0" / "json").is_file()


def test_cli_errors(tmp_path):
    missing = tmp_path / "no-such-folder"
    result = _cli("serve", str(missing))
    assert result.returncode == 1 and str(missing) in result.stderr
    result = _cli("build", str(missing), str(tmp_path / "out"))
    assert result.returncode == 1 and str(missing) in result.stderr
    assert _cli().returncode == 2
    assert _cli("serve").returncode == 2
    assert _cli("serve", str(tmp_path), "--port", "nope").returncode == 2
    help_text = _cli("--help")
    assert help_text.returncode == 0 and "examples" in help_text.stdout
