"""PEP 751 ``pylock.toml``: read, validate, write, and pick the wheels for one environment.

``select_for_environment`` picks wheels only; ``select_files`` also takes an entry's sdist
(micropip builds pure-Python ones with ``build_sdists``) and an archive (a direct URL's
wheel or sdist). Directory and VCS entries are read and kept but refused at selection
time with a message saying so. The installation steps follow the
specification's "Installation" section: lock-version, requires-python,
environments, then per package marker, requires-python, ambiguity and source.
"""

from __future__ import annotations

import copy
import re
import tomllib
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from ._checks import Where, decode, short
from .errors import LockfileError, LockfileWarning

SUPPORTED_LOCK_VERSION = (1, 0)
_LOCK_VERSION = re.compile(r"(\d+)\.(\d+)")
_HEX = re.compile(r"[0-9a-fA-F]+")
_HEX_LENGTHS = {
    "md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
    "sha3_224": 56, "sha3_256": 64, "sha3_384": 96, "sha3_512": 128, "blake2b": 128, "blake2s": 64,
}  # fmt: skip
_LABEL = "<pylock.toml text>"
_SOURCE_KEYS = ("vcs", "directory", "archive", "sdist", "wheels")


@dataclass(frozen=True, kw_only=True)
class PylockWheel:
    """One ``[[packages.wheels]]`` entry: where to get a wheel and the hashes to check it against."""

    name: str | None = None  # the file name; may be left out when url/path ends with it
    url: str | None = None
    path: str | None = None  # relative paths are relative to the lock file
    size: int | None = None
    upload_time: datetime | None = None
    hashes: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def filename(self) -> str:
        """The wheel's file name: ``name``, else the last segment of ``url`` or ``path``."""
        if isinstance(self.name, str) and self.name:
            return self.name
        if isinstance(self.url, str) and self.url:
            return unquote(urlsplit(self.url).path.rsplit("/", 1)[-1])
        if isinstance(self.path, str) and self.path:
            return self.path.replace("\\", "/").rsplit("/", 1)[-1]
        return ""

    def to_dict(self) -> dict[str, Any]:
        """The TOML table, keys in PEP 751 order."""
        data: dict[str, Any] = {}
        for key, value in (
            ("name", self.name),
            ("upload-time", self.upload_time),
            ("url", self.url),
            ("path", self.path),
            ("size", self.size),
        ):
            if value is not None:
                data[key] = value
        data["hashes"] = {algorithm: self.hashes[algorithm] for algorithm in sorted(self.hashes)}
        return data


@dataclass(frozen=True)
class PylockFile:
    """What ``select_files`` picked for one entry: its wheel, its sdist or its archive (PEP 751)."""

    kind: str  # "wheel", "sdist" or "archive"
    filename: str
    url: str | None = None
    path: str | None = None  # relative paths are relative to the lock file
    size: int | None = None
    hashes: dict[str, str] = field(default_factory=dict, hash=False)

    @classmethod
    def of(cls, kind: str, table: "PylockWheel | Mapping[str, Any]") -> "PylockFile":
        if isinstance(table, PylockWheel):
            return cls(kind, table.filename, table.url, table.path, table.size, dict(table.hashes))
        url, path = table.get("url"), table.get("path")
        filename = table.get("name") if kind == "sdist" and isinstance(table.get("name"), str) else ""
        filename = filename or PylockWheel(url=url, path=path).filename
        return cls(kind, filename, url, path, table.get("size"), dict(table.get("hashes") or {}))


