"""The one exception the lockfile readers raise, and the warning they give.

A bad lockfile is user input: the message names the file, the package and the
field (``packages[3].wheels[0].hashes``, ``packages.numpy.sha256``) and says what
to change, so the user can fix the file without reading a traceback.
"""

from __future__ import annotations


class LockfileError(ValueError):
    """A lockfile cannot be read, breaks its format's rules or does not fit the target."""

    def __init__(
        self,
        problem: str,
        *,
        path: str | None = None,
        field: str | None = None,
        package: str | None = None,
        hint: str | None = None,
        label: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.field = field
        self.package = package
        self.hint = hint
        self._label = label  # what to call the file when there is no path (e.g. "<pylock.toml text>")
        super().__init__(self._format())

    def _format(self) -> str:
        where = [self.path or self._label or "<lockfile>"]
        if self.package is not None:
            where.append(f"package {self.package!r}")
        if self.field:
            where.append(f"field {self.field}")
        message = f"{', '.join(where)}: {self.problem}"
        if self.hint:
            message += f". {self.hint}"
        return message


class LockfileWarning(UserWarning):
    """A lockfile is usable but newer than this reader (e.g. lock-version 1.1)."""
