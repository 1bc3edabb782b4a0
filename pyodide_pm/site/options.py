"""What ``pyodide-pm site`` is asked to build, and the one error class every step raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from micropip.errors import MicropipError

FLAVOURS = ("page", "pyscript", "jupyterlite")


class SiteError(MicropipError):
    """The site cannot be built as asked; the message names the package, file or URL, and what to do."""


@dataclass
class SiteOptions:
    """The inputs of one build. ``requirements`` and ``available`` take what ``pip install``
    takes on a command line: PEP 508 requirements, wheel URLs, ``-r FILE`` and ``-c FILE``."""

    out: Path
    flavour: str = "page"
    requirements: list[str] = field(default_factory=list)
    available: list[str] = field(default_factory=list)
    offline: bool = False
    pyodide: str | None = None  # target release (default: the pinned one)
    pyodide_lock: str | None = None  # FILE|URL: the target's lock instead of the catalog's
    package_base_url: str | None = None  # where Pyodide's own packages are (default: the release's CDN folder)
    index_urls: list[str] = field(default_factory=list)  # default: PyPI
    wheels: list[Path] = field(default_factory=list)  # folders of the user's own wheels
    lite_dir: Path | None = None  # jupyterlite: an existing `jupyter lite build` folder to start from
    pages: Path | None = None  # page, pyscript: the deployer's own files (HTML, scripts, ...), copied into the site
    pre: bool = False

    def __post_init__(self) -> None:
        if self.flavour not in FLAVOURS:
            raise SiteError(f"unknown site flavour {self.flavour!r}: use one of {', '.join(FLAVOURS)}")
        if self.lite_dir is not None and self.flavour != "jupyterlite":
            raise SiteError("--lite-dir is for --for jupyterlite only")
        if self.pages is not None and self.flavour == "jupyterlite":
            raise SiteError("--pages is for --for page and --for pyscript; a JupyterLite site takes its files from --lite-dir")
        self.out = Path(self.out)
        self.wheels = [Path(w) for w in self.wheels]
