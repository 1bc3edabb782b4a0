"""The header block of METADATA, PKG-INFO and WHEEL files, read without the ``email`` package.

``email.parser`` (``compat32`` policy) is the reference reader, but importing it costs
~80 ms in Pyodide (``email.message``, ``socket``, ``calendar``, ...) on every first install.

The rules are those of the ``compat32`` policy, so a value reads exactly as
``Parser().parsestr(text).get(name)`` returned it:

- lines end at ``\\r\\n``, ``\\r`` or ``\\n``;
- a line of the form ``Name: value`` starts a field (the name is printable ASCII without
  space or colon); the value loses the blanks after the colon;
- a line starting with a space or tab continues the previous field, its line break kept;
- the first empty line, or any other line, ends the headers (the rest is the body);
- a line without a name (``: value``) and an mbox ``From`` line are skipped;
- names compare without regard to case; a field may repeat.

Encoded words (RFC 2047) are not decoded: ``compat32`` does not decode them either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_FIELD_NAME = re.compile(r"[\041-\071\073-\176]*")


class Headers:
    """The fields of a header block, in order; lookups ignore case (like ``email.message.Message``)."""

    __slots__ = ("_fields",)

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name`` (``default`` when absent)."""
        wanted = name.lower()
        for key, value in self._fields:
            if key.lower() == wanted:
                return value
        return default

    def get_all(self, name: str, default: list[str] | None = None) -> list[str] | None:
        """Every value of ``name``, in order (``default`` when absent)."""
        wanted = name.lower()
        found = [value for key, value in self._fields if key.lower() == wanted]
        return found or default

    def __getitem__(self, name: str) -> str | None:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"


def _lines(text: str) -> Iterator[str]:
    """``_LINE_BREAK.split(text)``, lazily: the header block is read and the body (a long
    description, most of a METADATA file: 30 KB for fastapi) is never split."""
    start = 0
    for found in _LINE_BREAK.finditer(text):
        yield text[start : found.start()]
        start = found.end()
    yield text[start:]


def parse_headers(text: str) -> Headers:
    """The header block at the start of ``text`` (the body after it is ignored)."""
    fields: list[tuple[str, str]] = []
    name: str | None = None
    value: list[str] = []
    for line in _lines(text):
        if line[:1] in (" ", "\t"):
            if name is not None:
                value.append(line)
            continue  # a continuation before any field: compat32 drops it as a defect
        if name is not None:
            fields.append((name, "\n".join(value)))
            name = None
        if line.startswith("From "):
            continue  # an mbox envelope line: not a field (compat32 keeps it apart)
        key, colon, rest = line.partition(":")
        if not colon or not _FIELD_NAME.fullmatch(key):
            break  # the empty line before the body, or a line that is not a header
        if key:  # ": value" has no name: compat32 drops the line and reads on
            name, value = key, [rest.lstrip(" \t")]
    if name is not None:
        fields.append((name, "\n".join(value)))
    return Headers(fields)
