"""``--resolve-timeout``: the resolver's budget on the command line (``lock`` and ``check``).

The same budget as ``micropip.install(..., resolve_timeout=...)``: seconds the resolver may
search before it stops with an error that names what it went back and forth on.
"""

from __future__ import annotations

import argparse

from micropip.resolution.budget import DEFAULT_TIMEOUT


def _seconds(text: str) -> float | None:
    if text.strip().lower() in ("none", "off"):
        return None
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive number of seconds, or 'none' for no limit")
    return value


def add_resolve_timeout(parser: argparse.ArgumentParser) -> None:
    """Add ``--resolve-timeout SECONDS`` (dest ``resolve_timeout``) to a subcommand."""
    parser.add_argument(
        "--resolve-timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
        help=f"the resolver's budget (default {DEFAULT_TIMEOUT:g}; 'none': no limit): past it, the error names "
        "the projects it went back and forth on and a pin that settles them",
    )
