"""Property tests: every parser of untrusted input either parses or raises our own error.

A hostile or broken index, wheel or lockfile must produce a message the user can
act on, never an ``AttributeError`` from deep inside a parser. Each property runs
a bounded number of examples (no deadline: CI machines vary).
"""

from __future__ import annotations

import json
import warnings

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lockfile import LockfileError, read_pylock, read_pyodide_lock
from micropip.resolution.environment import TargetEnvironment
from micropip.errors import IndexFormatError, MetadataError
from micropip.index.formats import parse_project_page
from micropip.index.metadata import parse_core_metadata
from micropip.index.project import ProjectFile, ProjectPage
from micropip.resolution.selection import Rejected, Usable, judge_file

FUZZ = settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "200")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENV = TargetEnvironment.for_pyodide("314.0.7")
PAGE_URL = "https://index.example/simple/demo/"

JSON_TYPES = ["application/vnd.pypi.simple.v1+json", "application/json", ""]
HTML_TYPES = ["application/vnd.pypi.simple.v1+html", "text/html", "text/html; charset=utf-8", ""]

# ---- building blocks -----------------------------------------------------------------------------

# Strings that tend to break URL, version and requirement parsing.
nasty_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "demo-1.0-py3-none-any.whl",
            "demo-1.0.x-py3-none-any.whl",
            "demo-1.0-py3-none-any.whl#sha256=abc",
            "http://[::1",
            "http://[zz]/x.whl",
            "//host:99999/x.whl",
            "https://h/x.whl#sha256=" + "a" * 64,
            "javascript:alert(1)",
            "../../etc/passwd",
            "\x00",
            ">=3.8",
            ">=3.x",
            "1.0",
            "\ud800",
            "true",
        ]
    ),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), nasty_text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(nasty_text, children, max_size=4)),
    max_leaves=12,
)
FILE_KEYS = [
    "filename", "url", "hashes", "requires-python", "yanked", "core-metadata", "data-dist-info-metadata",
    "dist-info-metadata", "size", "upload-time", "digests", "requires_python", "yanked_reason",
    "core_metadata", "data_dist_info_metadata", "upload_time_iso_8601",
]
file_entries = st.one_of(json_values, st.dictionaries(st.sampled_from(FILE_KEYS), json_values, max_size=8))
simple_json = st.fixed_dictionaries(
    {},
    optional={
        "meta": st.one_of(json_values, st.fixed_dictionaries({"api-version": json_values})),
        "name": json_values,
        "files": st.one_of(json_values, st.lists(file_entries, max_size=4)),
        "versions": json_values,
    },
)
api_json = st.fixed_dictionaries(
    {"info": json_values},
    optional={
        "releases": st.one_of(json_values, st.dictionaries(nasty_text, st.lists(file_entries, max_size=3), max_size=3)),
        "urls": st.one_of(json_values, st.lists(file_entries, max_size=3)),
    },
)


def _json_bytes(value) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


ATTRS = ["href", "data-requires-python", "data-yanked", "data-core-metadata", "data-dist-info-metadata", "rel"]
anchor = st.builds(
    lambda attrs, text: "<a "
    + " ".join(k if v is None else f'{k}="{v}"' for k, v in attrs)
    + f">{text}</a>",
    st.lists(st.tuples(st.sampled_from(ATTRS), st.one_of(st.none(), nasty_text)), max_size=5),
    nasty_text,
)
html_pages = st.builds(
    lambda head, anchors, tail: f"<!DOCTYPE html><html><head>{head}</head><body>{''.join(anchors)}{tail}",
    st.sampled_from(
        [
            "",
            '<meta name="pypi:repository-version" content="1.1">',
            '<meta name="pypi:repository-version" content="2.0">',
            '<meta name="pypi:repository-version">',
            "<base href>",
            '<base href="http://[::1">',
            '<base href="https://cdn.example/x/">',
        ]
    ),
    st.lists(anchor, max_size=5),
    st.sampled_from(["", "</body></html>", "<a href='x'>", "<!--", "<![CDATA[", "&#xffffff;", "&#0;"]),
)


def _page_or_index_error(body: bytes, content_type: str) -> None:
    try:
        page = parse_project_page(body, content_type, PAGE_URL, "demo")
    except IndexFormatError as exc:
        assert PAGE_URL in str(exc)
        return
    assert isinstance(page, ProjectPage)
    for f in page.files:
        assert isinstance(f, ProjectFile) and isinstance(f.url, str) and isinstance(f.filename, str)


# ---- index pages -----------------------------------------------------------------------------


@FUZZ
@given(st.one_of(simple_json, api_json, json_values), st.sampled_from(JSON_TYPES))
@example({"info": [1], "urls": []}, "application/json")
@example({"files": [{"filename": "a.whl", "url": "http://[::1"}]}, JSON_TYPES[0])
@example({"files": [], "meta": {"api-version": 2}}, JSON_TYPES[0])
def test_json_index_pages_parse_or_raise_index_format_error(value, content_type):
    _page_or_index_error(_json_bytes(value), content_type)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(JSON_TYPES + HTML_TYPES + ["text/plain", "application/octet-stream"]))
