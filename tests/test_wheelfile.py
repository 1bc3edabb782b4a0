"""WheelFile.from_bytes: a good wheel reads back; every broken or unsafe one is refused."""

from __future__ import annotations

import base64
import hashlib
import io
import warnings
import zipfile
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.tags import Tag
from packaging.version import Version

from micropip.errors import InvalidWheelError
from micropip.installation.wheelbuilder import make_metadata, make_wheel_file, record_hash, write_wheel
from micropip.installation.wheelfile import WheelFile

FILENAME = "demo-1.0-py3-none-any.whl"
DIST_INFO = "demo-1.0.dist-info"

Entries = list[tuple[str, bytes]]


def entries(
    files: dict[str, bytes] | None = None,
    *,
    metadata: str | None = None,
    wheel: str | None = None,
    record: Callable[[Entries], bytes] | None = None,
) -> Entries:
    """A well-formed demo 1.0 wheel as a list (so tests can break it before zipping)."""
    out: Entries = list((files if files is not None else {"demo/__init__.py": b"X = 1\n"}).items())
    out.append((f"{DIST_INFO}/METADATA", (metadata or make_metadata("demo", "1.0")).encode()))
    out.append((f"{DIST_INFO}/WHEEL", (wheel or make_wheel_file(["py3-none-any"])).encode()))
    out.append((f"{DIST_INFO}/RECORD", (record or default_record)(out)))
    return out


def default_record(items: Entries) -> bytes:
    rows = [f"{path},{record_hash(data)},{len(data)}" for path, data in items]
    return ("\n".join(rows + [f"{DIST_INFO}/RECORD,,"]) + "\n").encode()


def zipped(items: Entries) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" when a test wants duplicates
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path, data in items:
                zf.writestr(path, data)
    return buf.getvalue()


def load(data: bytes, filename: str = FILENAME, **kwargs) -> WheelFile:
    return WheelFile.from_bytes(filename, data, **kwargs)


def refused(data: bytes, fragment: str, filename: str = FILENAME, **kwargs) -> str:
    with pytest.raises(InvalidWheelError) as info:
        load(data, filename, **kwargs)
    message = str(info.value)
    assert filename in message
    assert fragment.lower() in message.lower(), message
    return message


# ---- the good case ------------------------------------------------------------------------------


def test_good_wheel_properties(tmp_path):
    files = {"demo_pkg/__init__.py": "X = 1\n", "demo_pkg-2.0.data/scripts/run": "#!python\n"}
    path = write_wheel(tmp_path, "Demo.Pkg", "2.0", files, metadata=make_metadata("Demo.Pkg", "2.0", requires_dist=["a>1"]))
    wheel = WheelFile.from_bytes(path.name, path.read_bytes(), source="https://example.org/x.whl")
    assert wheel.name == "Demo.Pkg" and wheel.canonical_name == "demo-pkg"
    assert wheel.version == Version("2.0")
    assert wheel.tags == frozenset({Tag("py3", "none", "any")})
    assert wheel.dist_info == "demo_pkg-2.0.dist-info"
    assert wheel.data_dir == "demo_pkg-2.0.data"
    assert wheel.root_is_purelib is True
    assert wheel.wheel_version == (1, 0)
    assert wheel.metadata["Name"] == "Demo.Pkg"
    assert wheel.requires_dist == ["a>1"]
    assert wheel.metadata_bytes.startswith(b"Metadata-Version")
    contents = dict(wheel.files())
    assert contents["demo_pkg/__init__.py"] == b"X = 1\n"
    assert set(contents) == set(wheel.paths) and f"{wheel.dist_info}/RECORD" in contents
    assert wheel.read("demo_pkg/__init__.py") == b"X = 1\n"
    assert wheel.sha256("demo_pkg/__init__.py") == record_hash(b"X = 1\n")


def test_newer_minor_wheel_version_and_strong_hashes_are_accepted():
    def sha512_record(items: Entries) -> bytes:
        rows = []
        for path, data in items:
            digest = base64.urlsafe_b64encode(hashlib.sha512(data).digest()).rstrip(b"=").decode()
            rows.append(f"{path},sha512={digest},{len(data)}")
        return ("\n".join(rows + [f"{DIST_INFO}/RECORD,,"]) + "\n").encode()

    wheel = load(zipped(entries(wheel=make_wheel_file(["py3-none-any"], version="1.9"), record=sha512_record)))
    assert wheel.wheel_version == (1, 9)
    assert wheel.sha256("demo/__init__.py") == record_hash(b"X = 1\n")  # computed on demand


