"""HTTP on top of the transport: bounded retries and verified downloads."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping

from . import transport
from .errors import HashMismatchError, TransportError
from .transport import Response

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_DELAYS = (0.2, 0.8)  # seconds; bounded: a failing index fails fast
MAX_RETRY_AFTER = 5.0


async def get(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    credentials: str | None = None,
    timeout: float = transport.DEFAULT_TIMEOUT,
) -> Response:
    """GET with retries for transient failures (429, 5xx, network errors)."""
    attempt = 0
    while True:
        try:
            response = await transport.fetch(url, headers=headers, credentials=credentials, timeout=timeout)
        except TransportError:
            if attempt >= len(RETRY_DELAYS):
                raise
            await asyncio.sleep(RETRY_DELAYS[attempt])
            attempt += 1
            continue
        if response.status not in RETRY_STATUSES or attempt >= len(RETRY_DELAYS):
            return response
        await asyncio.sleep(_retry_delay(response, attempt))
        attempt += 1


def _retry_delay(response: Response, attempt: int) -> float:
    retry_after = response.headers.get("retry-after", "")
    if retry_after.isdigit():
        return min(float(retry_after), MAX_RETRY_AFTER)
    return RETRY_DELAYS[attempt]


async def download(
    url: str,
    *,
    sha256: str | None = None,
    what: str = "",
    credentials: str | None = None,
) -> bytes:
    """Fetch a file and check its sha256 when one is known."""
    response = await get(url, credentials=credentials)
    if not response.ok:
        raise TransportError(
            f"downloading {what or url} failed: HTTP {response.status} from {url}",
            url=url,
            status=response.status,
        )
    if sha256:
        check_sha256(response.body, sha256, url, what)
    return response.body


def check_sha256(data: bytes, expected: str, url: str, what: str = "") -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected.lower():
        raise HashMismatchError(
            f"hash mismatch for {what or url} downloaded from {url}: expected sha256 {expected}, got {actual}. "
            "The file changed on the server or was tampered with; nothing was installed."
        )
