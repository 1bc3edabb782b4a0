"""The remembered plan (``resolution.remembered``) on the host: what makes a question, when a kept
plan comes back, and that the cache's one clear removes it. In real Pyodide: the end of
tests/test_persistent_cache_pyodide.py."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from micropip import cache
from micropip.index import page_cache
from micropip.plan import Plan, PlannedPackage
from micropip.resolution import remembered

PAGE = "https://index.example/simple/greeting/"
ACCEPT = "application/vnd.pypi.simple.v1+json"


@pytest.fixture(autouse=True)
def kept_in(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_enabled", True)
    monkeypatch.setattr(cache, "_path", str(tmp_path))
    monkeypatch.setattr(cache, "_cache", None)
    return tmp_path


def installed(*pairs: tuple[str, str]):
    return lambda: [SimpleNamespace(canonical_name=n, version=v) for n, v in pairs]


def ask(requirements, **kw):
    settings = {"deps": True, "pre": False, "installed": installed(("packaging", "26.2"))} | kw
    return remembered.question(requirements, ["https://index.example/simple/"], **settings)


def a_plan() -> Plan:
    pkg = PlannedPackage("greeting", "1.1", "index", PAGE + "greeting-1.1-py3-none-any.whl", "greeting-1.1-py3-none-any.whl",
                         "ab" * 32, True, ("requested",), depends=("colorama-lite",))
    return Plan(install=[pkg], keep=[("colorama-lite", "0.2")])


async def keep_page(max_age: int) -> None:
    await page_cache._keep(cache.current(), page_cache.entry_name(PAGE, ACCEPT), PAGE, PAGE,
                           {"cache-control": f"max-age={max_age}"}, b"{}")


def test_a_question_names_everything_that_decides_the_plan():
    asked = ask("greeting")
    assert asked["requirements"] == ["greeting"] and asked["installed"] == ["packaging==26.2"]
    others = [ask(["greeting"], pre=True), ask("greeting", deps=False), ask("greeting>=1"),
              ask("greeting", installed=installed(("packaging", "26.2"), ("six", "1.17")))]
    assert len({remembered.entry_name(q) for q in [asked, *others]}) == 5
    # what can change without the index saying so is never remembered
    for item in ("greeting @ https://x/greeting-1.1-py3-none-any.whl", "./greeting-1.1-py3-none-any.whl",
                 "emfs:/tmp/greeting-1.1-py3-none-any.whl", "-r requirements.txt", ["greeting", "-c c.txt"], [], [3]):
        assert ask(item) is None, item


async def test_a_kept_plan_comes_back_only_while_its_pages_are_fresh_and_clear_removes_it(kept_in):
    asked = ask("greeting")
    await keep_page(600)
    await remembered.remember(asked, [PAGE], ACCEPT, a_plan(), lambda pkgs: {p.name: ("pypi", p.name) for p in pkgs})
    plan, labels = await remembered.recall(asked)
    assert plan.install == a_plan().install and plan.keep == a_plan().keep and labels == {"greeting": ("pypi", "greeting")}
    assert await remembered.recall(ask("greeting", pre=True)) is None  # another question: nothing kept for it

    await keep_page(0)  # stale: the resolver runs (and revalidates)
    assert await remembered.recall(asked) is None
    assert list(kept_in.glob("*.plan"))  # kept: a stale page is no reason to forget it

    await cache.current().clear()
    assert not list(kept_in.glob("*.plan"))


async def test_a_plan_for_another_question_or_one_that_does_not_decode_is_deleted(kept_in):
    asked = ask("greeting")
    await keep_page(600)
    name = remembered.entry_name(asked)
    for payload in (json.dumps({"question": ask("other"), "pages": [], "accept": ACCEPT, "plan": Plan().to_dict(),
                                "labels": {}}).encode(), b"{not json"):
        await cache.current().write(name, payload)
        assert await remembered.recall(asked) is None
        assert not (kept_in / name).exists()
