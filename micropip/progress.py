"""What an install is doing, as typed events, and the default ways to show them.

``install(..., progress=callback)`` calls ``callback(event)`` (a plain, synchronous
callable) at each stage, always ending with exactly one ``Done`` or ``Failed``::

    ResolutionStarted -> ResolutionFinished
    -> DownloadStarted -> per file: FileDownloadStarted, FileDownloadAdvanced, FileDownloadFinished
    -> InstallStarted -> PackageInstalled (per package) -> Done

An exception raised by the callback is logged and otherwise ignored: showing
progress never breaks an install.

Without a callback the install is shown by a *display* only in a notebook (IPython
with a display publisher): one output area updated in place. Elsewhere a plain
install prints nothing, like Pyodide's micropip. Independently of the display, the
``micropip`` logger gets pip's familiar lines (``Collecting``, ``Downloading``,
``Installing collected packages``, ``Successfully installed``) at INFO level:
``verbose=True`` shows them for one call (``verbose=False`` keeps only warnings),
or set the logger's level yourself. An application embedding micropip (a console
page, a kernel) can route every install to its own UI with ``set_default_callback``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .plan import Plan, PlannedPackage

__all__ = [
    "Event",
    "ResolutionStarted",
    "ResolutionFinished",
    "DownloadStarted",
    "FileDownloadStarted",
    "FileDownloadAdvanced",
    "FileDownloadFinished",
    "InstallStarted",
    "PackageInstalled",
    "Done",
    "Failed",
    "ProgressCallback",
    "Reporter",
    "PipLog",
    "set_default_callback",
    "summary_text",
]

logger = logging.getLogger("micropip")


# ---- the events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """Base class of every progress event."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready), with the event's class name under ``"event"``."""
        return {"event": type(self).__name__, **asdict(self)}


@dataclass(frozen=True)
class ResolutionStarted(Event):
    """Finding the versions to install (or reading the lockfile) has begun."""

    requirements: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResolutionFinished(Event):
    """``n_packages`` satisfy the requirements; ``to_install`` of them are not installed yet."""

    n_packages: int
    to_install: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class DownloadStarted(Event):
    """``total_bytes`` is None when the index did not give every file's size."""

    total_files: int
    total_bytes: int | None


@dataclass(frozen=True)
class FileDownloadStarted(Event):
    """A file (a wheel, a metadata file) is about to be fetched; ``size`` when the index gave it."""

    name: str
    filename: str
    size: int | None


@dataclass(frozen=True)
class FileDownloadAdvanced(Event):
    """Bytes received so far; downloads arrive whole, so this comes at each file's completion."""

    name: str
    bytes_done: int
    size: int | None


@dataclass(frozen=True)
class FileDownloadFinished(Event):
    """The file arrived and its sha256 matched."""

    name: str
    filename: str
    bytes: int


@dataclass(frozen=True)
class InstallStarted(Event):
    """Every file is downloaded and verified; writing to the environment begins."""

    n_packages: int


@dataclass(frozen=True)
class PackageInstalled(Event):
    """One distribution is in place (sent as each is written, before the call is ``Done``)."""

    name: str
    version: str


@dataclass(frozen=True)
class Done(Event):
    """The end of a successful call: what was installed (or, with ``dry_run``, would be)."""

    installed: list[tuple[str, str]]
    seconds: float
    dry_run: bool = False

    @property
    def summary(self) -> str:
        return summary_text(self.installed, self.seconds, dry_run=self.dry_run)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "summary": self.summary}


@dataclass(frozen=True)
class Failed(Event):
    """The call failed; nothing was changed. ``error`` is the explanation, ``error_type`` its class."""

    error: str
    error_type: str = ""


ProgressCallback = Callable[[Event], Any]


def summary_text(installed: Sequence[tuple[str, str]], seconds: float, *, dry_run: bool = False) -> str:
    """``Installed 3 packages in 0.61 s`` and a `` + name==version`` line per package."""
    if not installed:
        return "Nothing to install: all requirements are already satisfied."
    count = f"{len(installed)} package{'s' if len(installed) != 1 else ''}"
    head = f"Would install {count}" if dry_run else f"Installed {count} in {format_seconds(seconds)}"
    return "\n".join([head, *(f" + {name}=={version}" for name, version in installed)])


