"""Our header reader gives what ``email.parser`` (compat32) gives, for any text.

``micropip.index.metadata_headers`` replaces ``email.parser`` on the install path (importing the
email package cost ~80 ms of every first install in Pyodide). Reading METADATA must not
change: every field, repeated ones in order, continuation lines and where the body starts.
"""

from __future__ import annotations

import email.parser
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from micropip.index.metadata_headers import parse_headers

EXAMPLES = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

NAMES = ["Name", "Version", "Requires-Dist", "requires-dist", "REQUIRES-PYTHON", "Provides-Extra", "X", ""]
lines = st.one_of(
    st.builds(lambda n, v: f"{n}:{v}", st.sampled_from(NAMES), st.text(max_size=12)),
    st.builds(lambda n, v: f"{n}: {v}", st.sampled_from(NAMES), st.text(alphabet="ab =<>;[],.\t", max_size=12)),
    st.builds(lambda v: f" {v}", st.text(max_size=8)),
    st.builds(lambda v: f"\t{v}", st.text(max_size=8)),
    st.sampled_from(["", "From someone", "not a header", "Bad Name: x", ":no name", "Name : spaced", "\u00e9: x"]),
    st.text(max_size=10),
)
breaks = st.sampled_from(["\n", "\r\n", "\r"])


def _email_fields(text: str) -> list[tuple[str, str]]:
    msg = email.parser.Parser().parsestr(text)
    return [(k, str(v)) for k, v in msg.items()]


def _unify(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # compat32 keeps each continuation's own line break; ours keeps "\n" (both strip the same)
    return [(k, v.replace("\r\n", "\n").replace("\r", "\n")) for k, v in fields]


@EXAMPLES
@given(st.lists(st.tuples(lines, breaks), max_size=12))
@example([("Name: demo", "\n"), ("Requires-Dist: a;", "\n"), (" extra == 'x'", "\n"), ("", "\n"), ("Body: no", "\n")])
@example([("From x", "\n"), ("Name: demo", "\r\n"), (":v", "\n"), (" cont", "\n"), ("Version: 1", "\r")])
def test_same_fields_as_email_parser(parts):
    text = "".join(line + brk for line, brk in parts)
    ours = parse_headers(text)
    assert _unify(ours.items()) == _unify(_email_fields(text))
    msg = email.parser.Parser().parsestr(text)
    for name in NAMES[:-1]:
        assert [v.replace("\r", "\n") for v in ours.get_all(name) or []] == \
               [str(v).replace("\r\n", "\n").replace("\r", "\n") for v in msg.get_all(name) or []]


def test_a_real_metadata_file():
    text = (
        "Metadata-Version: 2.4\nName: demo.pkg\nVersion: 1.0\nRequires-Python: >=3.9\n"
        "Requires-Dist: idna>=2.5\nRequires-Dist: certifi ; extra == 'security'\n"
        "Provides-Extra: security\nDescription-Content-Type: text/markdown\n"
        "Summary: one line\n  folded on to a second\n\n# Demo\nRequires-Dist: not-a-header\n"
    )
    headers = parse_headers(text)
    assert headers["name"] == "demo.pkg"
    assert headers.get_all("requires-dist") == ["idna>=2.5", "certifi ; extra == 'security'"]
    assert headers.get("Summary") == "one line\n  folded on to a second"
    assert headers.get("Missing") is None and headers.get_all("Missing") is None
    assert "Version" in headers and "Missing" not in headers


@pytest.mark.parametrize("text", ["", "\n", "no headers at all", "\ufeffName: bom"])
def test_texts_without_fields(text):
    assert _unify(parse_headers(text).items()) == _unify(_email_fields(text))


def test_installed_distributions_read_as_importlib_metadata_reads_them(tmp_path):
    """The scan of installed distributions reads METADATA / PKG-INFO itself (no email import):
    names, versions and requirements as ``importlib.metadata`` reports them; RECORD on first use."""
    import importlib.metadata

    from micropip.installation.installed import scan_distributions

    site = tmp_path / "site"
    info = site / "demo_pkg-1.2.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Demo.Pkg\nVersion: 1.2\nRequires-Dist: idna>=2\n"
                                   "Requires-Dist: rich ; extra == 'fancy'\n\nBody: not a field\n", encoding="utf-8")
    (info / "RECORD").write_text("demo_pkg/__init__.py,,\ndemo_pkg-1.2.dist-info/METADATA,,\n")
    (info / "INSTALLER").write_text("micropip\n")
    egg = site / "old_style-0.1-py3.14.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: old-style\nVersion: 0.1\n")
    broken = site / "broken-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_bytes(b"Name: \xff\xfe\n")  # not UTF-8: skipped, as nothing we could describe
    found = {d.name: d for d in scan_distributions([str(site)])}
    assert sorted(found) == ["Demo.Pkg", "old-style"]
    for folder in (info, egg):
        dist = importlib.metadata.PathDistribution(folder)
        ours = found[dist.metadata["Name"]]
        assert (ours.version, list(ours.requires)) == (dist.version, dist.requires or [])
    assert found["Demo.Pkg"].installer == "micropip" and found["Demo.Pkg"].has_record
    assert found["Demo.Pkg"].files == ("demo_pkg/__init__.py", "demo_pkg-1.2.dist-info/METADATA")
    assert not found["old-style"].has_record and found["old-style"].files == ()
