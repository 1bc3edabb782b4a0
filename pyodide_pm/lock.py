"""Create a lock on the host for a target Pyodide: the browser's resolver, the target's tags.

The resolution runs exactly as ``micropip.install`` does in the browser, but with
the markers, Python version, ABI and platform tags of the named Pyodide release
(read from its own lock by the release catalog), never the host's own, and with that
release's packages (numpy, pandas, ...) available as they are in a page. The result is
written as a ``pyodide-lock.json`` (the release's lock plus ours) or a PEP 751
``pylock.toml``, sorted so that locks diff cleanly. Pyodide's own entries point at the
release's CDN folder, so the lock loads from whatever host serves it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import zipfile
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from lockfile import LockPackage, Pylock, PylockPackage, PylockWheel, PyodideLock, read_pyodide_lock, write_pylock
from lockfile.merging import merge

from micropip import __version__
from micropip.index import http
from micropip.resolution.environment import TargetEnvironment
from micropip.errors import MicropipError
from micropip.installation.fetch import fetch_all
from micropip.index.client import DEFAULT_INDEX_URLS, IndexClient
from micropip.plan import Plan, PlannedPackage
from micropip.resolution.requirements import parse_inputs
from micropip.resolution.budget import DEFAULT_TIMEOUT
from micropip.resolution.resolver import resolve
from .budget_flag import add_resolve_timeout
from micropip.resolution.selection import is_sdist
from micropip.resolution.sources import Sources, lock_packages_from
from micropip.installation.wheelfile import top_level_modules

from .catalog import PINNED_VERSION, Catalog, Release


@dataclass
class LockResult:
    plan: Plan
    text: str
    format: str  # "pyodide-lock" or "pylock"
    release: Release | None = None  # the target


def output_format(path: str) -> str:
    name = os.path.basename(path)
    if name.endswith(".toml"):
        if not (name == "pylock.toml" or (name.startswith("pylock.") and name.count(".") == 2)):
            raise MicropipError(f"{path}: PEP 751 lock files must be named pylock.toml or pylock.<name>.toml")
        return "pylock"
    if name.endswith(".json"):
        return "pyodide-lock"
    raise MicropipError(f"{path}: cannot tell the lock format; name it *.json (pyodide-lock) or pylock.toml")


async def create_lock(
    requirements: list[str],
    *,
    output: str,
    pyodide: str | None = None,
    index_urls: list[str] | None = None,
    constraints: list[str] | None = None,
    pre: bool = False,
    merge_with: Path | None = None,
    wheel_dir: Path | None = None,
    merge_indexes: bool = False,
    build_sdists: bool = False,
    pyodide_lock: str | None = None,
    package_base_url: str | None = None,
    for_node: bool = False,
    catalog: Catalog | None = None,
    resolve_timeout: float | None = DEFAULT_TIMEOUT,
) -> LockResult:
    """Resolve ``requirements`` for the target release and render the lock text.

    ``build_sdists``: a release with no usable wheel but a pure-Python sdist is locked as
    that sdist (URL + sha256), its dependencies read from PEP 643 static PKG-INFO or from a
    build on this host (the backends from the same indexes); micropip builds it in Pyodide
    at install time (``install_lockfile(..., build_sdists=True)``).

    The target's own lock comes from the release catalog (``pyodide_lock``: this file or
    URL instead); a ``pyodide-lock.json`` output is that lock plus ours, with Pyodide's
    entries as absolute URLs under ``package_base_url`` (default: the release's CDN folder).
    ``for_node`` keeps them bare file names, which Pyodide's loader under Node.js needs.
    ``merge_with``: merge into this lock instead, its entries kept as written unless
    ``package_base_url`` is given.
    """
    fmt = output_format(output)
    catalog = catalog or Catalog()
    release = catalog.release_from_lock(pyodide_lock, pyodide) if pyodide_lock else catalog.release(pyodide)
    env = release.environment()
    parsed = await parse_inputs(requirements, read_file=http.read_requirements_text)
    if not parsed.requirements:
        raise MicropipError("nothing to lock: give requirements or -r requirements.txt")
    urls = tuple(index_urls or DEFAULT_INDEX_URLS)
    if merge_with is not None:
        base_lock = read_pyodide_lock(Path(merge_with).read_bytes(), source=str(merge_with))
        base_url = package_base_url or Path(merge_with).resolve().parent.as_uri() + "/"
        lock_packages = lock_packages_from(base_lock.to_dict(), base_url)
        if package_base_url:
            base_lock = dataclasses.replace(release, lock=base_lock).absolute_lock(package_base_url)
    else:
        base_lock = release.lock if for_node else release.absolute_lock(package_base_url)
        lock_packages = release.lock_packages(package_base_url)
    index = IndexClient(urls, merge=merge_indexes)
    builder = None
    if build_sdists:
        from micropip.package_manager import sdist_builder

        builder = sdist_builder(index)
    sources = Sources(
        env, index, lock_packages=lock_packages, sdist_metadata=builder.metadata if builder is not None else None
    )
    all_constraints = [Requirement(c) for c in constraints or []] + parsed.constraints
    plan = await resolve(
        parsed.requirements, sources, pre=pre, constraints=all_constraints, index_urls=urls, resolve_timeout=resolve_timeout
    )
    to_lock = [p for p in plan.install if p.source != "lockfile"]
    if for_node and fmt == "pyodide-lock" and wheel_dir is None and to_lock:
        raise MicropipError(
            f"--for-node: Pyodide's loader under Node.js cannot load URLs from a lock, and "
            f"{', '.join(sorted(p.name for p in to_lock))} would be URLs; add --wheel-dir DIR so the wheels "
            "from indexes sit beside the lock"
        )
    data = await _wheels_needed(to_lock, sources.wheel_bytes, wheel_dir)
    hashes = {p.name: p.sha256 or hashlib.sha256(data[p.name]).hexdigest() for p in to_lock}
    file_names = {p.name: p.url for p in to_lock}
    if wheel_dir is not None:
        wheel_dir.mkdir(parents=True, exist_ok=True)
        out_dir = Path(output).resolve().parent
        for p in to_lock:
            target = wheel_dir / p.filename
            target.write_bytes(data[p.name])
            file_names[p.name] = os.path.relpath(target.resolve(), out_dir).replace(os.sep, "/")
    if fmt == "pyodide-lock":
        text = _render_pyodide_lock(to_lock, hashes, file_names, data, base_lock)
    else:
        text = _render_pylock(plan.install, hashes, file_names, env, release.version, lock_packages)
    return LockResult(plan, text, fmt, release)


async def _wheels_needed(packages: list[PlannedPackage], cached: dict[str, bytes], wheel_dir: Path | None) -> dict[str, bytes]:
    """Download only what the lock cannot be written without: unhashed files, or all with ``wheel_dir``."""
    need = [p for p in packages if wheel_dir is not None or not p.sha256]
    if not need:
        return {}
    return await fetch_all(need, cached=cached)


def _top_level(data: bytes | None) -> tuple[str, ...]:
    """Importable top-level names of a wheel (Pyodide's ``imports``); empty when not downloaded."""
    if not data or not data.startswith(b"PK"):  # not downloaded, or an sdist
        return ()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return top_level_modules(zf.namelist())


def _render_pyodide_lock(
    packages: list[PlannedPackage],
    hashes: dict[str, str],
    file_names: dict[str, str],
    data: dict[str, bytes],
    base: PyodideLock,
) -> str:
    added = {p.name: wheel_lock_entry(p, file_names[p.name], hashes[p.name], data.get(p.name)) for p in packages}
    return merge(base, added).to_json()


def wheel_lock_entry(p: PlannedPackage, file_name: str, sha256: str, data: bytes | None) -> LockPackage:
    """The ``pyodide-lock.json`` entry of a wheel the resolver picked; its ``imports`` are read
    from the wheel's bytes when given (Pyodide's ``loadPackagesFromImports`` uses them)."""
    return LockPackage(
        name=p.name,
        version=p.version,
        file_name=file_name,
        install_dir="site",
        sha256=sha256,
        package_type="package",
        imports=_top_level(data),
        depends=tuple(sorted(p.depends)),
        unvendored_tests=False,
        shared_library=False,
    )


def _render_pylock(
    packages: list[PlannedPackage],
    hashes: dict[str, str],
    file_names: dict[str, str],
    env: TargetEnvironment,
    pyodide_version: str,
    lock_packages: dict,
) -> str:
    entries = []
    for p in sorted(packages, key=lambda x: x.name):
        sha = hashes.get(p.name) or p.sha256
        url = file_names.get(p.name, p.url)
        if p.source == "lockfile":
            url = lock_packages[p.name].url
        is_path = "://" not in url
        if p.direct_url:  # a URL the user gave is a direct reference: PEP 751's archive table
            where = {"path": url} if is_path else {"url": url}
            archive = {**where, **({"size": p.size} if p.size else {}), "hashes": {"sha256": sha} if sha else {}}
            entries.append(PylockPackage(
                name=p.name, version=p.version, dependencies=tuple({"name": d} for d in sorted(p.depends)), archive=archive,
            ))
            continue
        if is_sdist(p.filename):  # build_sdists: PEP 751's sdist table (micropip builds it)
            where = {"path": url} if is_path else {"url": url}
            sdist = {"name": p.filename, **where, "hashes": {"sha256": sha} if sha else {}}
            if p.size:
                sdist["size"] = p.size
            entries.append(
                PylockPackage(
                    name=p.name, version=p.version, dependencies=tuple({"name": d} for d in sorted(p.depends)), sdist=sdist
                )
            )
            continue
        wheel = PylockWheel(
            name=p.filename,
            url=None if is_path else url,
            path=url if is_path else None,
            size=p.size,
            upload_time=None,
            hashes={"sha256": sha} if sha else {},
        )
        entries.append(
            PylockPackage(
                name=p.name,
                version=p.version,
                dependencies=tuple({"name": d} for d in sorted(p.depends)),
                wheels=(wheel,),
            )
        )
    py = env.python
    lock = Pylock(
        environments=(
            f"sys_platform == 'emscripten' and platform_machine == 'wasm32' and python_version == '{py.major}.{py.minor}'",
        ),
        requires_python=f"=={py.major}.{py.minor}.*",
        created_by="micropip",
        packages=tuple(entries),
        tool={"micropip": {"pyodide": pyodide_version, "abi": env.abi_version or "", "version": __version__}},
    )
    return write_pylock(lock)


def lock_main(args) -> int:
    """The ``lock`` subcommand (wired in ``cli.py``)."""
    reqs = list(args.requirements)
    reqs += [f"-r {r}" for r in args.requirement or []]
    reqs += [f"-c {c}" for c in args.constraint or []]
    result = asyncio.run(
        create_lock(
            reqs,
            output=args.output,
            pyodide=args.pyodide,
            index_urls=args.index_url,
            pre=args.pre,
            merge_with=Path(args.merge_with) if args.merge_with else None,
            wheel_dir=Path(args.wheel_dir) if args.wheel_dir else None,
            merge_indexes=args.merge_indexes,
            build_sdists=args.build_sdists,
            pyodide_lock=args.pyodide_lock,
            package_base_url=args.package_base_url,
            for_node=args.for_node,
            resolve_timeout=args.resolve_timeout,
        )
    )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(result.text)
    if args.format == "json":
        print(json.dumps({"output": args.output, "packages": [{"name": p.name, "version": p.version, "url": p.url} for p in result.plan.install]}, indent=2))
    else:
        version = result.release.version if result.release else args.pyodide
        print(f"Locked {len(result.plan.install)} package(s) for Pyodide {version} into {args.output}:")
        for p in result.plan.install:
            print(f"  {p.name}=={p.version}  ({p.source})")
    return 0


def add_lock_parser(sub) -> None:
    from .check import release_version

    p = sub.add_parser(
        "lock",
        help="resolve requirements for a target Pyodide and write pyodide-lock.json or pylock.toml",
        description="Resolve on the host, exactly as micropip does in the browser, for the target Pyodide's "
        "Python, ABI and platform tags (never the host's) and with its own packages (numpy, pandas, ...). "
        "A *.json output is the release's pyodide-lock.json plus the packages locked here; Pyodide's own "
        "entries point at the release's CDN folder, so the lock loads with loadPyodide({lockFileURL}) from any host.",
        epilog="Examples:\n  pyodide-pm lock rich -o pylock.toml\n"
        "  pyodide-pm lock numpy requests -o app-lock.json\n"
        "  pyodide-pm lock -r requirements.txt --pyodide 0.27.7 --index-url http://127.0.0.1:8000/simple/ -o app-lock.json\n"
        "  pyodide-pm lock attrs --wheel-dir dist -o dist/pyodide-lock.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("requirements", nargs="*", help="PEP 508 requirements or wheel URLs")
    p.add_argument("-r", "--requirement", action="append", metavar="FILE", help="a requirements file (repeatable)")
    p.add_argument("-c", "--constraint", action="append", metavar="FILE", help="a constraints file (repeatable)")
    p.add_argument("-o", "--output", required=True, help="pyodide-lock.json-style *.json or pylock.toml")
    p.add_argument(
        "--pyodide", type=release_version, default=None, metavar="VERSION",
        help=f"target release (default {PINNED_VERSION}); any release on the npm registry, e.g. 0.27.7",
    )
    p.add_argument(
        "--pyodide-lock", metavar="FILE|URL",
        help="the target's pyodide-lock.json, instead of the one the release catalog gets from the npm registry",
    )
    p.add_argument(
        "--package-base-url", metavar="URL",
        help="where Pyodide's own packages are served (default: the release's CDN folder, "
        "https://cdn.jsdelivr.net/pyodide/vVERSION/full/)",
    )
    p.add_argument(
        "--for-node", action="store_true",
        help="keep Pyodide's entries as bare file names, for pyodide.loadPackage under Node.js "
        "(its loader cannot load URLs from a lock; it reads bare names beside the lock and downloads missing "
        "ones from the release's CDN); needs --wheel-dir for packages from an index",
    )
    p.add_argument("-i", "--index-url", action="append", help="index URL (repeatable; first index that has a project wins)")
    p.add_argument("--merge-indexes", action="store_true", help="combine the files of every index instead")
    p.add_argument("--pre", action="store_true", help="allow pre-releases")
    p.add_argument(
        "--merge-with", metavar="LOCK",
        help="merge into this pyodide-lock.json instead of the release's (its entries are kept as written)",
    )
    p.add_argument("--wheel-dir", metavar="DIR", help="download the locked wheels here and refer to them relative to the output")
    p.add_argument(
        "--build-sdists", action="store_true",
        help="lock a pure-Python sdist when a release has no usable wheel (built here to read its dependencies "
        "unless its PKG-INFO is static; micropip builds it at install time)",
    )
    p.add_argument("--format", choices=["text", "json"], default="text", help="what to print")
    add_resolve_timeout(p)
    p.set_defaults(func=lock_main)
