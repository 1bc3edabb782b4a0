"""Which index pages a first install asks for before its machinery is imported (``micropip.index.early``)."""

from __future__ import annotations

import asyncio

from micropip.index import early


def test_only_plainly_named_roots_have_pages():
    reqs = ["rich", "Foo_Bar[x]>=1", "x @ https://h/x-1-py3-none-any.whl", "https://h/b-1-py3-none-any.whl",
            "emfs:/a-1-py3-none-any.whl", "-r req.txt", "numpy ; python_version > '3'", "a==1 --hash=sha256:ab",
            "./x-1-py3-none-any.whl", "RICH", "name (>=1)"]
    assert early.root_names(reqs) == ["rich", "foo-bar", "numpy", "a", "name"]
    assert early.root_names("attrs>=23") == ["attrs"]


def _asked(monkeypatch, requirements, index_urls, lock=None) -> int:
    monkeypatch.setattr(early.transport, "pyodide_lockfile", lambda: lock)

    async def go() -> int:
        try:
            return early.start(requirements, index_urls, None)
        finally:
            early.discard()

    return asyncio.run(go())


def test_roots_in_pyodides_lock_and_refused_indexes_are_not_asked(monkeypatch):
    lock = ({"packages": {"numpy": {"name": "numpy"}, "pyyaml": {"name": "PyYAML"}}}, "")
    # Pyodide's lock provides these: its version is taken without asking any index.
    assert _asked(monkeypatch, ["numpy", "PyYAML>=6"], ["http://127.0.0.1:9/simple"], lock) == 0
    # Plain http to a remote host: IndexClient refuses it before any request, so must this.
    assert _asked(monkeypatch, ["rich"], ["http://index.example/simple"]) == 0
    assert _asked(monkeypatch, ["rich"], []) == 0


def test_every_module_of_the_piecewise_import_exists():
    import importlib

    import micropip

    assert micropip.head_start.MACHINERY[-1] == "micropip.package_manager"
    for name in micropip.head_start.MACHINERY:
        importlib.import_module(name)



def test_the_lockfile_closure_of_bare_roots_only():
    from micropip.resolution.lock_only import lock_closure

    lock = {"packages": {
        "ipython": {"name": "ipython", "depends": ["Prompt_Toolkit", "traitlets"], "file_name": "i.whl"},
        "prompt-toolkit": {"name": "prompt-toolkit", "depends": ["wcwidth"], "file_name": "p.whl"},
        "traitlets": {"name": "traitlets", "depends": [], "file_name": "t.whl"},
        "wcwidth": {"name": "wcwidth", "depends": [], "file_name": "w.whl"},
        "libfoo": {"name": "libfoo", "depends": [], "file_name": "l.zip", "package_type": "shared_library"},
        "numpy": {"name": "numpy", "depends": ["libfoo"], "file_name": "n.whl"},
    }}
    names = lambda entries: sorted(e["name"] for e in entries)  # noqa: E731
    assert names(lock_closure(["IPython"], lock)) == ["ipython", "prompt-toolkit", "traitlets", "wcwidth"]
    assert names(lock_closure("ipython", lock, deps=False)) == ["ipython"]
    assert names(lock_closure(["ipython"], lock, loaded=["traitlets"])) == ["ipython", "prompt-toolkit", "wcwidth"]
    assert names(lock_closure(["numpy"], lock)) == ["numpy"]  # shared libraries are Pyodide's to load
    # A version, extras or a marker may rule the lock's version out or need more: not guessed.
    assert lock_closure(["ipython<9", "ipython[all]", "ipython; python_version>'3'", "rich"], lock) == []
