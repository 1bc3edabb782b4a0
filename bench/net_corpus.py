"""The roots of the real-network benchmark: what people install in Pyodide, from PyPI.

Unlike ``corpus.py`` nothing here is pinned: the versions are whatever PyPI offered when
the recording (``bench/record.py``) was made, and the recording is the pin. Pyodide's own
lockfile is treated as empty for both micropips (its wheels live on Pyodide's CDN, which
this machine cannot reach), so every project, ``pydantic-core`` included, comes from the
index as a pure-Python wheel or a PEP 783 ``pyemscripten_2026_0_wasm32`` wheel.

A *dead end* is a root whose closure has a project with no wheel for Pyodide on PyPI;
both micropips must fail, and the benchmark times how long they take to say so.
"""

from __future__ import annotations

# root -> why it is here
ROOTS: dict[str, str] = {
    "pydantic": "PEP 783 extension wheel (pydantic-core, pyemscripten_2026_0_wasm32)",
    "msgpack": "a PEP 783 extension wheel as the root itself",
    "fastapi": "pydantic + starlette + anyio: a web stack",
    "aiobotocore": "deep tree: botocore, aiohttp and its extension-free wheels, wrapt",
    "boto3": "botocore: a page with thousands of files, a 13 MB wheel",
    "rich": "the bootstrap's package: markdown-it-py, pygments",
    "requests": "urllib3, idna, certifi, charset-normalizer",
    "httpx": "anyio, httpcore, h11",
    "sympy": "a big wheel (mpmath too)",
    "networkx": "a 2 MB pure wheel",
    "plotly": "a big wheel (narwhals)",
    "django": "a big wheel, asgiref, sqlparse",
    "typer": "click, rich, shellingham",
    "black": "click, pathspec, platformdirs, pytokens",
    "pytest": "pluggy, iniconfig, pygments",
    "beautifulsoup4": "soupsieve, typing-extensions",
    "sqlalchemy": "pure wheel; greenlet only by marker",
    "google-api-core": "protobuf, google-auth, googleapis-common-protos, proto-plus",
    "attrs": "a leaf",
    "tqdm": "a leaf",
    "faker": "a big wheel of locales",
    "openpyxl": "et-xmlfile",
    "python-dateutil": "six: a py2.py3 wheel",
    "openai": "httpx, pydantic, jiter (extension: a dead end unless PyPI has a PEP 783 wheel)",
    "jinja2": "dead end: markupsafe has no wheel for Pyodide on PyPI",
    "grpcio-status": "dead end: grpcio has no wheel for Pyodide",
    "awscli": "dead end: pyyaml has no wheel for Pyodide",
    "litellm": "dead end, deep: tokenizers/tiktoken/jinja2",
    "pandas": "dead end: numpy has no wheel for Pyodide on PyPI",
    "langchain-core": "dead end: pyyaml (and a deep tree before it)",
}

BOOTSTRAP_PACKAGE = "rich"  # the Chromium page installs this and imports it

# Roots installed with a stand-in for Pyodide's package folder: a lockfile whose entries
# for LOCK_STANDINS (and what those entries depend on) point at the same versions' wheels
# from PyPI, beside it on the shaped link, with the sha256 rewritten. Only pure-Python
# entries can stand in: PyPI has no Pyodide numpy (Pyodide's CDN is unreachable here).
# root -> (the module the page imports, why it is here)
LOCK_ROOTS: dict[str, tuple[str, str]] = {
    "ipython": ("IPython", "12 projects, every one in Pyodide's lockfile: no index request is needed"),
    "typer": ("typer", "typer and shellingham from the index; click, rich, typing-extensions from the lockfile"),
}
LOCK_STANDINS = ("ipython", "click", "rich", "typing-extensions")
STANDIN_LOCK = "pyodide-lock-standin.json"  # written beside each micropip's own lockfile