@dataclass(frozen=True)
class PylockPackage:
    """One ``[[packages]]`` entry; only ``wheels`` can be installed by micropip."""

    name: str
    version: str | None = None
    marker: str | None = None
    requires_python: str | None = None
    index: str | None = None
    dependencies: tuple[dict[str, Any], ...] = field(default=(), hash=False)
    wheels: tuple[PylockWheel, ...] = ()
    sdist: dict[str, Any] | None = field(default=None, hash=False)
    archive: dict[str, Any] | None = field(default=None, hash=False)
    directory: dict[str, Any] | None = field(default=None, hash=False)
    vcs: dict[str, Any] | None = field(default=None, hash=False)
    attestation_identities: tuple[dict[str, Any], ...] = field(default=(), hash=False)
    tool: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def sources(self) -> tuple[str, ...]:
        """The kinds of source this entry locks: some of vcs, directory, archive, sdist, wheels."""
        return tuple(key for key in _SOURCE_KEYS if getattr(self, key))

    @property
    def has_wheels(self) -> bool:
        """False for entries micropip must refuse (sdist, archive, directory or VCS only)."""
        return bool(self.wheels)

    def installable_wheels(self, *, source: str | None = None) -> tuple[PylockWheel, ...]:
        """The wheels, or a LockfileError saying that only wheels are installed."""
        if self.wheels:
            return tuple(self.wheels)
        name = self.name if isinstance(self.name, str) else None
        raise _no_wheels(self, Where(source, _LABEL, "wheels", name, toml=True))

    def to_dict(self) -> dict[str, Any]:
        """The TOML table, keys in PEP 751 order; absent optional keys stay absent."""
        data: dict[str, Any] = {"name": self.name}
        for key, value in (
            ("version", self.version),
            ("marker", self.marker),
            ("requires-python", self.requires_python),
        ):
            if value is not None:
                data[key] = value
        if self.dependencies:
            data["dependencies"] = copy.deepcopy(list(self.dependencies))
        if self.index is not None:
            data["index"] = self.index
        for key in ("vcs", "directory", "archive", "sdist"):
            value = getattr(self, key)
            if value is not None:
                data[key] = copy.deepcopy(value)
        if self.wheels:
            data["wheels"] = [wheel.to_dict() for wheel in self.wheels]
        if self.attestation_identities:
            data["attestation-identities"] = copy.deepcopy(list(self.attestation_identities))
        if self.tool:
            data["tool"] = copy.deepcopy(self.tool)
        return data


@dataclass(frozen=True, kw_only=True)
class Pylock:
    """A whole ``pylock.toml``. ``packages`` is kept sorted by name, then version.

    The order of ``[[packages]]`` has no meaning in PEP 751; keeping one order makes
    ``read_pylock(write_pylock(lock)) == lock`` hold and the written file diff-stable.
    """

    lock_version: str = "1.0"
    environments: tuple[str, ...] | None = None
    requires_python: str | None = None
    extras: tuple[str, ...] | None = None
    dependency_groups: tuple[str, ...] | None = None
    default_groups: tuple[str, ...] | None = None
    created_by: str
    packages: tuple[PylockPackage, ...] = ()
    tool: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.packages, list | tuple):
            object.__setattr__(self, "packages", tuple(sorted(self.packages, key=_package_order)))

    @property
    def packages_without_wheels(self) -> tuple[PylockPackage, ...]:
        """Entries micropip cannot install (sdist, archive, directory or VCS only)."""
        return tuple(p for p in self.packages if isinstance(p, PylockPackage) and not p.wheels)

    @classmethod
    def from_dict(cls, data: object, *, source: str | None = None) -> Pylock:
        """Build and validate a lock from parsed TOML; errors name the file's own indices."""
        where = Where(source, _LABEL, toml=True)
        top = where.table(data)
        lock_version = where.required(top, "lock-version", 'Add lock-version = "1.0" at the top of the file')
        if _check_lock_version(lock_version, where.at("lock-version")) > SUPPORTED_LOCK_VERSION:
            warnings.warn(
                f"{source or _LABEL}: lock-version {lock_version} is newer than 1.0; "
                "keys this reader does not know are ignored",
                LockfileWarning,
                stacklevel=3,
            )
        packages = []
        for i, item in enumerate(where.at("packages").array(where.required(top, "packages", "Add [[packages]]"))):
            package = _package_from_data(item, where.at("packages").at(i))
            _check_package(package, where.at("packages").at(i).of(package.name))  # name: checked str
            packages.append(package)
        lock = cls(
            lock_version=lock_version,
            environments=_optional_tuple(top, "environments", where),
            requires_python=top.get("requires-python"),
            extras=_optional_tuple(top, "extras", where),
            dependency_groups=_optional_tuple(top, "dependency-groups", where),
            default_groups=_optional_tuple(top, "default-groups", where),
            created_by=where.required(top, "created-by", 'Add created-by = "<the tool that wrote the lock>"'),
            packages=tuple(packages),
            tool=copy.deepcopy(where.at("tool").table(top.get("tool", {}))),
        )
        _check_top(lock, where)
        return lock

    def to_dict(self) -> dict[str, Any]:
        """The TOML document, keys in PEP 751 order."""
        data: dict[str, Any] = {"lock-version": self.lock_version}
        for key, value in (
            ("environments", self.environments),
            ("requires-python", self.requires_python),
            ("extras", self.extras),
            ("dependency-groups", self.dependency_groups),
            ("default-groups", self.default_groups),
        ):
            if value is not None:
                data[key] = list(value) if isinstance(value, tuple) else value
        data["created-by"] = self.created_by
        data["packages"] = [package.to_dict() for package in self.packages]
        if self.tool:
            data["tool"] = copy.deepcopy(self.tool)
        return data

    def validate(self, *, source: str | None = None) -> None:
        """Raise LockfileError for the first PEP 751 rule the lock breaks; return None if sound."""
        where = Where(source, _LABEL, toml=True)
        _check_lock_version(self.lock_version, where.at("lock-version"))
        if not isinstance(self.packages, tuple):
            where.at("packages").wrong_type(self.packages, "an array")
        for i, package in enumerate(self.packages):
            if not isinstance(package, PylockPackage):
                where.at("packages").at(i).fail(f"expected PylockPackage, found {type(package).__name__}")
            name = package.name if isinstance(package.name, str) else None
            _check_package(package, where.at("packages").at(i).of(name))
        _check_top(self, where)


