"""Adding wheels to a ``pyodide-lock.json``: how ``pyodide-pm lock --merge-with`` and a bundle
extend Pyodide's lock. Host-only (``pyodide_pm.bundle.HOST_SHIMS``): no page merges locks.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from packaging.utils import canonicalize_name

from ._checks import Where
from .pyodide_lock import LockPackage, PyodideLock


def merge(base: PyodideLock, added: Mapping[str, LockPackage], *, source: str | None = None) -> PyodideLock:
    """A new lock: ``base`` plus ``added``, whose entries replace same-named ones; re-validated.

    This is how a bundle adds its own wheels (micropip and its dependencies) to Pyodide's lock.
    """
    where = Where(source, "<merged pyodide-lock.json>")
    if not isinstance(base, PyodideLock):
        where.fail(f"expected a PyodideLock to merge into, found {type(base).__name__}")
    packages = dict(base.packages)
    for key, package in added.items():
        at = where.at("packages").at(str(key)).of(str(key))
        if not isinstance(package, LockPackage):
            at.fail(f"expected LockPackage, found {type(package).__name__}")
        name = at.at("name").string(package.name)
        canonical = canonicalize_name(name)
        if canonicalize_name(at.string(key)) != canonical:
            at.fail(f"the key {key!r} does not name the package {name!r}", f"Use the key {canonical!r}")
        for old in [k for k in packages if isinstance(k, str) and canonicalize_name(k) == canonical]:
            del packages[old]
        packages[canonical] = package
    result = PyodideLock(base.info, packages, copy.deepcopy(base.extra))
    result.validate(source=source)
    return result
