"""Core metadata (METADATA / PEP 658 files): just what resolution needs."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from ..errors import MetadataError
from .metadata_headers import Headers, parse_headers


@dataclass(frozen=True)
class CoreMetadata:
    """The parts of a distribution's core metadata that resolving needs."""

    name: str
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extra: frozenset[str]

    @property
    def canonical_name(self) -> str:
        return canonicalize_name(self.name)


def parse_core_metadata(data: bytes, source: str) -> CoreMetadata:
    """Parse METADATA bytes; ``source`` (URL or file) goes into error messages.

    Raises only ``MetadataError``: the bytes come from an index or a wheel, so
    anything is possible.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MetadataError(f"metadata in {source} is not UTF-8 text: {exc}") from exc
    msg = parse_headers(text)  # reads any text: a missing field is what can go wrong
    name = _field(msg, "Name")
    raw_version = _field(msg, "Version")
    if not name or not raw_version:
        raise MetadataError(f"metadata in {source} lacks Name or Version")
    try:
        version = Version(raw_version)
    except ValueError as exc:  # InvalidVersion, or a number too long to convert
        raise MetadataError(f"metadata in {source} has an invalid version {raw_version!r}") from exc
    requires = []
    for line in _fields(msg, "Requires-Dist"):
        try:
            requires.append(_requirement(line))
        except ValueError as exc:  # InvalidRequirement (and its long-number cousins)
            raise MetadataError(f"{name} {version} ({source}) has a malformed Requires-Dist {line!r}: {exc}") from exc
    requires_python = None
    raw_rp = _field(msg, "Requires-Python")
    if raw_rp:
        try:
            requires_python = SpecifierSet(raw_rp)
        except ValueError as exc:  # InvalidSpecifier
            raise MetadataError(f"{name} {version} ({source}) has a malformed Requires-Python {raw_rp!r}") from exc
    extras = frozenset(canonicalize_name(e) for e in _fields(msg, "Provides-Extra"))
    return CoreMetadata(name, version, tuple(requires), requires_python, extras)


# Releases of a project repeat most of their Requires-Dist lines word for word (fastapi's
# thirty extras), and a resolver walking back reads hundreds of releases: each line is parsed
# once (packaging's parser is most of the CPU time of reading metadata in Pyodide). The
# objects are shared, never changed.
_PARSED: dict[str, Requirement] = {}
_PARSED_MAX = 20_000


def _requirement(line: str) -> Requirement:
    req = _PARSED.get(line)
    if req is None:
        req = Requirement(line)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[line] = req
    return req


def _field(msg: Headers, key: str) -> str:
    value = msg.get(key)
    return str(value).strip() if value is not None else ""


def _fields(msg: Headers, key: str) -> list[str]:
    return [str(v).strip() for v in msg.get_all(key) or []]
