"""A candidate: one version of one project from one source, as the resolver sees it."""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.version import Version

from ..index.project import ProjectFile

# Where a candidate comes from; also the preference order at equal versions.
INSTALLED, LOCKFILE, URL, INDEX = "installed", "lockfile", "url", "index"
SOURCE_ORDER = {INSTALLED: 0, URL: 1, LOCKFILE: 2, INDEX: 3}


@dataclass(frozen=True)
class Candidate:
    """One version of a project the resolver may pick, with the file it would install."""

    name: str  # canonical
    version: Version
    source: str
    file: ProjectFile | None = None  # None for installed distributions
    extras: frozenset[str] = frozenset()
    # Dependencies known without fetching (lockfile, installed); None = read metadata.
    known_deps: tuple[Requirement, ...] | None = field(default=None, compare=False, hash=False)
    yanked: bool = False
    display_name: str = ""

    @property
    def url(self) -> str | None:
        return self.file.url if self.file else None

    @property
    def is_sdist(self) -> bool:
        """A source distribution, to be built (``build_sdists``): tried after every wheel."""
        return self.file is not None and not self.file.filename.endswith(".whl")

    @property
    def identifier(self) -> str:
        return identifier_for(self.name, self.extras)

    def with_extras(self, extras: frozenset[str]) -> "Candidate":
        return Candidate(
            self.name, self.version, self.source, self.file, extras, self.known_deps, self.yanked, self.display_name
        )

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.display_name or self.name}{extras} {self.version}"


def identifier_for(name: str, extras: frozenset[str] | set[str] = frozenset()) -> str:
    """resolvelib identifier: a project with extras is its own node depending on the plain one."""
    return f"{name}[{','.join(sorted(extras))}]" if extras else name
