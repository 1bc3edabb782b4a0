"""An authenticated install in Chromium from pypiserver on another origin (issue 16).

The page is served from one loopback origin, pypiserver (htpasswd user, every
action authenticated) sits on another behind the recording proxy that answers
CORS preflights, as a deployment would put it behind a CORS-aware front end.
A browser refuses ``fetch`` on a URL with user-info, so micropip must turn the
URL's ``user:password@`` into an ``Authorization`` header itself.
"""

from __future__ import annotations

import pytest

from .harness.third_party_indexes import basic_auth

pytestmark = pytest.mark.browser

GREETING_SET = {"greeting": "1.1", "colorama-lite": "0.2", "textwrap3-lite": "1.0"}


def test_authenticated_install_cross_origin(browser_page, pypiserver_auth):
    srv = pypiserver_auth
    srv.proxy.reset()
    requested: list[str] = []
    browser_page.page.on("request", lambda req: requested.append(req.url))
    url = srv.simple_url_with_credentials()

    browser_page.run(f"await micropip.install('greeting', index_urls=[{url!r}])")

    got = browser_page.run(
        "import importlib.metadata as m; {n: m.version(n) for n in ['greeting', 'colorama-lite', 'textwrap3-lite']}"
    )
    assert got == GREETING_SET
    assert browser_page.run("import greeting; greeting.hello('browser')") == "Hello, browser!"
    seen = srv.proxy.snapshot()
    gets = [r for r in seen if r.method == "GET"]
    assert gets and {r.authorization for r in gets} == {basic_auth(srv.user, srv.password)}
    assert all(r.status == 200 for r in gets), gets
    assert any(r.method == "OPTIONS" for r in seen), "a cross-origin request with Authorization is preflighted"
    # the password travels only in the header: never in a URL, the console or the frozen environment
    assert [u for u in requested if srv.password in u] == []
    assert [line for line in browser_page.console if srv.password in line] == []
    assert srv.password not in browser_page.run("micropip.freeze()")


def test_the_proxy_lets_a_page_send_authorization_cross_origin(browser_page, pypiserver_auth):
    """The set-up itself: with the header written by hand, Chromium gets through (preflight, then 200).

    So a failure of the test above is micropip's, not the proxy's or pypiserver's.
    """
    srv = pypiserver_auth
    srv.proxy.reset()
    header = basic_auth(srv.user, srv.password)
    statuses = browser_page.run(
        f"""
from pyodide.http import pyfetch
page = {srv.simple_url + 'greeting/'!r}
ok = await pyfetch(page, headers={{'Authorization': {header!r}}})
text = await ok.string()
denied = await pyfetch(page)
[ok.status, 'greeting-1.1-py3-none-any.whl' in text, denied.status]
"""
    )
    assert statuses == [200, True, 401]
    assert [r.method for r in srv.proxy.snapshot()].count("OPTIONS") >= 1
