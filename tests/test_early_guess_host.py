"""What a first install guesses while its resolver compiles (``resolution.early_guess``), and
the cache check that lets a new visitor skip building a recall question."""

from __future__ import annotations

import asyncio

from packaging.specifiers import SpecifierSet

from micropip.cache import Cache
from micropip.cache.folder_store import FolderStore
from micropip.index.project import ProjectFile
from micropip.resolution.early_guess import pick
from micropip.resolution.environment import TargetEnvironment

ENV = TargetEnvironment.for_pyodide("314.0.7")


def _files(*names: str, yanked: tuple[str, ...] = ()) -> tuple[ProjectFile, ...]:
    return tuple(ProjectFile(n, f"https://files.example/{n}", {"sha256": "0" * 64}, yanked=n in yanked) for n in names)


def test_the_newest_final_release_with_a_usable_wheel_and_its_best_tag():
    files = _files(
        "pkg-1.0-py3-none-any.whl",
        "pkg-2.0-py3-none-any.whl",
        "pkg-2.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl",  # preferred over the pure wheel
        "pkg-2.0-cp314-cp314-manylinux_2_17_x86_64.whl",
        "pkg-3.0b1-py3-none-any.whl",  # a pre-release: the resolver takes the final release
        "pkg-3.0.tar.gz",  # an sdist only: never built for a guess
    )
    assert pick(files, SpecifierSet(), ENV).filename == "pkg-2.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"
    assert pick(files, SpecifierSet("<2"), ENV).filename == "pkg-1.0-py3-none-any.whl"
    # the resolver's pre-release rule: a specifier that names one, or a project with nothing else
    assert pick(files, SpecifierSet(">=3.0b1"), ENV).filename == "pkg-3.0b1-py3-none-any.whl"
    assert pick(_files("pre-1.0b2-py3-none-any.whl"), SpecifierSet(), ENV).filename == "pre-1.0b2-py3-none-any.whl"


def test_yanked_files_and_releases_without_a_usable_wheel_are_passed_over():
    files = _files(
        "pkg-1.0-py3-none-any.whl",
        "pkg-2.0-py3-none-any.whl",
        "pkg-3.0-cp314-cp314-manylinux_2_17_x86_64.whl",
        yanked=("pkg-2.0-py3-none-any.whl",),
    )
    assert pick(files, SpecifierSet(), ENV).filename == "pkg-1.0-py3-none-any.whl"
    assert pick(files, SpecifierSet(">=3"), ENV) is None


def test_a_cache_says_which_kinds_of_entry_it_may_hold(tmp_path):
    async def run() -> tuple[bool, bool, bool]:
        store = FolderStore(tmp_path / "c")
        empty = await Cache(store).may_hold(".plan")
        await Cache(store).write("ab" * 32 + ".plan", b"{}")
        again = Cache(store)  # a later page: it knows the names from the stored index
        return empty, await again.may_hold(".plan"), await again.may_hold(".page")

    assert asyncio.run(run()) == (False, True, False)

