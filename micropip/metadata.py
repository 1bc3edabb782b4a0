"""Core metadata (METADATA / PEP 658 files): just what resolution needs."""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import compat32

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .errors import MetadataError


@dataclass(frozen=True)
class CoreMetadata:
    name: str
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extra: frozenset[str]

    @property
    def canonical_name(self) -> str:
        return canonicalize_name(self.name)


def parse_core_metadata(data: bytes, source: str) -> CoreMetadata:
    """Parse METADATA bytes; ``source`` (URL or file) goes into error messages."""
    try:
        msg = BytesParser(policy=compat32).parsebytes(data)
    except Exception as exc:  # the email parser is lenient; be safe anyway
        raise MetadataError(f"unreadable metadata in {source}: {exc}") from exc
    name = (msg.get("Name") or "").strip()
    raw_version = (msg.get("Version") or "").strip()
    if not name or not raw_version:
        raise MetadataError(f"metadata in {source} lacks Name or Version")
    try:
        version = Version(raw_version)
    except InvalidVersion as exc:
        raise MetadataError(f"metadata in {source} has an invalid version {raw_version!r}") from exc
    requires = []
    for line in msg.get_all("Requires-Dist") or []:
        try:
            requires.append(Requirement(str(line).strip()))
        except InvalidRequirement as exc:
            raise MetadataError(f"{name} {version} ({source}) has a malformed Requires-Dist {line!r}: {exc}") from exc
    requires_python = None
    raw_rp = (msg.get("Requires-Python") or "").strip()
    if raw_rp:
        try:
            requires_python = SpecifierSet(raw_rp)
        except InvalidSpecifier as exc:
            raise MetadataError(f"{name} {version} ({source}) has a malformed Requires-Python {raw_rp!r}") from exc
    extras = frozenset(canonicalize_name(str(e).strip()) for e in msg.get_all("Provides-Extra") or [])
    return CoreMetadata(name, version, tuple(requires), requires_python, extras)
