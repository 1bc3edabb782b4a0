"""Big index pages: wheels for other platforms are set aside unread, and still explained."""

from __future__ import annotations

import json

from micropip.index.formats import parse_project_page
from micropip.resolution.environment import TargetEnvironment
from micropip.resolution.selection import (
    KIND_PLATFORM,
    Rejected,
    classify_files,
    explain_tags,
    other_platform_wheel,
    set_aside_rejections,
)

from packaging.utils import parse_wheel_filename

ENV = TargetEnvironment.for_pyodide("314.0.7")
PAGE_URL = "https://pypi.example/simple/fast/"
FILES = [
    ("fast-2.0-cp314-cp314-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", None),
    ("fast-2.0-cp314-cp314-win_amd64.whl", "broken build"),
    ("fast-2.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl", None),
    ("fast-2.0-cp314-cp314-pyodide_2024_0_wasm32.whl", None),  # another Pyodide ABI: read, explained in full
    ("fast-1.0-py3-none-any.whl", None),
    ("fast-2.0.tar.gz", None),
]


def page_body() -> bytes:
    return json.dumps({
        "meta": {"api-version": "1.1"},
        "name": "fast",
        "files": [
            {"filename": name, "url": f"https://files.example/{name}", "hashes": {"sha256": "0" * 64},
             **({"yanked": yanked} if yanked else {})}
            for name, yanked in FILES
        ],
    }).encode()


def test_other_platform_wheels_are_set_aside_with_their_yanked_flag():
    keep = lambda filename: not other_platform_wheel(filename, ENV)  # noqa: E731
    page = parse_project_page(page_body(), "application/vnd.pypi.simple.v1+json", PAGE_URL, "fast", keep=keep)
    assert [f.filename for f in page.files] == [FILES[2][0], FILES[3][0], FILES[4][0], FILES[5][0]]
    assert page.set_aside == ((FILES[0][0], False), (FILES[1][0], True))
    # Without ``keep`` every file is read, as before.
    full = parse_project_page(page_body(), "application/vnd.pypi.simple.v1+json", PAGE_URL, "fast")
    assert len(full.files) == len(FILES) and full.set_aside == ()


def test_a_set_aside_wheel_is_explained_as_the_full_check_would():
    for filename in (FILES[0][0], FILES[1][0]):
        (quick,) = set_aside_rejections([filename], ENV)
        tags = parse_wheel_filename(filename)[3]
        assert quick == Rejected(filename, explain_tags(tags, ENV), kind=KIND_PLATFORM)
        assert "not for Pyodide" in quick.reason


def test_classify_gives_the_same_verdicts_with_the_quick_platform_check():
    page = parse_project_page(page_body(), "application/vnd.pypi.simple.v1+json", PAGE_URL, "fast")
    usable, rejected = classify_files(page.files, ENV)
    assert {str(v): [u.file.filename for u in us] for v, us in usable.items()} == {
        "2.0": [FILES[2][0]], "1.0": [FILES[4][0]]}
    reasons = {r.filename: r for r in rejected}
    assert reasons[FILES[3][0]].kind != KIND_PLATFORM  # a Pyodide wheel of another ABI says so
    assert "ABI" in reasons[FILES[3][0]].reason
    assert reasons[FILES[0][0]].kind == KIND_PLATFORM
    # A host environment keeps its own platform's wheels (the quick check knows its platforms).
    host = TargetEnvironment.current()
    assert not any(other_platform_wheel(f"x-1.0-{t.interpreter}-{t.abi}-{t.platform}.whl", host) for t in host.tags[:20])


def test_a_listed_file_is_the_record_the_constructor_makes():
    import dataclasses

    from micropip.index.project import ProjectFile

    values = {
        "filename": "fast-1.0-py3-none-any.whl", "url": "https://files.example/fast-1.0-py3-none-any.whl",
        "hashes": {"sha256": "0" * 64}, "requires_python": ">=3.8", "yanked": True, "yanked_reason": "bad",
        "core_metadata": {}, "size": 12, "upload_time": "2026-01-01T00:00:00Z", "index_url": PAGE_URL,
    }
    assert set(values) == {f.name for f in dataclasses.fields(ProjectFile)}
    listed, made = ProjectFile.listed(**values), ProjectFile(**values)
    assert listed == made and hash(listed) == hash(made) and vars(listed) == vars(made)
    assert listed.metadata_url == made.metadata_url and listed.sha256 == "0" * 64
    try:
        listed.url = "https://elsewhere/"  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("a listed file must stay frozen")


def test_a_page_read_gives_the_records_the_plain_constructor_would():
    from micropip.index.project import ProjectFile

    page = parse_project_page(page_body(), "application/vnd.pypi.simple.v1+json", PAGE_URL, "fast")
    for f in page.files:
        assert f == ProjectFile(f.filename, f.url, {"sha256": "0" * 64}, yanked=f.filename == FILES[1][0],
                                yanked_reason="broken build" if f.filename == FILES[1][0] else None,
                                index_url=PAGE_URL)
    assert [f.yanked for f in page.files] == [yanked is not None for _n, yanked in FILES]


def test_an_sdist_left_unread_is_explained_as_judging_it_would():
    from micropip.index.project import ProjectFile
    from micropip.resolution.selection import judge_file, left_unread

    for filename in ("fast-2.0.tar.gz", "Fast-1.0.ZIP", "fast.tar.gz"):
        assert left_unread(filename, ENV) and not left_unread(filename, ENV, build_sdists=True)
        (quick,) = set_aside_rejections([filename], ENV)
        assert quick == judge_file(ProjectFile(filename, f"https://files.example/{filename}"), ENV)
    assert not left_unread("fast-1.0-py3-none-any.whl", ENV) and not left_unread("fast-1.0.tar.bz2", ENV)
    assert left_unread(FILES[0][0], ENV, build_sdists=True)  # another platform's wheel, whatever is built
