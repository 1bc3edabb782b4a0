"""Which of a project's files the target can use, and why the others are rejected."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .environment import TargetEnvironment
from ..index.project import ProjectFile

_EMSCRIPTEN_PLATFORM = re.compile(r"^(pyemscripten|pyodide)_(\d+_\d+)_wasm32$")
logger = logging.getLogger("micropip")


@dataclass(frozen=True)
class Usable:
    """A wheel the target can install; lower ``rank`` is a better tag match."""

    file: ProjectFile
    version: Version
    rank: int


# Why a file was rejected, as a category: for counting in summaries, closest miss first.
KIND_ABI = "pyodide-abi"  # a Pyodide wheel for another Pyodide ABI
KIND_PYTHON = "python"  # a wheel for another Python version or interpreter
KIND_REQUIRES_PYTHON = "requires-python"
KIND_PLATFORM = "platform"  # built for another platform (Linux, macOS, Windows...)
KIND_SDIST = "sdist"
KIND_OTHER = "other"
KIND_ORDER = (KIND_ABI, KIND_PYTHON, KIND_REQUIRES_PYTHON, KIND_PLATFORM, KIND_SDIST, KIND_OTHER)
KIND_LABELS = {
    KIND_ABI: "built for another Pyodide ABI",
    KIND_PYTHON: "built for another Python version or interpreter",
    KIND_REQUIRES_PYTHON: "declare a Requires-Python this Python does not meet",
    KIND_PLATFORM: "built for another platform (not Pyodide)",
    KIND_SDIST: "source distributions (built only with build_sdists=True)",
    KIND_OTHER: "unusable for other reasons",
}


@dataclass(frozen=True)
class Rejected:
    """A file the index lists that this environment cannot use, and why (an error names them)."""

    filename: str
    reason: str
    invalid: bool = False  # the index lists something broken (not merely an unsuitable wheel)
    kind: str = KIND_OTHER

    @property
    def version(self) -> Version | None:
        """The version the file name says, when it can be read."""
        return file_version(self.filename)


def file_version(filename: str) -> Version | None:
    """The version in a wheel or sdist file name; None when it cannot be read."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (ValueError, TypeError):
        return None


def listed_versions(filenames: Iterable[str]) -> set[Version]:
    """The versions a page's file names say, each version string parsed once.

    A big page names a few releases in thousands of files (msgpack: 1 569 wheels of ~60
    releases); parsing every wheel name fully cost ~20 ms per install in Pyodide. A wheel's
    version is its second dash-separated part (PEP 427 escapes dashes in the other parts).
    """
    seen: dict[str, Version | None] = {}
    for filename in filenames:
        if filename.endswith(".whl"):
            text = wheel_version_text(filename)
        else:
            # An sdist is name-version.tar.gz (or .zip): the version follows the last dash
            # (boto3 lists two thousand of them; a full parse of each name is the slow part).
            stem = filename[: -len(".tar.gz")] if filename.endswith(".tar.gz") else filename.rsplit(".", 1)[0]
            text = stem.rsplit("-", 1)[1] if "-" in stem else None
        if text is not None and text not in seen:
            try:
                seen[text] = Version(text)
            except InvalidVersion:
                seen[text] = None
    return {v for v in seen.values() if v is not None}


def wheel_version_text(filename: str) -> str | None:
    """The version a wheel's file name spells, unparsed: its second dash-separated part (PEP 427
    escapes dashes in the others); None for a name without five or six parts."""
    parts = filename[:-4].split("-")
    return parts[1] if len(parts) in (5, 6) else None


