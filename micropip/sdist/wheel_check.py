"""Is the wheel a backend just built pure Python, and the wheel of the sdist we asked for?

Only pure wheels can come out of a build inside Pyodide: there is no compiler, and a
wheel carrying a native library built elsewhere (on the host, in tests) would not load
anyway. So a built wheel is accepted only when all of these hold:

- its file name parses and every tag is ``py<N>[.py<M>]-none-any`` (``py3-none-any``,
  ``py2.py3-none-any``...), and its ``WHEEL`` says ``Root-Is-Purelib: true`` with only such
  tags;
- no member is a native library or module (``.so``, ``.pyd``, ``.dylib``, ``.dll``,
  ``.wasm``, ``.a``) and nothing goes to ``.data/platlib``;
- its METADATA names the same project and version as the sdist.

Anything compiled is refused with NotPureError naming the files and saying the project
needs a Pyodide build.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.metadata import parse_email
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from .errors import InvalidBuiltWheelError, NotPureError

_PURE_TAG = re.compile(r"^py\d+(\.py\d+)*-none-any$")
_PURE_INTERPRETER = re.compile(r"^py\d+$")
_NATIVE = re.compile(r"\.(so(\.\d+)*|pyd|dylib|dll|wasm|a)$", re.IGNORECASE)
_DIST_INFO_FILE = re.compile(r"^([^/]+)\.dist-info/(WHEEL|METADATA)$")


@dataclass(frozen=True)
class PureWheel:
    """A built wheel that passed every check."""

    path: Path
    name: str
    version: Version
    tags: tuple[str, ...]
    metadata: bytes  # its METADATA, for the resolver and PEP 658-like reuse


def check_pure_wheel(path: Path, *, project: str, version: str | Version) -> PureWheel:
    """Accept ``path`` as the pure-Python wheel of ``project`` ``version``, or raise.

    NotPureError: native code or non-pure tags (the message names them).
    InvalidBuiltWheelError: not a readable wheel, or a wheel of something else.
    """
    path = Path(path)
    label = f"{project} {version}"
    try:
        name, wheel_version, _build, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise InvalidBuiltWheelError(f"the backend built {path.name}, which is not a wheel file name ({exc})") from None
    impure_tags = sorted(str(t) for t in tags if not (_PURE_INTERPRETER.match(t.interpreter) and t.abi == "none" and t.platform == "any"))
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            info = {m.group(2): zf.read(n) for n in names if (m := _DIST_INFO_FILE.match(n))}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InvalidBuiltWheelError(f"the wheel built for {label} is not a readable zip ({exc})") from None
    native = sorted(n for n in names if _NATIVE.search(n) or re.match(r"^[^/]+\.data/platlib/", n))
    if native or impure_tags:
        what = ", ".join(native) if native else f"the tags {', '.join(impure_tags)}"
        raise NotPureError(
            f"{label} built a wheel with compiled code ({what}): this project needs a Pyodide build "
            "(a wheel made with pyodide-build), it cannot be built from source inside Pyodide",
            tuple(native),
        )
    for needed in ("WHEEL", "METADATA"):
        if needed not in info:
            raise InvalidBuiltWheelError(f"the wheel built for {label} has no .dist-info/{needed}")
    wheel_fields = _fields(info["WHEEL"])
    if wheel_fields.get("root-is-purelib", [""])[0].strip().lower() != "true":
        raise NotPureError(
            f"{label} built a wheel marked Root-Is-Purelib: false (platform-specific): this project needs a "
            "Pyodide build (pyodide-build)"
        )
    bad = [t for t in wheel_fields.get("tag", []) if not _PURE_TAG.match(t.strip())]
    if bad:
        raise NotPureError(f"{label} built a wheel tagged {', '.join(bad)}: this project needs a Pyodide build (pyodide-build)")
    raw, _ = parse_email(info["METADATA"].decode("utf-8", "replace"))
    meta_name, meta_version = raw.get("name"), raw.get("version")
    if not meta_name or canonicalize_name(meta_name) != canonicalize_name(project) or canonicalize_name(name) != canonicalize_name(project):
        raise InvalidBuiltWheelError(f"building {label} produced a wheel of {meta_name or name!r}")
    try:
        same = Version(meta_version or "") == Version(str(version)) == wheel_version
    except InvalidVersion:
        same = False
    if not same:
        raise InvalidBuiltWheelError(f"building {label} produced a wheel of version {meta_version or wheel_version}")
    return PureWheel(path, meta_name, wheel_version, tuple(sorted(str(t) for t in tags)), info["METADATA"])


def _fields(data: bytes) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip().lower(), []).append(value.strip())
    return fields
