"""Third-party wheels pinned by file name and sha256, downloaded once with pip and verified.

The browser bundle (packaging, resolvelib), the PEP 517 backends the sdist-build tests
serve, the PEP 783 test wheels and the benchmark's corpus all come from the package
index. Each is pinned by hash, so a re-uploaded or tampered file can never slip into a
bundle, a test or a measurement: a file that does not match is deleted and the run fails.
One function does the download and the check for all of them.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from micropip.errors import HashMismatchError, MicropipError


@dataclass(frozen=True)
class PinnedWheel:
    name: str
    version: str
    filename: str
    sha256: str
    imports: tuple[str, ...] = ()
    pip_args: tuple[str, ...] = ()  # e.g. --platform for a wheel pip would not pick for the host

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


def sha256_file(path: Path) -> str:
    """The file's sha256, read in 1 MiB chunks (wheels of the corpus reach 10 MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _matches(path: Path, pin: PinnedWheel) -> bool:
    return path.is_file() and sha256_file(path) == pin.sha256


def fetch_pinned_wheels(pins: Sequence[PinnedWheel], dest: Path, pip_args: Sequence[str] = ()) -> list[Path]:
    """Verified local copies of ``pins`` in ``dest``, in order; only missing or damaged files are fetched.

    Files already present with the right hash are kept, so a second run needs no network.
    The missing ones are fetched with one ``pip download`` per distinct ``pip_args`` (plus
    ``pip_args`` given here, for all of them). Raises ``MicropipError`` when pip fails or
    writes another file name, ``HashMismatchError`` (after deleting the file) when a hash differs.
    """
    dest.mkdir(parents=True, exist_ok=True)
    missing: dict[tuple[str, ...], list[PinnedWheel]] = {}
    for pin in pins:
        if not _matches(dest / pin.filename, pin):
            missing.setdefault(pin.pip_args, []).append(pin)
    for extra_args, group in missing.items():
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
            "--only-binary=:all:", "--dest", str(dest), *pip_args, *extra_args, *(pin.requirement for pin in group),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            names = ", ".join(pin.filename for pin in group)
            raise MicropipError(
                f"could not download {names} from the package index (pip said: {result.stderr.strip()[-500:]}); "
                f"check the network or put the files into {dest}"
            )
    paths = []
    for pin in pins:
        path = dest / pin.filename
        if not path.is_file():
            raise MicropipError(
                f"pip did not write {path} for {pin.requirement} (it picked another file?); put the file into {dest}"
            )
        actual = sha256_file(path)
        if actual != pin.sha256:
            path.unlink()
            raise HashMismatchError(
                f"{pin.filename} has sha256 {actual}, expected the pinned {pin.sha256}; "
                "the file was removed, run the command again"
            )
        paths.append(path)
    return paths


def fetch_pinned_wheel(pin: PinnedWheel, dest: Path) -> Path:
    """A verified local copy of one pinned wheel (see ``fetch_pinned_wheels``)."""
    return fetch_pinned_wheels([pin], dest)[0]
