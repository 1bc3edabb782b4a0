"""Host tools around micropip (never downloaded by a page): the ``pyodide-pm`` command.

``lock`` and ``check`` resolve with micropip's own resolver, so they answer exactly as the
browser would; ``bundle`` builds the wheels and lockfile a page loads; ``demo`` serves the
console. Imports micropip; micropip never imports this package.
"""
