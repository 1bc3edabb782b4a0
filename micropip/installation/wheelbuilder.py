"""Write small, byte-for-byte reproducible wheels.

Used on the host to build our own wheel for the browser bundle and to make the
test fixtures; reproducible output means a committed wheel can be checked
against the script that made it.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

# Zip timestamps cannot be before 1980; a fixed date makes the bytes stable.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def record_hash(data: bytes) -> str:
    """RECORD-style hash: ``sha256=<urlsafe base64 without padding>``."""
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def dist_info_name(name: str, version: str) -> str:
    """The ``.dist-info`` folder name for a project (PEP 427 escaping)."""
    return f"{canonicalize_name(name).replace('-', '_')}-{version}.dist-info"


def wheel_filename(name: str, version: str, tag: str = "py3-none-any", build: str = "") -> str:
    stem = canonicalize_name(name).replace("-", "_")
    build_part = f"-{build}" if build else ""
    return f"{stem}-{version}{build_part}-{tag}.whl"


def make_metadata(
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    provides_extra: Iterable[str] = (),
    summary: str | None = None,
    extra_headers: Iterable[tuple[str, str]] = (),
) -> str:
    """Core metadata 2.1 text for a wheel's METADATA file."""
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if summary:
        lines.append(f"Summary: {summary}")
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Provides-Extra: {extra}" for extra in provides_extra]
    lines += [f"Requires-Dist: {req}" for req in requires_dist]
    lines += [f"{key}: {value}" for key, value in extra_headers]
    return "\n".join(lines) + "\n"


def make_wheel_file(tags: Iterable[str], *, root_is_purelib: bool = True, version: str = "1.0") -> str:
    lines = [
        f"Wheel-Version: {version}",
        "Generator: micropip.wheelbuilder",
        f"Root-Is-Purelib: {'true' if root_is_purelib else 'false'}",
    ]
    lines += [f"Tag: {tag}" for tag in tags]
    return "\n".join(lines) + "\n"


def write_wheel(
    out_dir: Path | str,
    name: str,
    version: str,
    files: Mapping[str, bytes | str],
    *,
    tag: str = "py3-none-any",
    metadata: str | None = None,
    wheel_file: str | None = None,
    filename: str | None = None,
    extra_dist_info: Mapping[str, bytes | str] | None = None,
    record: bool = True,
) -> Path:
    """Write a wheel and return its path.

    ``files`` maps archive paths to contents. METADATA, WHEEL and RECORD are
    generated unless given; ``filename`` overrides the computed file name (for
    deliberately inconsistent fixtures).
    """
    dist_info = dist_info_name(name, version)
    entries: dict[str, bytes] = {}
    for path, content in files.items():
        entries[path] = content.encode() if isinstance(content, str) else content
    if metadata is None:
        metadata = make_metadata(name, version)
    if wheel_file is None:
        wheel_file = make_wheel_file(_expand_tag(tag), root_is_purelib=tag.endswith("-none-any"))
    entries[f"{dist_info}/METADATA"] = metadata.encode()
    entries[f"{dist_info}/WHEEL"] = wheel_file.encode()
    for path, content in (extra_dist_info or {}).items():
        entries[f"{dist_info}/{path}"] = content.encode() if isinstance(content, str) else content
    record_path = f"{dist_info}/RECORD"
    if record:
        rows = [f"{path},{record_hash(data)},{len(data)}" for path, data in sorted(entries.items())]
        rows.append(f"{record_path},,")
        entries[record_path] = ("\n".join(rows) + "\n").encode()

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / (filename or wheel_filename(name, version, tag))
    write_zip(target, entries)
    return target


def write_zip(target: Path, entries: Mapping[str, bytes]) -> None:
    """Write entries in a stable order with fixed timestamps and permissions."""
    # dist-info last, as the wheel spec recommends, everything else sorted.
    order = sorted(entries, key=lambda p: (".dist-info/" in p, p))
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in order:
            info = zipfile.ZipInfo(path, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, entries[path], compresslevel=9)  # the bundle is downloaded by every page


def _expand_tag(tag: str) -> list[str]:
    """Expand a compressed tag set (``py2.py3-none-any``) into single tags."""
    interpreters, abis, platforms = tag.split("-")
    return [
        f"{i}-{a}-{p}"
        for i in interpreters.split(".")
        for a in abis.split(".")
        for p in platforms.split(".")
    ]
