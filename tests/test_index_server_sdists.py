"""The index server lists source distributions (issue 18): PEP 691/503 pages and the JSON API
carry their sha256, size and Requires-Python, and PEP 658 metadata stays a wheel-only thing.

Also: several folders served as one index, and pip (a real client) downloading an sdist
whose build backend it fetches from the same loopback index.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from index_server.catalog import Catalog
from index_server.server import start_server
from index_server.static_build import build_static

from .harness.handmade_wheels import write_test_wheel

REPO_ROOT = Path(__file__).resolve().parent.parent
WHEELS = REPO_ROOT / "fixtures" / "wheels"
SDISTS = REPO_ROOT / "fixtures" / "sdists"
BACKENDS = REPO_ROOT / ".cache" / "build-backends"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"


def get(url: str, accept: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.read()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, dict[str, str | None]] = {}
        self._attrs: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._attrs = dict(attrs)

    def handle_data(self, data):
        if self._attrs is not None:
            self.links[data] = self._attrs

    def handle_endtag(self, tag):
        self._attrs = None


def links(body: bytes) -> dict[str, dict[str, str | None]]:
    parser = _Links()
    parser.feed(body.decode())
    return parser.links


@pytest.fixture(scope="module")
def server():
    with start_server([WHEELS, SDISTS]) as srv:
        yield srv


def test_fixture_sdists_match_their_script(tmp_path):
    """The committed sdists are exactly what fixtures/make_sdists.py makes (no opaque blobs)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sdists", REPO_ROOT / "fixtures" / "make_sdists.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    fresh = tmp_path / "sdists"
    module.build(fresh)
    names = sorted(p.name for p in SDISTS.iterdir())
    assert names == sorted(p.name for p in fresh.iterdir())
    assert len(names) == 8
    for name in names:
        assert (SDISTS / name).read_bytes() == (fresh / name).read_bytes(), f"{name} differs: run python fixtures/make_sdists.py"


def test_project_list_includes_sdist_only_projects(server):
    status, body = get(server.simple_url, SIMPLE_JSON)
    assert status == 200
    names = {p["name"] for p in json.loads(body)["projects"]}
    assert {"sdist-setuppy", "sdist-flit", "sdist-zip", "sdist-static", "greeting"} <= names


def test_pep691_page_lists_the_sdist_with_hash_and_no_core_metadata(server):
    status, body = get(server.simple_url + "sdist-flit/", SIMPLE_JSON)
    assert status == 200
    page = json.loads(body)
    assert page["versions"] == ["1.0"]
    (item,) = page["files"]
    data = (SDISTS / "sdist_flit-1.0.tar.gz").read_bytes()
    assert item["filename"] == "sdist_flit-1.0.tar.gz"
    assert item["hashes"] == {"sha256": sha256(data)}
    assert item["size"] == len(data)
    assert item["requires-python"] == ">=3.8"
    assert "core-metadata" not in item and "dist-info-metadata" not in item
    assert item["yanked"] is False
    status, served = get(urljoin(server.simple_url + "sdist-flit/", item["url"]))
    assert status == 200 and served == data


def test_pep503_page_lists_the_sdist_with_hash_and_no_core_metadata(server):
    status, body = get(server.simple_url + "sdist-zip/", SIMPLE_HTML)
    assert status == 200
    found = links(body)
    attrs = found["sdist-zip-1.0.zip"]
    data = (SDISTS / "sdist-zip-1.0.zip").read_bytes()
    assert attrs["href"].endswith(f"sdist-zip-1.0.zip#sha256={sha256(data)}")
    assert "data-core-metadata" not in attrs and "data-dist-info-metadata" not in attrs
    assert "data-requires-python" not in attrs  # its PKG-INFO is Metadata-Version 1.1, no Requires-Python


def test_metadata_file_is_a_wheel_only_thing(server):
    status, _ = get(server.url + "files/sdist_flit-1.0.tar.gz.metadata")
    assert status == 404
    status, body = get(server.url + "files/greeting-1.1-py3-none-any.whl.metadata")
    assert status == 200 and b"Name: greeting" in body


def test_json_api_for_an_sdist_only_release(server):
    status, body = get(server.url + "pypi/sdist-static/json")
    assert status == 200
    doc = json.loads(body)
    assert doc["info"]["requires_dist"] == ["textwrap3-lite>=1.0"]
    assert doc["info"]["requires_python"] == ">=3.8"
    (item,) = doc["urls"]
    data = (SDISTS / "sdist_static-1.0.tar.gz").read_bytes()
    assert item["packagetype"] == "sdist"
    assert item["digests"] == {"sha256": sha256(data)}
    assert "core_metadata" not in item
    status, body = get(server.url + "pypi/sdist-static/1.0/json")
    assert status == 200 and json.loads(body)["urls"][0]["packagetype"] == "sdist"


def _write_sdist(folder: Path, stem: str, pkg_info: str | None) -> Path:
    import io

    target = folder / f"{stem}.tar.gz"
    with tarfile.open(target, "w:gz") as tf:
        members = {f"{stem}/setup.py": b"from setuptools import setup\nsetup()\n"}
        if pkg_info is not None:
            members[f"{stem}/PKG-INFO"] = pkg_info.encode()
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return target


