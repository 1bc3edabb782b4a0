"""What the running Pyodide knows: where it runs, its lockfile, its loader and its dynamic linker.

Off the browser every function here answers "nothing" (None, or does nothing), so the
callers run unchanged on host CPython.
"""

from __future__ import annotations

import posixpath
import re

from .response import IN_PYODIDE


def in_node() -> bool:
    """True in Pyodide under Node.js (a page and a Web Worker answer False)."""
    if not IN_PYODIDE:
        return False
    import js  # type: ignore[import-not-found]

    return hasattr(js, "process") and hasattr(js.process, "versions") and bool(getattr(js.process.versions, "node", None))


def _location():
    """``location`` of a page or a Web Worker (both have one); None in Node and on the host."""
    if not IN_PYODIDE or in_node():
        return None
    import js  # type: ignore[import-not-found]

    return getattr(js, "location", None)


def resolve_url(url: str) -> str:
    """A scheme-less URL in a browser page or worker is relative to it, as fetch() would do."""
    import urllib.parse  # here, not at import: a returning visitor's kept code serves it by then
    if not IN_PYODIDE or urllib.parse.urlsplit(url).scheme:
        return url
    location = _location()
    return url if location is None else urllib.parse.urljoin(str(location.href), url)


def page_origin() -> str | None:
    """The origin of the page (or worker) Pyodide runs in; None on the host and in Node."""
    location = _location()
    return None if location is None else str(location.origin)


def node_env(name: str) -> str | None:
    """An environment variable of the Node process (Pyodide's ``os.environ`` is its own)."""
    if not in_node():
        return None
    import js  # type: ignore[import-not-found]

    value = getattr(js.process.env, name, None)
    return None if value is None else str(value)


async def load_shared_libraries(paths: list[str]) -> None:
    """Load an emscripten wheel's ``.so`` files so ``import`` works on a browser main thread.

    Browsers refuse to compile large wasm modules synchronously, which is what
    a plain ``import`` of an extension would do; loading them first avoids that.
    Plain libraries go before extension modules, which may link against them.
    """
    if not IN_PYODIDE or not paths:
        return
    import pyodide_js  # type: ignore[import-not-found]

    ordered = sorted(paths, key=lambda p: (".cpython-" in p or ".abi3." in p, p))
    for path in ordered:
        await pyodide_js._api.loadDynlib(path)


_lockfile: tuple[dict, str] | None = None


def pyodide_lockfile() -> tuple[dict, str] | None:
    """The running Pyodide's lockfile (as a dict) and the base URL of its packages.

    Read once per interpreter (Pyodide fixes it at ``loadPyodide``): converting the whole
    lock from JS costs tens of milliseconds, which every install would pay again. Callers
    treat the dict as read-only (``freeze`` copies it).
    """
    global _lockfile
    if _lockfile is not None or not IN_PYODIDE:
        return _lockfile
    import pyodide_js  # type: ignore[import-not-found]

    api = pyodide_js._api
    lock = api.lockfile.to_py() if hasattr(api.lockfile, "to_py") else None
    if lock is None:
        return None
    base = str(getattr(pyodide_js, "lockfileBaseUrl", "") or "")
    _lockfile = (lock, base)
    return _lockfile


_identity: dict[str, str] | None = None


def runtime_identity() -> dict[str, str]:
    """Python, Pyodide and a sha256 of the lockfile as JavaScript holds it (no conversion)."""
    global _identity
    if _identity is None:
        import hashlib
        import sys

        _identity = {"python": sys.version, "platform": sys.platform}
        if IN_PYODIDE:
            import js  # type: ignore[import-not-found]
            import pyodide_js  # type: ignore[import-not-found]

            lock = str(js.JSON.stringify(pyodide_js._api.lockfile))
            _identity.update(pyodide=str(pyodide_js.version), lock=hashlib.sha256(lock.encode()).hexdigest(),
                             base=str(getattr(pyodide_js, "lockfileBaseUrl", "") or ""))
    return _identity


