"""A small package index for a folder of wheels: live over HTTP or written as static files.

It speaks what micropip (and pip) read: PEP 691 JSON and PEP 503 HTML simple pages,
PEP 658/714 metadata files, PEP 700 sizes and upload times, yanking (PEP 592) and the
PyPI JSON API, with CORS so a page on another origin can use it. The live server and
the static build render the same bytes, so tests against one hold for the other.

Modules: ``catalog`` reads the wheels, ``pages`` renders bodies, ``negotiation`` picks
JSON or HTML, ``routes`` maps index URLs to answers, ``static_files`` serves plain
folders, ``server`` is the HTTP layer, ``static_build`` writes the static site.
"""

from __future__ import annotations

from .server import IndexServer, start_server, start_static_server
from .static_build import build_static

__all__ = ["IndexServer", "build_static", "start_server", "start_static_server"]