def test_wheel_and_sdist_of_one_release(tmp_path):
    """Both are listed; only the wheel has core-metadata; the JSON API's info is the wheel's."""
    write_test_wheel(
        tmp_path, "both", "1.0", {"both/__init__.py": ""},
        metadata="Metadata-Version: 2.1\nName: both\nVersion: 1.0\nSummary: wheel summary\nRequires-Dist: from-wheel\n\n",
    )
    _write_sdist(tmp_path, "both-1.0", "Metadata-Version: 2.1\nName: both\nVersion: 1.0\nSummary: sdist summary\nRequires-Dist: from-sdist\n\n")
    with start_server(tmp_path) as srv:
        page = json.loads(get(srv.simple_url + "both/", SIMPLE_JSON)[1])
        by_name = {f["filename"]: f for f in page["files"]}
        assert set(by_name) == {"both-1.0-py3-none-any.whl", "both-1.0.tar.gz"}
        assert "core-metadata" in by_name["both-1.0-py3-none-any.whl"]
        assert "core-metadata" not in by_name["both-1.0.tar.gz"]
        doc = json.loads(get(srv.url + "pypi/both/json")[1])
        assert doc["info"]["summary"] == "wheel summary"
        assert doc["info"]["requires_dist"] == ["from-wheel"]
        assert sorted(u["packagetype"] for u in doc["urls"]) == ["bdist_wheel", "sdist"]


def test_broken_and_pkg_info_less_sdists(tmp_path):
    (tmp_path / "garbage-1.0.tar.gz").write_bytes(b"not gzip at all")
    (tmp_path / "garbage2-1.0.zip").write_bytes(b"not a zip either")
    (tmp_path / "noversion.tar.gz").write_bytes(b"")
    _write_sdist(tmp_path, "nopkginfo-1.0", None)
    reports: list[str] = []
    contents = Catalog(tmp_path, report=reports.append).contents()
    skipped = dict(contents.skipped)
    assert "tar.gz" in skipped["garbage-1.0.tar.gz"]
    assert "zip" in skipped["garbage2-1.0.zip"]
    assert "noversion.tar.gz" in skipped
    entry = contents.files["nopkginfo-1.0.tar.gz"]
    assert entry.packagetype == "sdist" and entry.requires_python is None
    assert len(reports) == 3


def test_several_folders_first_one_wins(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    one = _write_sdist(first, "dup-1.0", "Metadata-Version: 2.1\nName: dup\nVersion: 1.0\nSummary: first\n\n")
    _write_sdist(second, "dup-1.0", "Metadata-Version: 2.1\nName: dup\nVersion: 1.0\nSummary: second\n\n")
    (second / "yanked.json").write_text('{"dup-1.0.tar.gz": "bad"}')
    reports: list[str] = []
    catalog = Catalog([first, second], report=reports.append)
    contents = catalog.contents()
    entry = contents.files["dup-1.0.tar.gz"]
    assert entry.path == one and entry.summary == "first"
    assert entry.yanked == "bad"  # a sidecar in any folder applies to the merged index
    assert len(reports) == 1 and "already served" in reports[0]
    catalog.contents()
    assert len(reports) == 1  # reported once, not on every listing


def test_static_build_copies_sdists_without_metadata_files(tmp_path, server):
    out = tmp_path / "site"
    build_static([WHEELS, SDISTS], out)
    assert (out / "files" / "sdist_flit-1.0.tar.gz").read_bytes() == (SDISTS / "sdist_flit-1.0.tar.gz").read_bytes()
    assert not (out / "files" / "sdist_flit-1.0.tar.gz.metadata").exists()
    assert (out / "files" / "greeting-1.1-py3-none-any.whl.metadata").exists()
    live = get(server.simple_url + "sdist-flit/", SIMPLE_JSON)[1]
    assert (out / "simple" / "sdist-flit" / "index.json").read_bytes() == live


def test_cli_serves_several_folders(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "index_server", "serve", str(WHEELS), str(SDISTS), "--port", "0"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "Serving" in line and str(SDISTS) in line, line
        url = line.split(" at ")[1].strip()
        status, body = get(url + "sdist-hatch/", SIMPLE_JSON)
        assert status == 200 and json.loads(body)["files"][0]["filename"] == "sdist_hatch-1.0.tar.gz"
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_pip_downloads_an_sdist_and_builds_its_metadata_from_the_same_index(tmp_path):
    """A real client: pip reads our PEP 691 page, checks the sdist's sha256, and fetches flit_core
    (the build requirement) from the same loopback index to prepare the metadata."""
    if not (BACKENDS / "flit_core-4.2.0-py3-none-any.whl").exists():
        pytest.fail(f"{BACKENDS} lacks the pinned build backends: run `bash scripts/setup.sh`")
    with start_server([WHEELS, SDISTS, BACKENDS]) as srv:
        result = subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--isolated", "--no-deps", "--no-cache-dir",
                "--disable-pip-version-check", "--index-url", srv.simple_url, "--dest", str(tmp_path / "out"),
                "sdist-flit==1.0",
            ],
            capture_output=True, text=True, timeout=180,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / "sdist_flit-1.0.tar.gz").read_bytes() == (SDISTS / "sdist_flit-1.0.tar.gz").read_bytes()