@example(b"[" * 100_000, "application/json")
@example(b"\xff\xfe{", "application/json")
def test_arbitrary_bytes_as_index_pages(body, content_type):
    _page_or_index_error(body, content_type)


@FUZZ
@given(html_pages, st.sampled_from(HTML_TYPES))
@example('<a href="x.whl" data-core-metadata>x.whl</a>', "text/html")
@example('<a href="http://[::1">x.whl</a>', "text/html")
@example('<meta name="pypi:repository-version"><a href="x.whl">x.whl</a>', "text/html")
def test_html_index_pages_parse_or_raise_index_format_error(text, content_type):
    _page_or_index_error(text.encode("utf-8", "surrogatepass"), content_type)


# ---- wheel file names ------------------------------------------------------------------------


wheel_names = st.one_of(
    nasty_text,
    st.builds(
        lambda *parts: "-".join(parts) + ".whl",
        st.sampled_from(["demo", "de_mo", "Demo", "", "d!"]),
        st.sampled_from(["1.0", "1.0.x", "", "v1", "1!2.0.post1.dev3", "1" * 5000]),
        st.sampled_from(["py3", "cp314", "1build", "py3.py2", ""]),
        st.sampled_from(["none", "abi3", "cp314", ""]),
        st.sampled_from(["any", "pyemscripten_2026_0_wasm32", "manylinux_2_17_x86_64", "win32", ""]),
    ),
)


@FUZZ
@given(wheel_names)
def test_parse_wheel_name_agrees_with_packaging(filename):
    from micropip.resolution.selection import parse_wheel_name
    from packaging.utils import parse_wheel_filename

    try:
        expected = parse_wheel_filename(filename)
    except ValueError as exc:
        try:
            parse_wheel_name(filename)
        except ValueError as ours:
            assert type(ours) is type(exc) and str(ours) == str(exc)  # the same error, naming the file
        else:
            raise AssertionError(f"{filename!r} was accepted")
    else:
        assert parse_wheel_name(filename) == expected
        assert parse_wheel_name(filename) == expected  # remembered parts give the same answer again


@FUZZ
@given(
    wheel_names,
    st.one_of(st.none(), nasty_text),
)
def test_judge_file_never_raises(filename, requires_python):
    verdict = judge_file(ProjectFile(filename, "https://h/" + filename, requires_python=requires_python), ENV)
    assert isinstance(verdict, Usable | Rejected)
    if isinstance(verdict, Rejected):
        assert verdict.reason


# ---- core metadata ---------------------------------------------------------------------------

HEADERS = ["Metadata-Version", "Name", "Version", "Requires-Dist", "Requires-Python", "Provides-Extra", "Summary"]
metadata_lines = st.lists(
    st.tuples(st.sampled_from(HEADERS), st.one_of(nasty_text, st.sampled_from(["demo", "1.0", 'x ; extra == "a"', "x>=1,<2"]))),
    max_size=8,
)


@FUZZ
@given(st.one_of(st.binary(max_size=400), metadata_lines.map(lambda rows: "\n".join(f"{k}: {v}" for k, v in rows).encode("utf-8", "surrogatepass"))))
@example(b"Name: d\xffmo\nVersion: 1.0\n")
@example(b"Name: demo\nVersion: 1.0\nRequires-Dist: \xff\n")
@example(b"Name: demo\nVersion: 1.0\nProvides-Extra: \xe9\n")
@example(b"Name: =?utf-8?q?d=C3=A9mo?=\nVersion: 1.0\n")
def test_core_metadata_parses_or_raises_metadata_error(data):
    try:
        meta = parse_core_metadata(data, "demo.whl.metadata")
    except MetadataError as exc:
        assert "demo.whl.metadata" in str(exc)
        return
    assert meta.name and str(meta.version)


# ---- lockfiles -------------------------------------------------------------------------------

pyodide_locks = st.fixed_dictionaries(
    {},
    optional={
        "info": st.one_of(json_values, st.dictionaries(st.sampled_from(["arch", "platform", "version", "python", "abi_version"]), json_values)),
        "packages": st.one_of(
            json_values,
            st.dictionaries(
                nasty_text,
                st.one_of(
                    json_values,
                    st.dictionaries(
                        st.sampled_from(
                            ["name", "version", "file_name", "install_dir", "sha256", "package_type", "imports", "depends", "shared_library", "unvendored_tests"]
                        ),
                        json_values,
                    ),
                ),
                max_size=3,
            ),
        ),
    },
)


def _lockfile_or_lockfile_error(read, data) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            read(data, source="lock-under-test")
        except LockfileError as exc:
            assert "lock-under-test" in str(exc)


