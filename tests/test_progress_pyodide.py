"""Progress events and the default displays, in real Pyodide (Node) against the fixture index."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from index_server.server import start_static_server
from pyodide_pm.lock import create_lock
from micropip.progress import (
    DownloadStarted,
    Done,
    FileDownloadFinished,
    NotebookDisplay,
    Reporter,
    format_bytes,
    summary_text,
)

from .conftest import FIXTURE_WHEELS, REPO_ROOT
from .harness.pyodide_node import PyodideError

DEMO_TREE = {"demo-app": "1.0", "greeting": "1.1", "colorama-lite": "0.2", "textwrap3-lite": "1.0"}

# Collects every event as plain data; a list the test reads back.
COLLECT = """
import micropip
_events = []
def _collect(event):
    _events.append(event.to_dict())
"""

# Captures what the micropip logger prints (the text display).
CAPTURE_LOG = """
import io, logging
_log = io.StringIO()
_handler = logging.StreamHandler(_log)
_handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
logging.getLogger("micropip").addHandler(_handler)
"""

# A stand-in for IPython in a kernel: get_ipython() returns a shell with a display
# publisher, and display(..., display_id=True) returns a handle that records updates.
FAKE_IPYTHON = """
import sys, types
_shown = []
class _Handle:
    def update(self, obj):
        _shown.append(("update", repr(obj), obj._repr_html_()))
def _display(obj, display_id=False):
    _shown.append(("display", repr(obj), obj._repr_html_(), display_id))
    return _Handle()
class _Shell:
    display_pub = object()
_ipython = types.ModuleType("IPython")
_ipython.get_ipython = lambda: _Shell()
_ipython_display = types.ModuleType("IPython.display")
_ipython_display.display = _display
_ipython.display = _ipython_display
sys.modules["IPython"] = _ipython
sys.modules["IPython.display"] = _ipython_display
"""


def kinds(events: list[dict]) -> list[str]:
    return [e["event"] for e in events]


@pytest.mark.pyodide
def test_install_reports_every_stage_in_order(pyodide, fixture_index):
    pyodide.run(COLLECT)
    pyodide.run("await micropip.install('demo-app', progress=_collect)")
    events = pyodide.run("_events")
    names = kinds(events)
    assert names[:3] == ["ResolutionStarted", "ResolutionFinished", "DownloadStarted"]
    assert events[0]["requirements"] == ["demo-app"]
    assert events[1]["n_packages"] == 4 and events[1]["to_install"] == 4
    download = events[2]
    assert download["total_files"] == 4
    files = [e for e in events if e["event"] == "FileDownloadFinished"]
    assert sorted(e["name"] for e in files) == sorted(DEMO_TREE)
    assert download["total_bytes"] == sum(e["bytes"] for e in files)
    assert all(e["bytes"] > 0 for e in files)
    # each file: started, advanced (at completion: downloads arrive whole), finished
    for name in DEMO_TREE:
        per_file = [e["event"] for e in events if e.get("name") == name and e["event"].startswith("FileDownload")]
        assert per_file == ["FileDownloadStarted", "FileDownloadAdvanced", "FileDownloadFinished"], name
        advanced = next(e for e in events if e["event"] == "FileDownloadAdvanced" and e["name"] == name)
        assert advanced["bytes_done"] == advanced["size"]
    on_disk = {f"{e['name']}": (FIXTURE_WHEELS / e["filename"]).stat().st_size for e in files}
    assert {e["name"]: e["bytes"] for e in files} == on_disk
    last_download = max(i for i, n in enumerate(names) if n.startswith("FileDownload"))
    install_at = names.index("InstallStarted")
    assert install_at > last_download
    installed = [e for e in events[install_at:] if e["event"] == "PackageInstalled"]
    assert {e["name"]: e["version"] for e in installed} == DEMO_TREE
    done = events[-1]
    assert done["event"] == "Done" and names.count("Done") == 1
    assert sorted(map(tuple, done["installed"])) == sorted(DEMO_TREE.items())
    assert 0 < done["seconds"] < 60 and done["dry_run"] is False
    assert done["summary"].startswith("Installed 4 packages in ")
    assert " + demo-app==1.0" in done["summary"].splitlines()
    # the packages really are there
    assert pyodide.run("import greeting; greeting.hello()") == "Hello, world!"


@pytest.mark.pyodide
def test_failure_ends_with_failed_and_still_raises(pyodide):
    pyodide.run(COLLECT)
    with pytest.raises(PyodideError) as info:
        pyodide.run("await micropip.install(['conflict-a', 'conflict-b'], progress=_collect)")
    assert info.value.type == "ResolutionError"
    events = pyodide.run("_events")
    assert kinds(events) == ["ResolutionStarted", "Failed"]
    assert events[-1]["error_type"] == "ResolutionError"
    assert events[-1]["error"] == info.value.message
    assert "shared" in events[-1]["error"]


@pytest.mark.pyodide
def test_a_failing_callback_is_logged_not_fatal(pyodide):
    pyodide.run(CAPTURE_LOG)
    pyodide.run(
        """