def test_platlib_wheel_and_signature_files():
    items = entries(wheel=make_wheel_file(["py3-none-any"], root_is_purelib=False))
    items.insert(0, (f"{DIST_INFO}/RECORD.jws", b"{}"))  # not listed in RECORD, and that is fine
    assert load(zipped(items)).root_is_purelib is False


def test_source_is_named_in_errors():
    message = refused(b"junk", "corrupt", source="https://example.org/files/demo.whl")
    assert "https://example.org/files/demo.whl" in message


# ---- refusals -------------------------------------------------------------------------------------


def with_extra(path: str, data: bytes = b"x") -> bytes:
    """A wheel whose RECORD vouches for an extra (possibly unsafe) entry."""
    return zipped(entries({"demo/__init__.py": b"", path: data}))


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("../evil.py", "'..'"),
        ("demo/../../evil.py", "'..'"),
        ("/etc/evil", "absolute"),
        ("C:/evil.py", "absolute"),
        ("demo\\evil.py", "backslash"),
        ("demo//evil.py", "empty"),
        ("./demo/evil.py", "'.'"),
    ],
)
def test_unsafe_paths(path, fragment):
    refused(with_extra(path), fragment)


def test_nul_in_entry_name():
    data = with_extra("demo/aXb.py")
    assert data.count(b"demo/aXb.py") == 2  # local header and central directory (RECORD is deflated)
    refused(data.replace(b"demo/aXb.py", b"demo/a\x00b.py"), "NUL")


def test_not_a_zip():
    refused(b"this is not a zip file at all", "corrupt")