@FUZZ
@given(st.one_of(pyodide_locks.map(_json_bytes), st.binary(max_size=300), json_values.map(_json_bytes)))
@example(b"[" * 100_000)
@example(b'{"info": {}, "packages": {"a": {"name": 1}}}')
def test_pyodide_lock_reader_raises_only_lockfile_error(data):
    _lockfile_or_lockfile_error(read_pyodide_lock, data)


TOML_SNIPPETS = [
    'lock-version = "1.0"\n',
    'lock-version = "2.0"\n',
    'lock-version = 1\n',
    'created-by = "x"\n',
    'requires-python = ">=3.x"\n',
    'environments = ["sys_platform == \'emscripten\'", "bad marker ((("]\n',
    "[[packages]]\n",
    'name = "demo"\n',
    'name = 3\n',
    'version = "1.0"\n',
    'version = "1.0.x"\n',
    'marker = "python_version >"\n',
    "wheels = [{}]\n",
    'wheels = [{name = "demo-1.0-py3-none-any.whl", url = "https://h/x.whl", hashes = {sha256 = "00"}}]\n',
    'wheels = [{name = "bad name", path = "x", hashes = {}}]\n',
    'wheels = "x"\n',
    'dependencies = [{name = "x"}, 3]\n',
    'index = "http://[::1"\n',
    "[packages.vcs]\n",
    'type = "git"\n',
    "x = 1e999999\n",
    "y = 99999999999999999999999999999999\n",
    "[[packages.wheels]]\n",
    'upload-time = 1979-05-27T07:32:00Z\n',
]


toml_scalars = st.one_of(st.booleans(), st.integers(), st.floats(), nasty_text, st.datetimes())
toml_values = st.recursive(
    toml_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(nasty_text, children, max_size=3)),
    max_leaves=8,
)
WHEEL_KEYS = ["name", "url", "path", "size", "hashes", "upload-time"]
PACKAGE_KEYS = ["name", "version", "marker", "requires-python", "dependencies", "index", "vcs", "directory",
                "archive", "sdist", "attestation-identities", "tool"]
pylock_wheels = st.lists(
    st.one_of(toml_values, st.dictionaries(st.sampled_from(WHEEL_KEYS), st.one_of(toml_values, st.dictionaries(st.sampled_from(["sha256", "md5"]), nasty_text))))
    , max_size=2
)
pylock_packages = st.lists(
    st.one_of(
        toml_values,
        st.builds(
            lambda base, wheels: {**base, **({"wheels": wheels} if wheels is not None else {})},
            st.dictionaries(st.sampled_from(PACKAGE_KEYS), toml_values, max_size=5),
            st.one_of(st.none(), pylock_wheels),
        ),
    ),
    max_size=3,
)
pylock_docs = st.fixed_dictionaries(
    {},
    optional={
        "lock-version": st.one_of(st.sampled_from(["1.0", "1.1", "2.0", "x"]), toml_values),
        "created-by": toml_values,
        "requires-python": st.one_of(st.sampled_from([">=3.12", ">=3.x"]), toml_values),
        "environments": toml_values,
        "extras": toml_values,
        "dependency-groups": toml_values,
        "default-groups": toml_values,
        "packages": st.one_of(toml_values, pylock_packages),
        "tool": toml_values,
    },
)


def _toml(doc: dict) -> str:
    import tomli_w

    return tomli_w.dumps(doc)


@FUZZ
@given(
    st.one_of(
        pylock_docs.map(_toml),
        st.lists(st.sampled_from(TOML_SNIPPETS), max_size=12).map("".join),
        st.text(max_size=200),
        st.binary(max_size=200),
    )
)
@example('lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "demo"\nversion = "1.0.x"\n')
def test_pylock_reader_raises_only_lockfile_error(data):
    _lockfile_or_lockfile_error(read_pylock, data)


@FUZZ
@given(st.one_of(
    st.lists(st.one_of(st.integers(0, 300).map(str), st.sampled_from(["127", "0", "00", "01", "255", "256", "1000", "", "x", "\u0661"])),
             min_size=1, max_size=5).map(".".join),
    st.sampled_from(["::1", "[::1]", "::ffff:127.0.0.1", "localhost", "LOCALHOST.", "a.localhost", "127.0.0.1.", "0x7f.0.0.1"]),
))
def test_the_loopback_check_agrees_with_ipaddress(host):
    """Its dotted-quad fast path answers as ``ipaddress`` would, for every literal it takes."""
    import ipaddress

    from micropip.index.urls import is_loopback_host

    bare = host.strip("[]").rstrip(".").lower()
    if bare == "localhost" or bare.endswith(".localhost"):
        expected = True
    else:
        try:
            expected = ipaddress.ip_address(bare).is_loopback
        except ValueError:
            expected = False
    assert is_loopback_host(host) is expected