_calls = []
def _broken(event):
    _calls.append(type(event).__name__)
    raise RuntimeError("display went away")
await micropip.install('greeting', progress=_broken)
"""
    )
    assert pyodide.run("import greeting; greeting.__name__") == "greeting"
    calls = pyodide.run("_calls")
    assert calls[0] == "ResolutionStarted" and calls[-1] == "Done"
    log = pyodide.run("_log.getvalue()")
    assert log.count("display went away") == 1 and "WARNING" in log


@pytest.mark.pyodide
def test_dry_run_and_nothing_to_do_end_with_done(pyodide):
    pyodide.run(COLLECT)
    pyodide.run("await micropip.install('greeting', dry_run=True, progress=_collect)")
    events = pyodide.run("_events")
    assert kinds(events) == ["ResolutionStarted", "ResolutionFinished", "Done"]
    assert events[-1]["dry_run"] is True and events[-1]["summary"].startswith("Would install 3 packages")
    pyodide.run("await micropip.install('greeting'); _events.clear()")
    pyodide.run("await micropip.install('greeting', progress=_collect)")
    events = pyodide.run("_events")
    assert kinds(events) == ["ResolutionStarted", "ResolutionFinished", "Done"]
    assert events[1]["n_packages"] == 3 and events[1]["to_install"] == 0
    assert events[-1]["installed"] == [] and events[-1]["summary"].startswith("Nothing to install")


@pytest.mark.pyodide
def test_default_is_quiet_and_verbose_logs_pips_words(pyodide):
    pyodide.run(CAPTURE_LOG)
    pyodide.run("await micropip.install('demo-app')")
    assert pyodide.run("_log.getvalue()") == ""  # like Pyodide's micropip: the logger's level decides

    pyodide.run("await micropip.install('bt-top', verbose=True)")
    log = pyodide.run("_log.getvalue()")
    assert "INFO Collecting bt-top" in log and "INFO Installing collected packages: " in log
    assert "INFO   Downloading bt_top-2.0-py3-none-any.whl" in log
    assert "INFO Successfully installed bt-leaf-2.0, bt-mid-2.0, bt-top-2.0" in log

    pyodide.run("_log.seek(0); _log.truncate()")
    pyodide.run("await micropip.install('markerpkg', verbose=False)")
    assert pyodide.run("_log.getvalue()") == ""
    assert pyodide.run("import markerpkg; markerpkg.__name__") == "markerpkg"


@pytest.mark.pyodide
def test_level_is_not_left_changed_and_the_users_level_rules(pyodide):
    pyodide.run(CAPTURE_LOG)
    pyodide.run("await micropip.install('greeting', verbose=True)")
    assert pyodide.run("import logging; logging.getLogger('micropip').level") == 0
    # a level the user chose is respected: INFO shows pip's lines without verbose=True
    pyodide.run("_log.seek(0); _log.truncate(); logging.getLogger('micropip').setLevel(logging.INFO)")
    pyodide.run("await micropip.install('demo-app')")
    assert "INFO Successfully installed demo-app-1.0" in pyodide.run("_log.getvalue()")


@pytest.mark.pyodide
def test_notebook_display_is_one_area_updated_in_place(pyodide):
    pyodide.run(FAKE_IPYTHON + CAPTURE_LOG)
    pyodide.run("await micropip.install('demo-app')")
    shown = pyodide.run("_shown")
    assert [s[0] for s in shown].count("display") == 1 and shown[0][0] == "display"
    assert shown[0][3] is True  # display_id=True, so it can be updated
    assert len(shown) > 5 and all(s[0] == "update" for s in shown[1:])
    texts = [s[1] for s in shown]
    assert texts[0].startswith("Resolving demo-app")
    assert any(t.startswith("Downloading: 4/4 files") for t in texts)
    assert any(t.startswith("Installing 4 packages") for t in texts)
    final_text, final_html = shown[-1][1], shown[-1][2]
    assert final_text.startswith("Installed 4 packages in ")
    assert " + demo-app==1.0" in final_text.splitlines()
    assert "<pre>" in final_html and "+ demo-app==1.0" in final_html
    progress_html = next(s[2] for s in shown if s[1].startswith("Downloading: 4/4"))
    assert '<progress max="100" value="100"' in progress_html
    # the notebook display replaces the log lines (no duplicate summary)
    assert pyodide.run("_log.getvalue()") == ""


@pytest.mark.pyodide
def test_no_ipython_shell_means_no_display(pyodide):
    pyodide.run(FAKE_IPYTHON + CAPTURE_LOG + "_ipython.get_ipython = lambda: None")
    pyodide.run("await micropip.install('greeting')")
    assert pyodide.run("_shown") == []
    assert pyodide.run("_log.getvalue()") == ""


@pytest.mark.pyodide
def test_application_default_callback(pyodide):
    pyodide.run(COLLECT + "import micropip.progress; micropip.progress.set_default_callback(_collect)")
    pyodide.run("await micropip.install('greeting')")
    assert pyodide.run("_events")[-1]["event"] == "Done"
    pyodide.run("micropip.progress.set_default_callback(None); _events.clear()")
    pyodide.run("await micropip.install('demo-app')")
    assert pyodide.run("_events") == []


@pytest.mark.pyodide
def test_install_lockfile_reports_progress(pyodide, fixture_index, tmp_path):
    job = create_lock(["demo-app"], output=str(tmp_path / "pylock.toml"), pyodide="314.0.7", index_urls=[fixture_index.simple_url])
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, job).result()
    (tmp_path / "pylock.toml").write_text(result.text)
    with start_static_server({"/locks/": tmp_path}) as server:
        url = server.url + "locks/pylock.toml"
        pyodide.run(COLLECT)
        pyodide.run(f"await micropip.install_lockfile({url!r}, progress=_collect)")
        events = pyodide.run("_events")
        assert events[0] == {"event": "ResolutionStarted", "requirements": [url]}
        assert kinds(events)[1:3] == ["ResolutionFinished", "DownloadStarted"]
        assert kinds(events).count("FileDownloadFinished") == 4
        assert sorted(map(tuple, events[-1]["installed"])) == sorted(DEMO_TREE.items())
        # install(lockfile=...) forwards progress too
        pyodide.run("_events.clear()")
        pyodide.run(f"await micropip.install('greeting', lockfile={url!r}, reinstall=True, progress=_collect)")
        assert pyodide.run("_events")[-1]["event"] == "Done"


# ---- host CPython: the pieces alone -------------------------------------------------------------


def test_summary_text_like_uv():
    assert summary_text([("demo-app", "1.0"), ("greeting", "1.1")], 0.6134) == (
        "Installed 2 packages in 0.61 s\n + demo-app==1.0\n + greeting==1.1"
    )
    assert summary_text([("a", "1")], 12.34).startswith("Installed 1 package in 12.3 s")
    assert summary_text([], 1.0).startswith("Nothing to install")
    assert Done([("a", "1")], 0.1, dry_run=True).summary == "Would install 1 package\n + a==1"
    assert [format_bytes(n) for n in (None, 999, 6123, 2_500_000)] == ["? B", "999 B", "6.1 kB", "2.5 MB"]


def test_notebook_display_falls_back_to_file_counts_without_sizes():
    shown = []

    class Handle:
        def update(self, view):
            shown.append(view)

    display = NotebookDisplay(lambda view, display_id: shown.append(view) or Handle())

    display(DownloadStarted(2, None))
    display(FileDownloadFinished("a", "a-1-py3-none-any.whl", 10))
    assert display.fraction() == 0.5
    assert 'value="50"' in shown[-1]._repr_html_() and "Downloading: 1/2 files" in repr(shown[-1])


def test_reporter_without_callback_or_display_is_silent():
    reporter = Reporter(False)
    assert reporter.callback is None
    reporter(Done([], 0.0))  # no error
    assert Reporter(None, verbose=False).callback is None  # outside a notebook nothing is shown


def test_import_micropip_stays_cheap():
    code = "import sys, micropip; print(sorted(m for m in ('IPython', 'micropip.progress', 'micropip.magics', 'micropip.package_manager') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
