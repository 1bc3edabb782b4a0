"""Index formats, one place: PEP 691 JSON, PEP 503 HTML (with PEP 658/714/592/700
attributes) and the PyPI JSON API, all turned into ``ProjectPage`` records.

Every parser raises only ``IndexFormatError`` for bad input, naming the URL, so a
broken or hostile index produces an actionable message instead of a crash.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from ..errors import IndexFormatError
from ..transport import normalized_name as canonicalize_name  # packaging's, without importing it (early pages)
from .project import ProjectFile, ProjectPage
from .urls import ACCEPT_HEADER, HTML_SIMPLE, JSON_SIMPLE  # noqa: F401 - ACCEPT_HEADER: this module's name for it too

_PLAIN_ABSOLUTE = re.compile(r"https?://[^/:@\[\]#?\\\s]+(?::(\d{1,5}))?/[^#?\\\s]*\Z")
SUPPORTED_HASHES = ("sha256",)  # the only algorithm we verify; others are ignored, not trusted


def parse_project_page(
    body: bytes,
    content_type: str,
    url: str,
    name: str,
    *,
    keep: Callable[[str], bool] | None = None,
    set_aside: tuple[tuple[str, bool], ...] = (),
) -> ProjectPage:
    """Read one project's page in whichever format the index answered with.

    ``keep``: a PEP 691 file whose name it refuses is only listed in ``set_aside``, not read
    (its URL, hashes and metadata flags are never looked at): the resolver passes a test for
    wheels built only for other platforms, which is 15 000 of pydantic-core's 15 057 files.
    ``set_aside``: files of a PEP 691 page already taken out of ``body`` that way
    (``transport.thin_project_page``), listed first.
    """
    kind = _detect_kind(body, content_type, url)
    if kind == "html":
        files = parse_simple_html(body, url)
        return ProjectPage(canonicalize_name(name), files, url)
    data = _load_json(body, url)
    if not isinstance(data, dict):
        raise IndexFormatError(f"index page {url} is JSON but not an object; is this a package index?", url=url)
    if "info" in data and ("releases" in data or "urls" in data):
        files = parse_json_api(data, url)
        info = data.get("info")
        page_name = info.get("name") if isinstance(info, dict) else None
    else:
        files, refused = _read_simple_json(data, url, keep)
        set_aside = set_aside + refused
        page_name = data.get("name")
    if isinstance(page_name, str) and page_name and canonicalize_name(page_name) != canonicalize_name(name):
        raise IndexFormatError(
            f"index page {url} describes project {page_name!r}, not {name!r}; the index is misconfigured", url=url
        )
    return ProjectPage(canonicalize_name(name), files, url, set_aside)


def _detect_kind(body: bytes, content_type: str, url: str) -> str:
    ct = content_type.lower()
    if ct.endswith("json") or ct == JSON_SIMPLE:
        return "json"
    if "html" in ct:
        return "html"
    # A static host may serve either with a generic type: look at the bytes.
    head = body.lstrip()[:1]
    if head in (b"{", b"["):
        return "json"
    if head == b"<":
        return "html"
    raise IndexFormatError(
        f"index page {url} has content type {content_type or 'none'!r} and is neither JSON nor HTML; "
        "check that the URL points at a simple repository or the JSON API",
        url=url,
    )


def _load_json(body: bytes, url: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, bad UTF-8, a 5000-digit number
        raise IndexFormatError(f"index page {url} is not valid JSON: {exc}", url=url) from exc
    except RecursionError as exc:
        raise IndexFormatError(f"index page {url} is JSON nested too deeply to read", url=url) from exc


def _hashes(raw: Any, url: str) -> dict[str, str]:
    if type(raw) is dict and len(raw) == 1:  # PyPI's own: {"sha256": ...}, on every file
        value = raw.get("sha256")
        if type(value) is str:
            return {"sha256": value.lower()}
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise IndexFormatError(f"index page {url} has a 'hashes' entry that is not a mapping", url=url)
    out = {}
    for algo, value in raw.items():
        if isinstance(algo, str) and algo.lower() in SUPPORTED_HASHES and isinstance(value, str):
            out[algo.lower()] = value.lower()
    return out


def _yanked(raw: Any) -> tuple[bool, str | None]:
    if isinstance(raw, str):
        return True, raw or None
    return bool(raw), None


def _core_metadata(raw: Any, url: str) -> dict[str, str] | None:
    """PEP 714 value: False/absent = no file, True = file without hash, mapping = hashes."""
    if raw is None or raw is False:
        return None
    if raw is True:
        return {}
    if isinstance(raw, dict):
        return _hashes(raw, url)
    return None


def _file(
    filename: Any,
    href: Any,
    page_url: str,
    *,
    hashes: dict[str, str],
    requires_python: Any = None,
    yanked: Any = None,
    core_metadata: dict[str, str] | None = None,
    size: Any = None,
    upload_time: Any = None,
) -> ProjectFile:
    if not isinstance(filename, str) or not filename or ("/" in filename or "\\" in filename or "\x00" in filename):
        raise IndexFormatError(f"index page {page_url} lists a file without a valid filename: {filename!r}", url=page_url)
    if not isinstance(href, str) or not href:
        raise IndexFormatError(f"index page {page_url} lists {filename} without a URL", url=page_url)
    if _plain_absolute(href):
        # PyPI's pages list thousands of files as plain absolute URLs (pydantic-core: 15 000);
        # joining and splitting each was most of the time to read such a page in Pyodide.
        clean, merged = href, hashes
    else:
        absolute = _join(page_url, href, page_url)
        parts = urllib.parse.urlsplit(absolute)
        merged = {**fragment_hashes(parts.fragment), **hashes}
        clean = urllib.parse.urlunsplit(parts._replace(fragment=""))
    is_yanked, reason = (False, None) if yanked is None or yanked is False else _yanked(yanked)
    return ProjectFile.listed(
        filename,
        clean,
        merged,
        requires_python if isinstance(requires_python, str) and requires_python.strip() else None,
        is_yanked,
        reason,
        core_metadata,
        size if type(size) is int and size >= 0 else None,
        upload_time if isinstance(upload_time, str) else None,
        page_url,
    )


def _plain_absolute(href: str) -> bool:
    """An ``http(s)://host/path`` URL that joining and splitting would return unchanged:
    no fragment, query, port, user-info, IPv6 literal, backslash, whitespace or dot segment."""
    m = _PLAIN_ABSOLUTE.match(href)
    return m is not None and "/." not in href and (m.group(1) is None or int(m.group(1)) <= 65535)


def _join(base: str, href: str, page_url: str) -> str:
    """``href`` made absolute against ``base``; a malformed URL is the index's fault."""
    try:
        absolute = urllib.parse.urljoin(base, href)
        urllib.parse.urlsplit(absolute).port  # noqa: B018 - validates the port
    except ValueError as exc:  # "Invalid IPv6 URL", a port out of range
        raise IndexFormatError(f"index page {page_url} has an invalid URL {href!r}: {exc}", url=page_url) from exc
    return absolute


