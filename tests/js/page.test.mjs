// micropip/transport/page.mjs: which entries of a PEP 691 page are taken out before Python reads it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { thinProjectPage } from "../../micropip/transport/page.mjs";

const OURS = ["pyemscripten_2026_0_wasm32", "pyodide_2026_0_wasm32", "emscripten_4_0_9_wasm32"];

function body(files, extra = {}) {
  return new TextEncoder().encode(JSON.stringify({ meta: { "api-version": "1.1" }, name: "fast", files, ...extra }));
}

const entry = (filename, more = {}) => ({ filename, url: `https://files.example/${filename}`, hashes: {}, ...more });

test("wheels only for other platforms leave the page; everything Python must look at stays", () => {
  const files = [
    entry("fast-2.0-cp314-cp314-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
    entry("fast-2.0-cp314-cp314-win_amd64.whl", { yanked: "broken build" }),
    entry("fast-2.0-cp314-cp314-macosx_11_0_arm64.whl", { yanked: false }),
    entry("fast-2.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl"),
    entry("fast-2.0-cp312-cp312-pyodide_2024_0_wasm32.whl"), // another Pyodide ABI: Python explains it
    entry("fast-2.0-cp314-cp314-linux_x86_64.PYEMSCRIPTEN_2026_0_WASM32.whl"), // one platform of ours, any case
    entry("fast-1.0-py3-none-any.whl"),
    entry("fast-2.0.tar.gz"),
    entry("fast-2.0-cp314-manylinux_2_17_x86_64.whl"), // three dashes: malformed, Python says so
    entry("fast-2.0-1-2-cp314-cp314-win32.whl"), // six dashes: malformed too
    entry("fast-2.0-1build-cp314-cp314-win32.whl", { yanked: true }), // a build tag: five dashes
  ];
  const [text, aside] = thinProjectPage(body(files), OURS);
  const page = JSON.parse(text);
  assert.deepEqual(
    page.files.map((f) => f.filename),
    [files[3], files[4], files[5], files[6], files[7], files[8], files[9]].map((f) => f.filename),
  );
  assert.deepEqual(page.files[0], files[3]); // kept entries are unchanged
  assert.deepEqual(page.meta, { "api-version": "1.1" });
  assert.deepEqual(aside.split("\n"), [
    "0" + files[0].filename, "1" + files[1].filename, "0" + files[2].filename, "1" + files[10].filename,
  ]);
});

test("yanked is read as Python reads it: any string is yanked, empty containers are not", () => {
  const values = [["", "1"], ["x", "1"], [true, "1"], [false, "0"], [null, "0"], [0, "0"], [1, "1"], [[], "0"], [[1], "1"], [{}, "0"], [{ a: 1 }, "1"]];
  const files = values.map(([yanked], i) => entry(`fast-${i}.0-cp314-cp314-win_amd64.whl`, { yanked }));
  const [, aside] = thinProjectPage(body(files), OURS);
  assert.deepEqual(aside.split("\n").map((line) => line[0]), values.map(([, flag]) => flag));
});

test("anything Python must read itself comes back undefined", () => {
  const foreign = [entry("fast-2.0-cp314-cp314-win_amd64.whl")];
  assert.equal(thinProjectPage(body([entry("fast-1.0-py3-none-any.whl")]), OURS), undefined); // nothing to drop
  assert.equal(thinProjectPage(new TextEncoder().encode("<html></html>"), OURS), undefined);
  assert.equal(thinProjectPage(new Uint8Array([0x7b, 0xff, 0x7d]), OURS), undefined); // not UTF-8
  assert.equal(thinProjectPage(body(foreign, { info: {} }), OURS), undefined); // the JSON API's shape
  assert.equal(thinProjectPage(new TextEncoder().encode(JSON.stringify([foreign])), OURS), undefined);
  assert.equal(thinProjectPage(new TextEncoder().encode('{"files": [], "x": NaN}'), OURS), undefined);
  // A name Python could not get back through the set-aside lines stays in the page.
  const odd = [entry("fast-2.0-cp314-cp314-win\n_amd64.whl"), entry("fast-2.0-cp314-cp314-win\ud800.whl")];
  assert.equal(thinProjectPage(body(odd), OURS), undefined);
});

test("with sdists, the sdists leave the page too (when no sdist is built); without, they stay", () => {
  const files = [
    entry("fast-2.0-cp314-cp314-win_amd64.whl"),
    entry("fast-2.0.tar.gz", { yanked: "bad" }),
    entry("fast-1.0.ZIP"), // selection.is_sdist ignores case
    entry("fast-1.0-py3-none-any.whl"),
    entry("fast-0.9.tar.bz2"), // neither: Python explains it
    entry("fast-0.8.tar.gz\n"), // a name Python could not get back through the lines
  ];
  const [text, aside] = thinProjectPage(body(files), OURS, true);
  assert.deepEqual(JSON.parse(text).files.map((f) => f.filename), [files[3], files[4], files[5]].map((f) => f.filename));
  assert.deepEqual(aside.split("\n"), ["0" + files[0].filename, "1" + files[1].filename, "0" + files[2].filename]);
  const [plain] = thinProjectPage(body(files), OURS);
  assert.equal(JSON.parse(plain).files.length, files.length - 1);
  assert.equal(thinProjectPage(body([entry("fast-2.0.tar.gz")]), OURS), undefined); // nothing to drop without sdists
});
