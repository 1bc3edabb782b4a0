"""Third-party wheels pinned by file name and sha256, downloaded once from the index and verified.

The browser bundle (packaging, resolvelib), the PEP 517 backends the sdist-build tests
serve, the PEP 783 test wheels and the benchmark's corpus all come from the package
index. Each is pinned by hash, so a re-uploaded or tampered file can never slip into a
bundle, a test or a measurement: a file that does not match is deleted and the run fails.
One function does the download and the check for all of them.

The download reads the project's page on the index (PEP 691 or 503, through micropip's
own readers) and fetches the pinned file over HTTP: no pip needed, which a virtual
environment made by uv does not have. When that fails and pip is installed, ``pip
download`` is asked instead (it knows a pip.conf's mirror and proxy).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from micropip.errors import HashMismatchError, MicropipError, TransportError

from . import user_cache

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
TIMEOUT = 60.0


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


def default_index_url() -> str:
    """``$PIP_INDEX_URL`` (a mirror the user set up for pip), else PyPI."""
    return os.environ.get("PIP_INDEX_URL", "").strip() or DEFAULT_INDEX_URL


def fetch_pinned_wheels(
    pins: Sequence[PinnedWheel], dest: Path, pip_args: Sequence[str] = (), index_url: str | None = None
) -> list[Path]:
    """Verified local copies of ``pins`` in ``dest``, in order; only missing or damaged files are fetched.

    Files already present with the right hash are kept, so a second run needs no network.
    The missing ones are read from ``index_url`` (default ``default_index_url()``); those
    that could not be are fetched with one ``pip download`` per distinct ``pip_args`` (plus
    ``pip_args`` given here, for all of them) when pip is installed. Raises
    ``MicropipError`` when neither works, ``HashMismatchError`` (after deleting the file)
    when a hash differs.
    """
    dest.mkdir(parents=True, exist_ok=True)
    missing = [pin for pin in pins if not _matches(dest / pin.filename, pin)]
    if missing and user_cache.offline():
        raise MicropipError(
            f"{', '.join(p.filename for p in missing)} not in {dest}, and {user_cache.OFFLINE_ENV} forbids downloading them"
        )
    failures = {pin.filename: reason for pin in missing if (reason := _fetch_over_http(pin, dest, index_url)) is not None}
    leftover = [pin for pin in missing if pin.filename in failures]
    if leftover:
        _fetch_with_pip(leftover, dest, pip_args, failures)
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


def fetch_pinned_wheel(pin: PinnedWheel, dest: Path, index_url: str | None = None) -> Path:
    """A verified local copy of one pinned wheel (see ``fetch_pinned_wheels``)."""
    return fetch_pinned_wheels([pin], dest, index_url=index_url)[0]


def _fetch_over_http(pin: PinnedWheel, dest: Path, index_url: str | None) -> str | None:
    """Download the pinned file named on the index's project page; None when done, else why not.

    A file whose hash differs is refused at once (``HashMismatchError``): asking pip for
    the same file would only fetch the same bytes.
    """
    from micropip.index.auth import redact_url, with_auth
    from micropip.index.client import project_url
    from micropip.index.formats import ACCEPT_HEADER, parse_project_page
    from micropip.transport.host import fetch_host

    index = index_url or default_index_url()
    page_url = project_url(index, pin.name)
    try:
        url, headers = with_auth(page_url, {"Accept": ACCEPT_HEADER})
        response = fetch_host(url, headers, TIMEOUT)
        if not response.ok:
            return f"{redact_url(page_url)} answered HTTP {response.status}"
        page = parse_project_page(response.body, response.headers.get("content-type", ""), response.url, pin.name)
        found = next((f for f in page.files if f.filename == pin.filename), None)
        if found is None:
            return f"{redact_url(page_url)} does not list {pin.filename}"
        url, headers = with_auth(found.url, {})
        response = fetch_host(url, headers, TIMEOUT)
        if not response.ok:
            return f"{redact_url(found.url)} answered HTTP {response.status}"
    except (TransportError, MicropipError, ValueError) as exc:
        return str(exc)
    actual = hashlib.sha256(response.body).hexdigest()
    if actual != pin.sha256:
        raise HashMismatchError(
            f"{pin.filename} from {redact_url(found.url)} has sha256 {actual}, expected the pinned {pin.sha256}; "
            "nothing was kept, run the command again"
        )
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest)
    with os.fdopen(fd, "wb") as f:
        f.write(response.body)
    os.replace(tmp, dest / pin.filename)
    return None


def _pip_available() -> bool:
    return importlib.util.find_spec("pip") is not None


def _fetch_with_pip(pins: Sequence[PinnedWheel], dest: Path, pip_args: Sequence[str], failures: dict[str, str]) -> None:
    """The fallback: ``pip download`` (one call per ``pip_args`` group); an error names both attempts."""
    said = "; ".join(f"{name}: {why}" for name, why in failures.items() if name in {p.filename for p in pins})
    if not _pip_available():
        raise MicropipError(
            f"could not download {', '.join(p.filename for p in pins)} from the package index ({said}), and pip "
            f"is not installed to try instead; check the network (or PIP_INDEX_URL), or put the files into {dest}"
        )
    groups: dict[tuple[str, ...], list[PinnedWheel]] = {}
    for pin in pins:
        groups.setdefault(pin.pip_args, []).append(pin)
    for extra_args, group in groups.items():
        cmd = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
            "--only-binary=:all:", "--dest", str(dest), *pip_args, *extra_args, *(pin.requirement for pin in group),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            names = ", ".join(pin.filename for pin in group)
            raise MicropipError(
                f"could not download {names} from the package index ({said}; pip said: {result.stderr.strip()[-500:]}); "
                f"check the network or put the files into {dest}"
            )
