"""A resolution's plan, kept for a returning visitor's same install (``head_start``).

A reload running the same install with fresh pages and cached wheels compiled and ran the
resolver again (~300 ms) for the same answer. The plan is kept under what decides it, with
the pages it read, and is recalled while each is fresh: the resolver would read the same.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable

from .. import cache, transport
from ..index import page_cache
from ..plan import Plan, PlannedPackage

logger = logging.getLogger("micropip")


def question(
    requirements: object, index_urls: Iterable[str], *, deps: bool, pre: bool, installed: Callable[[], Iterable]
) -> dict | None:
    """What decides the plan (``installed()``: the distributions); None for a URL, path or
    ``-r``/``-c`` file, which can change unseen."""
    reqs = [requirements] if isinstance(requirements, str) else requirements
    try:
        if not reqs or any(r.strip()[0] == "-" or any(c in r for c in "@/\\:") or r.strip().endswith(".whl") for r in reqs):
            return None
        import micropip

        return {
            "v": 1, "micropip": micropip.__version__, "runtime": transport.runtime_identity(), "requirements": list(reqs),
            "index_urls": list(index_urls), "deps": bool(deps), "pre": bool(pre),
            "installed": sorted({f"{d.canonical_name}=={d.version}" for d in installed()}),
        }
    except Exception as exc:  # noqa: BLE001 - only a shortcut: not a string, ...
        logger.debug("cache: no plan kept or recalled: %s", exc)
        return None


def entry_name(asked: dict) -> str:
    return hashlib.sha256(_dump(asked)).hexdigest() + ".plan"


def _usable(plan: Plan) -> bool:  # wheels with a sha256: from the cache, verified again
    return all(p.sha256 and p.filename.endswith(".whl") and p.source in ("index", "lockfile") for p in plan.install)


async def remember(
    asked: dict, pages: Iterable[str], accept: str, plan: Plan, labels: Callable[[list[PlannedPackage]], dict]
) -> None:
    """Keep ``plan``, its labels (``labels(packages)``) and the pages it read. Never raises."""
    store = cache.current()
    try:
        if store is not None and _usable(plan):
            entry = {"question": asked, "pages": sorted(set(pages)), "accept": accept, "plan": plan.to_dict(), "labels": labels(plan.install)}
            await store.write(entry_name(asked), _dump(entry))
    except Exception as exc:  # noqa: BLE001 - only a shortcut for a later visit
        logger.debug("cache: plan not kept: %s", exc)


async def any_kept() -> bool:
    """Whether the cache may hold a plan at all: a new visitor's holds none, and then no
    question is built (it reads every installed distribution)."""
    store = cache.current()
    return store is not None and await store.may_hold(".plan")


async def recall(asked: dict) -> tuple[Plan, dict] | None:
    """The plan and labels kept for ``asked`` while its pages are fresh; a bad entry is deleted."""
    store = cache.current()
    name = entry_name(asked)
    raw = await store.read(name) if store is not None else None
    if raw is None:
        return None
    try:
        entry = json.loads(bytes(raw))
        kept = entry["plan"]
        plan = Plan(
            [PlannedPackage(**{k: tuple(v) if isinstance(v, list) else v for k, v in p.items()}) for p in kept["install"]],
            [tuple(k) for k in kept["keep"]], list(kept["replace"]), list(kept["warnings"]),
        )
        labels = {p.name: tuple(entry["labels"][p.name]) for p in plan.install}
        if entry["question"] != json.loads(_dump(asked)) or not _usable(plan):
            raise ValueError("not this question's")
    except Exception as exc:  # noqa: BLE001 - never used
        logger.debug("cache: kept plan %s unusable (%s); deleted", name, exc)
        await store.discard(name)
        return None
    for url in entry["pages"]:
        if not await page_cache.kept_fresh(url, entry["accept"]):
            return None
    return plan, labels


def _dump(data: object) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