def classify_files(
    files: tuple[ProjectFile, ...] | list[ProjectFile], env: TargetEnvironment, *, build_sdists: bool = False
) -> tuple[dict[Version, list[Usable]], list[Rejected]]:
    """Group usable files by version (best tag first, an sdist after every wheel) and explain every rejection."""
    usable: dict[Version, list[Usable]] = {}
    rejected: list[Rejected] = []
    for f in files:
        verdict = judge_file(f, env, build_sdists=build_sdists)
        if isinstance(verdict, Rejected):
            rejected.append(verdict)
            if verdict.invalid:
                where = f" listed by {f.index_url}" if f.index_url else ""
                # pip skips these quietly; PyPI itself lists some (pydantic 0.18's "py36+" tag), so
                # they are said only with verbose=True, not on every plain install.
                logger.info("skipping %s%s: %s", f.filename, where, verdict.reason)
        else:
            usable.setdefault(verdict.version, []).append(verdict)
    for entries in usable.values():
        entries.sort(key=lambda u: (u.rank, u.file.filename))
    return usable, rejected


SDIST_RANK = 1 << 30  # after any wheel tag: a release is built only when no wheel of it fits
SDIST_OPT_IN = (
    "a source distribution, not built unless asked: install(..., build_sdists=True) or "
    "micropip.set_build_sdists(True) builds pure-Python projects here (pyodide-pm lock/check: --build-sdists)"
)


def is_sdist(filename: str) -> bool:
    """An sdist file name this installer can build (``.tar.gz``, or a legacy ``.zip``)."""
    return filename.lower().endswith((".tar.gz", ".zip"))


def judge_file(f: ProjectFile, env: TargetEnvironment, *, build_sdists: bool = False) -> Usable | Rejected:
    if not f.filename.endswith(".whl"):
        if not is_sdist(f.filename):
            return Rejected(f.filename, "neither a wheel nor a .tar.gz/.zip source distribution")
        if not build_sdists:
            return Rejected(f.filename, SDIST_OPT_IN, kind=KIND_SDIST)
        try:
            version = parse_sdist_filename(f.filename)[1]
        except ValueError as exc:
            return Rejected(f.filename, f"invalid sdist file name: {exc}", invalid=True)
        rank = SDIST_RANK
    else:
        foreign = _foreign_platforms(f.filename, env)
        if foreign:
            return Rejected(f.filename, _platform_reason(foreign, env), kind=KIND_PLATFORM)
        try:
            _name, version, _build, tags = parse_wheel_name(f.filename)
        except ValueError as exc:  # InvalidWheelFilename, or a version number too long to convert
            return Rejected(f.filename, f"invalid wheel file name: {exc}", invalid=True)
        rank = _best_rank(tags, env)
        if rank is None:
            return Rejected(f.filename, explain_tags(tags, env), kind=tag_kind(tags, env))
    if f.requires_python:
        fits = _python_fits(f.requires_python, env.python_version)
        if fits is None:
            return Rejected(f.filename, f"invalid Requires-Python {f.requires_python!r} on the index", invalid=True)
        if not fits:
            return Rejected(
                f.filename, f"requires Python {f.requires_python}, this is Python {env.python_version}", kind=KIND_REQUIRES_PYTHON
            )
    return Usable(f, version, rank)


def parse_wheel_name(filename: str) -> tuple[str, Version, tuple, frozenset[Tag]]:
    """``packaging.utils.parse_wheel_filename``, a part at a time with each part remembered.

    A page names the same project and the same few tag sets on hundreds of files, and
    each version on one to a few dozen: parsing every name whole was a third of reading a
    page (faker: 1 052 files). Each part is checked by packaging itself, once; a name
    with a build tag, or with a part packaging refuses, goes through it whole, so its
    error names the file.
    """
    stem = filename[:-4]
    if not filename.endswith(".whl") or stem.count("-") != 4:
        return parse_wheel_filename(filename)
    name_part, version_text, tag_text = stem.split("-", 2)
    try:
        return _wheel_name_part(name_part), _wheel_version_part(version_text), (), _wheel_tag_part(tag_text)
    except ValueError:
        return parse_wheel_filename(filename)


