"""Pyodide's ``pyodide-lock.json``: read, validate, merge and write.

Pyodide's loader looks packages up by canonical name in ``packages`` and trusts
``sha256`` and ``depends``, so a wrong entry breaks ``loadPackage`` far from its
cause; we check those rules when reading and again after every merge. Keys we do
not know (``tool``, fields of a newer Pyodide) are kept in ``extra`` so that a
round trip does not lose them.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from ._checks import Where, decode, short

INSTALL_DIRS = ("site", "stdlib", "dynlib")
# "static_library" is written by pyodide-build for static archives; Pyodide skips it at load time.
PACKAGE_TYPES = ("package", "cpython_module", "shared_library", "static_library")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_INFO_KEYS = ("arch", "platform", "version", "python", "abi_version")
_PACKAGE_KEYS = (
    "name",
    "version",
    "file_name",
    "install_dir",
    "sha256",
    "package_type",
    "imports",
    "depends",
    "unvendored_tests",
    "shared_library",
)
_LABEL = "<pyodide-lock.json data>"


@dataclass(frozen=True)
class LockInfo:
    """The ``info`` table: which interpreter and platform the lock's wheels were built for."""

    arch: str
    platform: str
    version: str | None  # the Pyodide version; locks of Pyodide >= 0.28 leave it out
    python: str
    abi_version: str | None = None  # the PEP 783 ABI ("2026_0"); older locks leave it out
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object; absent optional keys stay absent."""
        data: dict[str, Any] = {"arch": self.arch, "platform": self.platform}
        if self.version is not None:
            data["version"] = self.version
        data["python"] = self.python
        if self.abi_version is not None:
            data["abi_version"] = self.abi_version
        data.update(copy.deepcopy(self.extra))
        return data


@dataclass(frozen=True)
class LockPackage:
    """One entry of ``packages``: a prebuilt file Pyodide can load, and what it needs."""

    name: str
    version: str
    file_name: str  # a file name relative to the lock's base URL, or an absolute URL
    install_dir: str
    sha256: str
    package_type: str = "package"
    imports: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()
    unvendored_tests: bool = False
    shared_library: bool = False
    extra: dict[str, Any] = field(default_factory=dict, hash=False)
    # Pyodide >= 0.25 derives `shared_library` from `package_type`, and its locks omit the
    # key; True when the source had it, so that a round trip writes it back.
    write_shared_library: bool = field(default=False, compare=False, repr=False)

    @classmethod
    def site_wheel(
        cls, name: str, version: str, file_name: str, sha256: str, imports: list[str], depends: list[str]
    ) -> "LockPackage":
        """An entry for a plain wheel unpacked into site-packages (what freeze and the bundle write)."""
        return cls(
            name=name, version=version, file_name=file_name, install_dir="site", sha256=sha256,
            imports=tuple(imports), depends=tuple(depends),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of this entry."""
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "file_name": self.file_name,
            "install_dir": self.install_dir,
            "sha256": self.sha256,
            "package_type": self.package_type,
            "imports": list(self.imports),
            "depends": list(self.depends),
            "unvendored_tests": self.unvendored_tests,
        }
        if self.write_shared_library:
            data["shared_library"] = self.shared_library
        data.update(copy.deepcopy(self.extra))
        return data


