"""Big PEP 691 pages are thinned in JavaScript before Python reads them, in real Pyodide.

``micropip.transport.thin_project_page`` drops the wheels built only for other
platforms (``page.mjs``), which ``micropip.resolution.selection.other_platform_wheel``
would set aside unread; what Python then reads must be exactly what it reads alone.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from .harness.fault_server import FaultServer, json_reply
from .harness.pyodide_node import PyodideError
from .snippets import installed_version

pytestmark = pytest.mark.pyodide

PLATFORMS = [
    "manylinux_2_17_x86_64.manylinux2014_x86_64", "musllinux_1_2_aarch64", "macosx_11_0_arm64",
    "macosx_10_12_x86_64.macosx_11_0_universal2", "win_amd64", "win32", "linux_armv7l", "ios_13_0_arm64_iphoneos",
]


def foreign_entries(name: str, versions: int = 40) -> list[dict]:
    """Wheels of ``name`` for every platform but Pyodide: a big project's page."""
    out = []
    for i in range(versions):
        for j, platform in enumerate(PLATFORMS):
            for py in ("cp312", "cp313", "cp314"):
                filename = f"{name}-0.{i}.0-{py}-{py}-{platform}.whl"
                out.append({"filename": filename, "url": f"https://files.example/{filename}",
                            "hashes": {"sha256": f"{i:02x}{j:02x}" + "0" * 60},
                            **({"yanked": "bad build"} if (i + j) % 7 == 0 else {})})
    return out


COMPARE = """
import json
from micropip import transport
from micropip.index.formats import parse_project_page
from micropip.resolution.environment import TargetEnvironment
from micropip.resolution.selection import left_unread
_env = TargetEnvironment.current()
_keep = lambda filename: not left_unread(filename, _env, build_sdists=not _sdists)
_kind = "application/vnd.pypi.simple.v1+json"
_url = "https://pypi.example/simple/fast/"
_alone = parse_project_page(_body, _kind, _url, "fast", keep=_keep)
_thinned = await transport.thin_project_page(_body, _env.platforms, sdists=_sdists)
_read = parse_project_page(_thinned[0], _kind, _url, "fast", keep=_keep, set_aside=_thinned[1])
[len(_alone.files), len(_alone.set_aside), len(_thinned[1]), _read == _alone]
"""


def test_a_thinned_page_reads_exactly_as_python_reads_the_whole_page(node_runner, bundle_dir):
    files = foreign_entries("fast") + [
        {"filename": "fast-0.39.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl", "url": "https://f.example/a.whl",
         "hashes": {"sha256": "a" * 64}, "core-metadata": {"sha256": "b" * 64}, "requires-python": ">=3.12",
         "size": 1234, "upload-time": "2026-01-01T00:00:00Z"},
        {"filename": "fast-0.38.0-cp314-cp314-pyodide_2024_0_wasm32.whl", "url": "https://f.example/b.whl", "hashes": {}},
        {"filename": "fast-0.1.0-py3-none-any.whl", "url": "https://f.example/c.whl", "hashes": {}, "yanked": True},
        {"filename": "fast-0.1.0.tar.gz", "url": "https://f.example/d.tar.gz", "hashes": {}},
        {"filename": "fast-0.2-cp314-win_amd64.whl", "url": "https://f.example/e.whl", "hashes": {}},  # malformed
        {"filename": "fast-0.2.ZIP", "url": "https://f.example/f.zip", "hashes": {}, "yanked": "gone"},
        {"filename": "fast-0.3.tar.bz2", "url": "https://f.example/g.tar.bz2", "hashes": {}},  # not an sdist here
    ]
    body = json.dumps({"meta": {"api-version": "1.1"}, "name": "fast", "files": files, "versions": []}).encode()
    interp = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
    try:
        interp.run(f"_body = bytes.fromhex({body.hex()!r})")
        total_foreign = len(foreign_entries("fast"))
        interp.run("_sdists = False")
        assert interp.run(COMPARE) == [7, total_foreign, total_foreign, True]
        interp.run("_sdists = True")  # no sdist is built: the two sdists are dropped as well
        assert interp.run(COMPARE) == [5, total_foreign + 2, total_foreign + 2, True]
    finally:
        interp.drop()


@pytest.fixture
def big_pages(fixture_index) -> Iterator[FaultServer]:
    """The fixture index, with greeting's page and a foreign-only project's page made big."""
    with FaultServer(upstream=fixture_index.url) as server:
        request = urllib.request.Request(f"{fixture_index.simple_url}greeting/",
                                         headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(request) as response:
            page = json.loads(response.read())
        for f in page["files"]:  # relative file URLs would now resolve against the fault server
            f["url"] = urllib.parse.urljoin(f"{fixture_index.simple_url}greeting/", f["url"])
        page["files"] = foreign_entries("greeting") + page["files"]
        server.route("/simple/greeting/", json_reply(json.dumps(page)))
        foreign = {"meta": {"api-version": "1.1"}, "name": "fastonly", "files": foreign_entries("fastonly")}
        server.route("/simple/fastonly/", json_reply(json.dumps(foreign)))
        yield server


SPY = """
import micropip.index.client as _client
from micropip import transport as _transport
_thinned = []
_thin = _transport.thin_project_page
async def _spy(body, platforms, **kwargs):
    result = await _thin(body, platforms, **kwargs)
    _thinned.append(result is not None and len(result[1]))
    return result
_transport.thin_project_page = _spy
"""


def test_an_install_reads_a_big_page_thinned_and_explains_what_it_set_aside(node_runner, bundle_dir, big_pages):
    interp = node_runner.new_interpreter(bundle_dir / "pyodide-lock.json")
    try:
        interp.run("import micropip")
        interp.run(SPY)
        interp.run(f"await micropip.install('greeting', index_urls=[{big_pages.simple_url!r}])")
        assert interp.run(installed_version("greeting")) == "1.1"
        assert interp.run("_thinned[0]") == len(foreign_entries("greeting"))
        with pytest.raises(PyodideError) as info:
            interp.run(f"await micropip.install('fastonly', index_urls=[{big_pages.simple_url!r}])")
        assert "fastonly" in info.value.message
        assert "not for Pyodide" in info.value.message  # the set-aside wheels, explained
        assert interp.run("_thinned[-1]") == len(foreign_entries("fastonly"))
    finally:
        interp.drop()
