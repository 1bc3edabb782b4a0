"""Host command line: build the browser bundle, serve the demo console.

Exit codes: 0 success, 1 the operation failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import MicropipError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _cmd_bundle(args: argparse.Namespace) -> int:
    from .bundle import PEP783_CACHE_DIR, PEP783_WHEELS, bundle_size, fetch_pinned_wheel, write_bundle

    lock = write_bundle(Path(args.out), pyodide_dir=Path(args.pyodide_dir))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyodide-pm",
        description="Host tools for micropip (the Pyodide package manager).",
        epilog="Examples:\n  pyodide-pm bundle build/bundle\n  pyodide-pm demo --port 8000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("bundle", help="write the browser bundle (our wheel, packaging, resolvelib, pyodide-lock.json)")
    p.add_argument("out", help="output folder, e.g. build/bundle")
    p.add_argument("--pyodide-dir", default=str(REPO_ROOT / "node_modules" / "pyodide"), help="the npm pyodide package")
    p.add_argument("--with-test-wheels", action="store_true", help="also fetch the pinned PEP 783 test wheels")
    p.set_defaults(func=_cmd_bundle)

    from .lock_command import add_lock_parser

    add_lock_parser(sub)
    from .check_command import add_check_parser; add_check_parser(sub)  # noqa: E702 - one line, see check_command

    p = sub.add_parser("demo", help="serve the browser console with the fixture index")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    p.add_argument("--index-dir", default=str(REPO_ROOT / "fixtures" / "wheels"))
    p.add_argument("--bundle-dir", default=str(REPO_ROOT / "build" / "bundle"))
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MicropipError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