@functools.lru_cache(maxsize=256)
def _wheel_name_part(name_part: str) -> str:
    return parse_wheel_filename(f"{name_part}-0-py3-none-any.whl")[0]


@functools.lru_cache(maxsize=8192)
def _wheel_version_part(text: str) -> Version:
    return Version(text)  # what packaging makes of this part; InvalidVersion is a ValueError


@functools.lru_cache(maxsize=1024)
def _wheel_tag_part(tag_text: str) -> frozenset[Tag]:
    return parse_wheel_filename(f"x-0-{tag_text}.whl")[3]


def _best_rank(tags: frozenset[Tag], env: TargetEnvironment) -> int | None:
    """The best (lowest) rank any of ``tags`` has here; None when none is supported.
    Remembered per tag set (``_wheel_tag_part`` hands out the same few sets again and again)."""
    memo = env.rank_memo
    if tags in memo:
        return memo[tags]
    rank_of = env.tag_rank
    ranks = [rank_of[t] for t in tags if t in rank_of]
    best = memo[tags] = min(ranks) if ranks else None
    return best


@functools.lru_cache(maxsize=1024)
def _python_fits(requires_python: str, python_version: str) -> bool | None:
    """Whether this Python meets a Requires-Python (None: not a valid specifier).

    A page repeats the same few strings on hundreds of files; parsing and checking each
    again was a third of reading tqdm's page in Pyodide."""
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return None
    return spec.contains(Version(python_version), prereleases=True)


def _foreign_platforms(filename: str, env: TargetEnvironment) -> tuple[str, ...] | None:
    """The platform tags of a wheel built only for other platforms, read from its name alone.

    Most files on a big project's page are such wheels (pydantic-core: 15 000 for Linux,
    macOS and Windows); turning down each without parsing its name and tags is what
    makes reading that page cheap. None when the name needs the full check (a Pyodide
    wheel for another ABI is explained by ``explain_tags``).
    """
    if filename.endswith("-any.whl"):
        return None  # pure Python: the common case, decided without slicing
    if filename.count("-") not in (4, 5):
        return None  # malformed: parse_wheel_filename explains it
    return _foreign_platform_tags(filename[filename.rindex("-") + 1 : -4], env.platforms)


@functools.lru_cache(maxsize=4096)
def _foreign_platform_tags(part: str, ours: frozenset[str]) -> tuple[str, ...] | None:
    """``_foreign_platforms`` for the platform part of a name (``manylinux_2_17_x86_64.manylinux2014_x86_64``).

    Cached: a page repeats a few dozen platform parts on thousands of files."""
    platforms = part.lower().split(".")
    for p in platforms:
        if p in ours or p == "any" or p.startswith(_PYODIDE_PLATFORM_PREFIXES):
            return None
    return tuple(sorted(set(platforms)))


def other_platform_wheel(filename: str, env: TargetEnvironment) -> bool:
    """True for a wheel whose name alone shows it can never be used here (see ``_foreign_platforms``)."""
    return filename.endswith(".whl") and _foreign_platforms(filename, env) is not None


def left_unread(filename: str, env: TargetEnvironment, *, build_sdists: bool = False) -> bool:
    """Whether a page reader may leave this file unread (``parse_project_page``'s ``keep``
    refuses it): a wheel only for other platforms, or an sdist when none is built.

    Either is rejected whatever else its entry says. Half the files of most pages are sdists
    (botocore: 1 800 of 3 600), and reading an entry costs as much as judging it."""
    return other_platform_wheel(filename, env) or (not build_sdists and is_sdist(filename))


def set_aside_rejections(filenames: list[str], env: TargetEnvironment) -> list[Rejected]:
    """The rejections of the files a page reader left unread because ``left_unread`` (without
    building sdists): what ``judge_file`` says of each."""
    return [
        Rejected(fn, SDIST_OPT_IN, kind=KIND_SDIST) if is_sdist(fn)
        else Rejected(fn, _platform_reason(_foreign_platforms(fn, env) or (), env), kind=KIND_PLATFORM)
        for fn in filenames
    ]


