"""micropip called from JavaScript, as PyScript and JupyterLite's kernel do, in real Pyodide (Node)."""

from __future__ import annotations

import pytest

from .snippets import installed_version

pytestmark = pytest.mark.pyodide


def test_install_takes_a_js_array_and_an_options_object(pyodide):
    # PyScript: micropip.install(jsArray, {keep_going: true}) -- the options object arrives positionally.
    pyodide.run(
        "from pyodide.code import run_js\n"
        "call = run_js('(m, index) => m.install([\"demo-app\", \"bt-leaf==1.0\"], {keep_going: true, index_urls: [index]})')\n"
        "await call(micropip, INDEX_URL)".replace("INDEX_URL", repr(pyodide.index_url))
    )
    assert pyodide.run(installed_version("demo-app")) == "1.0"
    assert pyodide.run(installed_version("bt-leaf")) == "1.0"


def test_set_index_urls_takes_a_js_array(pyodide, fixture_index):
    pyodide.run(
        "from pyodide.code import run_js\n"
        f"run_js('(m, url) => m.set_index_urls([url])')(micropip, {fixture_index.simple_url!r})\n"
        "await micropip.install('greeting')"
    )
    assert pyodide.run(installed_version("greeting")) == "1.1"


def test_a_lock_package_installs_when_the_index_is_unreachable(pyodide, fixture_index):
    """An offline JupyterLite site: the kernel's packages are in Pyodide's lock, the index is down."""
    # a pure-Python package known to the lock (its wheel on the fixture server), as in the kernel's lock
    pyodide.run(
        "import json\n"
        "from micropip.transport import pyodide_lockfile\n"
        "lock, base = pyodide_lockfile()\n"
        "lock = json.loads(json.dumps(lock))\n"
    )
    sha = pyodide.run(
        "from pyodide.http import pyfetch\n"
        f"r = await pyfetch({fixture_index.simple_url!r} + 'textwrap3-lite/', headers={{'Accept': 'application/vnd.pypi.simple.v1+json'}})\n"
        "page = await r.json()\n"
        "f = [f for f in page['files'] if f['filename'] == 'textwrap3_lite-1.0-py3-none-any.whl'][0]\n"
        "from urllib.parse import urljoin\n"
        f"file_url = urljoin({fixture_index.simple_url!r} + 'textwrap3-lite/', f['url'])\n"
        "lock['packages']['textwrap3-lite'] = {'name': 'textwrap3-lite', 'version': '1.0', 'file_name': file_url,"
        " 'install_dir': 'site', 'sha256': f['hashes']['sha256'], 'package_type': 'package', 'imports': ['textwrap3_lite'],"
        " 'depends': [], 'unvendored_tests': False, 'shared_library': False}\n"
        "micropip._get_manager().lock_override = (lock, base)\n"
        "f['hashes']['sha256']"
    )
    assert len(sha) == 64
    pyodide.run("micropip.set_index_urls(['http://127.0.0.1:9/simple/'])")  # nothing listens on port 9
    pyodide.run("import micropip.transport; micropip.transport.DEFAULT_TIMEOUT = 5\nawait micropip.install('textwrap3-lite')")
    assert pyodide.run(installed_version("textwrap3-lite")) == "1.0"


def test_a_package_from_pyodides_lock_keeps_the_locks_dependencies(pyodide):
    """Pyodide's ipython 9 names ipython-pygments-lexers in its METADATA but not in the lock's
    `depends`; a kernel that loaded it must not need that project (as with Pyodide's micropip)."""
    pyodide.run("await micropip.install('greeting==1.1', deps=False)")  # installed, its dependencies not
    pyodide.run(
        "import json\n"
        "from micropip.transport import pyodide_lockfile\n"
        "lock, base = pyodide_lockfile()\n"
        "lock = json.loads(json.dumps(lock))\n"
        "lock['packages']['greeting'] = {'name': 'greeting', 'version': '1.1', 'file_name': 'greeting-1.1-py3-none-any.whl',"
        " 'install_dir': 'site', 'sha256': '0' * 64, 'package_type': 'package', 'imports': ['greeting'],"
        " 'depends': [], 'unvendored_tests': False, 'shared_library': False}\n"
        "micropip._get_manager().lock_override = (lock, base)\n"
        "await micropip.install('greeting')"
    )
    assert pyodide.run(installed_version("colorama-lite")) is None
    # without the lock entry, the installed METADATA is the authority: its dependencies come in
    pyodide.run("micropip._get_manager().lock_override = None\nawait micropip.install('greeting')")
    assert pyodide.run(installed_version("colorama-lite")) == "0.2"
