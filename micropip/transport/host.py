"""The non-browser transport: urllib for host CPython (the CLI, host tests).

Imported only off the browser, so ``import micropip`` in Pyodide never pays for
``urllib.request`` and ``http.client``.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request

from ..errors import TransportError
from .response import CREDENTIAL_HEADERS, Response, origin


class _OriginBoundRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but credential headers never leave the origin they were given for."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(newurl) != origin(req.full_url):
            for key in list(new.headers):
                if key.lower() in CREDENTIAL_HEADERS:
                    del new.headers[key]
            for key in list(new.unredirected_hdrs):
                if key.lower() in CREDENTIAL_HEADERS:
                    del new.unredirected_hdrs[key]
        return new


_OPENER = urllib.request.build_opener(_OriginBoundRedirects)


def fetch_host(url: str, headers: dict[str, str], timeout: float) -> Response:
    try:
        request = urllib.request.Request(url, headers=headers)
    except ValueError as exc:  # "unknown url type", a malformed URL: asking again cannot help
        raise TransportError(f"cannot fetch {url}: it is not a valid URL ({exc})", url=url, permanent=True) from exc
    try:
        with _OPENER.open(request, timeout=timeout) as resp:
            declared = resp.headers.get("Content-Length")
            try:
                body = resp.read()
            except http.client.IncompleteRead as exc:
                raise TransportError(
                    f"truncated download: the connection to {url} closed after {len(exc.partial)} "
                    f"of the announced {declared or '?'} bytes",
                    url=url,
                ) from exc
            return Response(resp.geturl(), resp.status, {k.lower(): v for k, v in resp.headers.items()}, body)
    except TransportError:
        raise
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read() if exc.fp else b""
        except (OSError, http.client.HTTPException):
            body = b""
        return Response(exc.geturl() or url, exc.code, {k.lower(): v for k, v in exc.headers.items()}, body)
    except urllib.error.URLError as exc:
        if str(exc.reason).startswith("unknown url type"):
            raise TransportError(f"cannot fetch {url}: it is not a valid URL ({exc.reason})", url=url, permanent=True) from exc
        if isinstance(exc.reason, TimeoutError):
            raise TransportError(f"timed out after {timeout:g} s waiting for {url}", url=url) from exc
        raise TransportError(f"could not fetch {url}: {exc.reason}", url=url) from exc
    except TimeoutError as exc:
        raise TransportError(f"timed out after {timeout:g} s waiting for {url}", url=url) from exc
    except OSError as exc:
        raise TransportError(f"could not fetch {url}: {exc}", url=url) from exc
    except Exception as exc:  # http.client.HTTPException (BadStatusLine, ...) and the like
        raise TransportError(f"could not fetch {url}: {exc!r}", url=url) from exc


