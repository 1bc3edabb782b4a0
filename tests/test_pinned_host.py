"""Pinned third-party wheels (bundle, build backends, bench corpus): one download-and-verify path.

pip itself is replaced here by a stand-in that writes files, since tests never reach the
network; what is checked is our side: what is asked for, what is kept, what is refused.
"""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from micropip.errors import HashMismatchError, MicropipError
from pyodide_pm import pinned
from pyodide_pm.pinned import PinnedWheel, fetch_pinned_wheels

GOOD = b"the real wheel bytes"


def pin(name: str, content: bytes = GOOD, pip_args: tuple[str, ...] = ()) -> PinnedWheel:
    return PinnedWheel(name, "1.0", f"{name}-1.0-py3-none-any.whl", hashlib.sha256(content).hexdigest(), pip_args=pip_args)


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


def test_present_files_need_no_download(tmp_path, monkeypatch):
    pins = [pin("alpha"), pin("beta")]
    for p in pins:
        (tmp_path / p.filename).write_bytes(GOOD)
    fake = FakePip({})
    monkeypatch.setattr(pinned.subprocess, "run", fake)
    assert fetch_pinned_wheels(pins, tmp_path) == [tmp_path / p.filename for p in pins]
    assert fake.calls == []


def test_missing_files_are_fetched_in_one_call_per_pip_args_group(tmp_path, monkeypatch):
    pins = [pin("alpha"), pin("beta", pip_args=("--platform", "any")), pin("gamma")]
    (tmp_path / "alpha-1.0-py3-none-any.whl").write_bytes(b"damaged")  # wrong hash: fetched again
    fake = FakePip({p.filename: GOOD for p in pins})
    monkeypatch.setattr(pinned.subprocess, "run", fake)
    paths = fetch_pinned_wheels(pins, tmp_path, pip_args=("--python-version", "3.14"))
    assert [p.read_bytes() for p in paths] == [GOOD] * 3
    asked = [[a for a in cmd if "==" in a] for cmd in fake.calls]
    assert asked == [["alpha==1.0", "gamma==1.0"], ["beta==1.0"]]
    assert all("--python-version" in cmd for cmd in fake.calls)
    assert "--platform" in fake.calls[1] and "--platform" not in fake.calls[0]


def test_a_file_with_another_hash_is_deleted_and_refused(tmp_path, monkeypatch):
    p = pin("alpha")
    monkeypatch.setattr(pinned.subprocess, "run", FakePip({p.filename: b"tampered"}))
    with pytest.raises(HashMismatchError) as info:
        fetch_pinned_wheels([p], tmp_path)
    assert p.filename in str(info.value) and p.sha256 in str(info.value) and "run the command again" in str(info.value)
    assert not (tmp_path / p.filename).exists()


def test_pip_failure_names_the_files_and_what_to_do(tmp_path, monkeypatch):
    p = pin("alpha")
    monkeypatch.setattr(pinned.subprocess, "run", FakePip({}, returncode=1))
    with pytest.raises(MicropipError) as info:
        fetch_pinned_wheels([p], tmp_path)
    assert p.filename in str(info.value) and "no such version" in str(info.value) and str(tmp_path) in str(info.value)


def test_pip_writing_another_file_name_is_an_error(tmp_path, monkeypatch):
    p = pin("alpha")
    monkeypatch.setattr(pinned.subprocess, "run", FakePip({}))  # pip "succeeds" but writes nothing we asked for
    with pytest.raises(MicropipError, match="pip did not write"):
        fetch_pinned_wheels([p], tmp_path)
