"""``python -m index_server``: serve a folder of wheels as an index, or write it as static files.

Exit codes: 0 success, 1 the folder is missing or the build failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EXAMPLES = """\
examples:
  python -m index_server serve fixtures/wheels --port 0
      serve on a free port; pip/micropip index URL: the printed .../simple/
  python -m index_server serve dist --host 0.0.0.0 --port 8080 --absolute-urls
  python -m index_server build fixtures/wheels site/
      write site/simple/..., site/files/..., site/pypi/... for any static host
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m index_server",
        description="A package index (PEP 691/503 simple API, PEP 658 metadata, PyPI JSON API, CORS) "
        "for a folder of wheels. A yanked.json next to the wheels ({\"<wheel>\": \"<reason>\"}) yanks files.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{serve,build}")

    p = sub.add_parser("serve", help="serve DIR over HTTP until Ctrl-C", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", metavar="DIR", nargs="+", help="folder(s) of .whl and sdist files, served as one index")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default: %(default)s)")
    p.add_argument("--absolute-urls", action="store_true", help="link files with absolute URLs built from the Host header")
    p.add_argument("--no-metadata-files", action="store_true", help="do not offer PEP 658 .metadata files")
    p.set_defaults(func=_serve)

    p = sub.add_parser("build", help="write DIR's index as static files under OUT", epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", metavar="DIR", help="folder of .whl files")
    p.add_argument("out", metavar="OUT", help="output folder (created if missing)")
    p.add_argument("--no-metadata-files", action="store_true", help="do not write PEP 658 .metadata files")
    p.set_defaults(func=_build)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from .server import start_server

    try:
        server = start_server(
            [Path(d) for d in args.dir],
            host=args.host,
            port=args.port,
            metadata_files=not args.no_metadata_files,
            absolute_urls=args.absolute_urls,
        )
    except OSError as exc:
        print(f"index_server: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"Serving {' + '.join(args.dir)} at {server.simple_url}", flush=True)
    print(f"JSON API: {server.url}pypi/<name>/json   Ctrl-C stops.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _build(args: argparse.Namespace) -> int:
    from .catalog import Catalog
    from .static_build import write_index

    out = Path(args.out)
    index = Catalog(Path(args.dir), report=lambda message: None).contents()  # skips are listed below
    try:
        written = write_index(index, out, metadata_files=not args.no_metadata_files)
    except OSError as exc:
        print(f"index_server: cannot write the index to {out}: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} files to {out}: {len(index.projects)} projects, {len(index.files)} wheels")
    for filename, reason in index.skipped:
        print(f"index_server: skipped {filename}: {reason}", file=sys.stderr)
    print(f"index URL once hosted: <base>/simple/   (try: python -m http.server -d {out})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for folder in map(Path, args.dir if isinstance(args.dir, list) else [args.dir]):
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            print(f"index_server: wheel folder {folder} {what}", file=sys.stderr)
            return 1
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