@dataclass(frozen=True)
class PyodideLock:
    """A whole ``pyodide-lock.json``: ``info`` plus packages keyed by canonical name."""

    info: LockInfo
    packages: dict[str, LockPackage] = field(hash=False)
    extra: dict[str, Any] = field(default_factory=dict, hash=False)

    @classmethod
    def from_dict(cls, data: object, *, source: str | None = None) -> PyodideLock:
        """Build and validate a lock from parsed JSON (e.g. Pyodide's in-memory lockfile)."""
        where = Where(source, _LABEL)
        lock = _lock_from_data(where.table(data), where)
        lock.validate(source=source)
        return lock

    def get(self, name: str) -> LockPackage | None:
        """The entry for a project name in any spelling (``Jinja2``, ``jinja2``)."""
        return self.packages.get(canonicalize_name(name))

    def to_dict(self) -> dict[str, Any]:
        """The JSON document; packages in key order so that output does not depend on history."""
        data: dict[str, Any] = {
            "info": self.info.to_dict(),
            "packages": {key: self.packages[key].to_dict() for key in sorted(self.packages)},
        }
        data.update(copy.deepcopy(self.extra))
        return data

    def to_json(self) -> str:
        """Deterministic text: sorted keys, two-space indent, trailing newline (stable diffs)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def validate(self, *, source: str | None = None) -> None:
        """Raise LockfileError for the first rule the lock breaks; return None if it is sound."""
        where = Where(source, _LABEL)
        if not isinstance(self.info, LockInfo):
            where.at("info").fail(f"expected LockInfo, found {type(self.info).__name__}")
        _check_info(self.info, where.at("info"))
        _check_extra(self.extra, ("info", "packages"), where)
        if not isinstance(self.packages, Mapping):
            where.at("packages").fail(f"expected a mapping, found {type(self.packages).__name__}")
        by_canonical: dict[str, str] = {}
        for key, package in self.packages.items():
            if not isinstance(key, str):
                where.at("packages").fail(f"package keys must be strings, found {short(key)}")
            at = where.at("packages").at(key).of(key)
            if not isinstance(package, LockPackage):
                at.fail(f"expected LockPackage, found {type(package).__name__}")
            _check_package(key, package, at)
            by_canonical[canonicalize_name(key)] = key
        for key, package in self.packages.items():
            for i, dependency in enumerate(package.depends):
                if canonicalize_name(dependency) not in by_canonical:
                    where.at("packages").at(key).at("depends").at(i).of(key).fail(
                        f"{key!r} depends on {dependency!r}, which is not in this lock",
                        f"Add an entry for {dependency!r} to packages or remove it from the depends of {key!r}",
                    )


def read_pyodide_lock(text_or_bytes: str | bytes, *, source: str | None = None) -> PyodideLock:
    """Parse and validate ``pyodide-lock.json`` text; ``source`` (path/URL) is named in errors."""
    where = Where(source, _LABEL)
    text = decode(text_or_bytes, where)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; so is a huge int
        where.fail(f"not valid JSON ({short(str(exc), 120)})", "Fix the JSON syntax or regenerate the lockfile")
    lock = _lock_from_data(where.table(data), where)
    lock.validate(source=source)
    return lock


# -- reading: shapes (objects, arrays) here; leaf values are checked by validate() --------------


def _lock_from_data(top: dict[str, Any], where: Where) -> PyodideLock:
    info_data = where.at("info").table(
        where.required(top, "info", "A pyodide-lock.json starts with an \"info\" object (arch, platform, python)")
    )
    info = LockInfo(
        arch=where.at("info").required(info_data, "arch", 'Add "arch": "wasm32"'),
        platform=where.at("info").required(info_data, "platform", 'Add the platform, e.g. "emscripten_4_0_9"'),
        version=info_data.get("version"),
        python=where.at("info").required(info_data, "python", 'Add the Python version, e.g. "3.14.2"'),
        abi_version=info_data.get("abi_version"),
        extra={k: copy.deepcopy(v) for k, v in info_data.items() if k not in _INFO_KEYS},
    )
    entries = where.at("packages").table(
        where.required(top, "packages", 'Add a "packages" object (it may be empty)')
    )
    packages: dict[str, LockPackage] = {}
    for key, entry in entries.items():
        if not isinstance(key, str):
            where.at("packages").fail(f"package keys must be strings, found {short(key)}")
        packages[key] = _package_from_data(entry, where.at("packages").at(key).of(key))
    extra = {k: copy.deepcopy(v) for k, v in top.items() if k not in ("info", "packages")}
    return PyodideLock(info, packages, extra)


def _package_from_data(entry: object, at: Where) -> LockPackage:
    data = at.table(entry)

    def need(key: str, hint: str) -> Any:
        return at.required(data, key, hint)

    shared = "shared_library" in data
    package_type = data.get("package_type")
    if package_type is None:  # locks older than Pyodide 0.25 only had the boolean
        package_type = "shared_library" if data.get("shared_library") is True else "package"
    return LockPackage(
        name=need("name", "Add the project name"),
        version=need("version", "Add the package version"),
        file_name=need("file_name", "Add the file name of the wheel or archive"),
        install_dir=need("install_dir", f"Add one of {', '.join(INSTALL_DIRS)}"),
        sha256=need("sha256", "Add the file's sha256 (64 lowercase hex digits)"),
        package_type=package_type,
        imports=tuple(at.at("imports").array(data.get("imports", []))),
        depends=tuple(at.at("depends").array(data.get("depends", []))),
        unvendored_tests=data.get("unvendored_tests", False),
        shared_library=data["shared_library"] if shared else package_type == "shared_library",
        extra={k: copy.deepcopy(v) for k, v in data.items() if k not in _PACKAGE_KEYS},
        write_shared_library=shared,
    )


# -- validation of values ------------------------------------------------------------------------


def _check_extra(extra: object, known: tuple[str, ...], where: Where) -> None:
    if not isinstance(extra, Mapping):
        where.fail(f"extra must be a mapping, found {type(extra).__name__}")
    for key in extra:
        if not isinstance(key, str):
            where.fail(f"extra keys must be strings, found {short(key)}")
        if key in known:
            where.at(key).fail(f"{key!r} is a field, not an extra key", "Set the field instead")


def _check_info(info: LockInfo, at: Where) -> None:
    at.at("arch").string(info.arch)
    at.at("platform").string(info.platform)
    python = at.at("python").string(info.python)
    at.at("python").parsed(Version, python, "Python version", 'Write the interpreter version, e.g. "3.14.2"')
    for key in ("version", "abi_version"):
        value = getattr(info, key)
        if value is not None:
            at.at(key).string(value)
    _check_extra(info.extra, _INFO_KEYS, at)


def _check_package(key: str, package: LockPackage, at: Where) -> None:
    name = at.at("name").string(package.name)
    canonical = at.at("name").parsed(
        lambda s: canonicalize_name(s, validate=True), name, "project name", "Use the project's name from its metadata"
    )
    if key != canonical:
        at.fail(
            f"the key {key!r} does not match the package name {name!r}",
            f"Pyodide looks packages up by canonical name: use the key {canonical!r}",
        )
    version = at.at("version").string(package.version)
    if package.package_type == "package":  # a C library keeps its own scheme (openssl 1.1.1w in Pyodide 0.27)
        at.at("version").parsed(Version, version, "version (PEP 440)", "Write the version the wheel was built as")
    at.at("file_name").string(package.file_name)
    install_dir = at.at("install_dir").string(package.install_dir)
    if install_dir not in INSTALL_DIRS:
        at.at("install_dir").fail(f"unknown install_dir {install_dir!r}", f"Use one of {', '.join(INSTALL_DIRS)}")
    sha256 = at.at("sha256").string(package.sha256, empty_ok=True)
    if not _SHA256.fullmatch(sha256):
        at.at("sha256").fail(
            f"{short(sha256)} is not a sha256 digest",
            "Write the file's sha256 as 64 lowercase hex digits (e.g. from `sha256sum`)",
        )
    package_type = at.at("package_type").string(package.package_type)
    if package_type not in PACKAGE_TYPES:
        at.at("package_type").fail(f"unknown package_type {package_type!r}", f"Use one of {', '.join(PACKAGE_TYPES)}")
    for field_name in ("imports", "depends"):
        values = getattr(package, field_name)
        if not isinstance(values, tuple | list):
            at.at(field_name).wrong_type(values, "an array of strings")
        for i, value in enumerate(values):
            at.at(field_name).at(i).string(value)
    at.at("unvendored_tests").boolean(package.unvendored_tests)
    at.at("shared_library").boolean(package.shared_library)
    _check_extra(package.extra, _PACKAGE_KEYS, at)