def fragment_hashes(fragment: str) -> dict[str, str]:
    """``#sha256=...`` on a file URL (PEP 503)."""
    algo, sep, value = fragment.partition("=")
    if sep and algo.lower() in SUPPORTED_HASHES and value:
        return {algo.lower(): value.lower()}
    return {}


def parse_simple_json(data: dict, url: str) -> tuple[ProjectFile, ...]:
    """PEP 691 project page (api-version 1.x)."""
    return _read_simple_json(data, url, None)[0]


def _read_simple_json(
    data: dict, url: str, keep: Callable[[str], bool] | None
) -> tuple[tuple[ProjectFile, ...], tuple[tuple[str, bool], ...]]:
    """PEP 691 project page: the files read, and (filename, yanked) of those ``keep`` refused."""
    meta = data.get("meta")
    version = meta.get("api-version") if isinstance(meta, dict) else None
    if isinstance(version, str) and version.split(".", 1)[0] != "1":
        raise IndexFormatError(
            f"index page {url} uses simple API version {version}; this micropip understands 1.x", url=url
        )
    files = data.get("files")
    if not isinstance(files, list):
        raise IndexFormatError(f"index page {url} has no 'files' list (PEP 691)", url=url)
    out = []
    set_aside = []
    for entry in files:
        if not isinstance(entry, dict):
            raise IndexFormatError(f"index page {url} has a file entry that is not an object", url=url)
        if keep is not None:
            filename = entry.get("filename")
            if isinstance(filename, str) and not keep(filename):
                set_aside.append((filename, _yanked(entry.get("yanked"))[0]))
                continue
        core = entry.get("core-metadata", entry.get("data-dist-info-metadata", entry.get("dist-info-metadata")))
        out.append(
            _file(
                entry.get("filename"),
                entry.get("url"),
                url,
                hashes=_hashes(entry.get("hashes"), url),
                requires_python=entry.get("requires-python"),
                yanked=entry.get("yanked"),
                core_metadata=_core_metadata(core, url),
                size=entry.get("size"),
                upload_time=entry.get("upload-time"),
            )
        )
    return tuple(out), tuple(set_aside)


