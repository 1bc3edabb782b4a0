"""Host command line (``pyodide-pm``, or ``python -m pyodide_pm.cli``).

Commands: ``bundle`` (the browser bundle), ``lock`` (a lock for a target Pyodide),
``check`` (will wheels, requirements or a lock work there?), ``site`` (a static page,
PyScript or JupyterLite site that runs our micropip, online or offline), ``release``
(fetch and show Pyodide releases from the release catalog) and ``demo`` (serve the
browser console with the fixture index, from a checkout). ``pyodide-pm COMMAND --help`` shows
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

from lockfile import LockfileError
from micropip.errors import MicropipError

# The checkout this module runs from, if it does (``demo`` serves its demo/ and docs/).
CHECKOUT = Path(__file__).resolve().parent.parent


def _cmd_bundle(args: argparse.Namespace) -> int:
    import json

    from . import machinery_bytecode
    from .bundle import BYTECODE_DEFAULT, PEP783_WHEELS, bundle_size, fetch_pinned_wheel, pep783_cache_dir, write_bundle
    from .catalog import Catalog

    if args.bytecode is None:
        args.bytecode = BYTECODE_DEFAULT
    catalog = Catalog()
    release = catalog.release_from_lock(args.pyodide_lock, args.pyodide) if args.pyodide_lock else catalog.release(args.pyodide)
    lock = write_bundle(
        Path(args.out), release=release, package_base_url=args.package_base_url, for_node=args.for_node,
        index_url=args.index_url, bytecode=args.bytecode, bytecode_part=args.bytecode_part,
    )
    print(f"wrote {lock} for Pyodide {release.version} ({bundle_size(lock.parent) / 1024:.0f} KiB of wheels and lockfile)")
    part = json.loads(lock.read_text())["packages"].get(machinery_bytecode.PART)
    if part:
        print(f"  {part['file_name']}: micropip's machinery compiled ahead, fetched by a new visitor's first install "
              "(no page loads it)")
    if args.with_test_wheels:
        for pin in PEP783_WHEELS:
            path = fetch_pinned_wheel(pin, pep783_cache_dir(), index_url=args.index_url)
            print(f"verified {path}")
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    from .catalog import Catalog

    catalog = Catalog()
    if args.list:
        cached = set(catalog.cached_versions())
        for version in catalog.versions():
            print(f"{version}{'  (cached)' if version in cached else ''}")
        return 0
    for version in args.versions or [None]:
        release = catalog.release(version, runtime=True, cached_only=True)
        print(
            f"Pyodide {release.version}: Python {release.python}, ABI {release.abi_version or '(none)'}, "
            f"platform {release.platform}, {len(release.lock.packages)} packages in its lock"
        )
        print(f"  lock:     {release.lock_source}")
        print(f"  files:    {release.runtime_dir()}")
        print(f"  packages: {release.cdn_url}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from index_server.server import start_server

    from .bundle import write_bundle
    from .catalog import Catalog

    if not (CHECKOUT / "demo" / "console.html").is_file():
        raise MicropipError(f"the demo runs from a checkout of the project (no demo/ beside {CHECKOUT / 'pyodide_pm'})")
    release = Catalog().release(runtime=True)
    bundle = Path(args.bundle_dir)
    if not (bundle / "pyodide-lock.json").exists():
        write_bundle(bundle, release=release)
    server = start_server(
        Path(args.index_dir),
        host=args.host,
        port=args.port,
        extra_static={
            "/pyodide/": release.runtime_dir(),
            "/bundle/": bundle,
            "/console/": CHECKOUT / "demo",
            "/docs/": CHECKOUT / "docs",  # the guides the console links to (JupyterLite, PyScript, ...)
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
    "  pyodide-pm site site/ -r requirements.txt --offline # a static site with them installed\n"
    "  pyodide-pm release 314.0.7 0.27.7                   # fetch releases into the cache (for offline use)\n"
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
    from .catalog import PINNED_VERSION
    from .check import release_version

    p = sub.add_parser(
        "bundle",
        help="write the browser bundle (our wheel, packaging, resolvelib, pyodide-lock.json)",
        description="Write Pyodide's pyodide-lock.json plus entries for micropip and its two dependencies, "
        "with their wheels, so a page boots with loadPyodide({lockFileURL}) + loadPackage('micropip').",
        epilog="Examples:\n  pyodide-pm bundle build/bundle\n  pyodide-pm bundle build/bundle --with-test-wheels\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", help="output folder, e.g. build/bundle")
    p.add_argument("--pyodide", type=release_version, metavar="VERSION", help=f"target release (default {PINNED_VERSION})")
    p.add_argument("--pyodide-lock", metavar="FILE|URL", help="the target's pyodide-lock.json, instead of the catalog's")
    p.add_argument(
        "--package-base-url", metavar="URL",
        help="where Pyodide's own packages are served (default: the release's CDN folder)",
    )
    p.add_argument(
        "--for-node", action="store_true",
        help="keep Pyodide's entries as bare file names, for pyodide.loadPackage under Node.js",
    )
    p.add_argument(
        "-i", "--index-url", metavar="URL",
        help="index to download the pinned packaging and resolvelib wheels from when not cached (default $PIP_INDEX_URL or PyPI)",
    )
    p.add_argument("--with-test-wheels", action="store_true", help="also fetch the pinned PEP 783 test wheels")
    p.add_argument(
        "--bytecode", action=argparse.BooleanOptionalAction, default=None,
        help="carry .pyc files compiled by the pinned Pyodide (default: the measured choice, see the README)",
    )
    p.add_argument(
        "--no-bytecode-part", dest="bytecode_part", action="store_false",
        help="leave out the micropip-bytecode entry (made with Node and the release's Pyodide) that a new "
             "visitor's first install fetches instead of compiling micropip",
    )
    p.set_defaults(func=_cmd_bundle)

    from .check import add_check_parser
    from .lock import add_lock_parser

    add_lock_parser(sub)
    add_check_parser(sub)

    from .site.command import add_site_parser

    add_site_parser(sub)

    p = sub.add_parser(
        "release",
        help="fetch Pyodide releases into the cache and show their facts, or list the releases that exist",
        description="The release catalog: each release's pyodide-lock.json, Python, ABI, platform and runtime "
        "files, from the pyodide package on the npm registry (verified, then cached per user for offline use).",
        epilog="Examples:\n  pyodide-pm release                 # the default target\n"
        "  pyodide-pm release 314.0.7 0.27.7  # e.g. in a CI step before going offline\n"
        "  pyodide-pm release --list\n\nEnvironment: PYODIDE_PM_CACHE_DIR (the cache), PYODIDE_PM_OFFLINE=1 "
        "(cache only), PYODIDE_PM_NPM_REGISTRY, PYODIDE_PM_CDN_URL.\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("versions", nargs="*", metavar="VERSION", type=release_version)
    p.add_argument("--list", action="store_true", help="list the releases with a pyodide-lock.json (newest first)")
    p.set_defaults(func=_cmd_release)

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
    p.add_argument("--index-dir", default=str(CHECKOUT / "fixtures" / "wheels"))
    p.add_argument("--bundle-dir", default=str(CHECKOUT / "build" / "bundle"))
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
    except (MicropipError, LockfileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
