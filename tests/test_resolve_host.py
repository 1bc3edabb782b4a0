"""The resolver on host CPython, targeting Pyodide 314 (fast; the same code runs in Pyodide)."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.tags import Tag

from micropip.resolution.environment import TargetEnvironment, find_release
from micropip.errors import MicropipError, NoCompatibleWheelError, PackageNotFoundError, ResolutionError
from micropip.index.client import IndexClient, project_url
from micropip.resolution.requirements import parse_requirement
from micropip.resolution.resolver import resolve
from micropip.resolution.selection import allowed_versions, explain_tags
from micropip.resolution.sources import Sources
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ENV = TargetEnvironment.for_pyodide("314.0.7")


async def plan_for(index, *reqs, **kw):
    sources = Sources(ENV, IndexClient((index.simple_url,)))
    roots = [parse_requirement(r) for r in reqs]
    plan = await resolve(roots, sources, index_urls=(index.simple_url,), **kw)
    return {p.name: p.version for p in plan.install}, plan


def test_target_tags_are_the_targets_not_the_hosts():
    assert ENV.tags[0] == Tag("cp314", "cp314", "pyemscripten_2026_0_wasm32")
    assert Tag("cp314", "cp314", "pyodide_2026_0_wasm32") in ENV.tag_rank
    assert Tag("py3", "none", "any") in ENV.tag_rank
    assert not any("linux" in t.platform for t in ENV.tags)
    assert ENV.markers["sys_platform"] == "emscripten"
    assert find_release("314").abi_version == "2026_0"
    with pytest.raises(MicropipError, match="supported targets"):
        find_release("1.0")


def test_tag_explanations():
    linux = frozenset({Tag("cp314", "cp314", "manylinux_2_17_x86_64")})
    assert "manylinux_2_17_x86_64" in explain_tags(linux, ENV)
    old = frozenset({Tag("cp313", "cp313", "pyodide_2025_0_wasm32")})
    text = explain_tags(old, ENV)
    assert "ABI 2025_0" in text and "Python 3.13" in text


def test_prerelease_rule():
    vs = [Version("1.0"), Version("2.0b1")]
    assert allowed_versions(vs, [SpecifierSet("")], pre=False) == [Version("1.0")]
    assert allowed_versions(vs, [SpecifierSet("")], pre=True) == [Version("2.0b1"), Version("1.0")]
    assert allowed_versions(vs, [SpecifierSet(">=2.0b1")], pre=False) == [Version("2.0b1")]
    # PEP 440 (and Pyodide's micropip): with no final release to pick, pre-releases count.
    assert allowed_versions([Version("2.0b1")], [SpecifierSet("")], pre=False) == [Version("2.0b1")]
    assert allowed_versions(vs, [SpecifierSet(">1.0")], pre=False) == [Version("2.0b1")]
    # A specifier naming a pre-release lets pre-releases compete with final releases.
    assert allowed_versions(vs + [Version("2.0")], [SpecifierSet(">=2.0b1")], pre=False)[0] == Version("2.0")


def test_project_url_forms():
    assert project_url("https://x/simple", "a-b") == "https://x/simple/a-b/"
    assert project_url("https://x/pypi", "a") == "https://x/pypi/a/json"
    assert project_url("https://x/{package_name}/idx", "a") == "https://x/a/idx"


async def test_backtracking_on_host(fixture_index):
    chosen, _ = await plan_for(fixture_index, "bt-top", "bt-leaf==1.0")
    assert chosen == {"bt-top": "1.0", "bt-mid": "1.5", "bt-leaf": "1.0"}


async def test_order_independent(fixture_index):
    a, _ = await plan_for(fixture_index, "bt-top", "bt-leaf==1.0", "demo-app")
    b, _ = await plan_for(fixture_index, "demo-app", "bt-leaf==1.0", "bt-top")
    assert a == b


async def test_chain_message_on_host(fixture_index):
    with pytest.raises(NoCompatibleWheelError, match="chain-top -> chain-middle -> chain-native"):
        await plan_for(fixture_index, "chain-top")


async def test_a_chain_through_an_extra_names_the_extra(fixture_index):
    with pytest.raises(NoCompatibleWheelError, match=r"chain-extra\[gpu\] -> chain-middle -> chain-native"):
        await plan_for(fixture_index, "chain-extra[gpu]")
    chosen, _ = await plan_for(fixture_index, "chain-extra")  # without the extra nothing is missing
    assert chosen == {"chain-extra": "1.0"}


async def test_a_requirement_whose_marker_does_not_hold_is_ignored(fixture_index):
    chosen, plan = await plan_for(fixture_index, "greeting; sys_platform == 'win32'", "extradep; python_version >= '3.8'")
    assert chosen == {"extradep": "1.0"} and [p.name for p in plan.install if p.requested] == ["extradep"]
    # A constraint that does not apply here constrains nothing.
    chosen, _ = await plan_for(fixture_index, "greeting", constraints=[Requirement("colorama-lite==0.1; sys_platform == 'win32'")])
    assert chosen["colorama-lite"] == "0.2"


async def test_no_matching_release_is_not_called_a_conflict(fixture_index):
    with pytest.raises(ResolutionError) as info:
        await plan_for(fixture_index, "greeting==99")
    assert "no release of greeting matches:\n  greeting==99  (requested)\n  available versions: 1.1, 1.0" in str(info.value)
    assert "conflicting" not in str(info.value)


async def test_a_constraint_that_rules_out_every_release_is_named(fixture_index):
    with pytest.raises(ResolutionError) as info:
        await plan_for(fixture_index, "greeting", constraints=[Requirement("greeting<1")])
    assert "conflicting requirements for greeting:\n  greeting  (requested)\n  greeting<1  (constraint)" in str(info.value)


async def test_conflict_on_host(fixture_index):
    with pytest.raises(ResolutionError, match="shared==1.0"):
        await plan_for(fixture_index, "conflict-a", "conflict-b")


async def test_missing_on_host(fixture_index):
    with pytest.raises(PackageNotFoundError, match="nothere"):
        await plan_for(fixture_index, "nothere")


async def test_extras_and_markers(fixture_index):
    chosen, _ = await plan_for(fixture_index, "plainuser", "markerpkg")
    assert "extradep" not in chosen and chosen["emdep"] == "1.0"
    chosen, plan = await plan_for(fixture_index, "extrauser")
    assert chosen["extradep"] == "1.0"
    assert [p.extras for p in plan.install if p.name == "withextras"] == [("fast",)]


async def test_an_extra_the_release_does_not_provide_is_warned_about(fixture_index):
    chosen, plan = await plan_for(fixture_index, "withextras[fats]")
    assert chosen == {"withextras": "1.0"}
    assert plan.warnings == ["withextras 1.0 does not provide the extra 'fats': it adds nothing (check its spelling)"]
    chosen, plan = await plan_for(fixture_index, "withextras[FAST]")  # extras compare normalized (PEP 685)
    assert chosen["extradep"] == "1.0" and plan.warnings == []


async def test_metadata_bytes_versus_wheels(fixture_index):
    _, plan = await plan_for(fixture_index, "bt-top", "bt-leaf==1.0")
    assert plan.bytes_metadata > 0 and plan.bytes_wheels_for_metadata == 0


def test_listed_versions_reads_each_release_once_and_agrees_with_the_full_file_name_parser():
    from micropip.resolution.selection import file_version, listed_versions

    names = [
        "msgpack-1.2.4-cp314-cp314-pyemscripten_2026_0_wasm32.whl",
        "msgpack-1.2.4-cp313-cp313-win_amd64.whl",
        "msgpack-1.2.4.tar.gz",
        "msgpack-1.0-1build-py3-none-any.whl",  # a build tag
        "msgpack-1.3.0rc1-py3-none-any.whl",
        "msgpack-0.9.zip",
        "msgpack-notaversion-py3-none-any.whl",  # unreadable: left out by both
        "broken.whl",
        "msgpack-2.0-py3-none.whl",  # four parts: not a wheel name
    ]
    expected = {v for v in map(file_version, names) if v is not None}
    assert listed_versions(names) == expected
    assert sorted(map(str, expected)) == ["0.9", "1.0", "1.2.4", "1.3.0rc1"]


async def test_a_wheel_url_for_another_platform_is_refused_before_download(fixture_index):
    linux = fixture_index.url + "files/chain_native-1.0-cp314-cp314-manylinux_2_17_x86_64.whl"
    older_abi = fixture_index.url + "files/chain_native-1.0-cp313-cp313-pyodide_2025_0_wasm32.whl"
    with pytest.raises(NoCompatibleWheelError) as info:
        await plan_for(fixture_index, linux)
    message = str(info.value)
    assert isinstance(info.value, ValueError)  # catchable as in Pyodide's micropip
    assert "Wheel platform 'manylinux_2_17_x86_64' is not compatible with Pyodide's platform 'pyemscripten_2026_0_wasm32'" in message
    assert "chain_native-1.0-cp314-cp314-manylinux_2_17_x86_64.whl" in message and "pure-Python wheel" in message
    with pytest.raises(NoCompatibleWheelError, match="ABI 2025_0"):
        await plan_for(fixture_index, f"chain-native @ {older_abi}")
    with pytest.raises(MicropipError, match="does not end in a valid wheel file name"):
        await plan_for(fixture_index, fixture_index.url + "files/not-a-wheel.whl")
    with pytest.raises(MicropipError, match="PEP 427"):
        await plan_for(fixture_index, f"greeting @ {fixture_index.url}files/greeting.whl")
