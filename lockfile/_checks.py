"""Typed access to parsed JSON/TOML data that fails with a located LockfileError.

Both readers walk untrusted nested data; going through these helpers is what
guarantees that a bad file raises LockfileError and never KeyError or TypeError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from .errors import LockfileError

T = TypeVar("T")


def kind(value: object, *, toml: bool) -> str:
    """Name a parsed value's type the way the file format calls it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "a table" if toml else "an object"
    return type(value).__name__


def short(value: object, limit: int = 60) -> str:
    """repr() cut to a readable length for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Where:
    """A position in a lockfile: the file, the package being read and the field path."""

    path: str | None
    label: str
    field: str = ""
    package: str | None = None
    toml: bool = False

    def at(self, key: str | int) -> Where:
        """The position of a child: ``.key`` for table keys, ``[i]`` for array items."""
        if isinstance(key, int):
            field = f"{self.field}[{key}]"
        else:
            field = f"{self.field}.{key}" if self.field else key
        return Where(self.path, self.label, field, self.package, self.toml)

    def of(self, package: str | None) -> Where:
        """The same position, now known to belong to ``package``."""
        return Where(self.path, self.label, self.field, package, self.toml)

    def error(self, problem: str, hint: str | None = None) -> LockfileError:
        return LockfileError(
            problem, path=self.path, field=self.field or None, package=self.package, hint=hint, label=self.label
        )

    def fail(self, problem: str, hint: str | None = None) -> NoReturn:
        raise self.error(problem, hint)

    def wrong_type(self, value: object, expected: str) -> NoReturn:
        self.fail(f"expected {expected}, found {kind(value, toml=self.toml)} {short(value)}", f"Make it {expected}")

    # -- typed reads ---------------------------------------------------------

    def table(self, value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.wrong_type(value, "a table" if self.toml else "an object")
        return value

    def array(self, value: object) -> list[Any]:
        if not isinstance(value, list | tuple):
            self.wrong_type(value, "an array")
        return list(value)

    def string(self, value: object, *, empty_ok: bool = False) -> str:
        if not isinstance(value, str):
            self.wrong_type(value, "a string")
        if not value and not empty_ok:
            self.fail("must not be empty", "Fill in the value or remove the entry")
        return value

    def boolean(self, value: object) -> bool:
        if not isinstance(value, bool):
            self.wrong_type(value, "true or false")
        return value

    def integer(self, value: object, *, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.wrong_type(value, "an integer")
        if value < minimum:
            self.fail(f"must be at least {minimum}, found {value}")
        return value

    def strings(self, value: object) -> tuple[str, ...]:
        """An array of non-empty strings, as a tuple."""
        items = self.array(value)
        return tuple(self.at(i).string(item) for i, item in enumerate(items))

    def required(self, data: dict[str, Any], key: str, hint: str) -> Any:
        if key not in data:
            self.at(key).fail(f"the required key {key!r} is missing", hint)
        return data[key]

    def parsed(self, parse: Callable[[str], T], text: str, what: str, hint: str) -> T:
        """Run a `packaging` parser on untrusted text; any failure becomes a LockfileError."""
        try:
            return parse(text)
        except Exception as exc:  # packaging raises several types (and RecursionError on deep nesting)
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.fail(f"{short(text)} is not a valid {what} ({short(detail, 120)})", hint)


def decode(text_or_bytes: object, where: Where) -> str:
    """The file's text: bytes are UTF-8 (a BOM is dropped), anything else is refused."""
    if isinstance(text_or_bytes, bytes | bytearray | memoryview):
        try:
            return bytes(text_or_bytes).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            where.fail(f"the file is not UTF-8 text (byte {exc.start})", "Save the lockfile as UTF-8")
    if isinstance(text_or_bytes, str):
        return text_or_bytes.removeprefix("\ufeff")
    where.fail(f"expected the file's text or bytes, got {type(text_or_bytes).__name__}")