_PYODIDE_PLATFORM_PREFIXES = ("emscripten", "pyodide", "pyemscripten")


def _platform_reason(platforms: Sequence[str], env: TargetEnvironment) -> str:
    target = f"pyemscripten_{env.abi_version}_wasm32" if env.abi_version else "this platform"
    return f"built for platform {', '.join(platforms)}, not for Pyodide (needs {target} or a pure-Python wheel)"


def explain_tags(tags: frozenset[Tag], env: TargetEnvironment) -> str:
    """Say in words why none of a wheel's tags fits: platform, ABI, Python or interpreter."""
    py = env.python
    want_interp = f"cp{py.major}{py.minor}"
    reasons: list[str] = []
    platforms = sorted({t.platform for t in tags})
    if not any(p == "any" or p.startswith(_PYODIDE_PLATFORM_PREFIXES) for p in platforms):
        reasons.append(_platform_reason(platforms, env))
    else:
        abis = {m.group(2) for p in platforms if (m := _EMSCRIPTEN_PLATFORM.match(p))}
        if env.abi_version and abis and env.abi_version not in abis:
            reasons.append(f"built for Pyodide ABI {', '.join(sorted(abis))}, this Pyodide has ABI {env.abi_version}")
        interps = sorted({t.interpreter for t in tags})
        cpython = [i for i in interps if i.startswith("cp")]
        if cpython and want_interp not in cpython and not any(t.abi == "abi3" for t in tags):
            versions = ", ".join(f"{i[2]}.{i[3:]}" for i in cpython)
            reasons.append(f"built for Python {versions}, this is Python {py.major}.{py.minor}")
        elif interps and not any(i.startswith(("cp", "py")) for i in interps):
            reasons.append(f"built for interpreter {', '.join(interps)}, this is CPython")
    if not reasons:
        reasons.append(f"tags {', '.join(sorted(str(t) for t in tags))} are not supported by this interpreter")
    return "; ".join(reasons)


def tag_kind(tags: frozenset[Tag], env: TargetEnvironment) -> str:
    """The category of a tag mismatch (see ``explain_tags`` for the words)."""
    platforms = {t.platform for t in tags}
    if not any(p == "any" or p.startswith(_PYODIDE_PLATFORM_PREFIXES) for p in platforms):
        return KIND_PLATFORM
    abis = {m.group(2) for p in platforms if (m := _EMSCRIPTEN_PLATFORM.match(p))}
    if env.abi_version and abis and env.abi_version not in abis:
        return KIND_ABI
    return KIND_PYTHON


def allowed_versions(
    versions: list[Version],
    specifiers: list[SpecifierSet],
    *,
    pre: bool,
) -> list[Version]:
    """Versions that satisfy every specifier, newest first, with PEP 440's pre-release rule.

    Pre-releases count with ``pre=True``, when a specifier itself names a pre-release
    (e.g. ``>=2.0b1``), or when no final release satisfies the specifiers (a project
    that has published only pre-releases installs its newest one), as ``packaging``
    and Pyodide's micropip do.
    """
    def ok(v: Version) -> bool:
        return all(s.contains(v, prereleases=True) for s in specifiers)

    matching = sorted((v for v in versions if ok(v)), reverse=True)
    if pre or any(s.prereleases for s in specifiers):
        return matching
    finals = [v for v in matching if not v.is_prerelease]
    return finals or matching


def is_exact_pin(specifiers: list[SpecifierSet], version: Version) -> bool:
    """True when some specifier pins exactly this version (``==1.1``, not ``==1.*``)."""
    for spec_set in specifiers:
        for spec in spec_set:
            if spec.operator in ("==", "===") and not spec.version.endswith(".*"):
                try:
                    if Version(spec.version) == version:
                        return True
                except Exception:
                    if spec.version == str(version):
                        return True
    return False