def test_truncated_zip():
    data = zipped(entries())
    refused(data[: len(data) // 2], "truncated")
    refused(data[:-10], "truncated")


def test_corrupted_member_bytes():
    items = entries({"demo/__init__.py": b"A" * 5000})
    data = bytearray(zipped([(p, d) for p, d in items]))
    # Flip a byte inside the first member's compressed data (after its 30-byte header and name).
    data[30 + len("demo/__init__.py") + 2] ^= 0xFF
    refused(bytes(data), "corrupt")


def test_duplicate_entries():
    items = entries()
    items.insert(0, ("demo/__init__.py", b"X = 1\n"))
    refused(zipped(items), "duplicate")


def test_bad_filename():
    refused(zipped(entries()), "file name", filename="demo.whl")


@pytest.mark.parametrize(
    ("filename", "fragment"),
    [("other-1.0-py3-none-any.whl", "does not match"), ("demo-2.0-py3-none-any.whl", "does not match")],
)
def test_dist_info_must_match_file_name(filename, fragment):
    refused(zipped(entries()), fragment, filename=filename)


def test_two_dist_info_folders():
    items = entries({"demo/__init__.py": b"", "other-1.0.dist-info/METADATA": b"Name: other\n"})
    refused(zipped(items), "exactly one")


@pytest.mark.parametrize(
    ("metadata", "fragment"),
    [
        (make_metadata("other", "1.0"), "names project"),
        (make_metadata("demo", "1.1"), "version 1.1"),
        ("Metadata-Version: 2.1\nName: demo\n", "lacks"),
        (make_metadata("demo", "not a version"), "invalid Version"),
    ],
)
def test_metadata_must_match(metadata, fragment):
    refused(zipped(entries(metadata=metadata)), fragment)


@pytest.mark.parametrize("missing", ["METADATA", "WHEEL", "RECORD"])
def test_missing_dist_info_file(missing):
    items = [(p, d) for p, d in entries() if p != f"{DIST_INFO}/{missing}"]
    if missing != "RECORD":  # keep RECORD consistent with what is left
        items = [(p, d) for p, d in items if not p.endswith("/RECORD")]
        items.append((f"{DIST_INFO}/RECORD", default_record(items)))
    refused(zipped(items), f"{missing} is missing")


@pytest.mark.parametrize(
    ("wheel", "fragment"),
    [
        (make_wheel_file(["py3-none-any"], version="2.0"), "unsupported Wheel-Version 2.0, upgrade micropip"),
        (make_wheel_file(["py3-none-any"], version="one"), "Wheel-Version"),
        ("Wheel-Version: 1.0\nRoot-Is-Purelib: maybe\n", "Root-Is-Purelib"),
    ],
)
def test_wheel_file_checks(wheel, fragment):
    refused(zipped(entries(wheel=wheel)), fragment)


def test_record_hash_mismatch():
    def bad_hash(items: Entries) -> bytes:
        return default_record(items).replace(record_hash(b"X = 1\n").encode(), record_hash(b"X = 2\n").encode())

    refused(zipped(entries(record=bad_hash)), "hash mismatch for 'demo/__init__.py'")


def test_proven_bytes_take_records_hashes_but_every_other_check_stays(monkeypatch):
    """``proven``: bytes that passed every check in an earlier install (a remembered plan's
    wheel whose sha256 matched again) are not hashed file by file; the rest is still checked."""
    import micropip.installation.wheelfile as wf

    good = zipped(entries({"demo/__init__.py": b"X = 1\n", "demo/more.py": b"Y = 2\n"}))
    calls = []
    real = wf.hashlib.sha256
    monkeypatch.setattr(wf.hashlib, "sha256", lambda *a: calls.append(1) or real(*a))
    wheel = load(good, proven=True)
    assert calls == []  # no file hashed
    assert wheel.sha256("demo/more.py") == record_hash(b"Y = 2\n")  # RECORD's value, as the installer writes it
    assert load(good).sha256("demo/more.py") == wheel.sha256("demo/more.py") and calls  # the full check hashes

    def bad_size(items: Entries) -> bytes:
        return default_record(items).replace(b",6\n", b",7\n")

    refused(zipped(entries(record=bad_size)), "size mismatch", proven=True)
    refused(zipped(entries(record=lambda items: default_record(items[1:]))), "not listed in RECORD", proven=True)
    refused(zipped(entries(wheel="Wheel-Version: 9.0\n")), "Wheel-Version", proven=True)


def test_record_size_mismatch():
    def bad_size(items: Entries) -> bytes:
        return default_record(items).replace(b",6\n", b",7\n")

    refused(zipped(entries(record=bad_size)), "size mismatch for 'demo/__init__.py'")


def test_unlisted_file():
    def forget_module(items: Entries) -> bytes:
        return default_record([(p, d) for p, d in items if p != "demo/__init__.py"])

    refused(zipped(entries(record=forget_module)), "'demo/__init__.py' is not listed in RECORD")


def test_record_lists_a_missing_file():
    def phantom(items: Entries) -> bytes:
        return default_record(items + [("demo/ghost.py", b"")])

    refused(zipped(entries(record=phantom)), "not in the archive")


@pytest.mark.parametrize(
    ("algo", "fragment"), [("md5", "too weak"), ("sha1", "too weak"), ("crc32", "unsupported hash")]
)
def test_weak_or_unknown_hashes(algo, fragment):
    def weak(items: Entries) -> bytes:
        return default_record(items).replace(b"sha256=", f"{algo}=".encode())

    refused(zipped(entries(record=weak)), fragment)


def test_record_row_without_hash():
    def no_hash(items: Entries) -> bytes:
        return default_record(items).replace(record_hash(b"X = 1\n").encode(), b"")

    refused(zipped(entries(record=no_hash)), "no hash")


def test_bad_data_key():
    refused(with_extra("demo-1.0.data/lib/x.py"), ".data entry")


def test_file_and_folder_with_one_name():
    refused(zipped(entries({"demo": b"", "demo/x.py": b""})), "both a file and a folder")


def test_zip_bomb_ratio(tmp_path):
    zeros = b"\0" * (20 * 1024 * 1024)  # deflates to ~20 KB: a 1000:1 ratio
    refused(zipped(entries({"demo/__init__.py": b"", "demo/zeros.bin": zeros})), "zip bomb")


def test_zip_bomb_total_size():
    data = zipped(entries({"demo/__init__.py": b"x" * 5000}))
    assert load(data, max_unpacked_size=100_000).name == "demo"
    refused(data, "zip bomb", max_unpacked_size=1000)


# ---- fuzzing: nothing but InvalidWheelError escapes -----------------------------------------------

GOOD = zipped(entries({"demo/__init__.py": b"X = 1\n" * 50, "demo/data.txt": b"hello"}))


def check_only_invalid_wheel_error(data: bytes) -> None:
    try:
        WheelFile.from_bytes(FILENAME, data)
    except InvalidWheelError:
        pass


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data):
    check_only_invalid_wheel_error(data)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(0, len(GOOD)),
)
def test_mutated_wheel(changes, cut):
    data = bytearray(GOOD)
    for index, value in changes:
        data[index] = value
    check_only_invalid_wheel_error(bytes(data[: max(cut, 1)]) if cut < len(GOOD) // 4 else bytes(data))
