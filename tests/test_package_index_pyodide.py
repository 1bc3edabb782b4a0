"""micropip.package_index: the surface piplite (JupyterLite) patches, in real Pyodide (Node).

piplite replaces ``query_package`` around ``await micropip.install(...)`` and answers from
its own ``all.json`` (JSON API ``releases`` per project), falling back to the function it
imported before patching. These tests do the same with our own code.
"""

from __future__ import annotations

import pytest

from .harness.pyodide_node import PyodideError

pytestmark = pytest.mark.pyodide

# A piplite-style lookup: one project answered from a local "all.json"-like table, the rest
# handed to the original function captured before the patch.
PATCHED_LOOKUP = """
import json
from unittest.mock import patch
from urllib.parse import urljoin
import micropip
from micropip.package_index import CompatibilityLayer, ProjectInfo
from micropip.package_index import query_package as original_query_package

asked = []

async def all_json_lookup(name, index_urls=None, *, compat_layer, fetch_kwargs=None):
    asked.append(name)
    if name == "demo-app":
        page_url = INDEX + "demo-app/json"
        text, headers = await compat_layer.fetch_string_and_headers(page_url, fetch_kwargs or {})
        releases = json.loads(text)["releases"]
        for files in releases.values():  # as piplite does: all.json's relative URLs made absolute
            for f in files:
                f["url"] = urljoin(page_url, f["url"])
        return ProjectInfo._compatible_only(name, releases)
    return await original_query_package(name=name, index_urls=index_urls, compat_layer=compat_layer,
                                        fetch_kwargs=fetch_kwargs)
"""


def test_a_replaced_query_package_answers_every_lookup(pyodide, fixture_index):
    json_api = fixture_index.url + "pypi/"
    pyodide.run(f"INDEX = {json_api!r}\n" + PATCHED_LOOKUP)
    # The configured index knows nothing: only the patched lookup can find the packages.
    pyodide.run("micropip.set_index_urls([INDEX.replace('/pypi/', '/nothing-here/')])")
    pyodide.run(
        "with patch('micropip.package_index.query_package', all_json_lookup):\n"
        f"    await micropip.install('demo-app', index_urls=[{fixture_index.simple_url!r}])"
    )
    asked = pyodide.run("asked")
    assert asked[0] == "demo-app"
    assert set(asked) >= {"demo-app", "greeting"}  # its dependencies went through the patch too
    assert pyodide.run("import demo_app; demo_app.__name__") == "demo_app"
    # Without the patch, lookups take our own path again.
    pyodide.run("asked.clear()")
    pyodide.run(f"await micropip.install('bt-leaf', index_urls=[{fixture_index.simple_url!r}])")
    assert pyodide.run("asked") == []


def test_query_package_reads_every_index_format(pyodide, fixture_index):
    info = pyodide.run(
        "from micropip.package_index import query_package\n"
        f"info = await query_package('greeting', [{fixture_index.simple_url!r}])\n"
        "(info.name, sorted(str(v) for v in info.releases), sorted(f.filename for f in info.files))"
    )
    assert info[0] == "greeting"
    assert info[1] == ["1.0", "1.1"]
    assert info[2] == ["greeting-1.0-py3-none-any.whl", "greeting-1.1-py3-none-any.whl"]


def test_an_unknown_project_raises_value_error(pyodide, fixture_index):
    with pytest.raises(PyodideError) as err:
        pyodide.run(
            "from micropip.package_index import query_package\n"
            "try:\n"
            f"    await query_package('no-such-project', [{fixture_index.simple_url!r}])\n"
            "except ValueError as exc:\n"
            "    raise RuntimeError('caught as ValueError: ' + str(exc))"
        )
    assert "caught as ValueError: Can't fetch metadata for 'no-such-project'" in str(err.value)


def test_a_replacement_that_returns_the_wrong_type_is_named(pyodide, fixture_index):
    with pytest.raises(PyodideError) as err:
        pyodide.run(
            "from unittest.mock import patch\n"
            "async def wrong(name, index_urls=None, *, compat_layer, fetch_kwargs=None):\n"
            "    return {'releases': {}}\n"
            "with patch('micropip.package_index.query_package', wrong):\n"
            "    await micropip.install('demo-app')"
        )
    assert "must return a micropip.package_index.ProjectInfo" in str(err.value)
