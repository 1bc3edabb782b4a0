"""The resolver's budget (wall time and rounds) and the error when it runs out.

A backtracking search can take longer than anyone will wait (some sets of requirements
make any resolver try thousands of combinations): a notebook cell must end, with an
answer or with an error saying what to do. The budget counts from the start of the
resolution, fetches included; it is checked between resolvelib's rounds and at every
candidate it rejects, so a search spinning on CPU stops as surely as one waiting on the
network. The rounds cap makes the stop the same on a fast and a slow machine.

When it runs out, the error names the projects whose releases the search kept trying,
the conflict it kept meeting, and a pin that settles it: the requirement of the side that
kept changing, which fixes the contested project and lets the others fall in place.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from packaging.utils import canonicalize_name
from resolvelib import BaseReporter

from ..errors import ResolutionBudgetError

DEFAULT_TIMEOUT = 60.0  # seconds; ``install(..., resolve_timeout=...)``, ``pyodide-pm ... --resolve-timeout``
MAX_ROUNDS = 50_000  # resolvelib rounds (pins and backjumps) in one resolution, all runs together
SHOWN = 4  # projects named in the error


class OutOfBudget(Exception):
    """Raised inside the resolver when the budget is spent (turned into ``ResolutionBudgetError``)."""


class Budget:
    """Wall time and rounds for one resolution."""

    def __init__(self, timeout: float | None = DEFAULT_TIMEOUT, rounds: int = MAX_ROUNDS) -> None:
        if timeout is not None and not timeout > 0:
            raise ValueError(f"resolve_timeout must be a positive number of seconds or None, not {timeout!r}")
        self.timeout = timeout
        self.rounds = rounds
        self.started = time.monotonic()
        self.used_rounds = 0
        self.fetches = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def time_left(self) -> float | None:
        """Seconds left (never negative), or None without a time limit."""
        return None if self.timeout is None else max(0.0, self.timeout - self.elapsed())

    def rounds_left(self) -> int:
        return max(0, self.rounds - self.used_rounds)

    def check(self) -> None:
        if self.timeout is not None and self.elapsed() > self.timeout:
            raise OutOfBudget()


class BackAndForth(BaseReporter):
    """resolvelib's reporter: counts rounds against the budget, remembers the conflicts."""

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self.budget = budget
        self.conflicts: Counter[str] = Counter()  # contested project -> times its requirements clashed
        self._names: dict[str, str] = {}  # canonical names (a clash is met again at each replayed rejection)
        self.last_causes: dict[str, list[Any]] = {}  # contested project -> the latest clash

    def starting_round(self, index: int) -> None:
        self.budget.used_rounds += 1
        self.budget.check()

    def rejecting_candidate(self, criterion: Any, candidate: Any) -> None:
        self.budget.check()  # one round may reject thousands of candidates
        self.resolving_conflicts(criterion.information)  # the clash that rejected it

    def resolving_conflicts(self, causes: Any) -> None:
        by_project: dict[str, list[Any]] = {}
        for cause in causes:
            raw = cause.requirement.name
            name = self._names.get(raw) or self._names.setdefault(raw, canonicalize_name(raw))
            by_project.setdefault(name, []).append(cause)
        for name, clash in by_project.items():
            if len({id(c.parent) for c in clash}) > 1:  # two requirers disagree
                self.conflicts[name] += 1
                self.last_causes[name] = clash


def budget_error(
    budget: Budget, reporter: BackAndForth, tried: dict[str, set], roots: list[str], *, rounds_ran_out: bool
) -> ResolutionBudgetError:
    """The error for a search that ran out of budget (see the module docstring)."""
    limit = (
        f"{budget.rounds:,} rounds" if rounds_ran_out or budget.timeout is None
        else f"{budget.timeout:g} s"
    )
    lines = [
        f"Gave up resolving {', '.join(roots)} after {budget.elapsed():.1f} s ({budget.used_rounds:,} rounds, "
        f"{budget.fetches} fetches): the resolver's budget of {limit} ran out before it found versions that fit together."
    ]
    walked = sorted(((len(v), n) for n, v in tried.items() if len(v) > 1), reverse=True)[:SHOWN]
    if walked:
        lines.append(
            "It kept going back and forth on: "
            + ", ".join(f"{name} ({count} releases tried)" for count, name in walked) + "."
        )
    settled = False
    if reporter.conflicts:
        contested = reporter.conflicts.most_common(1)[0][0]
        clash = reporter.last_causes[contested]
        lines.append(f"The conflict it kept meeting is over {contested}:")
        lines += [f"  {c.requirement}  ({'requested' if c.parent is None else f'required by {c.parent}'})" for c in clash]
        walking = max(
            (c for c in clash if c.parent is not None), key=lambda c: len(tried.get(c.parent.name, ())), default=None
        )
        requested = next((c for c in clash if c.parent is None), None)
        if walking is not None and requested is not None:
            # The user's own requirement is one side: the other side's project must go back.
            project = walking.parent.name
            oldest = min(tried.get(project, {walking.parent.version}))
            lines.append(
                f"A pin settles it: pin {project} to an older release that accepts '{requested.requirement}' "
                f"(the {len(tried.get(project, ()))} newest it tried do not; e.g. '{project}<{oldest}'), "
                f"or relax '{requested.requirement}'."
            )
            settled = True
        elif walking is not None and str(walking.requirement.specifier):
            # Two dependencies disagree: fixing the contested project to what the side that kept
            # changing needs lets the other side move to a release that fits instead.
            pin = f"{contested}{walking.requirement.specifier}"
            others = " or ".join(n for _c, n in walked[:2]) or contested
            lines.append(
                f"A pin settles it: add '{pin}' (what {walking.parent} needs), so the other side moves to "
                f"a release that fits; or pin the release you want of {others}."
            )
            settled = True
    if not settled and walked:
        lines.append(f"A pin settles it: pin the release you want of {walked[0][1]} (e.g. '{walked[0][1]}==...').")
    if rounds_ran_out:
        lines.append(f"(The cap of {budget.rounds:,} rounds does not depend on resolve_timeout: a pin is the way.)")
    else:
        more = int(max(120, 2 * (budget.timeout or DEFAULT_TIMEOUT)))
        lines.append(
            f"Or give it more time: install(..., resolve_timeout={more}) (pyodide-pm lock/check: --resolve-timeout {more})."
        )
    return ResolutionBudgetError("\n".join(lines))
