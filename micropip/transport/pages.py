"""Big PEP 691 project pages thinned in JavaScript before Python reads them (``page.mjs``)."""

from __future__ import annotations

from collections.abc import Iterable

from .js_modules import js_module
from .response import IN_PYODIDE

# Below these the JavaScript round trip saves nothing worth having: the page's size, and
# how many wheels built for some platform its first SAMPLE_BYTES name (botocore's 2 MB
# page has none).
THIN_MIN_BYTES = 128 * 1024
SAMPLE_BYTES = 256 * 1024
THIN_MIN_PLATFORM_WHEELS = 50


async def thin_project_page(
    body: bytes, platforms: Iterable[str]
) -> tuple[bytes, tuple[tuple[str, bool], ...]] | None:
    """The page without the wheels built only for platforms other than ``platforms``, and
    those wheels' ``(filename, yanked)``; None when not in Pyodide, small, or not PEP 691 JSON.

    What is dropped is what ``micropip.index.formats`` would set aside unread for a ``keep``
    of ``not other_platform_wheel``; JSON.parse reads pydantic-core's 6.9 MB page in ~13 ms
    where json.loads and one look at each of its 15 057 entries took ~90 ms.
    """
    if not IN_PYODIDE or len(body) < THIN_MIN_BYTES:
        return None
    # Each wheel's name ends a JSON string twice (its filename and its URL): a count, no parse.
    platform_wheels = (body.count(b'.whl"', 0, SAMPLE_BYTES) - body.count(b'-any.whl"', 0, SAMPLE_BYTES)) // 2
    if platform_wheels < THIN_MIN_PLATFORM_WHEELS:
        return None
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    module = await js_module("page")
    result = module.thinProjectPage(to_js(body), to_js(sorted(platforms)))
    if result is None:
        return None
    text, aside = str(result[0]), str(result[1])
    set_aside = tuple((line[1:], line[0] == "1") for line in aside.split("\n")) if aside else ()
    return text.encode("utf-8", "surrogatepass"), set_aside
