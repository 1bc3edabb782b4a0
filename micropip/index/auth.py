"""Credentials for private indexes, and keeping them out of everything shown or stored.

Two ways to authenticate, as pip users know them:

- user-info in an index URL, ``https://user:password@host/simple/`` (a token alone:
  ``https://token@host/simple/``, sent as the Basic user name with an empty password);
- ``micropip.set_index_credentials(url, username=..., password=...)`` or ``token=...``
  (sent as ``Authorization: Bearer <token>``).

Either way the secret leaves the URL at once: browsers refuse to fetch a URL with
user-info, and a URL is what ends up in errors, logs, plans, ``freeze()`` and
installed files. It becomes an ``Authorization`` header sent only to the origin
(scheme, host, port) of the URL it was given for: the index's pages and the files
it serves from the same origin. A redirect to another origin drops it (the host
transport does so itself; ``fetch`` in Node and in browsers follows the Fetch
standard, which removes ``Authorization`` on a cross-origin redirect). When one
origin has several entries, the one whose URL is the longest prefix of the request
wins, else the most recently set. Credentials from URL user-info are remembered for
the rest of the session, so the files a lockfile or a later install names on the
same origin are authenticated too.

``redact_url`` is the one place that hides user-info in a URL meant for display.
"""

from __future__ import annotations

import base64
import re
import urllib.parse
from dataclasses import dataclass

from ..transport import origin

AUTH_HEADER = "Authorization"
HOW_TO_AUTHENTICATE = (
    "give credentials in the index URL (https://USER:PASSWORD@host/simple/) or with "
    "micropip.set_index_credentials(URL, username=..., password=...) or (..., token=...)"
)


@dataclass(frozen=True)
class _Entry:
    """The Authorization header kept for one URL prefix of an origin."""

    prefix: str  # the URL (no user-info, no query/fragment) the credentials were given for
    header: str  # the Authorization header value
    order: int  # when it was set; later wins among equal matches


_entries: dict[tuple[str, str, int | None], dict[str, _Entry]] = {}
_counter = [0]


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """``url`` without user-info, and the (percent-decoded) user name and password it held."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url, None, None
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    clean = urllib.parse.urlunsplit(parts._replace(netloc=hostport))
    return clean, urllib.parse.unquote(user), urllib.parse.unquote(password) if sep else None


def redact_url(url: str) -> str:
    """``url`` for display: ``user:***@`` for a password, ``***@`` for a token alone."""
    if not isinstance(url, str) or "@" not in url:
        return url
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, _password = userinfo.partition(":")
    shown = f"{user}:***" if sep else "***"
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{shown}@{hostport}"))


_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@\s:]*)(?P<pw>:[^/@\s]*)?@")


def redact_text(text: str) -> str:
    """``text`` with the user-info of every URL in it redacted (requirement strings, messages)."""
    if not isinstance(text, str) or "@" not in text:
        return text

    def hide(m: re.Match) -> str:
        return f"{m.group('scheme')}{m.group('user')}:***@" if m.group("pw") else f"{m.group('scheme')}***@"

    return _USERINFO_IN_TEXT.sub(hide, text)


def basic_header(username: str, password: str | None) -> str:
    raw = f"{username}:{password or ''}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _key(url: str) -> tuple[str, str, int | None] | None:
    scheme, host, port = origin(url)
    if scheme not in ("http", "https") or not host:
        return None
    return scheme, host, port


def _prefix(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(query="", fragment=""))


def set_credentials(
    url: str, *, username: str | None = None, password: str | None = None, token: str | None = None
) -> None:
    """Remember credentials for ``url``'s origin (see the module doc); none given forgets them."""
    if not isinstance(url, str) or not url:
        raise ValueError("set_index_credentials needs the index URL (or a URL prefix) the credentials are for")
    if token is not None and (username is not None or password is not None):
        raise ValueError("give either token= or username=/password=, not both")
    clean, url_user, url_password = split_userinfo(url)
    if token is None and username is None and password is None and url_user is not None:
        username, password = url_user, url_password
    key = _key(clean)
    if key is None:
        raise ValueError(f"credentials are only sent over http(s); {redact_url(url)} is not an http(s) URL")
    prefix = _prefix(clean)
    if token is None and username is None and password is None:
        _entries.get(key, {}).pop(prefix, None)
        return
    if token is not None:
        header = f"Bearer {token}"
    else:
        header = basic_header(username or "", password)
    _counter[0] += 1
    _entries.setdefault(key, {})[prefix] = _Entry(prefix, header, _counter[0])


def clear_credentials() -> None:
    """Forget every credential (tests, and a user who wants to start over)."""
    _entries.clear()


def take_credentials(url: str) -> str:
    """``url`` without user-info; user-info it held is remembered for its origin."""
    clean, user, password = split_userinfo(url)
    if user is None:
        return url
    if _key(clean) is not None:
        set_credentials(clean, username=user, password=password)
    return clean


def header_for(url: str) -> str | None:
    """The Authorization header value to send with a request to ``url``, or None."""
    key = _key(url)
    if key is None:
        return None
    entries = _entries.get(key)
    if not entries:
        return None
    target = _prefix(url)
    matching = [e for e in entries.values() if target.startswith(e.prefix)]
    if matching:
        return max(matching, key=lambda e: (len(e.prefix), e.order)).header
    return max(entries.values(), key=lambda e: e.order).header


def has_credentials(url: str) -> bool:
    return header_for(url) is not None


def with_auth(url: str, headers: dict[str, str] | None) -> tuple[str, dict[str, str]]:
    """The URL to request (no user-info) and the headers with Authorization added when known.

    User-info in ``url`` itself is taken (and remembered) first; an Authorization the
    caller set is kept.
    """
    clean = take_credentials(url)
    out = dict(headers or {})
    if not any(k.lower() == "authorization" for k in out):
        header = header_for(clean)
        if header is not None:
            out[AUTH_HEADER] = header
    return clean, out
