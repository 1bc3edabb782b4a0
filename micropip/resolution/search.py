"""resolvelib, run across fetches: after data arrives it goes on where it stopped.

resolvelib is synchronous and our data arrives asynchronously: when the provider lacks
a page or a release's metadata it raises ``NeedData``, which unwinds resolvelib in the
middle of a round. Starting again from nothing after each fetch replays every pin and
backtrack made so far, so a long walk back through releases costs CPU time that grows
with the square of its length (boto3 + s3fs: seconds per restart, hundreds of them).

Instead the stack of states is kept and the resolution resumes at the round that needed
data. That round has changed nothing yet: resolvelib tries a candidate's dependencies on
a copy of the criteria and keeps the copy only once the pin works, so the state on top of
the stack is the state the round began with. The resumed run is resolvelib's own
``Resolution.resolve``: it adds the root requirements to a fresh root state again (cheap,
the provider's answers are cached) and, where it would push its first state, gets the
saved stack back. Resolvelib's optimistic backjumping flags travel with the stack.

Starting from nothing remains the answer when resuming would not be sound: data missing
in the middle of a backjump (resolvelib was rewriting its stack then), or data that took
back something the resolver had already been offered (a release found unusable, the
index asked after Pyodide's lock; ``Sources.revisions``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from packaging.requirements import Requirement
from resolvelib import BaseReporter
from resolvelib.resolvers import resolution as _resolution

from .provider import Provider
from .sources import NeedData, Sources

# resolvelib >= 1.2 keeps these beside the stack; resuming carries them over.
_CARRIED = ("_optimistic_backjumping_ratio", "_save_states")


class _Rejections:
    """The candidates rejected in the round that ran out of data, and why (the conflicting
    criterion): resumed, that round tries them again on the very same state, where they fail
    the very same way, so the answer is replayed instead of worked out again."""

    def __init__(self) -> None:
        self.state: Any = None
        self.why: dict[Any, Any] = {}

    def on(self, state: Any) -> dict[Any, Any]:
        if state is not self.state:
            self.state, self.why = state, {}
        return self.why


class _Resumable(_resolution.Resolution):
    """``Resolution`` whose first state push may restore a saved stack (see the module)."""

    def __init__(
        self, provider: Provider, reporter: BaseReporter, saved: tuple[list, dict] | None, rejections: _Rejections
    ) -> None:
        super().__init__(provider, reporter)
        self._saved = saved
        self._rejections = rejections
        self.restored = saved is None  # nothing to restore counts as done
        self.backjumping = False

    def _get_updated_criteria(self, candidate: Any) -> Any:
        why = self._rejections.on(self.state)
        if candidate in why:
            raise _resolution.RequirementsConflicted(why[candidate])
        try:
            return super()._get_updated_criteria(candidate)
        except _resolution.RequirementsConflicted as exc:
            why[candidate] = exc.criterion
            raise

    def _push_new_state(self) -> None:
        if self._saved is not None:
            states, carried = self._saved
            self._saved = None
            self._states = states
            for name, value in carried.items():
                setattr(self, name, value)
            self.restored = True
            return
        super()._push_new_state()

    def _backjump(self, causes: Any) -> bool:
        self.backjumping = True  # stays set when data runs out in there: that stack is not resumed
        result = super()._backjump(causes)
        self.backjumping = False
        return result

    def snapshot(self) -> tuple[list, dict]:
        return self._states, {name: getattr(self, name) for name in _CARRIED if hasattr(self, name)}


class Search:
    """One resolution in as many runs as fetches need (``run`` raises ``NeedData``)."""

    def __init__(self, provider: Provider, requirements: Iterable[Requirement], reporter: BaseReporter) -> None:
        self.provider = provider
        self.requirements = list(requirements)
        self.reporter = reporter
        self._saved: tuple[list, dict] | None = None
        self._rejections = _Rejections()
        self._revision = -1
        self.runs = 0
        self.resumed = 0  # runs that went on from a saved stack
        self.restarted = 0  # runs after a fetch that started from nothing

    def run(self, max_rounds: int) -> Any:
        """resolvelib's result, or ``NeedData`` to fetch before calling again."""
        saved = self._saved
        self._saved = None
        self.runs += 1
        if saved is not None:
            self.resumed += 1
        elif self.runs > 1:
            self.restarted += 1
        if saved is None:
            self._rejections = _Rejections()
        resolution = _Resumable(self.provider, self.reporter, saved, self._rejections)
        try:
            state = resolution.resolve(self.requirements, max_rounds=max(1, max_rounds))
        except NeedData:
            if not resolution.restored:
                self._saved = saved  # unwound before getting there: the old stack still holds
            elif not resolution.backjumping and len(getattr(resolution, "_states", ())) >= 2:
                self._saved = resolution.snapshot()
            self._revision = self.provider.sources.revisions
            raise
        return _resolution._build_result(state)

    def data_arrived(self, sources: Sources) -> None:
        """After a fetch: resume if nothing the resolver was offered changed, else start over."""
        if sources.revisions != self._revision:
            self._saved = None
