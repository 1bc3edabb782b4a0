"""``require_hashes``: refuse a plan unless every file it downloads can be verified.

Without the option a file with no usable hash is installed unverified (TLS still
protects the transfer). Only sha256 counts: an index that publishes only other
algorithms (md5, blake2b, ...) leaves its files unverifiable, the same as no hash.
A plan gets its sha256 from the index (PEP 691 ``hashes``, PEP 503 ``#sha256=``, the
JSON API ``digests``), from a lockfile, or from a ``#sha256=`` fragment on a wheel URL.
"""

from __future__ import annotations

import re

from .errors import HashRequiredError
from .plan import Plan, PlannedPackage

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