def read_pylock(text_or_bytes: str | bytes, *, source: str | None = None) -> Pylock:
    """Parse and validate ``pylock.toml`` text; ``source`` (path/URL) is named in errors."""
    where = Where(source, _LABEL, toml=True)
    text = decode(text_or_bytes, where)
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError is a ValueError; so is a huge int
        where.fail(f"not valid TOML ({short(str(exc), 120)})", "Fix the TOML syntax or lock again")
    return Pylock.from_dict(data, source=source)


def write_pylock(lock: Pylock) -> str:
    """The lock as TOML text, validated first; same lock, same bytes. Needs ``tomli-w`` (host only)."""
    try:
        import tomli_w
    except ImportError as exc:
        raise ImportError("writing pylock.toml needs tomli-w: pip install tomli-w") from exc
    if not isinstance(lock, Pylock):
        raise LockfileError(f"expected a Pylock, found {type(lock).__name__}", label=_LABEL)
    lock.validate()
    return tomli_w.dumps(lock.to_dict())


def select_for_environment(
    lock: Pylock,
    marker_env: Mapping[str, str],
    tags: Sequence[Tag],
    *,
    extras: Iterable[str] = (),
    dependency_groups: Iterable[str] | None = None,
    source: str | None = None,
) -> list[tuple[PylockPackage, PylockWheel]]:
    """The packages to install in one environment and, for each, its best wheel by tag order.

    ``marker_env`` is the target's marker environment (Pyodide's, not the host's);
    ``tags`` its supported tags, most preferred first. ``dependency_groups`` defaults
    to the lock's ``default-groups``, as PEP 751 asks.
    """

    def wheel_only(package: PylockPackage, at: Where, rank: Mapping[Tag, int], best_tag: str) -> PylockWheel:
        if not package.wheels:
            raise _no_wheels(package, at.at("wheels"))
        return _best_wheel(package, rank, best_tag, at)

    return _select(lock, marker_env, tags, wheel_only, extras=extras, dependency_groups=dependency_groups, source=source)


