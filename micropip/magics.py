"""``%pip`` and ``%micropip`` line magics for IPython (a notebook kernel in Pyodide).

    %pip install -r requirements.txt --pre "greeting>=1.1"
    %pip install -U greeting --extra-index-url https://example.org/simple/
    %pip uninstall -y greeting
    %pip show greeting
    %pip list | %pip freeze | %pip check

``run_magic(line)`` parses and dispatches and returns the text to show; it is a
plain coroutine, usable without IPython. The magic itself is synchronous (that
is how IPython calls it): in Pyodide with JavaScript Promise Integration it
waits with ``pyodide.ffi.run_sync``; without it the work is scheduled on the
event loop and runs right after the cell. Errors show micropip's explanation,
not a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import shlex
import sys
from typing import Any

from packaging.utils import canonicalize_name

from .errors import MicropipError

__all__ = ["MagicUsageError", "load_ipython_extension", "run_magic", "pip_magic"]

MAGIC_NAMES = ("pip", "micropip")
last_task: "asyncio.Future[Any] | None" = None  # the background job when the magic could not wait


class MagicUsageError(MicropipError, ValueError):
    """The magic's command line cannot be understood; the message has the usage."""


class _HelpRequested(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _Parser(argparse.ArgumentParser):
    """Raises instead of printing and exiting: a magic must never end the kernel."""

    def print_help(self, file=None) -> None:  # noqa: ARG002 - argparse's signature
        raise _HelpRequested(self.format_help())

    def error(self, message: str):  # type: ignore[override]
        raise MagicUsageError(f"{self.prog}: {message}\n{self.format_usage().rstrip()}")

    def exit(self, status: int = 0, message: str | None = None):  # type: ignore[override]
        raise MagicUsageError(message or f"{self.prog} stopped with status {status}")


def _parser() -> _Parser:
    plain = {"color": False} if sys.version_info >= (3, 14) else {}  # no ANSI colours in a notebook
    parser = _Parser(prog="%pip", description="micropip: install packages into this Pyodide.", **plain)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("install", help="install packages and their dependencies")
    p.add_argument("requirements", nargs="*", metavar="REQUIREMENT", help="names, PEP 508 specs or wheel URLs")
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE", help="a requirements file (repeatable)")
    p.add_argument("-c", "--constraint", action="append", default=[], metavar="FILE", help="a constraints file (repeatable)")
    p.add_argument("--pre", action="store_true", help="allow pre-releases")
    p.add_argument("--no-deps", action="store_true", help="install only the named packages")
    p.add_argument("--dry-run", action="store_true", help="show what would be installed; change nothing")
    p.add_argument("-i", "--index-url", action="append", default=[], metavar="URL", help="index to use (repeatable; replaces the configured ones)")
    p.add_argument("--extra-index-url", action="append", default=[], metavar="URL", help="an index searched after the others (repeatable)")
    p.add_argument("-U", "--upgrade", action="store_true", help="upgrade the named packages to the newest allowed version")
    p.add_argument("--reinstall", "--force-reinstall", action="store_true", help="reinstall even if already installed")
    p.add_argument("--build-sdists", action="store_true", help="build pure-Python source distributions when no wheel fits")
    p.add_argument("--no-build-isolation", action="store_true", help="accepted for pip's sake; builds always get their own folder")

    p = sub.add_parser("uninstall", help="remove installed packages")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask (micropip never asks)")

    sub.add_parser("list", help="installed packages, with where they came from")
    p = sub.add_parser("show", help="name, version, location, requires and required-by of installed packages")
    p.add_argument("names", nargs="+", metavar="NAME")
    p = sub.add_parser("freeze", help="installed packages as name==version lines")
    p.add_argument("--lockfile", action="store_true", help="print the environment as pyodide-lock.json instead")
    sub.add_parser("check", help="report installed packages whose requirements are not met")
    return parser


async def run_magic(line: str, *, progress: Any = None) -> str:
    """Run one ``%pip``/``%micropip`` command line; return the text to show.

    Raises ``MicropipError`` (``MagicUsageError`` for a bad command line) on failure.
    ``progress`` is passed to ``micropip.install`` (default: a notebook progress
    area when there is one; the summary is returned as text either way).
    """
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise MagicUsageError(f"%pip: cannot split the command line: {exc}") from exc
    parser = _parser()
    try:
        args, unknown = parser.parse_known_args(words)
    except _HelpRequested as help_:
        return help_.text.rstrip()
    if args.command is None:
        return parser.format_help().rstrip()
    if unknown:
        raise MagicUsageError(_unknown_options(parser, args.command, unknown))
    return await _COMMANDS[args.command](args, progress)


def _unknown_options(parser: _Parser, command: str, unknown: list[str]) -> str:
    """Which words were not understood, and every option the command does take."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    options = [" / ".join(a.option_strings) for a in sub._actions if a.option_strings and "-h" not in a.option_strings]
    return (
        f"%pip {command}: unrecognized arguments: {' '.join(unknown)}\n"
        f"%pip {command} supports: {', '.join(options) if options else 'no options'} (and -h / --help)"
    )


async def _install(args: argparse.Namespace, progress: Any) -> str:
    import micropip

    requirements = list(args.requirements)
    requirements += [f"-r {path}" for path in args.requirement]
    requirements += [f"-c {path}" for path in args.constraint]
    if not args.requirements and not args.requirement:
        raise MagicUsageError("%pip install: give packages to install or -r FILE")
    events: list[Any] = []
    shown, live = progress, None

    if progress is None:
        from .progress import Done, notebook_display

        live = notebook_display()

        def shown(event: Any) -> None:
            if isinstance(event, Done):
                events.append(event)
            if live is not None:
                live(event)

    index_urls = args.index_url or None
    if args.extra_index_url:  # appended to the indexes in use (-i, else the configured ones)
        index_urls = [*(index_urls or micropip._get_manager().index_urls), *args.extra_index_url]
    notes = []
    if args.no_build_isolation:
        notes.append("note: --no-build-isolation is ignored: micropip always builds an sdist with its build "
                     "requirements in a folder of its own, never in site-packages")
    plan = await micropip.install(
        requirements,
        deps=not args.no_deps,
        pre=args.pre,
        index_urls=index_urls,
        reinstall=args.reinstall,
        dry_run=args.dry_run,
        progress=shown,
        upgrade=args.upgrade,
        build_sdists=True if args.build_sdists else None,
    )
    if args.dry_run:
        return "\n".join([*notes, str(plan)])
    if progress is None and live is not None:
        return "\n".join(notes)  # the notebook's progress area already shows the summary
    return "\n".join([*notes, events[-1].summary if events else ""]).strip("\n")


async def _uninstall(args: argparse.Namespace, progress: Any) -> str:
    import micropip

    installed = {canonicalize_name(info["name"]): info for info in micropip.list().values()}
    lines, present = [], []
    for name in args.names:
        info = installed.get(canonicalize_name(name))
        if info is None:
            lines.append(f"WARNING: Skipping {name} as it is not installed.")
        else:
            present.append(info["name"])
            lines.append(f"Uninstalled {info['name']}-{info['version']}")
    if present:
        done = micropip.uninstall(present)  # synchronous, as in Pyodide's micropip
        if inspect.isawaitable(done):  # ours: waits only for an install still running
            await done
    return "\n".join(lines)


async def _list(args: argparse.Namespace, progress: Any) -> str:
    import micropip

    return repr(micropip.list())


async def _show_packages(args: argparse.Namespace, progress: Any) -> str:
    """pip's ``show``: one block per package, ``---`` between, a warning for the names not installed."""
    from email.parser import HeaderParser

    from packaging.requirements import InvalidRequirement, Requirement

    from .installation.installed import installed_distributions

    dists = installed_distributions()

    def requires(dist) -> list[str]:
        names = []
        for text in dist.requires:
            try:
                req = Requirement(text)
                if req.marker is None or req.marker.evaluate({"extra": ""}):
                    names.append(req.name)
            except (InvalidRequirement, ValueError):
                continue
        return names

    blocks, missing = [], []
    for name in args.names:
        dist = next((d for d in dists if d.canonical_name == canonicalize_name(name)), None)
        if dist is None:
            missing.append(name)
            continue
        try:
            summary = HeaderParser().parsestr((dist.dist_info / "METADATA").read_text(encoding="utf-8")).get("Summary", "")
        except OSError:
            summary = ""
        required_by = sorted(
            (d.name for d in dists if dist.canonical_name in {canonicalize_name(r) for r in requires(d)}), key=str.lower
        )
        blocks.append("\n".join([
            f"Name: {dist.name}", f"Version: {dist.version}", f"Summary: {summary}", f"Location: {dist.location}",
            f"Requires: {', '.join(sorted(dict.fromkeys(requires(dist)), key=str.lower))}", f"Required-by: {', '.join(required_by)}",
        ]))
    warning = f"WARNING: Package(s) not found: {', '.join(missing)}" if missing else ""
    return "\n".join(filter(None, ["\n---\n".join(blocks), warning]))


async def _freeze(args: argparse.Namespace, progress: Any) -> str:
    import micropip

    if args.lockfile:
        return micropip.freeze()
    packages = micropip.list().values()
    return "\n".join(f"{p['name']}=={p['version']}" for p in sorted(packages, key=lambda p: canonicalize_name(p["name"])))


async def _check(args: argparse.Namespace, progress: Any) -> str:
    import micropip

    check = getattr(micropip, "check", None)
    if check is None:
        raise MagicUsageError("%pip check: this micropip has no micropip.check()")
    result = check()
    if inspect.isawaitable(result):
        result = await result
    if not result:
        return "No broken requirements found."
    if isinstance(result, (list, tuple)):
        return "\n".join(str(r) for r in result)
    return str(result)


_COMMANDS = {
    "install": _install, "uninstall": _uninstall, "list": _list, "show": _show_packages, "freeze": _freeze, "check": _check,
}


# ---- the IPython side ------------------------------------------------------------------------


def _show(text: str) -> None:
    if text:
        print(text)


def _show_error(exc: MicropipError) -> None:
    print(f"ERROR: {exc}", file=sys.stderr)


async def _run_and_show(line: str) -> None:
    try:
        _show(await run_magic(line))
    except MicropipError as exc:
        _show_error(exc)


def _sync_runner():
    """``pyodide.ffi.run_sync`` when the runtime can block on a promise here (JSPI), else None."""
    if sys.platform != "emscripten":
        return None
    try:
        from pyodide.ffi import can_run_sync, run_sync  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        return run_sync if can_run_sync() else None
    except Exception:
        return None


def pip_magic(line: str) -> "asyncio.Future[Any] | None":
    """The ``%pip`` / ``%micropip`` line magic."""
    global last_task
    run_sync = _sync_runner()
    if run_sync is not None:
        try:
            _show(run_sync(run_magic(line)))
        except MicropipError as exc:
            _show_error(exc)
        return None
    try:
        asyncio.get_running_loop()
        loop_running = True
    except RuntimeError:
        loop_running = False
    if not loop_running and sys.platform != "emscripten":
        try:
            _show(asyncio.run(run_magic(line)))
        except MicropipError as exc:
            _show_error(exc)
        return None
    # Pyodide without JSPI (or a kernel's running loop): the work runs right after this cell.
    last_task = asyncio.ensure_future(_run_and_show(line))
    print("micropip: running in the background; `await micropip.magics.last_task` waits for it")
    return None


def load_ipython_extension(ip: Any) -> None:
    """Register ``%pip`` and ``%micropip`` (``%load_ext micropip.magics`` calls this)."""
    for name in MAGIC_NAMES:
        ip.register_magic_function(pip_magic, magic_kind="line", magic_name=name)
