"""Plain data about a project's files as an index describes them.

Every index format (PyPI JSON API, PEP 691 JSON, PEP 503 HTML, a Pyodide
lockfile) is turned into these records, so the resolver never sees formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProjectFile:
    """One downloadable file of a project, as listed by an index."""

    filename: str
    url: str  # absolute URL (or emfs:/file: path), fragment removed
    hashes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    requires_python: str | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    # PEP 658/714: None = no metadata file; a dict (maybe empty) = available with these hashes.
    core_metadata: dict[str, str] | None = field(default=None, hash=False, compare=False)
    size: int | None = None
    upload_time: str | None = None
    index_url: str = ""  # the index page this came from, for error messages

    @property
    def metadata_url(self) -> str | None:
        """URL of the PEP 658 metadata file, or None when the index has none."""
        if self.core_metadata is None:
            return None
        return self.url + ".metadata"

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")


@dataclass(frozen=True)
class ProjectPage:
    """All files an index lists for one project name."""

    name: str  # canonical name
    files: tuple[ProjectFile, ...]
    url: str  # the page the files were read from
    # (filename, yanked) of files the reader was told to leave unread (``parse_project_page``'s
    # ``keep``): wheels only for other platforms, which on a big page are almost every file.
    set_aside: tuple[tuple[str, bool], ...] = ()