def lockfile_entry(*keys: str) -> tuple[object, str] | None:
    """One entry of the running Pyodide's lockfile, by its keys from the top (``"packages", name``;
    None when absent), and the lock's base URL, without converting the whole lock: a first install
    asks for its pages before that."""
    if _lockfile is not None:
        value: object = _lockfile[0]
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value, _lockfile[1]
    if not IN_PYODIDE:
        return None
    import pyodide_js  # type: ignore[import-not-found]

    value = pyodide_js._api.lockfile
    for key in keys:
        value = getattr(value, key, None) if value is not None else None
    if hasattr(value, "to_py"):
        value = value.to_py()
    return value, str(getattr(pyodide_js, "lockfileBaseUrl", "") or "")


def lock_file_url(file_name: str, base_url: str) -> str:
    """Where a lockfile entry's ``file_name`` is: as given when absolute, else against the lock's base."""
    import urllib.parse
    if "://" in file_name or not base_url:
        return file_name
    return urllib.parse.urljoin(base_url, file_name)


def lock_file_basename(file_name: str) -> str:
    """The wheel's own name in a lockfile entry's ``file_name`` (which may be a URL or a path)."""
    import urllib.parse
    return posixpath.basename(urllib.parse.urlsplit(file_name).path)


def normalized_name(name: str) -> str:
    """PEP 503 normalization, without importing packaging (``micropip.index.early`` runs before it)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def loaded_packages() -> dict[str, str]:
    """``pyodide.loadedPackages`` as a dict (name -> where it came from); empty off the browser."""
    if not IN_PYODIDE:
        return {}
    import pyodide_js  # type: ignore[import-not-found]

    loaded = pyodide_js.loadedPackages
    try:
        return {str(k): str(v) for k, v in loaded.to_py().items()}
    except Exception:  # not a plain object in some releases: read what we can
        return {}


def record_loaded_packages(sources: dict[str, str]) -> None:
    """Tell Pyodide's loader what micropip installed (name -> source), so ``loadPackage``
    does not load the same package again and tools reading ``loadedPackages`` see it."""
    if not IN_PYODIDE or not sources:
        return
    import pyodide_js  # type: ignore[import-not-found]

    loaded = pyodide_js.loadedPackages
    for name, source in sources.items():
        try:
            setattr(loaded, name, source)
        except Exception:  # a read-only view in some releases: nothing to record
            pass


def forget_loaded_packages(names: list[str]) -> None:
    """Tell Pyodide's loader that uninstalled packages are gone, so loadPackage can load them again.

    Names match whatever their spelling in ``loadedPackages`` (``Bottleneck``, ``astropy_iers_data``).
    """
    if not IN_PYODIDE or not names:
        return
    import pyodide_js  # type: ignore[import-not-found]

    loaded = pyodide_js.loadedPackages
    wanted = {normalized_name(n) for n in names}
    for key in [k for k in loaded_packages() if normalized_name(k) in wanted] or list(names):
        try:
            if hasattr(loaded, key):
                delattr(loaded, key)
        except Exception:  # a read-only view in some releases: nothing to forget
            pass


def from_js(value):
    """A value passed in from JavaScript (an array, a plain object) as a Python list or dict; others as they are."""
    if not IN_PYODIDE:
        return value
    from pyodide.ffi import JsProxy  # type: ignore[import-not-found]

    if isinstance(value, JsProxy):
        return value.to_py()
    return value


# What each optional part brings, for the message when it cannot be loaded.
_PART_PURPOSE = {"micropip-sdist": "building sdists (build_sdists=True)", "micropip-pylock": "reading pylock.toml"}


async def load_optional_part(package: str, module: str) -> None:
    """Make ``module`` (a part of micropip the bundle ships as its own wheel) importable.

    The browser bundle keeps rarely used stages (the sdist builder) out of the wheel every
    page downloads; Pyodide's lock lists them, and its loader fetches one on first use.
    A micropip that came some other way (a lock without the parts, ``loadPackage(url)``)
    looks for the part's wheel beside its own, where ``pyodide-pm bundle`` writes both.
    Nothing happens when ``module`` is already importable (on the host, a full install).
    Raises ``OptionalPartError`` naming what was tried and how to get the part.
    """
    import importlib
    import importlib.util

    if importlib.util.find_spec(module) is not None:
        return
    if not IN_PYODIDE:
        from ..errors import OptionalPartError

        raise OptionalPartError(f"{module} is not installed: install micropip with its optional parts (pip install micropip)")
    tried: list[str] = []
    found = pyodide_lockfile()
    lock = found[0] if found else {}
    own = _own_wheel_url()
    attempts = []
    if normalized_name(package) in {normalized_name(k) for k in (lock.get("packages") or {})}:
        attempts.append((package, "its entry in Pyodide's lockfile"))
    else:
        tried.append(f"Pyodide's lockfile has no {package!r} entry")
    if own is not None:
        folder, _, filename = own.rpartition("/")
        version = filename.split("-")[1] if filename.count("-") >= 4 else ""
        beside = f"{folder}/{package.replace('-', '_')}-{version}-py3-none-any.whl"
        attempts.append((beside, f"{beside} (beside micropip's own wheel)"))
    for target, what in attempts:
        messages = await _load_package(target)
        importlib.invalidate_caches()
        if importlib.util.find_spec(module) is not None:
            return
        tried.append(f"{what} did not load ({'; '.join(messages) or 'no message'})")
    if own is None:
        tried.append("where micropip's own wheel came from is unknown, so nothing beside it could be tried")
    from ..errors import OptionalPartError

    raise OptionalPartError(
        f"micropip's optional part {package!r} ({module}, for {_PART_PURPOSE.get(package, 'this feature')}) could not be "
        f"loaded: {'; '.join(tried)}. Load micropip from a bundle made by `pyodide-pm bundle DIR` (its "
        f"pyodide-lock.json lists the optional parts), or serve the part's wheel from that bundle beside micropip's own"
    )


async def _load_package(name_or_url: str) -> list[str]:
    """``pyodide.loadPackage`` of one name or wheel URL; what it said (it resolves even when a download failed)."""
    import js  # type: ignore[import-not-found]
    import pyodide_js  # type: ignore[import-not-found]
    from pyodide.ffi import create_proxy, to_js  # type: ignore[import-not-found]

    messages: list[str] = []
    keep = create_proxy(messages.append)
    try:
        options = to_js({"messageCallback": keep, "errorCallback": keep}, dict_converter=js.Object.fromEntries)
        await pyodide_js.loadPackage(to_js([name_or_url]), options)
    except Exception as exc:  # a JsException: a name or URL the loader refuses outright
        messages.append(str(exc))
    finally:
        keep.destroy()
    return [m for m in messages if not m.startswith("Loading ")]


def _own_wheel_url() -> str | None:
    """Where micropip's own wheel was loaded from: the loader's record, Pyodide's lock entry, or the wheel's metadata."""
    source = loaded_packages().get("micropip", "")
    if "/" in source and source.endswith(".whl"):
        return source  # loadPackage(url) records the URL
    found = pyodide_lockfile()
    entry = ((found[0].get("packages") or {}).get("micropip") if found else None) or {}
    if isinstance(entry, dict) and str(entry.get("file_name", "")).endswith(".whl") and found is not None:
        url = lock_file_url(str(entry["file_name"]), found[1])
        try:
            import importlib.metadata

            installed = importlib.metadata.version("micropip")
        except Exception:
            installed = None
        if installed is None or f"-{installed}-" in url:  # the entry is the micropip that runs
            return url
    try:
        import importlib.metadata

        text = importlib.metadata.distribution("micropip").read_text("PYODIDE_SOURCE") or ""
    except Exception:
        text = ""
    return text.strip() if text.strip().endswith(".whl") else None
