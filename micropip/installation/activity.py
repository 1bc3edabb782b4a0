"""Whether an install is under way: the idle-time compiling (``bytecode``) waits while one is.

Both share the page's one thread, and a second install begun right after a first ran up to
twice as slow beside the first one's compiling (measured in ``bench/backtracking.py``). A
module of its own, with nothing to import: ``micropip.install`` marks every call before the
head start asks its first request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_running = 0
_begun = False


@contextlib.contextmanager
def installing() -> Iterator[None]:
    """Held by every ``micropip.install`` / ``install_lockfile`` call while it runs."""
    global _running, _begun
    _running += 1
    _begun = True
    try:
        yield
    finally:
        _running -= 1


def install_running() -> bool:
    return _running > 0


def install_begun() -> bool:
    """Whether any install was begun in this interpreter (the warm-up is only for before one)."""
    return _begun
