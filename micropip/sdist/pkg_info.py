"""An sdist's PKG-INFO, and whether its dependencies can be trusted without building (PEP 643).

From Metadata-Version 2.2 on, every field not listed in ``Dynamic`` must be the same in
any wheel built from the sdist. So when Requires-Dist, Requires-Python and
Provides-Extra are all static, a resolver may use them as they are and build only the
release it finally picks. Below 2.2, or with any of them dynamic, only a build (or
``prepare_metadata_for_build_wheel``) says what the project needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from .errors import InvalidSdistError

# The fields a resolver reads; all must be static for the PKG-INFO to stand in for a build.
RESOLUTION_FIELDS = ("requires-dist", "requires-python", "provides-extra")
_NEVER_DYNAMIC = ("name", "version", "metadata-version")  # PEP 643 forbids these in Dynamic


@dataclass(frozen=True)
class PkgInfo:
    """PKG-INFO as parsed: what every sdist has, static or not."""

    metadata_version: str
    name: str
    version: str
    dynamic: tuple[str, ...]  # lower-cased field names
    requires_dist: tuple[str, ...]
    requires_python: str | None
    provides_extra: tuple[str, ...]
    summary: str | None

    @property
    def canonical_name(self) -> NormalizedName:
        return canonicalize_name(self.name)


@dataclass(frozen=True)
class StaticMetadata:
    """Dependencies a resolver may use without building the sdist (PEP 643)."""

    name: NormalizedName
    version: Version
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extra: tuple[NormalizedName, ...]


def parse_pkg_info(data: bytes, *, source: str = "PKG-INFO") -> PkgInfo:
    """Parse PKG-INFO leniently (old sdists are sloppy); raise InvalidSdistError without Name/Version."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # Metadata 1.x predates the UTF-8 rule
    raw, _unparsed = parse_email(text)
    missing = [f for f in ("metadata_version", "name", "version") if not raw.get(f)]
    if missing:
        raise InvalidSdistError(f"{source} lacks {', '.join(m.replace('_', '-').title() for m in missing)}")
    return PkgInfo(
        metadata_version=str(raw["metadata_version"]),
        name=str(raw["name"]),
        version=str(raw["version"]),
        dynamic=tuple(d.strip().lower() for d in raw.get("dynamic", [])),
        requires_dist=tuple(raw.get("requires_dist", [])),
        requires_python=raw.get("requires_python"),
        provides_extra=tuple(raw.get("provides_extra", [])),
        summary=raw.get("summary"),
    )


def static_metadata(data: bytes | PkgInfo, *, source: str = "PKG-INFO") -> tuple[StaticMetadata | None, str]:
    """``(metadata, "")`` when PKG-INFO can be trusted for resolution, else ``(None, why not)``.

    Why-not strings are meant for a log line ("Metadata-Version 2.1 predates PEP 643").
    Invalid values in a static field are an error (InvalidSdistError): PEP 643 says a
    static field is what the wheel will carry, so a broken one will not build better.
    """
    info = data if isinstance(data, PkgInfo) else parse_pkg_info(data, source=source)
    try:
        declared = Version(info.metadata_version)
    except InvalidVersion:
        return None, f"Metadata-Version {info.metadata_version!r} is not a version"
    if declared < Version("2.2"):
        return None, f"Metadata-Version {info.metadata_version} predates PEP 643 (2.2): its fields may be dynamic"
    forbidden = [f for f in info.dynamic if f in _NEVER_DYNAMIC]
    if forbidden:
        raise InvalidSdistError(f"{source} marks {', '.join(forbidden)} as Dynamic, which PEP 643 forbids")
    dynamic = [f for f in RESOLUTION_FIELDS if f in info.dynamic]
    if dynamic:
        return None, f"{', '.join(dynamic)} {'is' if len(dynamic) == 1 else 'are'} Dynamic: only a build knows"
    try:
        requires = tuple(Requirement(r) for r in info.requires_dist)
        python = SpecifierSet(info.requires_python) if info.requires_python else None
        version = Version(info.version)
    except (InvalidRequirement, InvalidSpecifier, InvalidVersion) as exc:
        raise InvalidSdistError(f"{source} has an invalid static field: {exc}") from None
    return (
        StaticMetadata(
            name=info.canonical_name,
            version=version,
            requires_dist=requires,
            requires_python=python,
            provides_extra=tuple(canonicalize_name(e) for e in info.provides_extra),
        ),
        "",
    )


def check_identity(info: PkgInfo, name: str, version: str | Version, *, source: str) -> None:
    """PKG-INFO must describe the release the file name (and the index) say it is."""
    if info.canonical_name != canonicalize_name(name):
        raise InvalidSdistError(f"{source} says its project is {info.name!r}, not {name!r}")
    try:
        same = Version(info.version) == Version(str(version))
    except InvalidVersion:
        same = False
    if not same:
        raise InvalidSdistError(f"{source} says its version is {info.version!r}, not {version}")
