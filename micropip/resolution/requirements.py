"""Turn what the user typed into requirements: specs, wheel URLs, -r/-c files."""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from ..errors import RequirementError


@dataclass(frozen=True)
class RootRequirement:
    """A requirement the user asked for, with where it came from."""

    requirement: Requirement
    origin: str  # the text as typed, or "file:line"
    hashes: frozenset[str] = field(default=frozenset())  # "sha256:<hex>" pins from --hash

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)

    @property
    def url(self) -> str | None:
        return self.requirement.url


@dataclass
class ParsedInput:
    """What ``install`` was given, read: the roots to resolve and the constraints that bound them."""

    requirements: list[RootRequirement] = field(default_factory=list)
    constraints: list[Requirement] = field(default_factory=list)


FileReader = Callable[[str], Awaitable[str]]


def looks_like_wheel_url(text: str) -> bool:
    path = urllib.parse.urlsplit(text).path
    return path.endswith(".whl") and " " not in text.strip() and "@" not in text.split("/")[0]


def requirement_from_wheel_url(url: str, origin: str) -> RootRequirement:
    filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    try:
        name, version, _build, _tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise RequirementError(f"{url!r} does not end in a valid wheel file name: {exc}") from exc
    return RootRequirement(Requirement(f"{name} @ {url}"), origin)


def parse_requirement(text: str, origin: str | None = None) -> RootRequirement:
    """One requirement: a PEP 508 string, ``name[extra] @ url`` or a bare wheel URL/path."""
    text = text.strip()
    origin = origin or text
    if looks_like_wheel_url(text):
        return requirement_from_wheel_url(text, origin)
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise RequirementError(
            f"invalid requirement {text!r} ({origin}): {exc}. Use a name, a PEP 508 spec like "
            "'pkg>=1.0', 'pkg[extra] @ https://.../pkg-1.0-py3-none-any.whl', or a wheel URL"
        ) from exc
    path = urllib.parse.urlsplit(req.url).path.lower() if req.url else ""
    if req.url and not path.endswith((".whl", ".tar.gz", ".zip")):  # an sdist is refused later unless build_sdists
        raise RequirementError(
            f"{text!r}: only wheel URLs (.whl), or source distributions (.tar.gz, .zip) with build_sdists=True, "
            "can be installed"
        )
    return RootRequirement(req, origin)


async def parse_inputs(items: str | Iterable[str], read_file: FileReader) -> ParsedInput:
    """Parse the ``install()`` argument; ``-r``/``-c`` entries are read with ``read_file``."""
    if isinstance(items, str):
        items = [items]
    result = ParsedInput()
    for item in items:
        item = item.strip()
        if not item:
            continue
        option, _, rest = item.partition(" ")
        if option in ("-r", "--requirement", "-c", "--constraint"):
            await _read_requirements_file(rest.strip(), option in ("-c", "--constraint"), read_file, result, set())
        else:
            result.requirements.append(parse_requirement(item))
    return result


async def _read_requirements_file(
    location: str, as_constraints: bool, read_file: FileReader, result: ParsedInput, seen: set[str]
) -> None:
    if not location:
        raise RequirementError("-r/-c needs a file path or URL after it")
    if location in seen:
        raise RequirementError(f"requirements file {location} includes itself")
    seen.add(location)
    text = await read_file(location)
    import shlex  # only for ``-r``/``-c`` files (8 ms to import in Pyodide)

    for lineno, line in _logical_lines(text):
        where = f"{location}:{lineno}"
        try:
            words = shlex.split(line, comments=False)
        except ValueError as exc:
            raise RequirementError(f"cannot parse {where}: {exc}") from exc
        if not words:
            continue
        head = words[0]
        if head in ("-r", "--requirement", "-c", "--constraint"):
            if len(words) < 2:
                raise RequirementError(f"{where}: {head} needs a file after it")
            nested = urllib.parse.urljoin(location, words[1]) if "://" in location else words[1]
            await _read_requirements_file(nested, as_constraints or head in ("-c", "--constraint"), read_file, result, seen)
            continue
        if head.startswith("-"):
            raise RequirementError(f"{where}: option {head} is not supported in requirements files here")
        hashes = frozenset(w.split("=", 1)[1] for w in words if w.startswith("--hash="))
        spec = " ".join(w for w in words if not w.startswith("--hash="))
        root = parse_requirement(spec, where)
        if as_constraints:
            result.constraints.append(root.requirement)
        else:
            result.requirements.append(RootRequirement(root.requirement, where, hashes))


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines without comments, with backslash continuations joined."""
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0] if not raw.lstrip().startswith("#") else ""
        line = line.rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            out.append((start, full))
    if pending.strip():
        out.append((start, pending.strip()))
    return out