def select_files(
    lock: Pylock, marker_env: Mapping[str, str], tags: Sequence[Tag], **options: Any
) -> list[tuple[PylockPackage, PylockFile]]:
    """As ``select_for_environment`` (the same keyword options), each package with the file to
    install: its best wheel, else its sdist (to build), else its archive (a wheel that fits these
    tags, or an sdist). Directory and VCS entries are refused: there is nothing to download and verify."""

    def any_file(package: PylockPackage, at: Where, rank: Mapping[Tag, int], best_tag: str) -> PylockFile:
        if package.wheels and (package.sdist is None or _wheel_ranks(package, rank)):
            return PylockFile.of("wheel", _best_wheel(package, rank, best_tag, at))
        if package.sdist is not None:
            return PylockFile.of("sdist", package.sdist)
        if package.archive is not None:
            if package.archive.get("subdirectory"):
                at.at("archive").at("subdirectory").fail(
                    "an archive whose project is in a subdirectory cannot be installed here",
                    "Lock the project's own sdist or wheel instead",
                )
            found = PylockFile.of("archive", package.archive)
            if found.filename.endswith(".whl") and _wheel_rank(PylockWheel(name=found.filename), rank) is None:
                at.at("archive").fail(
                    f"the archive {found.filename!r} is a wheel that does not fit this environment (its best tag is {best_tag})",
                    "Lock a py3-none-any wheel, or one built for Pyodide",
                )
            return found
        kinds = " and ".join(package.sources) or "no source at all"
        raise at.error(
            f"wheels, sdists and archives are installed, and this entry locks {kinds}",
            "Lock again from an index or a file URL, or build a wheel of it and lock that",
        )

    return _select(lock, marker_env, tags, any_file, **options)


def _select(
    lock: Pylock, marker_env: Mapping[str, str], tags: Sequence[Tag], pick: Any, *,
    extras: Iterable[str] = (), dependency_groups: Iterable[str] | None = None, source: str | None = None,
) -> list:
    """PEP 751's installation steps for one environment; ``pick`` chooses each package's file."""
    where = Where(source, _LABEL, toml=True)
    if not isinstance(lock, Pylock):
        where.fail(f"expected a Pylock, found {type(lock).__name__}")
    lock.validate(source=source)  # a lock built in code gets the same checks as one read from a file
    tags = list(tags)
    groups = (lock.default_groups or ()) if dependency_groups is None else dependency_groups
    env: dict[str, Any] = dict(marker_env)
    env["extras"] = frozenset(canonicalize_name(e) for e in extras)
    env["dependency_groups"] = frozenset(canonicalize_name(g) for g in groups)
    described = _describe_env(env)

    if lock.requires_python is not None:
        _require_python(lock.requires_python, env, where.at("requires-python"), "this lock")
    if lock.environments is not None:
        holds = [
            _evaluate(text, env, where.at("environments").at(i)) for i, text in enumerate(lock.environments)
        ]
        if not any(holds):
            where.at("environments").fail(
                f"the lock does not cover this environment ({described}); it covers: "
                + "; ".join(lock.environments),
                "Lock again including this environment (for Pyodide: sys_platform == 'emscripten')",
            )

    rank: dict[Tag, int] = {}
    for i, tag in enumerate(tags):
        rank.setdefault(tag, i)
    best_tag = str(tags[0]) if tags else "(no tags given)"

    chosen: dict[str, int] = {}
    selected: list = []
    for i, package in enumerate(lock.packages):
        at = where.at("packages").at(i).of(package.name)
        if package.marker is not None and not _evaluate(package.marker, env, at.at("marker")):
            continue
        if package.requires_python is not None:
            _require_python(package.requires_python, env, at.at("requires-python"), f"package {package.name!r}")
        name = canonicalize_name(package.name)
        if name in chosen:
            at.fail(
                f"entries packages[{chosen[name]}] and packages[{i}] both apply to this environment ({described})",
                "Give the entries markers that exclude each other, or lock again",
            )
        chosen[name] = i
        selected.append((package, pick(package, at, rank, best_tag)))
    return selected


def _wheel_ranks(package: PylockPackage, rank: Mapping[Tag, int]) -> list[tuple[int, int, PylockWheel]]:
    ranked = [(_wheel_rank(wheel, rank), n, wheel) for n, wheel in enumerate(package.wheels)]
    return [item for item in ranked if item[0] is not None]  # type: ignore[misc]


def _best_wheel(package: PylockPackage, rank: Mapping[Tag, int], best_tag: str, at: Where) -> PylockWheel:
    matching = _wheel_ranks(package, rank)
    if not matching:
        at.at("wheels").fail(
            f"no wheel fits this environment (its best tag is {best_tag}); the lock has "
            + ", ".join(wheel.filename for wheel in package.wheels),
            "Lock again including a wheel for this platform (a py3-none-any wheel, or one built for Pyodide)",
        )
    return min(matching, key=lambda item: (item[0], item[1]))[2]


