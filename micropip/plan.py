"""The resolver's answer: what to install, from where, and why. Plain data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class PlannedPackage:
    """One distribution a plan installs: where its file comes from, its hash and who asked for it."""

    name: str
    version: str
    source: str  # "index", "lockfile", "url"
    url: str
    filename: str
    sha256: str | None
    requested: bool  # the user asked for it (gets REQUESTED)
    required_by: tuple[str, ...]  # "requested" or "<name> <version>"
    extras: tuple[str, ...] = ()
    direct_url: bool = False  # installed from a URL the user gave (PEP 610)
    size: int | None = None
    depends: tuple[str, ...] = ()  # canonical names of its dependencies


@dataclass
class Plan:
    """What an install would do (``dry_run`` returns it): install, keep, replace, and the bytes it read."""

    install: list[PlannedPackage] = field(default_factory=list)
    keep: list[tuple[str, str]] = field(default_factory=list)  # already installed (name, version)
    replace: list[str] = field(default_factory=list)  # installed names this plan replaces
    warnings: list[str] = field(default_factory=list)
    bytes_index_pages: int = 0
    bytes_metadata: int = 0
    bytes_wheels_for_metadata: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        if not self.install:
            lines = ["Nothing to install."]
        else:
            lines = [f"Would install {len(self.install)} package(s):"]
            for p in self.install:
                why = ", ".join(p.required_by)
                lines.append(f"  + {p.name}=={p.version}  from {p.url}  ({why})")
        lines += [f"  = {name}=={version} (already installed)" for name, version in self.keep]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Plan install={[f'{p.name}=={p.version}' for p in self.install]} keep={self.keep}>"
