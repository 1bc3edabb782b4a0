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

    @classmethod
    def listed(
        cls, filename: str, url: str, hashes: dict[str, str], requires_python: str | None, yanked: bool,
        yanked_reason: str | None, core_metadata: dict[str, str] | None, size: int | None,
        upload_time: str | None, index_url: str,
    ) -> ProjectFile:
        """The same record as the constructor makes, for an index page's thousands of files.

        A frozen dataclass guards each of its ten assignments; making the record without them
        is three times faster, which was a third of reading a big page (faker: 1 052 files)
        in Pyodide. Every field is given (``tests/test_big_pages_host.py`` checks this against
        the dataclass's fields)."""
        self = object.__new__(cls)
        self.__dict__.update(
            filename=filename, url=url, hashes=hashes, requires_python=requires_python, yanked=yanked,
            yanked_reason=yanked_reason, core_metadata=core_metadata, size=size, upload_time=upload_time,
            index_url=index_url,
        )
        return self

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