def parse_json_api(data: dict, url: str) -> tuple[ProjectFile, ...]:
    """The PyPI JSON API (``/pypi/<name>/json``): every release's files."""
    releases = data.get("releases")
    entries: list[Any] = []
    if isinstance(releases, dict):
        for files in releases.values():
            if not isinstance(files, list):
                raise IndexFormatError(f"JSON API answer {url} has a release that is not a list", url=url)
            entries.extend(files)
    elif isinstance(data.get("urls"), list):
        entries = data["urls"]
    else:
        raise IndexFormatError(f"JSON API answer {url} has neither 'releases' nor 'urls'", url=url)
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise IndexFormatError(f"JSON API answer {url} has a file entry that is not an object", url=url)
        yanked = entry.get("yanked_reason") or True if entry.get("yanked") else False
        out.append(
            _file(
                entry.get("filename"),
                entry.get("url"),
                url,
                hashes=_hashes(entry.get("digests"), url),
                requires_python=entry.get("requires_python"),
                yanked=yanked,
                core_metadata=_core_metadata(entry.get("core_metadata", entry.get("data_dist_info_metadata")), url),
                size=entry.get("size"),
                upload_time=entry.get("upload_time_iso_8601"),
            )
        )
    return tuple(out)


_anchor_parser_class: type | None = None


def _anchor_parser():
    """An HTML anchor collector; ``html.parser`` is imported only when an HTML page comes."""
    global _anchor_parser_class
    if _anchor_parser_class is None:
        from html.parser import HTMLParser

        class _AnchorParser(HTMLParser):
            def __init__(self) -> None:
                super().__init__(convert_charrefs=True)
                self.anchors: list[tuple[dict[str, str | None], str]] = []
                self.base: str | None = None
                self.api_version: str | None = None
                self._current: dict[str, str | None] | None = None
                self._text: list[str] = []

            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                if tag == "a":
                    self._current = dict(attrs)
                    self._text = []
                elif tag == "base" and self.base is None:
                    self.base = dict(attrs).get("href")
                elif tag == "meta":
                    d = dict(attrs)
                    if d.get("name") == "pypi:repository-version":
                        self.api_version = d.get("content")

            def handle_data(self, data: str) -> None:
                if self._current is not None:
                    self._text.append(data)

            def handle_endtag(self, tag: str) -> None:
                if tag == "a" and self._current is not None:
                    self.anchors.append((self._current, "".join(self._text).strip()))
                    self._current = None

        _anchor_parser_class = _AnchorParser
    return _anchor_parser_class()


def parse_simple_html(body: bytes, url: str) -> tuple[ProjectFile, ...]:
    """PEP 503 project page with PEP 592 (yanked), 658/714 (metadata) and requires-python."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IndexFormatError(f"index page {url} is not UTF-8 HTML: {exc}", url=url) from exc
    parser = _anchor_parser()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # HTMLParser is lenient; keep the promise of one error type
        raise IndexFormatError(f"index page {url} is not readable HTML: {exc}", url=url) from exc
    if parser.api_version and parser.api_version.split(".", 1)[0] != "1":
        raise IndexFormatError(
            f"index page {url} uses simple API version {parser.api_version}; this micropip understands 1.x", url=url
        )
    base = _join(url, parser.base, url) if parser.base else url
    out = []
    for attrs, text_content in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        path = urllib.parse.urlsplit(_join(base, href, url)).path
        filename = text_content or urllib.parse.unquote(path.rsplit("/", 1)[-1])
        # PEP 714: the attribute's presence means "available"; a value may carry its hash.
        core_raw = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        has_core = "data-core-metadata" in attrs or "data-dist-info-metadata" in attrs
        core: dict[str, str] | None = None
        if has_core:
            core = fragment_hashes(core_raw) if core_raw and core_raw.lower() != "true" else {}
        yanked = (attrs.get("data-yanked") or "") if "data-yanked" in attrs else None
        out.append(
            _file(
                filename,
                _join(base, href, url),
                url,
                hashes={},
                requires_python=attrs.get("data-requires-python"),
                yanked=yanked,
                core_metadata=core,
            )
        )
    return tuple(out)
