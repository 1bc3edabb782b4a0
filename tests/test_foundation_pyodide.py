"""Foundation checks in real Pyodide under Node: the bundle boots, the index answers pyfetch."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.pyodide


def test_bundle_boots_and_imports(pyodide):
    versions = pyodide.run(
        "import micropip, packaging, resolvelib, lockfile, sys; "
        "[micropip.__version__, packaging.__version__, resolvelib.__version__, sys.platform, sys.version_info[:2]]"
    )
    assert versions[1] == "26.2" and versions[3] == "emscripten" and versions[4] == [3, 14]


def test_running_tags_include_pep783_platform(pyodide):
    tags = pyodide.run("from micropip.resolution.environment import TargetEnvironment as T; e = T.current(); [str(t) for t in e.tags[:3]] + [e.abi_version]")
    assert tags[0] == "cp314-cp314-pyemscripten_2026_0_wasm32"
    assert "cp314-cp314-pyodide_2026_0_wasm32" in tags and tags[-1] == "2026_0"


def test_index_apis_answer_pyfetch(pyodide):
    base = pyodide.index_url.replace("/simple/", "/")
    result = pyodide.run(
        f"""
from pyodide.http import pyfetch
import json, hashlib
out = {{}}
r = await pyfetch({pyodide.index_url + 'greeting/'!r}, headers={{'Accept': 'application/vnd.pypi.simple.v1+json'}})
page = await r.json()
out['json'] = [r.headers.get('content-type'), page['name'], sorted(f['filename'] for f in page['files'])]
r = await pyfetch({pyodide.index_url + 'greeting/'!r}, headers={{'Accept': 'text/html'}})
out['html'] = [r.headers.get('content-type'), 'greeting-1.1-py3-none-any.whl' in await r.string()]
r = await pyfetch({base + 'pypi/greeting/json'!r})
api = await r.json()
out['api'] = [api['info']['name'], api['info']['version'], sorted(api['releases'])]
f = next(x for x in page['files'] if x['filename'] == 'greeting-1.1-py3-none-any.whl')
from urllib.parse import urljoin
wheel = await (await pyfetch(urljoin({pyodide.index_url + 'greeting/'!r}, f['url']))).bytes()
meta = await (await pyfetch(urljoin({pyodide.index_url + 'greeting/'!r}, f['url']) + '.metadata')).bytes()
out['hashes'] = [hashlib.sha256(wheel).hexdigest() == f['hashes']['sha256'],
                 hashlib.sha256(meta).hexdigest() == f['core-metadata']['sha256']]
json.dumps(out)
"""
    )
    out = json.loads(result)
    assert out["json"][0].startswith("application/vnd.pypi.simple.v1+json")
    assert out["json"][1] == "greeting" and out["json"][2] == ["greeting-1.0-py3-none-any.whl", "greeting-1.1-py3-none-any.whl"]
    assert out["html"][0].startswith(("application/vnd.pypi.simple.v1+html", "text/html")) and out["html"][1]
    assert out["api"] == ["greeting", "1.1", ["1.0", "1.1"]]
    assert out["hashes"] == [True, True]
