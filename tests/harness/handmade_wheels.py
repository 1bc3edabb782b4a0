"""Small wheels written with zipfile alone, for tests that must not depend on micropip's own wheel writer."""

from __future__ import annotations

import zipfile
from pathlib import Path


def write_test_wheel(folder: Path, name: str, version: str, files: dict[str, str], *, tag: str = "py3-none-any",
                     metadata: str | None = None) -> Path:
    """A minimal valid wheel (METADATA, WHEEL, RECORD) written with zipfile alone."""
    import base64
    import hashlib

    dist = f"{name.replace('-', '_')}-{version}"
    members = {path: text.encode() for path, text in files.items()}
    members[f"{dist}.dist-info/METADATA"] = (metadata or f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n").encode()
    pure = "true" if tag.endswith("-none-any") else "false"
    members[f"{dist}.dist-info/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: {pure}\nTag: {tag}\n".encode()
    rows = []
    for path, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{path},sha256={digest},{len(data)}")
    rows.append(f"{dist}.dist-info/RECORD,,")
    members[f"{dist}.dist-info/RECORD"] = ("\n".join(rows) + "\n").encode()
    target = folder / f"{dist}-{tag}.whl"
    with zipfile.ZipFile(target, "w") as zf:
        for path, data in members.items():
            zf.writestr(path, data)
    return target
