"""Big PEP 691 project pages thinned in JavaScript before Python reads them (``page.mjs``)."""

from __future__ import annotations

from collections.abc import Iterable

from .js_modules import js_module
from .response import IN_PYODIDE

# Below these the JavaScript round trip saves nothing worth having: the page's size, and
# how many files it would drop (wheels built for some platform; sdists, when asked) among
# those its first SAMPLE_BYTES name.
THIN_MIN_BYTES = 128 * 1024
SAMPLE_BYTES = 256 * 1024
THIN_MIN_DROPPED = 50


async def thin_project_page(
    body: bytes, platforms: Iterable[str], *, sdists: bool = False
) -> tuple[bytes, tuple[tuple[str, bool], ...]] | None:
    """The page without the wheels built only for platforms other than ``platforms`` (and,
    with ``sdists``, without the source distributions), and the dropped files'
    ``(filename, yanked)``; None when not in Pyodide, small, or not PEP 691 JSON.

    What is dropped is what ``micropip.index.formats`` would set aside unread for a ``keep``
    of ``not selection.left_unread``; JSON.parse reads pydantic-core's 6.9 MB page in ~13 ms
    where json.loads and one look at each of its 15 057 entries took ~90 ms, and botocore's
    2 MB page, half of it sdists, is read from the half Python needs.
    """
    if not IN_PYODIDE or len(body) < THIN_MIN_BYTES:
        return None
    # Each file's name ends a JSON string twice (its filename and its URL): a count, no parse.
    dropped = (body.count(b'.whl"', 0, SAMPLE_BYTES) - body.count(b'-any.whl"', 0, SAMPLE_BYTES)) // 2
    if sdists:
        dropped += (body.count(b'.tar.gz"', 0, SAMPLE_BYTES) + body.count(b'.zip"', 0, SAMPLE_BYTES)) // 2
    if dropped < THIN_MIN_DROPPED:
        return None
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    module = await js_module("page")
    result = module.thinProjectPage(to_js(body), to_js(sorted(platforms)), sdists)
    if result is None:
        return None
    text, aside = str(result[0]), str(result[1])
    set_aside = tuple((line[1:], line[0] == "1") for line in aside.split("\n")) if aside else ()
    return text.encode("utf-8", "surrogatepass"), set_aside
