"""The persistent cache's wheels on host CPython: a folder of ``<sha256>.whl`` files."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import micropip
from micropip import cache as wheel_cache
from micropip.cache import Cache as WheelCache
from micropip.cache import layer
from micropip.cache import folder_store
from micropip.cache.folder_store import FolderStore

from .conftest import FIXTURE_WHEELS, REPO_ROOT


def blob(seed: int, size: int = 1000) -> tuple[str, bytes]:
    data = hashlib.sha256(str(seed).encode()).digest() * (size // 32 + 1)
    data = data[:size]
    return hashlib.sha256(data).hexdigest(), data


@pytest.fixture(autouse=True)
def fresh_switch(monkeypatch):
    """Each test starts from the module's defaults, with no opt-out in the environment."""
    monkeypatch.setattr(wheel_cache, "_enabled", None)
    monkeypatch.setattr(wheel_cache, "_path", None)
    monkeypatch.setattr(wheel_cache, "_max_bytes", wheel_cache.DEFAULT_MAX_BYTES)
    monkeypatch.setattr(wheel_cache, "_cache", None)
    monkeypatch.delenv(wheel_cache.ENV_NO_CACHE, raising=False)
    monkeypatch.setattr(layer, "_warned", False)  # each test sees the session's first storage warning


@pytest.fixture
def folder(tmp_path) -> Path:
    return tmp_path / "wheels"


@pytest.fixture
def cache(folder) -> WheelCache:
    return WheelCache(FolderStore(folder))


async def test_put_then_get_round_trip_with_a_real_wheel(cache, folder):
    data = (FIXTURE_WHEELS / "greeting-1.1-py3-none-any.whl").read_bytes()
    key = hashlib.sha256(data).hexdigest()
    assert await cache.get(key) is None
    await cache.put(key, data)
    assert (folder / f"{key}.whl").read_bytes() == data
    assert await cache.get(key) == data
    assert await cache.get(key.upper()) == data  # hex digests compare case-insensitively
    assert await cache.usage() == len(data)
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]  # the temp file was renamed


async def test_a_new_cache_object_reads_what_another_stored(folder):
    key, data = blob(1)
    await WheelCache(FolderStore(folder)).put(key, data)
    assert await WheelCache(FolderStore(folder)).get(key) == data


async def test_corrupt_entry_is_detected_deleted_and_never_returned(cache, folder, caplog):
    key, data = blob(2)
    await cache.put(key, data)
    (folder / f"{key}.whl").write_bytes(data[:-1] + b"X")
    with caplog.at_level(logging.WARNING, logger="micropip"):
        assert await cache.get(key) is None
    assert not (folder / f"{key}.whl").exists()
    assert key not in json.loads((folder / "index.json").read_text())["entries"]
    assert "corrupt" in caplog.text
    assert await cache.get(key) is None


async def test_bytes_that_do_not_match_the_key_are_refused(cache, folder, caplog):
    key, _ = blob(3)
    _, other = blob(4)
    with caplog.at_level(logging.WARNING, logger="micropip"):
        await cache.put(key, other)
    assert "refused" in caplog.text
    assert not (folder / f"{key}.whl").exists()
    assert await cache.get(key) is None
    await cache.put("not-a-hash", other)  # a malformed key is refused too, without raising
    assert await cache.usage() == 0


async def test_least_recently_used_entries_are_evicted_past_max_bytes(folder):
    cache = WheelCache(FolderStore(folder), max_bytes=2500)
    (ka, a), (kb, b), (kc, c) = blob(10), blob(11), blob(12)
    await cache.put(ka, a)
    await cache.put(kb, b)
    assert await cache.get(ka) == a  # a is now more recently used than b
    await cache.put(kc, c)  # 3000 bytes > 2500: the least recently used (b) goes
    assert await cache.get(kb) is None
    assert await cache.get(ka) == a and await cache.get(kc) == c
    assert await cache.usage() == 2000
    assert sorted(p.name for p in folder.glob("*.whl")) == sorted([f"{ka}.whl", f"{kc}.whl"])


async def test_a_wheel_larger_than_the_whole_cache_is_not_kept(folder):
    cache = WheelCache(FolderStore(folder), max_bytes=500)
    key, data = blob(13)
    await cache.put(key, data)
    assert await cache.get(key) is None and await cache.usage() == 0


