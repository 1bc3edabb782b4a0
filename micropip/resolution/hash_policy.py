"""``require_hashes``: refuse a plan unless every file it downloads can be verified.

Without the option a file with no usable hash is installed unverified (TLS still
protects the transfer). Only sha256 counts: an index that publishes only other
algorithms (md5, blake2b, ...) leaves its files unverifiable, the same as no hash.
A plan gets its sha256 from the index (PEP 691 ``hashes``, PEP 503 ``#sha256=``, the
JSON API ``digests``), from a lockfile, or from a ``#sha256=`` fragment on a wheel URL.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..errors import HashMismatchError, HashRequiredError
from ..plan import Plan, PlannedPackage

_SHA256 = re.compile(r"[0-9a-f]{64}")


def unverifiable(plan: Plan) -> list[PlannedPackage]:
    """Planned downloads without a well-formed sha256."""
    return [p for p in plan.install if not (p.sha256 and _SHA256.fullmatch(p.sha256.lower()))]


def require_hashes(plan: Plan) -> None:
    """Raise ``HashRequiredError`` naming every planned file that has no sha256; call before fetching."""
    missing = unverifiable(plan)
    if not missing:
        return
    lines = "\n".join(f"  {p.name} {p.version}: {p.filename} from {p.url}" for p in missing)
    raise HashRequiredError(
        f"require_hashes is on, but {len(missing)} planned file(s) have no sha256 to verify them against:\n{lines}\n"
        "Use an index that publishes sha256 hashes, add #sha256=<hash> to a wheel URL, or install from a "
        "lockfile. Nothing was downloaded or installed."
    )


def apply_pinned_hashes(plan: Plan, pins: dict[str, frozenset[str]]) -> None:
    """Enforce ``--hash=sha256:<hex>`` pins from requirements files on the planned files.

    A planned file whose index hash is not among the pins is refused now; a file the
    index gave no hash for takes the pin, so the download itself is checked against it.
    ``pins`` maps canonical names to their ``algo:hex`` strings.
    """
    for i, pkg in enumerate(plan.install):
        wanted = pins.get(pkg.name)
        if not wanted:
            continue
        allowed = {h.split(":", 1)[1].lower() for h in wanted if h.lower().startswith("sha256:")}
        if not allowed:
            raise HashRequiredError(
                f"{pkg.name} is pinned with --hash, but not with sha256 ({', '.join(sorted(wanted))}); "
                "only sha256 can be verified here"
            )
        if pkg.sha256:
            if pkg.sha256.lower() not in allowed:
                raise HashMismatchError(
                    f"hash mismatch for {pkg.filename} ({pkg.name} {pkg.version}) from {pkg.url}: the index says "
                    f"sha256 {pkg.sha256}, the requirements file pins {', '.join(sorted(allowed))}. "
                    "Nothing was downloaded or installed."
                )
        elif len(allowed) == 1:
            plan.install[i] = replace(pkg, sha256=next(iter(allowed)))
        else:
            raise HashRequiredError(
                f"{pkg.filename} ({pkg.name}) has no sha256 on the index and {len(allowed)} pinned hashes; "
                "pin the one for this file"
            )
