"""Pinned third-party wheels (bundle, build backends, bench corpus): one download-and-verify path.

The download reads the index's project page over HTTP (an index on 127.0.0.1 here, the
index_server serving a folder of wheels); pip is the fallback, replaced here by a stand-in
that writes files, since tests never reach the network. What is checked is our side: what
is asked for, what is kept, what is refused.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
from pathlib import Path

import pytest

from index_server.server import start_server
from micropip.errors import HashMismatchError, MicropipError
from micropip.installation.wheelbuilder import make_metadata, write_wheel
from pyodide_pm import pinned
from pyodide_pm.pinned import PinnedWheel, fetch_pinned_wheels

GOOD = b"the real wheel bytes"


@pytest.fixture(autouse=True)
def downloads_allowed(monkeypatch):
    monkeypatch.delenv("PYODIDE_PM_OFFLINE", raising=False)


@pytest.fixture
def dead_index() -> str:
    """An index URL on a loopback port nothing listens on: the HTTP path fails at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/simple/"


def pin(name: str, content: bytes = GOOD, pip_args: tuple[str, ...] = ()) -> PinnedWheel:
    return PinnedWheel(name, "1.0", f"{name}-1.0-py3-none-any.whl", hashlib.sha256(content).hexdigest(), pip_args=pip_args)


def real_wheel(folder: Path, name: str) -> PinnedWheel:
    path = write_wheel(folder, name, "1.0", {f"{name}/__init__.py": "X = 1\n"}, metadata=make_metadata(name, "1.0"))
    return PinnedWheel(name, "1.0", path.name, hashlib.sha256(path.read_bytes()).hexdigest())


class FakePip:
    """Records each ``pip download`` and writes ``served[filename]`` for every requirement asked."""

    def __init__(self, served: dict[str, bytes], returncode: int = 0):
        self.served, self.returncode, self.calls = served, returncode, []

    def __call__(self, cmd, capture_output, text):
        self.calls.append(cmd)
        dest = cmd[cmd.index("--dest") + 1]
        for arg in cmd:
            if "==" in arg:
                name = arg.split("==")[0]
                filename = f"{name}-1.0-py3-none-any.whl"
                if filename in self.served:
                    with open(f"{dest}/{filename}", "wb") as fh:
                        fh.write(self.served[filename])
        return subprocess.CompletedProcess(cmd, self.returncode, "", "ERROR: no such version" if self.returncode else "")


def test_present_files_need_no_download(tmp_path, monkeypatch, dead_index):
    pins = [pin("alpha"), pin("beta")]
    for p in pins:
        (tmp_path / p.filename).write_bytes(GOOD)
    fake = FakePip({})
    monkeypatch.setattr(pinned.subprocess, "run", fake)
    assert fetch_pinned_wheels(pins, tmp_path, index_url=dead_index) == [tmp_path / p.filename for p in pins]
    assert fake.calls == []


def test_missing_files_come_from_the_index_over_http_without_pip(tmp_path, monkeypatch):
    served = tmp_path / "index"
    pins = [real_wheel(served, "alpha"), real_wheel(served, "beta")]
    dest = tmp_path / "cache"
    dest.mkdir()
    (dest / pins[0].filename).write_bytes(b"damaged")  # wrong hash: fetched again
    fake = FakePip({})
    monkeypatch.setattr(pinned.subprocess, "run", fake)
    with start_server(served) as index:
        paths = fetch_pinned_wheels(pins, dest, index_url=index.simple_url)
    assert [p.read_bytes() for p in paths] == [(served / p.filename).read_bytes() for p in pins]
    assert fake.calls == []  # pip never asked
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.filename for p in pins)  # no temporary files left


def test_a_tampered_file_on_the_index_is_refused_and_not_kept(tmp_path, monkeypatch):
    served = tmp_path / "index"
    good = real_wheel(served, "alpha")
    wrong = PinnedWheel("alpha", "1.0", good.filename, "0" * 64)
    fake = FakePip({})
    monkeypatch.setattr(pinned.subprocess, "run", fake)
    with start_server(served) as index, pytest.raises(HashMismatchError) as info:
        fetch_pinned_wheels([wrong], tmp_path / "cache", index_url=index.simple_url)
    assert good.filename in str(info.value) and "0" * 64 in str(info.value) and "127.0.0.1" in str(info.value)
    assert not (tmp_path / "cache" / good.filename).exists() and fake.calls == []


def test_offline_names_the_missing_files(tmp_path, monkeypatch, dead_index):
    monkeypatch.setenv("PYODIDE_PM_OFFLINE", "1")
    with pytest.raises(MicropipError, match="alpha-1.0-py3-none-any.whl not in .* PYODIDE_PM_OFFLINE"):
        fetch_pinned_wheels([pin("alpha")], tmp_path, index_url=dead_index)


def test_pip_is_the_fallback_one_call_per_pip_args_group(tmp_path, monkeypatch, dead_index):
    pins = [pin("alpha"), pin("beta", pip_args=("--platform", "any")), pin("gamma")]
    fake = FakePip({p.filename: GOOD for p in pins})
    monkeypatch.setattr(pinned.subprocess, "run", fake)
    paths = fetch_pinned_wheels(pins, tmp_path, pip_args=("--python-version", "3.14"), index_url=dead_index)
    assert [p.read_bytes() for p in paths] == [GOOD] * 3
    asked = [[a for a in cmd if "==" in a] for cmd in fake.calls]
    assert asked == [["alpha==1.0", "gamma==1.0"], ["beta==1.0"]]
    assert all("--python-version" in cmd for cmd in fake.calls)
    assert "--platform" in fake.calls[1] and "--platform" not in fake.calls[0]


def test_a_file_pip_wrote_with_another_hash_is_deleted_and_refused(tmp_path, monkeypatch, dead_index):
    p = pin("alpha")
    monkeypatch.setattr(pinned.subprocess, "run", FakePip({p.filename: b"tampered"}))
    with pytest.raises(HashMismatchError) as info:
        fetch_pinned_wheels([p], tmp_path, index_url=dead_index)
    assert p.filename in str(info.value) and p.sha256 in str(info.value) and "run the command again" in str(info.value)
    assert not (tmp_path / p.filename).exists()


def test_both_failing_names_the_files_both_reasons_and_what_to_do(tmp_path, monkeypatch, dead_index):
    p = pin("alpha")
    monkeypatch.setattr(pinned.subprocess, "run", FakePip({}, returncode=1))
    with pytest.raises(MicropipError) as info:
        fetch_pinned_wheels([p], tmp_path, index_url=dead_index)
    message = str(info.value)
    assert p.filename in message and "no such version" in message and str(tmp_path) in message
    assert "127.0.0.1" in message  # what the HTTP attempt said


def test_without_pip_the_http_failure_is_the_error(tmp_path, monkeypatch, dead_index):
    monkeypatch.setattr(pinned, "_pip_available", lambda: False)
    with pytest.raises(MicropipError, match="pip is not installed") as info:
        fetch_pinned_wheels([pin("alpha")], tmp_path, index_url=dead_index)
    assert "alpha-1.0-py3-none-any.whl" in str(info.value) and "127.0.0.1" in str(info.value)


def test_pip_writing_another_file_name_is_an_error(tmp_path, monkeypatch, dead_index):
    p = pin("alpha")
    monkeypatch.setattr(pinned.subprocess, "run", FakePip({}))  # pip "succeeds" but writes nothing we asked for
    with pytest.raises(MicropipError, match="pip did not write"):
        fetch_pinned_wheels([p], tmp_path, index_url=dead_index)
