"""The npm registry as a source of Pyodide releases: the package document, verified tarballs.

Every Pyodide release is published as the npm package ``pyodide``: its runtime files
(``pyodide.mjs``, ``pyodide.asm.wasm``, ``python_stdlib.zip``, ...) and its
``pyodide-lock.json``. The registry's package document lists each version with the
tarball's URL and its subresource-integrity hash (``dist.integrity``, sha512), which is
the one thing we trust: a tarball that does not match it is refused, whatever the cause
(tampered, truncated, a proxy's error page).

``PYODIDE_PM_NPM_REGISTRY`` (or the ``registry_url`` argument) points at another
registry: a company mirror, or a stand-in on 127.0.0.1 in the tests.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import posixpath
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from micropip.errors import HashMismatchError, MicropipError, TransportError
from micropip.transport.host import fetch_host

REGISTRY_ENV = "PYODIDE_PM_NPM_REGISTRY"
DEFAULT_REGISTRY = "https://registry.npmjs.org"
PACKAGE = "pyodide"
DOCUMENT_TIMEOUT = 30.0
TARBALL_TIMEOUT = 120.0
RETRY_DELAY = 0.5  # one more attempt after a network error or a 5xx, half a second later
_SRI_ALGORITHMS = ("sha512", "sha384", "sha256")  # strongest first; npm writes sha512


class RegistryError(MicropipError):
    """The registry could not be asked, or answered something unusable."""


def registry_url(explicit: str | None = None) -> str:
    """The registry root: the argument, else ``$PYODIDE_PM_NPM_REGISTRY``, else registry.npmjs.org."""
    return (explicit or os.environ.get(REGISTRY_ENV, "").strip() or DEFAULT_REGISTRY).rstrip("/")


@dataclass(frozen=True)
class PublishedVersion:
    """One version of the package as the registry lists it."""

    version: str
    tarball: str
    integrity: str  # SRI, e.g. "sha512-<base64>"


def document_url(registry: str, package: str = PACKAGE) -> str:
    return f"{registry.rstrip('/')}/{package}"


def fetch_document(registry: str, package: str = PACKAGE) -> bytes:
    """The package document (JSON bytes) as the registry serves it."""
    url = document_url(registry, package)
    response = _get(url, DOCUMENT_TIMEOUT, {"Accept": "application/json"})
    if response.status == 404:
        raise RegistryError(f"the npm registry {registry} has no package {package!r} ({url} answered 404)")
    if not response.ok:
        raise RegistryError(f"the npm registry answered HTTP {response.status} for {url}")
    parse_document(response.body, url)  # refuse a document we cannot read before anyone caches it
    return response.body


def parse_document(body: bytes, source: str) -> dict[str, PublishedVersion]:
    """Version -> tarball and integrity, from a package document; versions without both are left out."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise RegistryError(f"{source} is not a JSON package document ({exc})") from None
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, dict):
        raise RegistryError(f"{source} has no 'versions' object: is this an npm registry?")
    out: dict[str, PublishedVersion] = {}
    for version, entry in versions.items():
        dist = entry.get("dist") if isinstance(entry, dict) else None
        if not isinstance(dist, dict):
            continue
        tarball, integrity = dist.get("tarball"), dist.get("integrity")
        if isinstance(tarball, str) and isinstance(integrity, str) and _strongest(integrity):
            out[str(version)] = PublishedVersion(str(version), tarball, integrity)
    return out


def download_tarball(published: PublishedVersion) -> bytes:
    """The tarball's bytes, verified against the registry's integrity hash."""
    response = _get(published.tarball, TARBALL_TIMEOUT, {})
    if not response.ok:
        raise RegistryError(f"downloading {published.tarball} failed: HTTP {response.status}")
    verify_integrity(response.body, published.integrity, published.tarball)
    return response.body


def verify_integrity(data: bytes, integrity: str, source: str) -> None:
    """Raise ``HashMismatchError`` unless ``data`` matches the SRI string (its strongest hash)."""
    algorithm, expected = _strongest(integrity) or ("", "")
    if not algorithm:
        raise RegistryError(f"{source}: the registry gave no usable integrity hash ({integrity!r})")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise HashMismatchError(
            f"refused {source}: its {algorithm} is {actual}, the registry says {expected} "
            f"({len(data):,} bytes received; a truncated or tampered download). Nothing was kept; run the command again"
        )


def sri(data: bytes, algorithm: str = "sha512") -> str:
    """The SRI string of ``data`` (what the registry publishes as ``dist.integrity``)."""
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def _strongest(integrity: str) -> tuple[str, str] | None:
    found = dict(part.split("-", 1) for part in integrity.split() if "-" in part)
    for algorithm in _SRI_ALGORITHMS:
        if found.get(algorithm):
            return algorithm, found[algorithm].split("?", 1)[0]  # SRI options after '?' are not part of the hash
    return None


def unpack_tarball(data: bytes, dest: Path, source: str) -> dict[str, str]:
    """Write the package's regular files into ``dest`` (without npm's ``package/`` folder).

    Returns relative path -> sha256 of every file written. Links, devices and paths that
    would leave ``dest`` are refused, not skipped: a release tarball has none.
    """
    files: dict[str, str] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar:
                if member.isdir():
                    continue
                name = _inner_path(member.name)
                if not member.isfile() or name is None:
                    raise RegistryError(f"{source}: refusing the tarball member {member.name!r} (not a plain file inside package/)")
                extracted = tar.extractfile(member)
                body = extracted.read() if extracted is not None else b""
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
                files[name] = hashlib.sha256(body).hexdigest()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise RegistryError(f"{source}: not a readable npm tarball ({exc})") from None
    return files


def _inner_path(name: str) -> str | None:
    """``package/a/b`` -> ``a/b``; None for anything absolute, escaping or outside the top folder."""
    normalized = posixpath.normpath(name.replace("\\", "/"))
    head, _, rest = normalized.partition("/")
    if not rest or normalized.startswith("/") or ".." in normalized.split("/") or not head:
        return None
    return rest


def _get(url: str, timeout: float, headers: dict[str, str]):
    """One GET, asked again once after a network error or a 5xx answer."""
    try:
        response = fetch_host(url, headers, timeout)
    except TransportError:
        time.sleep(RETRY_DELAY)
        response = fetch_host(url, headers, timeout)  # a second failure propagates
    if response.status >= 500:
        time.sleep(RETRY_DELAY)
        response = fetch_host(url, headers, timeout)
    return response
