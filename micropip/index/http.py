"""HTTP on top of the transport: bounded retries and verified downloads."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from .. import transport
from ..errors import HashMismatchError, RequirementError, TransportError
from ..transport import JsBytes, Response

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Seconds to wait before the 2nd, 3rd... attempt: len + 1 attempts in all. Bounded, so a
# failing index fails within seconds; read at call time, so tests can shorten it.
RETRY_DELAYS = (0.2, 0.8)
MAX_RETRY_AFTER = 5.0  # a server's Retry-After is honoured up to this many seconds


async def get(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    credentials: str | None = None,
    timeout: float | None = None,
    keep_in_js: bool = False,
) -> Response:
    """GET with retries for transient failures (429, 5xx, network errors and timeouts).

    Returns the last response (its ``attempts`` says how many requests it took);
    raises ``TransportError`` when the last attempt failed on the network.
    """
    delays = tuple(RETRY_DELAYS)
    attempt = 0
    while True:
        try:
            response = await transport.fetch(
                url, headers=headers, credentials=credentials, timeout=timeout, keep_in_js=keep_in_js
            )
        except TransportError as exc:
            if attempt >= len(delays):
                if attempt == 0:
                    raise
                raise TransportError(f"{exc} (gave up after {attempt + 1} attempts)", url=exc.url, status=exc.status) from exc
            await asyncio.sleep(delays[attempt])
            attempt += 1
            continue
        response.attempts = attempt + 1
        if response.status not in RETRY_STATUSES or attempt >= len(delays):
            return response
        await asyncio.sleep(_retry_delay(response, delays[attempt]))
        attempt += 1


def _retry_delay(response: Response, default: float) -> float:
    retry_after = response.headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        return min(float(retry_after), MAX_RETRY_AFTER)
    return default


def attempts_note(response: Response) -> str:
    """`` after 3 attempts`` when a request was retried, else nothing."""
    return f" after {response.attempts} attempts" if response.attempts > 1 else ""


async def download(
    url: str,
    *,
    sha256: str | None = None,
    what: str = "",
    credentials: str | None = None,
    keep_in_js: bool = False,
) -> bytes | JsBytes:
    """Fetch a file and check its sha256 when one is known.

    ``keep_in_js``: in Pyodide the bytes may stay in JS memory (a ``JsBytes``, hashed
    natively), for callers that hand them to native unpacking.
    """
    try:
        response = await get(url, credentials=credentials, keep_in_js=keep_in_js)
    except TransportError as exc:
        raise TransportError(f"downloading {what or url} failed: {exc}", url=url, status=exc.status) from exc
    if not response.ok:
        raise TransportError(
            f"downloading {what or url} failed: HTTP {response.status} from {url}{attempts_note(response)}",
            url=url,
            status=response.status,
        )
    body = response.js_body if response.js_body is not None else response.body
    if sha256:
        check_sha256(body, sha256, url, what)
    return body


async def read_requirements_text(location: str) -> str:
    """A requirements or constraints file, given as a path (emfs:) or URL (``-r``/``-c``)."""
    response = await get(location)
    if not response.ok:
        raise RequirementError(f"cannot read requirements file {location}: HTTP {response.status}")
    return response.body.decode("utf-8")


def check_sha256(data: bytes | JsBytes, expected: str, url: str, what: str = "") -> None:
    actual = transport.sha256_hex(data)
    if actual != expected.lower():
        raise HashMismatchError(
            f"hash mismatch for {what or url} downloaded from {url}: expected sha256 {expected}, got {actual}. "
            "The file changed on the server or was tampered with; nothing was installed."
        )
