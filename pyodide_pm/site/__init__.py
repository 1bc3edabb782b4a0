"""``pyodide-pm site``: a static site that runs our micropip, online or fully offline.

Three flavours share one layout (``payload``): a plain page (``page``), a PyScript app
(``pyscript``) and a JupyterLite site (``jupyterlite``). The requirements are resolved on
the host for the target release (``closure``), locked, and preloaded when the site
starts; the site carries its own static package index, which micropip searches first.
``--offline`` puts Pyodide's runtime and packages inside the site too. The build writes
into a sibling folder and renames it into place (``staging``). ``docs/deploy.md`` is the
deployer's guide.
"""

from __future__ import annotations

from .options import FLAVOURS, SiteError, SiteOptions

__all__ = ["FLAVOURS", "SiteError", "SiteOptions", "build_site"]


def build_site(options: SiteOptions):  # imported on use: the CLI's start-up stays cheap
    """Build the site; see ``pyodide_pm.site.build.build_site``."""
    from .build import build_site as build

    return build(options)