# -- reading: shapes here; leaf values are checked by _check_* ----------------------------------


def _optional_tuple(top: dict[str, Any], key: str, where: Where) -> tuple[Any, ...] | None:
    return tuple(where.at(key).array(top[key])) if key in top else None


def _tables(value: object, at: Where) -> tuple[dict[str, Any], ...]:
    return tuple(copy.deepcopy(at.at(i).table(item)) for i, item in enumerate(at.array(value)))


def _package_from_data(item: object, at: Where) -> PylockPackage:
    data = at.table(item)
    name = at.required(data, "name", "Add the package's name")
    at = at.of(name if isinstance(name, str) else None)
    wheels = tuple(
        _wheel_from_data(entry, at.at("wheels").at(i))
        for i, entry in enumerate(at.at("wheels").array(data.get("wheels", [])))
    )

    def optional_table(key: str) -> dict[str, Any] | None:
        return copy.deepcopy(at.at(key).table(data[key])) if key in data else None

    return PylockPackage(
        name=name,
        version=data.get("version"),
        marker=data.get("marker"),
        requires_python=data.get("requires-python"),
        index=data.get("index"),
        dependencies=_tables(data.get("dependencies", []), at.at("dependencies")),
        wheels=wheels,
        sdist=optional_table("sdist"),
        archive=optional_table("archive"),
        directory=optional_table("directory"),
        vcs=optional_table("vcs"),
        attestation_identities=_tables(data.get("attestation-identities", []), at.at("attestation-identities")),
        tool=copy.deepcopy(at.at("tool").table(data.get("tool", {}))),
    )


def _wheel_from_data(entry: object, at: Where) -> PylockWheel:
    data = at.table(entry)
    upload_time = data.get("upload-time")
    if isinstance(upload_time, str):  # some writers quote it; PEP 751 wants a TOML datetime
        try:
            upload_time = datetime.fromisoformat(upload_time)
        except ValueError:
            at.at("upload-time").fail(
                f"{short(upload_time)} is not a date and time", "Write a TOML datetime, e.g. 2025-01-25T11:30:10Z"
            )
    return PylockWheel(
        name=data.get("name"),
        url=data.get("url"),
        path=data.get("path"),
        size=data.get("size"),
        upload_time=upload_time,
        hashes=copy.deepcopy(at.at("hashes").table(data.get("hashes", {}))),
    )


# -- validation of values ------------------------------------------------------------------------


def _check_lock_version(value: object, at: Where) -> tuple[int, int]:
    text = at.string(value)
    match = _LOCK_VERSION.fullmatch(text)
    if not match:
        at.fail(f"{short(text)} is not a MAJOR.MINOR version", 'Write lock-version = "1.0"')
    version = (int(match[1]), int(match[2]))
    if version[0] != SUPPORTED_LOCK_VERSION[0]:
        at.fail(
            f"lock-version {text} is not supported (this reader knows 1.x)",
            'Lock again with a tool that writes lock-version = "1.0", or upgrade micropip',
        )
    return version


def _check_top(lock: Pylock, where: Where) -> None:
    if lock.environments is not None:
        at = where.at("environments")
        if not isinstance(lock.environments, tuple):
            at.wrong_type(lock.environments, "an array of marker strings")
        for i, text in enumerate(lock.environments):
            at.at(i).parsed(Marker, at.at(i).string(text), "environment marker", "Write a PEP 508 marker")
    if lock.requires_python is not None:
        at = where.at("requires-python")
        at.parsed(SpecifierSet, at.string(lock.requires_python), "version specifier", 'Write e.g. ">=3.12"')
    for key in ("extras", "dependency_groups", "default_groups"):
        values = getattr(lock, key)
        if values is not None:
            at = where.at(key.replace("_", "-"))
            if not isinstance(values, tuple):
                at.wrong_type(values, "an array of strings")
            for i, value in enumerate(values):
                at.at(i).string(value)
    where.at("created-by").string(lock.created_by)
    if not isinstance(lock.tool, dict):
        where.at("tool").wrong_type(lock.tool, "a table")


