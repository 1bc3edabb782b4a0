"""Resolution: from requirements to a plan, without touching the filesystem it installs into.

Requirements and constraints (``requirements``), the target interpreter's tags and
markers (``environment``), which files of a project fit it (``selection``), the
candidates of every source (``sources``: Pyodide's lockfile, indexes, URLs, what is
installed), the resolvelib adapter (``provider``, no I/O of its own) and the driver
(``resolver``); a lockfile turned into a plan (``lock_plan``) and the hash policy.

May import: ``micropip.errors``, ``micropip.plan``, ``micropip.index``, ``micropip.transport``.
Never imports ``micropip.installation`` or ``micropip.ui``.
"""
