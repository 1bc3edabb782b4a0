"""The ``site`` subcommand's options and output (wired in ``pyodide_pm/cli.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import FLAVOURS, SiteOptions

EPILOG = """Examples:
  pyodide-pm site site/ numpy rich                        # a page, Pyodide from its CDN
  pyodide-pm site site/ -r requirements.txt --offline     # every byte inside site/
  pyodide-pm site lite/ --for jupyterlite pandas --available matplotlib --offline
  pyodide-pm site app/ --for pyscript -r requirements.txt --wheels dist/

Serve OUT from any static host (python -m http.server -d OUT works). docs/deploy.md says more.
Exit status: 0 built, 1 the build failed (OUT untouched; the message says why), 2 usage error."""


def add_site_parser(sub) -> None:
    from ..catalog import PINNED_VERSION
    from ..check import release_version

    p = sub.add_parser(
        "site",
        help="build a static site (page, PyScript or JupyterLite) that runs our micropip, online or fully offline",
        description="Resolve the requirements on the host for the target Pyodide, lock them, and write OUT: "
        "a static site whose Python starts with them installed, with a package index of its own (the "
        "requirements' closure and the --available packages) that micropip searches first.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", metavar="OUT", help="the site's folder (written atomically; an earlier site there is replaced)")
    p.add_argument("requirements", nargs="*", metavar="REQ", help="requirements installed before the page's code runs")
    p.add_argument("--for", dest="flavour", choices=FLAVOURS, default="page", help="what kind of site (default: page)")
    p.add_argument("-r", "--requirement", action="append", default=[], metavar="FILE", help="a requirements file (repeatable)")
    p.add_argument("-c", "--constraint", action="append", default=[], metavar="FILE", help="a constraints file (repeatable)")
    p.add_argument(
        "--available", nargs="+", action="extend", default=[], metavar="REQ",
        help="packages only offered in the site's index, for users to install later (resolved with the rest)",
    )
    p.add_argument(
        "--offline", action="store_true",
        help="put every file the site needs in OUT (Pyodide's runtime and packages too); nothing is fetched from "
        "another origin at run time",
    )
    p.add_argument("--pyodide", type=release_version, metavar="VERSION", help=f"target release (default {PINNED_VERSION})")
    p.add_argument("--pyodide-lock", metavar="FILE|URL", help="the target's pyodide-lock.json, instead of the catalog's")
    p.add_argument(
        "--package-base-url", metavar="URL",
        help="where Pyodide's own packages are (default: the release's CDN folder); an offline build downloads them from there",
    )
    p.add_argument("-i", "--index-url", action="append", default=[], metavar="URL", help="index to resolve from (repeatable; default PyPI)")
    p.add_argument("--wheels", action="append", default=[], metavar="DIR", help="a folder of your own wheels, searched first (repeatable)")
    p.add_argument("--lite-dir", metavar="DIR", help="--for jupyterlite: your `jupyter lite build` folder to start from")
    p.add_argument(
        "--pages", metavar="DIR",
        help="--for page/pyscript: your own files (HTML, scripts, ...) copied into OUT; your index.html replaces the starting page",
    )
    p.add_argument("--pre", action="store_true", help="allow pre-releases")
    p.set_defaults(func=site_main)


def site_main(args: argparse.Namespace) -> int:
    from .build import build_site

    requirements = list(args.requirements) + [f"-r {r}" for r in args.requirement] + [f"-c {c}" for c in args.constraint]
    options = SiteOptions(
        out=Path(args.out), flavour=args.flavour, requirements=requirements, available=list(args.available),
        offline=args.offline, pyodide=args.pyodide, pyodide_lock=args.pyodide_lock, package_base_url=args.package_base_url,
        index_urls=list(args.index_url), wheels=[Path(w) for w in args.wheels],
        lite_dir=Path(args.lite_dir) if args.lite_dir else None, pages=Path(args.pages) if args.pages else None, pre=args.pre,
    )
    result = build_site(options)
    where = "everything in OUT" if options.offline else f"Pyodide from {result.release.cdn_url}"
    print(f"Built a {options.flavour} site for Pyodide {result.release.version} in {result.out} ({where}, {result.size / 1e6:.1f} MB)")
    print(f"  installed at start: {', '.join(result.preload)}")
    offered = sorted(p.name + "==" + p.version for p in result.closure.plan.install if not result.closure.is_required(p))
    if offered:
        print(f"  in its index only:  {', '.join(offered)}")
    print(f"Serve it from any static host, e.g.  python -m http.server -d {result.out}")
    return 0