def _check_package(package: PylockPackage, at: Where) -> None:
    name = at.at("name").string(package.name)
    canonical = at.at("name").parsed(
        lambda s: canonicalize_name(s, validate=True), name, "project name", "Use the project's name"
    )
    version = None
    if package.version is not None:
        version = at.at("version").parsed(
            Version, at.at("version").string(package.version), "version (PEP 440)", "Write the locked version"
        )
    if package.marker is not None:
        at.at("marker").parsed(Marker, at.at("marker").string(package.marker), "marker", "Write a PEP 508 marker")
    if package.requires_python is not None:
        text = at.at("requires-python").string(package.requires_python)
        at.at("requires-python").parsed(SpecifierSet, text, "version specifier", 'Write e.g. ">=3.9"')
    if package.index is not None:
        at.at("index").string(package.index)
    for key in ("dependencies", "attestation_identities"):
        values = getattr(package, key)
        if not isinstance(values, tuple):
            at.at(key.replace("_", "-")).wrong_type(values, "an array of tables")
        for i, value in enumerate(values):
            at.at(key.replace("_", "-")).at(i).table(value)
    for i, identity in enumerate(package.attestation_identities):
        at.at("attestation-identities").at(i).at("kind").string(
            at.at("attestation-identities").at(i).required(identity, "kind", "Add the Trusted Publisher kind")
        )
    if not isinstance(package.tool, dict):
        at.at("tool").wrong_type(package.tool, "a table")

    sources = [key for key in ("vcs", "directory", "archive") if getattr(package, key) is not None]
    if package.sdist is not None or package.wheels:
        sources.append("sdist/wheels")
    if len(sources) > 1:
        at.fail(
            f"the entry has conflicting sources: {' and '.join(sources)}",
            "Keep one source per entry (sdist and wheels may go together); split the rest into entries",
        )
    if package.vcs is not None:
        vcs = at.at("vcs").table(package.vcs)
        at.at("vcs").at("type").string(at.at("vcs").required(vcs, "type", "Add the VCS type, e.g. git"))
        at.at("vcs").at("commit-id").string(at.at("vcs").required(vcs, "commit-id", "Add the exact commit"))
        _check_location(vcs.get("url"), vcs.get("path"), at.at("vcs"))
    if package.directory is not None:
        directory = at.at("directory").table(package.directory)
        at.at("directory").at("path").string(at.at("directory").required(directory, "path", "Add the path"))
    for key in ("archive", "sdist"):
        table = getattr(package, key)
        if table is not None:
            table = at.at(key).table(table)
            _check_location(table.get("url"), table.get("path"), at.at(key))
            _check_hashes(table.get("hashes"), at.at(key).at("hashes"))

    if not isinstance(package.wheels, tuple):
        at.at("wheels").wrong_type(package.wheels, "an array of tables")
    for i, wheel in enumerate(package.wheels):
        _check_wheel(wheel, canonical, version, at.at("wheels").at(i))


def _check_location(url: object, path: object, at: Where) -> None:
    if url is None and path is None:
        at.fail("neither url nor path is given", "Add the file's url (or a path relative to the lock file)")
    if url is not None:
        at.at("url").string(url)
    if path is not None:
        at.at("path").string(path)


def _check_hashes(hashes: object, at: Where) -> None:
    table = at.table({} if hashes is None else hashes)
    if not table:
        at.fail(
            "the file has no hashes (PEP 751 requires at least one)", 'Add e.g. hashes = { sha256 = "<hex digest>" }'
        )
    for algorithm, digest in table.items():
        if not isinstance(algorithm, str) or not algorithm:
            at.fail(f"{short(algorithm)} is not a hash algorithm name", "Use a hashlib name such as sha256")
        text = at.at(algorithm).string(digest)
        expected = _HEX_LENGTHS.get(algorithm.lower())
        if not _HEX.fullmatch(text) or (expected is not None and len(text) != expected):
            at.at(algorithm).fail(
                f"{short(text)} is not a {algorithm} digest"
                + (f" ({expected} hex digits)" if expected is not None else " (hex digits)"),
                "Copy the digest from the index or recompute it",
            )


