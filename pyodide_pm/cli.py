"""Host command line (``pyodide-pm``, or ``python -m pyodide_pm.cli``).

Commands: ``bundle`` (the browser bundle), ``lock`` (a lock for a target Pyodide),
``check`` (will wheels, requirements or a lock work there?) and ``demo`` (serve
the browser console with the fixture index). ``pyodide-pm COMMAND --help`` shows
each command's options and examples.

Exit codes, the same for every command:

- 0: success (for ``check``: everything is compatible);
- 1: the operation failed, or ``check`` found something incompatible; the
  message on stderr (or the report) says what and why;
- 2: usage error: unknown command or option, missing argument.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from micropip.errors import MicropipError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _cmd_bundle(args: argparse.Namespace) -> int:
    from .bundle import BYTECODE_DEFAULT, PEP783_CACHE_DIR, PEP783_WHEELS, bundle_size, fetch_pinned_wheel, write_bundle

    if args.bytecode is None:
        args.bytecode = BYTECODE_DEFAULT

    lock = write_bundle(Path(args.out), pyodide_dir=Path(args.pyodide_dir), bytecode=args.bytecode)
    print(f"wrote {lock} ({bundle_size(lock.parent) / 1024:.0f} KiB of wheels and lockfile)")
    if args.with_test_wheels:
        for pin in PEP783_WHEELS:
            path = fetch_pinned_wheel(pin, PEP783_CACHE_DIR)
            print(f"verified {path}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from index_server.server import start_server

    from .bundle import DEFAULT_PYODIDE_DIR, write_bundle

    bundle = Path(args.bundle_dir)
    if not (bundle / "pyodide-lock.json").exists():
        write_bundle(bundle)
    server = start_server(
        Path(args.index_dir),
        host=args.host,
        port=args.port,
        extra_static={
            "/pyodide/": DEFAULT_PYODIDE_DIR,
            "/bundle/": bundle,
            "/console/": REPO_ROOT / "demo",
            "/docs/": REPO_ROOT / "docs",  # the guides the console links to (JupyterLite, PyScript, ...)
        },
    )
    print(f"Console: {server.url}console/console.html", flush=True)
    print(f"Fixture index: {server.simple_url}", flush=True)
    print("Type e.g.  await micropip.install('demo-app')  in the page. Ctrl-C stops.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


EXIT_CODES = "Exit status: 0 success, 1 the operation failed (the message says why), 2 usage error."
EPILOG = (
    "Examples:\n"
    "  pyodide-pm bundle build/bundle                      # the browser bundle\n"
    "  pyodide-pm lock demo-app -i URL -o pylock.toml      # lock for the newest known Pyodide\n"
    "  pyodide-pm check dist/ --format junit -o check.xml  # CI: do these wheels work in Pyodide?\n"
    "  pyodide-pm demo --port 8000                         # the browser console\n\n"
    "Exit status: 0 success (check: all compatible), 1 the operation failed or check found a problem\n"
    "(the message says why), 2 usage error."
)


def _cmd_index(args: argparse.Namespace) -> int:
    from index_server.__main__ import main as index_main

    try:
        return index_main(args.args or ["--help"])
    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
        return int(exc.code or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyodide-pm",
        description="Host tools for micropip (the Pyodide package manager). "
        "Run `pyodide-pm COMMAND --help` for a command's options and examples.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "bundle",
        help="write the browser bundle (our wheel, packaging, resolvelib, pyodide-lock.json)",
        description="Write Pyodide's pyodide-lock.json plus entries for micropip and its two dependencies, "
        "with their wheels, so a page boots with loadPyodide({lockFileURL}) + loadPackage('micropip').",
        epilog="Examples:\n  pyodide-pm bundle build/bundle\n  pyodide-pm bundle build/bundle --with-test-wheels\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", help="output folder, e.g. build/bundle")
    p.add_argument("--pyodide-dir", default=str(REPO_ROOT / "node_modules" / "pyodide"), help="the npm pyodide package")
    p.add_argument("--with-test-wheels", action="store_true", help="also fetch the pinned PEP 783 test wheels")
    p.add_argument(
        "--bytecode", action=argparse.BooleanOptionalAction, default=None,
        help="carry .pyc files compiled by the pinned Pyodide (default: the measured choice, see the README)",
    )
    p.set_defaults(func=_cmd_bundle)

    from .check import add_check_parser
    from .lock import add_lock_parser

    add_lock_parser(sub)
    add_check_parser(sub)

    p = sub.add_parser(
        "index",
        help="serve a folder of wheels as an index, or build it as static files (see `index --help`)",
        add_help=False,
    )
    p.add_argument("args", nargs=argparse.REMAINDER, help="serve DIR [--port 0] | build DIR OUT")
    p.set_defaults(func=_cmd_index)

    p = sub.add_parser(
        "demo",
        help="serve the browser console with the fixture index",
        description="Serve the browser console (demo/console.html), Pyodide, the bundle and the fixture "
        "index from one loopback origin, and print the console's URL. Ctrl-C stops.",
        epilog="Examples:\n  pyodide-pm demo\n  pyodide-pm demo --port 0 --index-dir my-wheels/\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    p.add_argument("--index-dir", default=str(REPO_ROOT / "fixtures" / "wheels"))
    p.add_argument("--bundle-dir", default=str(REPO_ROOT / "build" / "bundle"))
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["index"]:  # its own parser, so `index --help` shows the index options
        return _cmd_index(argparse.Namespace(args=argv[1:]))
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MicropipError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
