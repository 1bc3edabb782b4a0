"""``%pip`` and ``%micropip`` line magics for IPython (a notebook kernel in Pyodide).

    %pip install -r requirements.txt --pre "greeting>=1.1"
    %pip uninstall -y greeting
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
    p.add_argument("--reinstall", "--force-reinstall", action="store_true", help="reinstall even if already installed")

    p = sub.add_parser("uninstall", help="remove installed packages")
    p.add_argument("names", nargs="+", metavar="NAME")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask (micropip never asks)")

    sub.add_parser("list", help="installed packages, with where they came from")
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
        args = parser.parse_args(words)
    except _HelpRequested as help_:
        return help_.text.rstrip()
    if args.command is None:
        return parser.format_help().rstrip()
    return await _COMMANDS[args.command](args, progress)


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

    plan = await micropip.install(
        requirements,
        deps=not args.no_deps,
        pre=args.pre,
        index_urls=args.index_url or None,
        reinstall=args.reinstall,
        dry_run=args.dry_run,
        progress=shown,
    )
    if args.dry_run:
        return str(plan)
    if progress is None and live is not None:
        return ""  # the notebook's progress area already shows the summary
    return events[-1].summary if events else ""


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


_COMMANDS = {"install": _install, "uninstall": _uninstall, "list": _list, "freeze": _freeze, "check": _check}


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