def format_seconds(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def format_bytes(n: int | None) -> str:
    if n is None:
        return "? B"
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


# ---- where events go -------------------------------------------------------------------------

_app_callback: ProgressCallback | None = None


def set_default_callback(callback: ProgressCallback | None) -> None:
    """Send the events of every install called without ``progress=`` to ``callback``.

    For applications that embed micropip (a console page, a kernel) and show
    progress in their own UI; ``None`` restores the built-in display.
    """
    global _app_callback
    _app_callback = callback


def default_display(verbose: bool | int | None = None) -> ProgressCallback | None:
    """The application's callback, else a notebook display, else None (nothing shown)."""
    if _app_callback is not None:
        return _app_callback
    if verbose is None or verbose:
        return notebook_display(verbose=bool(verbose))
    return None


def notebook_display(*, verbose: bool = False) -> "NotebookDisplay | None":
    """A display area for the running IPython kernel, or None outside a notebook.

    IPython is never imported here: if it is not imported already, no shell runs.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        shell = ipython.get_ipython()
        if shell is None or getattr(shell, "display_pub", None) is None:
            return None
        if type(shell).__name__ == "TerminalInteractiveShell":
            return None  # a terminal cannot update an output in place
        from IPython.display import display  # type: ignore[import-not-found]
    except Exception:
        return None
    return NotebookDisplay(display, verbose=verbose)


class Reporter:
    """Turns the pipeline's milestones into events for one call.

    Used as ``async with Reporter(progress, verbose) as report:`` around an
    install: leaving with an exception sends ``Failed``. ``progress`` is a
    callback, None for the default display, or False for no display at all.
    """

    def __init__(
        self, progress: ProgressCallback | bool | None = None, verbose: bool | int | None = None, requirements: Any = ()
    ) -> None:
        if progress is None or progress is True:
            self.callback: ProgressCallback | None = default_display(verbose)
        elif progress is False:
            self.callback = None
        else:
            self.callback = progress
        self.requirements = _as_strings(requirements)
        self.started = time.perf_counter()
        self._finished = False
        self._warned = False
        self.log = PipLog()

    def __call__(self, event: Event) -> None:
        if isinstance(event, (Done, Failed)):
            self._finished = True
        if self.callback is None:
            return
        try:
            self.callback(event)
        except Exception as exc:  # a broken display must not break the install
            if not self._warned:
                self._warned = True
                logger.warning("the progress callback raised %s: %s (ignored)", type(exc).__name__, exc)
            logger.debug("progress callback failed on %r", event, exc_info=True)

    async def __aenter__(self) -> "Reporter":
        self.started = time.perf_counter()
        self.log.collecting(self.requirements)
        self(ResolutionStarted(self.requirements))
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        if exc is not None and not self._finished:
            self(Failed(str(exc) or exc_type.__name__, exc_type.__name__))
        return False

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    # ---- milestones, called by the package manager ------------------------------------------

    def resolved(self, plan: "Plan") -> None:
        self.log.resolved(plan)
        self(ResolutionFinished(len(plan.install) + len(plan.keep), len(plan.install), self.elapsed))

    def download_started(self, packages: Sequence["PlannedPackage"]) -> None:
        sizes = [p.size for p in packages]
        total = None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)
        self(DownloadStarted(len(packages), total))

    def file_started(self, pkg: "PlannedPackage") -> None:
        self.log.downloading(pkg)
        self(FileDownloadStarted(pkg.name, pkg.filename, pkg.size))

    def file_finished(self, pkg: "PlannedPackage", nbytes: int) -> None:
        self(FileDownloadAdvanced(pkg.name, nbytes, pkg.size))
        self(FileDownloadFinished(pkg.name, pkg.filename, nbytes))

    def install_started(self, packages: Sequence["PlannedPackage"]) -> None:
        self.log.installing(packages)
        self(InstallStarted(len(packages)))

    def installed(self, packages: Iterable["PlannedPackage"]) -> None:
        for p in packages:
            self(PackageInstalled(p.name, p.version))

    def done(self, plan: "Plan", *, dry_run: bool = False) -> None:
        self.log.done(plan, dry_run=dry_run)
        self(Done([(p.name, p.version) for p in plan.install], self.elapsed, dry_run))


def silent() -> Reporter:
    return Reporter(False)


def _as_strings(requirements: Any) -> tuple[str, ...]:
    if requirements is None:
        return ()
    if isinstance(requirements, str):
        return (requirements,)
    try:
        return tuple(str(r) for r in requirements)
    except TypeError:
        return (str(requirements),)


# ---- pip's words through the logger --------------------------------------------------------


def _collected_name(requirement: str) -> str:
    """What ``Collecting`` names: the project for a wheel URL or ``name @ url`` (as pip and
    Pyodide's micropip do), the requirement as written otherwise."""
    if not any(c in requirement for c in "@/:") and not requirement.rstrip().endswith(".whl"):
        return requirement.strip()  # no URL to name it by; packaging's parser not even imported
    from .errors import MicropipError
    from .resolution.requirements import parse_requirement  # the parser install() itself uses

    try:
        parsed = parse_requirement(requirement).requirement
    except MicropipError:
        return requirement  # install() reports it
    return parsed.name if parsed.url else requirement.strip()



class PipLog:
    """The lines pip prints, at INFO level on the ``micropip`` logger (shown with ``verbose=True``).

    Fed by the ``Reporter``'s milestones, whatever display (if any) shows the events.
    """

    def collecting(self, requirements: Sequence[str]) -> None:
        for req in requirements:
            logger.info("Collecting %s", _collected_name(req))

    def resolved(self, plan: "Plan") -> None:
        for name, version in plan.keep:
            logger.info("Requirement already satisfied: %s (%s)", name, version)
        for p in plan.install:
            parents = [r for r in p.required_by if r != "requested"]
            if parents:
                logger.info("Collecting %s (from %s)", p.name, ", ".join(parents))

    def downloading(self, pkg: "PlannedPackage") -> None:
        size = f" ({format_bytes(pkg.size)})" if pkg.size is not None else ""
        logger.info("  Downloading %s%s", pkg.filename, size)

    def installing(self, packages: Sequence["PlannedPackage"]) -> None:
        if packages:
            logger.info("Installing collected packages: %s", ", ".join(p.name for p in packages))

    def done(self, plan: "Plan", *, dry_run: bool = False) -> None:
        if not plan.install:
            return
        names = ", ".join(f"{p.name}-{p.version}" for p in sorted(plan.install, key=lambda p: p.name))
        logger.info("%s %s", "Would install" if dry_run else "Successfully installed", names)


# ---- one output area in a notebook ----------------------------------------------------------


class _View:
    """What the notebook shows: HTML with a text fallback."""

    def __init__(self, html_text: str, plain: str) -> None:
        self.html_text = html_text
        self.plain = plain

    def _repr_html_(self) -> str:
        return self.html_text

    def __repr__(self) -> str:
        return self.plain


class NotebookDisplay:
    """One display area, created at the first event and updated in place after that."""

    def __init__(self, display: Callable[..., Any], *, verbose: bool = False) -> None:
        self._display = display
        self._handle: Any = None
        self.verbose = verbose
        self.status = ""
        self.total_files = 0
        self.files_done = 0
        self.total_bytes: int | None = None
        self.bytes_done = 0
        self.files: list[str] = []
        self.summary = ""
        self.error = ""

    def __call__(self, event: Event) -> None:
        self._apply(event)
        view = self.view()
        if self._handle is None:
            self._handle = self._display(view, display_id=True)
        else:
            self._handle.update(view)

    def _apply(self, event: Event) -> None:
        if isinstance(event, ResolutionStarted):
            self.status = f"Resolving {', '.join(event.requirements)}…" if event.requirements else "Resolving…"
        elif isinstance(event, ResolutionFinished):
            self.status = f"Resolved {event.n_packages} package{'s' if event.n_packages != 1 else ''} in {format_seconds(event.seconds)}"
        elif isinstance(event, DownloadStarted):
            self.total_files, self.total_bytes = event.total_files, event.total_bytes
            self.status = "Downloading…"
        elif isinstance(event, FileDownloadFinished):
            self.files_done += 1
            self.bytes_done += event.bytes
            self.files.append(f"{event.filename} ({format_bytes(event.bytes)})")
            self.status = f"Downloading: {self.files_done}/{self.total_files} files"
            if self.total_bytes:
                self.status += f", {format_bytes(self.bytes_done)} / {format_bytes(self.total_bytes)}"
        elif isinstance(event, InstallStarted):
            self.status = f"Installing {event.n_packages} package{'s' if event.n_packages != 1 else ''}…"
        elif isinstance(event, Done):
            self.status, self.summary = "", event.summary
        elif isinstance(event, Failed):
            self.status, self.error = "", event.error.splitlines()[0] if event.error else event.error_type

    def fraction(self) -> float:
        if self.summary:
            return 1.0
        if self.total_bytes:
            return min(self.bytes_done / self.total_bytes, 1.0)
        return self.files_done / self.total_files if self.total_files else 0.0

    def view(self) -> _View:
        lines = [self.status] if self.status else []
        if self.verbose:
            lines += [f"  {f}" for f in self.files]
        if self.summary:
            lines.append(self.summary)
        if self.error:
            lines.append(f"Failed: {self.error}")
        plain = "\n".join(lines)
        import html  # only notebooks render this

        parts = []
        if self.status:
            value = round(self.fraction() * 100)
            parts.append(f'<progress max="100" value="{value}" style="width: 20em"></progress> {html.escape(self.status)}')
        if self.verbose and self.files:
            parts.append("<pre>" + html.escape("\n".join(self.files)) + "</pre>")
        if self.summary:
            parts.append("<pre>" + html.escape(self.summary) + "</pre>")
        if self.error:
            parts.append('<pre style="color: #b00020">' + html.escape(f"Failed: {self.error}") + "</pre>")
        return _View("<div>" + "".join(parts) + "</div>", plain)


class _PipFormatter(logging.Formatter):
    """pip's look: warnings and errors start with ``WARNING:`` / ``ERROR:``, other lines are bare."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.ERROR:
            return "ERROR: " + text
        if record.levelno >= logging.WARNING:
            return "WARNING: " + text
        return text


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is when a line is logged, so ``redirect_stdout``,
    a notebook's output capture or a test's ``capsys`` see micropip's lines."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)
        self.setFormatter(_PipFormatter("%(message)s"))

    @property  # type: ignore[override]
    def stream(self):  # noqa: D102 - the current stdout, looked up on each write
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it; the lookup above wins
        pass


def show_on_stdout() -> None:
    """Give the ``micropip`` logger its stdout handler, once (as Pyodide's micropip does on first use).

    Warnings (a package that is not installed, a yanked pin, an older release picked) then
    reach the user even when nothing configured logging; ``verbose=True`` adds pip's info
    lines. Only the public calls install it: host tools that import the resolver keep
    their stdout for their own output.
    """
    if not any(isinstance(h, _StdoutHandler) for h in logger.handlers):
        logger.addHandler(_StdoutHandler())


@contextlib.contextmanager
def verbosity(verbose: bool | int | None) -> Iterator[None]:
    """For one public call: ``True`` shows the ``micropip`` logger's info lines on stdout, ``2``
    and more debug lines too, ``False`` only warnings; None leaves the logger's level as it
    is (warnings show). The level is restored afterwards."""
    show_on_stdout()
    if verbose is None:
        yield
        return
    level = logging.DEBUG if (not isinstance(verbose, bool) and verbose > 1) else logging.INFO if verbose else logging.WARNING
    old_level = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(old_level)