@pytest.mark.parametrize("index", [None, b"{not json", b'{"version": 1, "entries": {"zz": {"size": "x"}}}', b'{"version": 99}', b"[]"])
async def test_missing_or_corrupt_index_is_tolerated_and_rebuilt(folder, index):
    cache = WheelCache(FolderStore(folder), max_bytes=2500)
    (ka, a), (kb, b), (kc, c) = blob(20), blob(21), blob(22)
    await cache.put(ka, a)
    await cache.put(kb, b)
    if index is None:
        (folder / "index.json").unlink()
    else:
        (folder / "index.json").write_bytes(index)
    assert await cache.get(ka) == a  # files are the truth
    await cache.put(kc, c)  # eviction still works: b, unknown to the index, goes first
    assert await cache.get(kb) is None
    assert await cache.get(ka) == a and await cache.get(kc) == c
    entries = json.loads((folder / "index.json").read_text())["entries"]
    assert sorted(entries) == sorted([f"{ka}.whl", f"{kc}.whl"]) and entries[f"{kc}.whl"]["size"] == 1000


async def test_files_that_are_not_entries_are_left_alone(cache, folder):
    key, data = blob(30)
    await cache.put(key, data)
    (folder / "README").write_text("mine")
    assert await cache.usage() == len(data)
    await cache.clear()
    assert (folder / "README").read_text() == "mine"
    assert sorted(p.name for p in folder.iterdir()) == ["README"]


