"""The install machinery loaded in idle time, before a first install (``head_start.plan_warm_up``).

A kernel that imports micropip as it starts (JupyterLite's piplite) compiled and imported the
resolver and its friends (~300 ms in Node) only when the user's first ``%pip install`` ran,
while the kernel sat idle for the seconds the user took to type it. Once ``import micropip``
has been followed by ``head_start.WARM_UP_DELAY`` seconds with no install, this puts back a
returning visitor's kept bytecode of the machinery, imports the machinery a module per
event-loop turn (stopping as soon as an install begins: it goes on itself), then keeps the
compiled code in idle time as after an install (``installation.bytecode``). Never with the
cache off (``set_cache(False)``: no work in the background).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from typing import Any

from . import head_start

logger = logging.getLogger("micropip")
# Left to the first install: importing these tells ``head_start.begin`` that a client took the
# machinery over (piplite imports ``package_index`` to patch it).
NOT_WARMED = frozenset({"micropip.package_index", "micropip.package_manager"})
_warming: Any = None


def begin() -> None:
    """Start the warm-up, unless an install (or a caller of the machinery) went first."""
    global _warming
    from .installation import activity

    if activity.install_begun() or "micropip.package_manager" in sys.modules or _warming is not None:
        return
    _warming = asyncio.ensure_future(_warm_up())


async def _warm_up() -> None:
    try:
        from . import cache
        from .installation import activity, bytecode

        if cache.current() is None:
            return
        await bytecode.restore_machinery()
        for name in head_start.MACHINERY:
            await asyncio.sleep(0.002)
            if activity.install_begun():
                return
            if name not in NOT_WARMED:
                importlib.import_module(name)
        bytecode.keep_later([])  # the machinery's compiled code, kept for the next page load
        bytecode.start_idle()
    except Exception as exc:  # noqa: BLE001 - only time is lost
        logger.debug("warm-up: %s", exc)


async def done() -> None:
    """Wait until the warm-up begun (if any) and the compiling it left for idle time are over
    (tests, benchmarks)."""
    if _warming is not None:
        await asyncio.shield(_warming)
    from .installation import bytecode

    await bytecode.idle_done()
