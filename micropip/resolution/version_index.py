"""A project's versions sorted once, so the versions a specifier allows are found by bisection.

botocore has thousands of releases, and every release of boto3 (and of aiobotocore, and
of s3fs through it) names its own narrow range of them. Testing every version against
every one of those specifiers is most of a backtracking search's CPU time; the ordered
comparisons (``>=``, ``>``, ``<``, ``<=``, ``==``, ``~=``) bound a window of the sorted
versions instead, and only the window is tested with ``packaging`` (which keeps the last
word on pre-releases, local versions and the rest of PEP 440's rules).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version


def newest_allowed(
    versions: Iterable[Version], specs: list[SpecifierSet], *, pre: bool, floor: Version | None = None
) -> Version | None:
    """``selection.allowed_versions(...)[0]`` in one pass, without sorting thousands of
    versions: the newest final release the specifiers allow (any release with ``pre``, or
    when a specifier names a pre-release), else the newest pre-release they allow.

    ``floor``: a version known to be allowed (the one picked) when it is a final release
    (or ``pre``): only the versions above it are tested then, the answer being the same."""
    any_pre = pre or any(s.prereleases for s in specs)
    best_final = best_any = None
    if floor is not None and (any_pre or not floor.is_prerelease):
        best_final = best_any = floor
    else:
        floor = None
    for v in versions:
        if floor is not None and v <= floor:
            continue
        if not all(s.contains(v, prereleases=True) for s in specs):
            continue
        if best_any is None or v > best_any:
            best_any = v
        if (any_pre or not v.is_prerelease) and (best_final is None or v > best_final):
            best_final = v
    return best_final if best_final is not None else best_any


class VersionIndex:
    """The distinct versions of one project, oldest first, with their public parts."""

    def __init__(self, versions: Iterable[Version]) -> None:
        self.versions = sorted(versions)  # equal versions spelled apart (1.0, 1.0.0) both stay: === tells them apart
        # Ordered comparisons look at the public version (a local label never counts), and
        # public versions sort in the same order as the full ones.
        self._public = [Version(v.public) if v.local else v for v in self.versions]
        self.prereleases = frozenset(v for v in self.versions if v.is_prerelease)
        self.everything = frozenset(self.versions)

    def allowed(self, spec: SpecifierSet) -> frozenset[Version]:
        """The versions ``spec`` contains (pre-releases included: the caller applies PEP 440's rule)."""
        if not len(spec):
            return self.everything
        lo, hi = self.window(spec)
        return frozenset(v for v in self.versions[lo:hi] if spec.contains(v, prereleases=True))

    def window(self, spec: SpecifierSet) -> tuple[int, int]:
        """Indexes [lo, hi) outside which no version can match ``spec`` (a superset, never less)."""
        lo, hi = 0, len(self.versions)
        for clause in spec:
            op, text = clause.operator, clause.version
            if text.endswith(".*") or op in ("!=", "==="):
                continue
            try:
                bound = Version(text)
            except InvalidVersion:
                continue
            if bound.local:
                if op != "==":
                    continue
                bound = Version(bound.public)  # ==1.0+abc matches only versions whose public part is 1.0
            if op in (">=", "~="):
                lo = max(lo, bisect_left(self._public, bound))
            elif op == ">":
                lo = max(lo, bisect_right(self._public, bound))
            elif op == "<":
                hi = min(hi, bisect_left(self._public, bound))
            elif op == "<=":
                hi = min(hi, bisect_right(self._public, bound))
            elif op == "==":
                lo = max(lo, bisect_left(self._public, bound))
                hi = min(hi, bisect_right(self._public, bound))
        return lo, max(lo, hi)