def _check_wheel(wheel: object, project: str, version: Version | None, at: Where) -> None:
    if not isinstance(wheel, PylockWheel):
        at.fail(f"expected PylockWheel, found {type(wheel).__name__}")
    if wheel.name is not None:
        at.at("name").string(wheel.name)
    _check_location(wheel.url, wheel.path, at)
    filename = wheel.filename
    if not filename:
        at.fail("cannot tell the wheel's file name", "Add name = \"<the .whl file name>\"")
    where_name = at.at("name" if wheel.name is not None else ("url" if wheel.url is not None else "path"))
    wheel_project, wheel_version, _, _ = where_name.parsed(
        parse_wheel_filename, filename, "wheel file name (PEP 427)", "Name the .whl file as its project-version-tags"
    )
    if wheel_project != project:
        where_name.fail(
            f"the wheel {filename!r} is for project {wheel_project!r}, not {project!r}",
            "Move the wheel to its own package entry or fix the package name",
        )
    if version is not None and wheel_version != version:
        where_name.fail(
            f"the wheel {filename!r} is version {wheel_version}, but the entry locks {version}",
            "Fix the entry's version or list the wheel of that version",
        )
    if wheel.size is not None:
        at.at("size").integer(wheel.size)
    if wheel.upload_time is not None and not isinstance(wheel.upload_time, datetime):
        kind = "a date without a time" if isinstance(wheel.upload_time, date) else short(wheel.upload_time)
        at.at("upload-time").fail(f"expected a datetime, found {kind}", "Write e.g. 2025-01-25T11:30:10Z")
    _check_hashes(wheel.hashes, at.at("hashes"))


# -- selection helpers ---------------------------------------------------------------------------


def _package_order(package: object) -> tuple[Any, ...]:
    """Sort key: canonical name, then version; never raises, whatever the entry holds."""
    name = getattr(package, "name", None)
    version = getattr(package, "version", None)
    key_name = canonicalize_name(name) if isinstance(name, str) else ""
    if not isinstance(version, str):
        key_version: tuple[Any, ...] = (0,)
    else:
        try:
            key_version = (1, Version(version))
        except ValueError:
            key_version = (2, version)
    marker = getattr(package, "marker", None)
    return (key_name, key_version, marker if isinstance(marker, str) else "")


def _evaluate(text: str, env: Mapping[str, Any], at: Where) -> bool:
    marker = at.parsed(Marker, at.string(text), "marker", "Write a PEP 508 marker")
    try:
        return marker.evaluate(dict(env), context="lock_file")
    except Exception as exc:  # UndefinedEnvironmentName, UndefinedComparison
        at.fail(f"cannot evaluate {text!r} for this environment ({exc})", "Fix the marker or the target environment")


def _require_python(specifier: str, env: Mapping[str, Any], at: Where, what: str) -> None:
    python = env.get("python_full_version") or env.get("python_version")
    if not isinstance(python, str):
        at.fail(f"{what} requires Python {specifier}, and the environment does not say its python_full_version")
    specifiers = at.parsed(SpecifierSet, specifier, "version specifier", 'Write e.g. ">=3.12"')
    if not specifiers.contains(python, prereleases=True):
        at.fail(
            f"{what} requires Python {specifier}, and this environment has Python {python}",
            "Lock again for this Python version",
        )


def _wheel_rank(wheel: PylockWheel, rank: Mapping[Tag, int]) -> int | None:
    try:
        _, _, _, tags = parse_wheel_filename(wheel.filename)
    except ValueError:
        return None
    ranks = [rank[tag] for tag in tags if tag in rank]
    return min(ranks) if ranks else None


def _no_wheels(package: PylockPackage, at: Where) -> LockfileError:
    kinds = " and ".join(package.sources) or "no source at all"
    return at.error(
        f"only wheels are installed, and this entry locks {kinds}",
        "Lock again allowing wheels only, or build a wheel of it and lock that",
    )


def _describe_env(env: Mapping[str, Any]) -> str:
    keys = ("sys_platform", "platform_machine", "python_full_version")
    return ", ".join(f"{key}={env[key]}" for key in keys if key in env) or "no marker values given"
