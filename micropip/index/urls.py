"""Where an index's pages are and which indexes may be asked at all (no request is made here).

Indexes are fetched over https only; plain http is accepted for loopback
(127.0.0.0/8, ::1, localhost), for local paths and, in a browser, for the page's
own origin. Anything else is refused before the first request.
"""

from __future__ import annotations

import urllib.parse

from .. import transport
from ..errors import InsecureIndexError

DEFAULT_INDEX_URLS = ("https://pypi.org/simple",)
JSON_SIMPLE = "application/vnd.pypi.simple.v1+json"
HTML_SIMPLE = "application/vnd.pypi.simple.v1+html"
# PEP 691 content negotiation: JSON preferred, HTML accepted (q-values keep old servers working).
# Here, not beside the page readers (``formats``): a first install asks for its pages before
# those are imported (``early``).
ACCEPT_HEADER = f"{JSON_SIMPLE}, {HTML_SIMPLE};q=0.2, text/html;q=0.01"
LOCAL_SCHEMES = frozenset({"", "emfs", "file"})


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1, ``localhost`` and names under ``.localhost`` (RFC 6761)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    if ":" not in host and not host.replace(".", "").isdigit():
        return False  # a name, not an IP literal
    quad = host.split(".")
    if len(quad) == 4 and all(p.isascii() and p.isdigit() and len(p) <= 3 and (p == "0" or p[0] != "0") for p in quad):
        # A plain dotted quad (127.0.0.1) without ``ipaddress``: importing it cost a first
        # install against a local index ~20 ms before its first request (Chromium).
        return all(int(p) <= 255 for p in quad) and quad[0] == "127"
    try:
        import ipaddress

        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_reason(url: str) -> str | None:
    """Why fetching an index from ``url`` would be unsafe, or None when it is fine."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        return f"it is not a valid URL ({exc})"
    scheme = parts.scheme.lower()
    if scheme in LOCAL_SCHEMES or scheme == "https" or (len(scheme) == 1 and not transport.IN_PYODIDE):
        return None  # local files (a one-letter scheme is a Windows drive), or TLS
    if scheme != "http":
        return f"its scheme {scheme!r} is not https"
    if is_loopback_host(host):
        return None
    page = transport.page_origin()
    if page is not None and transport.origin(page) == transport.origin(url):
        return None  # the page's own origin: the page came over the same connection
    return f"it uses plain http to the remote host {host or '(none)'!r}, which anyone on the network can read and change"


def check_index_url(url: str) -> None:
    """Raise ``InsecureIndexError`` for an index that must not be used (no request is made)."""
    reason = insecure_reason(url)
    if reason is not None:
        suggestion = ""
        if url.lower().startswith("http://"):
            suggestion = f" (e.g. https://{url[len('http://'):]})"
        raise InsecureIndexError(
            f"refusing index {url}: {reason}. Remote indexes must use https{suggestion}; plain http is "
            "allowed only for loopback addresses (127.0.0.0/8, ::1, localhost)."
        )


# The key under which a ``pyodide-lock.json`` may carry settings for micropip (``pyodide-pm site``).
LOCK_SETTINGS_KEY = "micropip"


def index_urls_from_lock(lock: object, base_url: str) -> list[str] | None:
    """The indexes a lock names for micropip (``{"micropip": {"index_urls": [...]}}``), or None.

    A site built by ``pyodide-pm site`` carries its own package index and says so in the
    lock its page loads, so micropip in that page searches the site's index first without
    any code in the page. Relative URLs are relative to the lock (``base_url``), as its
    ``file_name`` entries are; the result is absolute. Anything malformed is ignored (None):
    a lock's other readers must not break on it, and PyPI stays the default.
    """
    return _index_urls(lock.get(LOCK_SETTINGS_KEY) if isinstance(lock, dict) else None, base_url)


def _index_urls(settings: object, base_url: str) -> list[str] | None:
    urls = settings.get("index_urls") if isinstance(settings, dict) else None
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and u for u in urls):
        return None
    return [urllib.parse.urljoin(base_url, u) if base_url else u for u in urls]


def default_index_urls() -> list[str]:
    """micropip's indexes until ``set_index_urls``: those the running Pyodide's lock names, else PyPI."""
    found = transport.lockfile_entry(LOCK_SETTINGS_KEY)
    return (_index_urls(*found) if found else None) or list(DEFAULT_INDEX_URLS)


def project_url(index_url: str, name: str) -> str:
    """The page for ``name`` on an index given as a template or a base URL.

    ``{package_name}`` in the URL is replaced; a base ending in ``/pypi`` is the
    JSON API; anything else is a simple repository root.
    """
    if "{package_name}" in index_url:
        return index_url.replace("{package_name}", name)
    base = index_url.rstrip("/")
    if base.endswith("/pypi"):
        return f"{base}/{name}/json"
    return f"{base}/{name}/"
