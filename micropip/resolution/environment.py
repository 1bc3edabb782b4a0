"""The environment a resolution targets: Python version, markers and tags.

In the browser it is the running interpreter; on the host (``lock``) it is a
named Pyodide release from a table, never the host's own tags.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property

from packaging import tags as pkg_tags
from packaging.markers import default_environment
from packaging.tags import Tag
from packaging.version import Version

from ..errors import MicropipError


@dataclass(frozen=True)
class PyodideRelease:
    """What a Pyodide release offers wheels: its Python, ABI and Emscripten."""

    version: str
    python: str  # full Python version, e.g. "3.14.2"
    abi_version: str  # PEP 783 ABI, e.g. "2026_0"
    emscripten: str  # e.g. "5.0.3"


# Releases we can target from the host. Newest first: the default target.
PYODIDE_RELEASES: tuple[PyodideRelease, ...] = (
    PyodideRelease("314.0.7", "3.14.2", "2026_0", "5.0.3"),
    PyodideRelease("0.29.0", "3.13.2", "2025_0", "4.0.9"),
    PyodideRelease("0.28.0", "3.13.2", "2025_0", "4.0.9"),
    PyodideRelease("0.27.7", "3.12.7", "2024_0", "3.1.58"),
)


def find_release(version: str) -> PyodideRelease:
    """The table entry for ``version``; a prefix like "314" picks its newest patch."""
    for release in PYODIDE_RELEASES:
        if release.version == version or release.version.startswith(version + "."):
            return release
    known = ", ".join(r.version for r in PYODIDE_RELEASES)
    raise MicropipError(f"unknown Pyodide release {version!r}; supported targets: {known}")


def emscripten_platforms(abi_version: str, emscripten: str | None = None) -> list[str]:
    """Platform tags for an ABI, best first.

    ``pyemscripten_<abi>_wasm32`` is the PEP 783 spelling; ``pyodide_<abi>_wasm32`` is
    the older alias of the same ABI; ``emscripten_X_Y_Z_wasm32`` is what plain
    packaging emits for the compiler version.
    """
    platforms = [f"pyemscripten_{abi_version}_wasm32", f"pyodide_{abi_version}_wasm32"] if abi_version else []
    if emscripten:
        platforms.append(f"emscripten_{emscripten.replace('.', '_')}_wasm32")
    return platforms


_CURRENT: "TargetEnvironment | None" = None


@dataclass(frozen=True)
class TargetEnvironment:
    """Everything candidate selection needs to know about the target."""

    python_version: str  # full, e.g. "3.14.2"
    markers: dict[str, str] = field(hash=False)
    tags: tuple[Tag, ...] = field(hash=False)
    abi_version: str | None = None
    platform: str | None = None  # e.g. "emscripten_5_0_3" as in pyodide-lock.json
    pyodide_version: str | None = None

    @cached_property
    def tag_rank(self) -> dict[Tag, int]:
        """Lower is better: the order of ``tags``."""
        rank: dict[Tag, int] = {}
        for i, tag in enumerate(self.tags):
            rank.setdefault(tag, i)
        return rank

    @cached_property
    def rank_memo(self) -> dict[frozenset[Tag], int | None]:
        """A wheel's tag set -> its best rank here (``selection``'s memo, kept with the ranks it reads)."""
        return {}

    @cached_property
    def platforms(self) -> frozenset[str]:
        """Every platform tag some supported tag has: a wheel for none of them never fits."""
        return frozenset(t.platform for t in self.tags)

    @property
    def python(self) -> Version:
        return Version(self.python_version)

    @classmethod
    def current(cls) -> "TargetEnvironment":
        """The running interpreter (Pyodide in the browser, CPython on the host).

        Worked out once per interpreter: it cannot change, and reading sysconfig and the
        supported tags cost ~30 ms of every install in Pyodide."""
        global _CURRENT
        if _CURRENT is None:
            _CURRENT = cls._of_running_interpreter()
        return _CURRENT

    @classmethod
    def is_known(cls) -> bool:
        """Whether ``current()`` has been worked out (then it costs nothing)."""
        return _CURRENT is not None

    @classmethod
    def _of_running_interpreter(cls) -> "TargetEnvironment":
        markers = dict(default_environment())
        tags = list(pkg_tags.sys_tags())
        abi = None
        platform = None
        if sys.platform == "emscripten":
            import sysconfig

            abi = sysconfig.get_config_var("PYEMSCRIPTEN_ABI_VERSION") or sysconfig.get_config_var(
                "PYODIDE_ABI_VERSION"
            )
            emscripten = markers.get("platform_release", "")
            platform = f"emscripten_{emscripten.replace('.', '_')}"
            if abi:
                tags = _with_aliases(tags, abi, emscripten)
        pyodide_version = None
        try:  # only in Pyodide; importing it elsewhere fails
            import pyodide  # type: ignore[import-not-found]

            pyodide_version = getattr(pyodide, "__version__", None)
        except ImportError:
            pass
        return cls(
            python_version=markers["python_full_version"],
            markers=markers,
            tags=tuple(tags),
            abi_version=abi,
            platform=platform,
            pyodide_version=pyodide_version,
        )

    @classmethod
    def for_pyodide(cls, version: str) -> "TargetEnvironment":
        """A Pyodide release from the table, for resolving on the host."""
        return cls.for_release(find_release(version))

    @classmethod
    def for_release(cls, release: PyodideRelease) -> "TargetEnvironment":
        """Any release's facts (the host's release catalog reads them from its lock)."""
        py = Version(release.python)
        major_minor = (py.major, py.minor)
        interpreter = f"cp{py.major}{py.minor}"
        platforms = emscripten_platforms(release.abi_version, release.emscripten)
        tags = list(pkg_tags.cpython_tags(major_minor, abis=[interpreter], platforms=platforms))
        tags += list(pkg_tags.compatible_tags(major_minor, interpreter=interpreter, platforms=platforms))
        markers = {
            "implementation_name": "cpython",
            "implementation_version": release.python,
            "os_name": "posix",
            "platform_machine": "wasm32",
            "platform_release": release.emscripten,
            "platform_system": "Emscripten",
            "platform_version": "#1",
            "python_full_version": release.python,
            "platform_python_implementation": "CPython",
            "python_version": f"{py.major}.{py.minor}",
            "sys_platform": "emscripten",
        }
        return cls(
            python_version=release.python,
            markers=markers,
            tags=tuple(tags),
            abi_version=release.abi_version,
            platform=f"emscripten_{release.emscripten.replace('.', '_')}",
            pyodide_version=release.version,
        )


def _with_aliases(tags: list[Tag], abi: str, emscripten: str) -> list[Tag]:
    """Add the ``pyodide_<abi>`` alias right after each ``pyemscripten_<abi>`` tag."""
    primary = f"pyemscripten_{abi}_wasm32"
    alias = f"pyodide_{abi}_wasm32"
    present = {str(t) for t in tags}
    out: list[Tag] = []
    for tag in tags:
        out.append(tag)
        if tag.platform == primary:
            extra = Tag(tag.interpreter, tag.abi, alias)
            if str(extra) not in present:
                out.append(extra)
    if not any(t.platform == primary for t in tags):
        # An older packaging that does not know PEP 783: build the tags ourselves.
        major_minor = sys.version_info[:2]
        interpreter = f"cp{major_minor[0]}{major_minor[1]}"
        platforms = emscripten_platforms(abi, emscripten)
        out = list(pkg_tags.cpython_tags(major_minor, abis=[interpreter], platforms=platforms))
        out += list(pkg_tags.compatible_tags(major_minor, interpreter=interpreter, platforms=platforms))
    return out
