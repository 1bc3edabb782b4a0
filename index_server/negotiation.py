"""Pick JSON or HTML for a simple-index page from the client's Accept header (PEP 691).

The q-value of the most specific matching media range applies (RFC 9110); among
equally good choices the one the client listed first wins, and a bare ``*/*``
(or no header at all) gets HTML, which every client understands.
"""

from __future__ import annotations

from dataclasses import dataclass

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
LEGACY_HTML = "text/html"


@dataclass(frozen=True)
class Choice:
    format: str  # "json" or "html"
    content_type: str  # what the response says it is


_JSON = Choice("json", SIMPLE_JSON)
_HTML = Choice("html", SIMPLE_HTML)
_LEGACY = Choice("html", "text/html; charset=utf-8")

# (media type a client may ask for, what it gets); earlier wins ties, so wildcards get HTML.
_OFFERS: tuple[tuple[str, Choice], ...] = (
    (LEGACY_HTML, _LEGACY),
    (SIMPLE_HTML, _HTML),
    ("application/vnd.pypi.simple.latest+html", _HTML),
    (SIMPLE_JSON, _JSON),
    ("application/vnd.pypi.simple.latest+json", _JSON),
)

SUPPORTED = tuple(media for media, _ in _OFFERS)


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float
    position: int

    def specificity(self, media_type: str) -> int:
        """2 exact, 1 ``type/*``, 0 ``*/*``, -1 no match."""
        mtype, _, msub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != mtype:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == msub else -1


def negotiate(accept: str | None) -> Choice | None:
    """The representation to send, or None when nothing acceptable exists (HTTP 406)."""
    ranges = _parse(accept or "")
    if not ranges:
        return _LEGACY
    best: tuple | None = None
    best_choice: Choice | None = None
    for rank, (media, choice) in enumerate(_OFFERS):
        matching = [(r.specificity(media), -r.position, r) for r in ranges if r.specificity(media) >= 0]
        if not matching:
            continue
        specificity, _, chosen = max(matching, key=lambda m: (m[0], m[1]))
        if chosen.q <= 0:
            continue
        score = (chosen.q, specificity, -chosen.position, -rank)
        if best is None or score > best:
            best, best_choice = score, choice
    return best_choice


def _parse(header: str) -> list[_Range]:
    ranges = []
    for position, part in enumerate(header.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        mtype, slash, subtype = media.lower().partition("/")
        if not slash or not mtype or not subtype:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0  # a malformed weight makes the range unusable
        if 0.0 <= q <= 1.0:
            ranges.append(_Range(mtype, subtype, q, position))
    return ranges
