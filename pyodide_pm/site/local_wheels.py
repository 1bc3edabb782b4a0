"""The deployer's own wheels (``--wheels DIR``) as the first source of the site's resolution.

Pure wheels and Pyodide builds (``pyodide build``) alike. Each one must fit the target
release: a wheel for another platform or Python is refused by name before anything is
resolved, with the reason the resolver would give. A project found here shadows every
index (as pip's ``--find-links`` with ``--no-index`` for that name would): a deployer's
build of a package is the one they mean.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from micropip.index.client import IndexClient
from micropip.index.project import ProjectFile, ProjectPage
from micropip.resolution.environment import TargetEnvironment
from micropip.resolution.selection import Rejected, judge_file

from ..pinned import sha256_file
from .options import SiteError


def read_local_wheels(folders: Iterable[Path], env: TargetEnvironment, target: str, *, what: str = "--wheels") -> dict[str, ProjectPage]:
    """Project name -> page of the wheels in ``folders`` (not recursive); raises for any that cannot be used."""
    files: dict[str, list[ProjectFile]] = {}
    for folder in folders:
        if not Path(folder).is_dir():
            raise SiteError(f"{what} {folder}: no such folder")
        found = sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix == ".whl")
        if not found:
            raise SiteError(f"{what} {folder} holds no wheels (*.whl)")
        for path in found:
            file = ProjectFile(path.name, path.resolve().as_uri(), {"sha256": sha256_file(path)}, index_url=str(folder))
            verdict = judge_file(file, env)
            if isinstance(verdict, Rejected):
                raise SiteError(
                    f"refusing {path.name} from {what} {folder}: {verdict.reason}. "
                    f"The site targets Pyodide {target} (Python {env.python_version}); remove the wheel, or build it for "
                    "that release (pyodide build) or as a pure-Python wheel"
                )
            try:
                name = parse_wheel_filename(path.name)[0]
            except InvalidWheelFilename as exc:  # judge_file refuses these first; kept for safety
                raise SiteError(f"refusing {path} from {what}: {exc}") from None
            files.setdefault(str(name), []).append(file)
    return {name: ProjectPage(name, tuple(found), f"{what} folders") for name, found in files.items()}


def local_first(local: dict[str, ProjectPage], index: IndexClient) -> Callable[[str], Awaitable[ProjectPage | None]]:
    """A project lookup (``IndexClient.lookup``): the local wheels' page, else the indexes'."""

    async def lookup(name: str) -> ProjectPage | None:
        page = local.get(name)
        return page if page is not None else await index.project(name)

    return lookup