async def test_read_only_folder_only_warns(tmp_path, caplog, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    key, data = blob(40)
    cache = WheelCache(FolderStore(folder))
    folder.chmod(0o555)
    if os.name != "posix" or os.geteuid() == 0:  # permissions do not bind root: fail as they would for anyone else
        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied", str(folder))

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    try:
        with caplog.at_level(logging.WARNING, logger="micropip"):
            await cache.put(key, data)  # must not raise
            assert await cache.get(key) is None
            await cache.clear()
            assert await cache.usage() == 0
        assert "could not store" in caplog.text and "PermissionError" in caplog.text
    finally:
        folder.chmod(0o755)


async def test_a_folder_that_cannot_exist_only_warns(tmp_path, caplog):
    (tmp_path / "file").write_text("not a folder")
    cache = WheelCache(FolderStore(tmp_path / "file" / "wheels"))
    key, data = blob(42)
    with caplog.at_level(logging.WARNING, logger="micropip"):
        await cache.put(key, data)
        assert await cache.get(key) is None
        assert await cache.usage() == 0
    assert "could not store" in caplog.text


async def test_storage_failure_from_any_backend_only_warns(caplog):
    class Broken:
        def describe(self) -> str:
            return "a full disk"

        async def read(self, name, data=None, *, keep_in_js=False):
            raise OSError(28, "No space left on device")

        write = remove = read

        async def list(self):
            raise OSError(28, "No space left on device")

    cache = WheelCache(Broken())
    key, data = blob(41)
    with caplog.at_level(logging.WARNING, logger="micropip"):
        await cache.put(key, data)
        assert await cache.get(key) is None
        await cache.clear()
        assert await cache.usage() == 0
        await cache.put(key, data)
    assert "No space left on device" in caplog.text
    assert len(caplog.records) == 1  # one warning for the session, not one per entry


def test_current_uses_the_configured_folder_and_the_xdg_default(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache = wheel_cache.current()
    assert isinstance(cache.store, FolderStore)
    assert cache.store.folder == tmp_path / "xdg" / "pyodide-pm" / "wheels"
    assert cache.max_bytes == 1 << 30
    assert wheel_cache.current() is cache  # one object, so one index lock
    wheel_cache.configure(path=str(tmp_path / "mine"), max_bytes=1234)
    cache = wheel_cache.current()
    assert cache.store.folder == tmp_path / "mine" and cache.max_bytes == 1234
    wheel_cache.configure(path="")  # back to the default place
    assert wheel_cache.current().store.folder == tmp_path / "xdg" / "pyodide-pm" / "wheels"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not absolute: ignored, as the spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert folder_store.default_folder() == tmp_path / "home" / ".cache" / "pyodide-pm" / "wheels"


def test_disabled_by_configure(tmp_path):
    wheel_cache.configure(path=str(tmp_path))
    assert wheel_cache.current() is not None
    wheel_cache.configure(enabled=False)
    assert wheel_cache.current() is None
    wheel_cache.configure(enabled=True)
    assert wheel_cache.current().store.folder == tmp_path
    with pytest.raises(ValueError, match="max_bytes"):
        wheel_cache.configure(max_bytes=-1)


@pytest.mark.parametrize("value,enabled", [("1", False), ("true", False), ("0", True), ("", True)])
def test_disabled_by_the_environment_unless_code_turns_it_on(tmp_path, monkeypatch, value, enabled):
    wheel_cache.configure(path=str(tmp_path))
    monkeypatch.setenv("PYODIDE_PM_NO_CACHE", value)
    assert (wheel_cache.current() is not None) is enabled
    micropip.set_cache(True)  # an explicit call wins over the environment
    assert wheel_cache.current() is not None
    micropip.set_cache(enabled=False)
    assert wheel_cache.current() is None


async def test_public_set_cache_and_clear_cache(tmp_path):
    micropip.set_cache(path=str(tmp_path / "c"), max_bytes=10_000)
    cache = wheel_cache.current()
    assert cache.max_bytes == 10_000
    key, data = blob(50)
    await cache.put(key, data)
    micropip.set_cache(enabled=False)
    await micropip.clear_cache()  # empties the configured place even while the cache is off
    assert not list((tmp_path / "c").glob("*.whl"))
    assert {"set_cache", "clear_cache"} <= set(micropip.__all__)


def test_import_micropip_does_not_import_the_cache():
    code = "import sys, micropip; print('micropip.cache' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


class CountingStore(FolderStore):
    """A folder store that counts the entry reads that reach it."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.reads: list[str] = []

    async def read(self, name: str, *, keep_in_js: bool = False):
        if name != layer.INDEX_NAME:
            self.reads.append(name)
        return await super().read(name, keep_in_js=keep_in_js)


async def test_a_new_visitor_asks_the_store_for_nothing_it_cannot_have(folder):
    """Once the store is listed, an empty store's misses never reach it (each was a round trip
    before a request); the first read goes straight to it meanwhile (waiting for the listing
    took two round trips); what this session puts is read back; a later session reads what
    the index lists."""
    store = CountingStore(folder)
    cache = WheelCache(store)
    (key_a, a), (key_b, b) = blob(1), blob(2)
    assert await cache.get(key_b) is None
    assert store.reads == [f"{key_b}.whl"]  # asked before the listing was done
    assert not await cache.may_hold(".whl")  # listed now: empty
    assert await cache.get(key_a) is None and await cache.read("0" * 64 + ".page") is None
    assert store.reads == [f"{key_b}.whl"]
    await cache.put(key_a, a)
    assert await cache.get(key_a) == a
    assert store.reads == [f"{key_b}.whl", f"{key_a}.whl"]
    await cache.settle()

    later = CountingStore(folder)
    again = WheelCache(later)
    assert await again.may_hold(".whl")
    assert await again.get(key_a) == a and await again.get(key_b) is None
    assert later.reads == [f"{key_a}.whl"]  # key_b is not in the index: not asked for


async def test_without_an_index_every_stored_name_is_still_found(folder):
    """A store whose index was lost is listed once: what is there is read, what is not is not."""
    (key_a, a), (key_b, _) = blob(1), blob(2)
    first = WheelCache(FolderStore(folder))
    await first.put(key_a, a)
    await first.settle()
    (folder / layer.INDEX_NAME).unlink()
    store = CountingStore(folder)
    cache = WheelCache(store)
    assert await cache.may_hold(".whl")  # the listing, done
    assert await cache.get(key_a) == a and await cache.get(key_b) is None
    assert store.reads == [f"{key_a}.whl"]


async def test_after_clear_nothing_is_read_and_new_puts_are(folder):
    store = CountingStore(folder)
    cache = WheelCache(store)
    (key_a, a) = blob(1)
    await cache.put(key_a, a)
    await cache.get(key_a)
    await cache.clear()
    store.reads.clear()
    assert await cache.get(key_a) is None and store.reads == []
    await cache.put(key_a, a)
    assert await cache.get(key_a) == a and store.reads == [f"{key_a}.whl"]
