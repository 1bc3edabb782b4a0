"""The benchmark's pinned corpus: real pure-Python wheels from PyPI, fetched at bench time.

Every project here (and its whole dependency closure on Python 3.14 / Pyodide 314) is
``py3-none-any`` or ``py2.py3-none-any``, and none of them is in Pyodide 314's own
``pyodide-lock.json``: both micropips would otherwise weigh the lockfile's copies (which
are not on disk, Pyodide's CDN is unreachable here) against the index's, and the
benchmark would measure the lockfile path instead of an index install.

Nothing here is committed but the pins: the wheels go to ``.cache/bench/`` (gitignored).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from micropip.errors import MicropipError  # noqa: E402
from pyodide_pm.pinned import PinnedWheel as Pin  # noqa: E402  (download + sha256 check shared with the bundle)
from pyodide_pm.pinned import fetch_pinned_wheels  # noqa: E402
CACHE = REPO_ROOT / ".cache" / "bench"
WHEEL_DIR = CACHE / "wheels"
REFERENCE_DIR = CACHE / "reference"


# What the benchmark installs: 24 roots; with their dependencies 32 wheels, about 15.6 MB.
ROOTS = (
    "babel",  # the big one: 10.2 MB, about 1 000 locale files
    "flake8",  # -> mccabe, pycodestyle, pyflakes (pinned ranges)
    "markdown-it-py",  # -> mdurl
    "python-slugify",  # -> text-unidecode
    "openpyxl",  # -> et-xmlfile
    "rsa",  # -> pyasn1
    "pyasn1-modules",  # -> pyasn1 (a narrower range than rsa's)
    "isort",  # -> mypy-extensions
    "astroid",
    "tomlkit",
    "dill",
    "sqlparse",
    "lark",
    "jmespath",
    "oauthlib",
    "humanize",
    "tabulate",
    "emoji",
    "pyfiglet",
    "sqlglot",
    "mistune",
    "markdown",
    "itsdangerous",
    "blinker",
)

WHEELS = (
    Pin("astroid", "4.3.4", "astroid-4.3.4-py3-none-any.whl", "2bcd0d02648a443a4b818c952c3550091989daefac3c12d3b83b2289482e0818"),
    Pin("babel", "2.18.0", "babel-2.18.0-py3-none-any.whl", "e2b422b277c2b9a9630c1d7903c2a00d0830c409c59ac8cae9081c92f1aeba35"),
    Pin("blinker", "1.9.0", "blinker-1.9.0-py3-none-any.whl", "ba0efaa9080b619ff2f3459d1d500c57bddea4a6b424b60a91141db6fd2f08bc"),
    Pin("dill", "0.4.1", "dill-0.4.1-py3-none-any.whl", "1e1ce33e978ae97fcfcff5638477032b801c46c7c65cf717f95fbc2248f79a9d"),
    Pin("emoji", "2.16.0", "emoji-2.16.0-py3-none-any.whl", "c4230d80640def9071599ff56b1b5950fe13a2a94c0da98c5deab12431b24330"),
    Pin("et-xmlfile", "2.0.0", "et_xmlfile-2.0.0-py3-none-any.whl", "7a91720bc756843502c3b7504c77b8fe44217c85c537d85037f0f536151b2caa"),
    Pin("flake8", "7.5.0", "flake8-7.5.0-py2.py3-none-any.whl", "637ea1a443a78ed6ee461725cdf71ca93bc5cde0abf25436dbebdc3880b4e078"),
    Pin("humanize", "4.17.0", "humanize-4.17.0-py3-none-any.whl", "02d0899527760efe18011944f882df4970943b4cdff7b5a0ba7fed43a576ef98"),
    Pin("isort", "9.0.2", "isort-9.0.2-py3-none-any.whl", "6c29deeb39698a8717823b7f75b2ac58c5e8ab8dcf6cf31205a72a6617fb454e"),
    Pin("itsdangerous", "2.2.0", "itsdangerous-2.2.0-py3-none-any.whl", "c6242fc49e35958c8b15141343aa660db5fc54d4f13a1db01a3f5891b98700ef"),
    Pin("jmespath", "1.1.0", "jmespath-1.1.0-py3-none-any.whl", "a5663118de4908c91729bea0acadca56526eb2698e83de10cd116ae0f4e97c64"),
    Pin("lark", "1.3.1", "lark-1.3.1-py3-none-any.whl", "c629b661023a014c37da873b4ff58a817398d12635d3bbb2c5a03be7fe5d1e12"),
    Pin("markdown", "3.11.3", "markdown-3.11.3-py3-none-any.whl", "e1a31a112232504d753e5c01bb8c2de90d3f0ba986b063e10770cf7695b09e73"),
    Pin("markdown-it-py", "4.3.0", "markdown_it_py-4.3.0-py3-none-any.whl", "7aa1511a46c39138de78d9eba92ce47e63124d8003fc98b3a351909e04239efa"),
    Pin("mccabe", "0.7.0", "mccabe-0.7.0-py2.py3-none-any.whl", "6c2d30ab6be0e4a46919781807b4f0d834ebdd6c6e3dca0bda5a15f863427b6e"),
    Pin("mdurl", "0.1.2", "mdurl-0.1.2-py3-none-any.whl", "84008a41e51615a49fc9966191ff91509e3c40b939176e643fd50a5c2196b8f8"),
    Pin("mistune", "3.4.0", "mistune-3.4.0-py3-none-any.whl", "d03cec4c8620f21517a996d82d14f3b59c30d79bda2cc6c56bd32b839f18ce6b"),
    Pin("mypy-extensions", "1.2.0", "mypy_extensions-1.2.0-py3-none-any.whl", "993e7a20aa5671eb41a7132cf555af30062da99729601601b9a8382b11cae768"),
    Pin("oauthlib", "4.0.1", "oauthlib-4.0.1-py3-none-any.whl", "498a298876e996301950a5b053d12c31628bb7b895db03666430c69ce182eb61"),
    Pin("openpyxl", "3.1.5", "openpyxl-3.1.5-py2.py3-none-any.whl", "5282c12b107bffeef825f4617dc029afaf41d0ea60823bbb665ef3079dc79de2"),
    Pin("pyasn1", "0.6.5", "pyasn1-0.6.5-py3-none-any.whl", "4017b0fce125096b8573b39c989fdb1a4b19cf761e683398184550fea0e66587"),
    Pin("pyasn1-modules", "0.4.2", "pyasn1_modules-0.4.2-py3-none-any.whl", "29253a9207ce32b64c3ac6600edc75368f98473906e8fd1043bd6b5b1de2c14a"),
    Pin("pycodestyle", "2.15.0", "pycodestyle-2.15.0-py2.py3-none-any.whl", "12fd2f73c7b8ee8845a0431111df8faf4c1a07d6e64e2ee7f0c74014dab14181"),
    Pin("pyfiglet", "1.0.4", "pyfiglet-1.0.4-py3-none-any.whl", "65b57b7a8e1dff8a67dc8e940a117238661d5e14c3e49121032bd404d9b2b39f"),
    Pin("pyflakes", "4.1.0", "pyflakes-4.1.0-py2.py3-none-any.whl", "b2e05e6bac8e49b67be2a6ffa63422c60f7193fc72e8180255907b41ec997dc1"),
    Pin("python-slugify", "9.2.0", "python_slugify-9.2.0-py3-none-any.whl", "7298dcfc65e9ccdf834b3c398f163af0d09a9a8fc1ee6a7b2dffd8d38bfb756e"),
    Pin("rsa", "4.9.1", "rsa-4.9.1-py3-none-any.whl", "68635866661c6836b8d39430f97a996acbd61bfa49406748ea243539fe239762"),
    Pin("sqlglot", "30.30.0", "sqlglot-30.30.0-py3-none-any.whl", "06c4c212a7868c7dcff0fd0fda348dd3c5cbad40137b3083a70ecdfe22921cf9"),
    Pin("sqlparse", "0.6.1", "sqlparse-0.6.1-py3-none-any.whl", "3be5a72d04c873d690d7c6dedd33d6fae2ef82759881ceec02fc2efd0cba564f"),
    Pin("tabulate", "0.10.0", "tabulate-0.10.0-py3-none-any.whl", "f0b0622e567335c8fabaaa659f1b33bcb6ddfe2e496071b743aa113f8774f2d3"),
    Pin("text-unidecode", "1.3", "text_unidecode-1.3-py2.py3-none-any.whl", "1311f10e8b895935241623731c2ba64f4c455287888b18189350b67134a822e8"),
    Pin("tomlkit", "0.15.2", "tomlkit-0.15.2-py3-none-any.whl", "05562412163a3037b94497385fb7f9204c637bc605af7a48199e41cf2272f437"),
)

# The reference: the micropip release Pyodide 314 ships (PyPI's wheel; it vendors packaging,
# so it needs no other package).
REFERENCE_MICROPIP = Pin(
    "micropip", "0.11.1", "micropip-0.11.1-py3-none-any.whl", "768de165adb8e66906039d8fec4127a57f522dfdf8e6fbff877a4616941ecfd3"
)

PURE_TAGS = ("-py3-none-any.whl", "-py2.py3-none-any.whl")
# pip picks the pure wheel a Python 3.14 would, whatever the host.
PURE_PIP_ARGS = ("--python-version", "3.14", "--implementation", "py", "--abi", "none", "--platform", "any")


class CorpusError(Exception):
    pass


def fetch(pins: tuple[Pin, ...], dest: Path) -> list[Path]:
    """Verified local copies of ``pins`` in ``dest``; only missing or damaged files are downloaded."""
    if any(not pin.filename.endswith(PURE_TAGS) for pin in pins):
        raise CorpusError(f"not pure-Python wheels: {[p.filename for p in pins if not p.filename.endswith(PURE_TAGS)]}")
    try:
        return fetch_pinned_wheels(pins, dest, pip_args=PURE_PIP_ARGS)
    except MicropipError as exc:
        raise CorpusError(str(exc)) from None


def prepare_corpus() -> list[Path]:
    """The corpus folder holds exactly the pinned wheels (it is served as the whole index)."""
    paths = fetch(WHEELS, WHEEL_DIR)
    keep = {p.filename for p in WHEELS}
    for extra in WHEEL_DIR.iterdir():
        if extra.name not in keep:
            extra.unlink()
    sizes = [p.stat().st_size for p in paths]
    if len(paths) < 20 or sum(sizes) < 10_000_000 or max(sizes) < 5_000_000:
        raise CorpusError("the corpus must have >= 20 wheels, > 10 MB, and one wheel > 5 MB")
    return paths
