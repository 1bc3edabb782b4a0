"""Index access: HTTP with retries (``http``), the index formats (PEP 503 HTML, PEP 691 JSON,
PEP 658/714 metadata, PEP 700, the JSON API: ``formats``), project pages (``project``),
core metadata (``metadata``) and the client that asks each index in turn (``client``).

May import: ``micropip.errors`` and ``micropip.transport``. Resolution and installation
both use it; it uses neither.
"""
