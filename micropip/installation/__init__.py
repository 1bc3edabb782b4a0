"""Installation: fetch wheels (``fetch``, through the persistent ``micropip.cache``), check them
(``wheelfile``: PEP 427/491 rules), write them atomically with a journal (``installer``),
remove them (``uninstaller``), read what is installed (``installed``, ``check_installed``), and
keep mock packages in memory (``mocks``).

May import: ``micropip.errors``, ``micropip.plan``, ``micropip.index``, ``micropip.cache`` and ``micropip.transport``.
Never imports ``micropip.resolution`` or ``micropip.ui``: ``micropip.package_manager`` joins them.
"""
