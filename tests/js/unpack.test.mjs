// The native zip reader (micropip/transport/unpack.mjs) on crafted archives, in Node's test runner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { BROWSER_MIN_AVG_MEMBER, BodyReader, parseCentralDirectory, open, preferNativeInBrowser } from "../../micropip/transport/unpack.mjs";
import { buildZip } from "./zip_builder.mjs";

const recordHash = (text) => createHash("sha256").update(text).digest("base64url");

test("a plain archive lists every member with its sizes and offsets", () => {
  const zip = buildZip([{ name: "pkg/__init__.py", data: "x = 1\n" }, { name: "pkg/data.txt", data: "abc", method: 0 }]);
  const entries = parseCentralDirectory(zip);
  assert.deepEqual(entries.map((e) => [e.name, e.method, e.size]), [["pkg/__init__.py", 8, 6], ["pkg/data.txt", 0, 3]]);
});

test("members are inflated and hashed as RECORD writes them", async () => {
  const zip = buildZip([{ name: "a.py", data: "print('a')\n" }, { name: "b/", data: "", method: 0 }]);
  const written = {};
  const fs = { writeFile: (p, d) => { written[p] = Buffer.from(d).toString(); }, chmod() {} };
  const archive = await open(fs, zip);
  assert.equal(new TextDecoder().decode(archive.read(0)), "print('a')\n");
  assert.equal(archive.digests.slice(0, 43), recordHash("print('a')\n"));
  assert.equal(archive.digests.length, 86);
  archive.write(JSON.stringify([[0, 0, "/site/a.py"]]));
  assert.deepEqual(written, { "/site/a.py": "print('a')\n" });
  const info = JSON.parse(archive.info());
  assert.deepEqual(info[0], ["a.py", 8, info[0][2], 11, 0x800, 0, 11]);
});

test("a trailing archive comment is allowed", () => {
  const zip = buildZip([{ name: "a.py", data: "1" }], { comment: "made by a test" });
  assert.equal(parseCentralDirectory(zip).length, 1);
});

test("garbage, truncation and an empty buffer answer undefined", () => {
  const zip = buildZip([{ name: "a.py", data: "1" }]);
  assert.equal(parseCentralDirectory(new Uint8Array(0)), undefined);
  assert.equal(parseCentralDirectory(new Uint8Array(100)), undefined);
  assert.equal(parseCentralDirectory(zip.subarray(0, zip.length - 5)), undefined);
});

test("encryption, another compression method and zip64 markers go to the Python path", () => {
  assert.equal(parseCentralDirectory(buildZip([{ name: "a.py", data: "1", flags: 0x801 }])), undefined);
  assert.equal(parseCentralDirectory(buildZip([{ name: "a.py", data: "1", method: 12 }])), undefined);
  assert.equal(parseCentralDirectory(buildZip([{ name: "a.py", data: "1", declaredSize: 0xffffffff }])), undefined);
});

test("a local header offset past the central directory is refused, not read", () => {
  const zip = buildZip([{ name: "a.py", data: "1", localOffset: 0x7ffffff0 }]);
  assert.equal(parseCentralDirectory(zip), undefined);
});

test("members that overlap each other are refused", () => {
  const zip = buildZip([{ name: "a.py", data: "hello" }, { name: "b.py", data: "hello", localOffset: 0 }]);
  assert.equal(parseCentralDirectory(zip), undefined);
});

test("a non-UTF-8 name without the UTF-8 flag is left to Python (cp437)", () => {
  const zip = buildZip([{ name: "caf\u00e9.py", data: "1", flags: 0 }]);
  assert.equal(parseCentralDirectory(zip), undefined);
});

test("a member that inflates past its declared size is not unpacked", async () => {
  const zip = buildZip([{ name: "a.py", data: "x".repeat(5000), declaredSize: 10 }]);
  assert.equal(await open({}, zip), undefined);
});

test("a NUL in a name is refused", () => {
  assert.equal(parseCentralDirectory(buildZip([{ name: "a\0.py", data: "1" }])), undefined);
});

test("in a browser only wheels of big members are inflated in JS (many small ones go to zlib in wasm)", () => {
  const big = "x".repeat(BROWSER_MIN_AVG_MEMBER);
  const small = buildZip([{ name: "a/", data: "", method: 0 }, { name: "a/x.py", data: "x = 1\n" }, { name: "a/y.py", data: "y = 2\n" }]);
  const large = buildZip([{ name: "a/", data: "", method: 0 }, { name: "a/_ext.so", data: big + big }, { name: "a/__init__.py", data: "" }]);
  assert.equal(preferNativeInBrowser(parseCentralDirectory(small)), false);
  assert.equal(preferNativeInBrowser(parseCentralDirectory(large)), true);  // folders do not count
  assert.equal(preferNativeInBrowser([]), false);
});

// ---- BodyReader: members inflated while the body arrives ----------------------------------

function feed(zip, step) {
  const reader = new BodyReader();
  for (let at = 0; at < zip.length; at += step) reader.push(zip.subarray(at, Math.min(zip.length, at + step)));
  return reader;
}

test("a body read a chunk at a time opens to the same members and digests, inflated early", async () => {
  const big = "x = 1\n".repeat(5000);
  const members = [{ name: "a.py", data: big }, { name: "b/", data: "", method: 0 }, { name: "b/c.txt", data: "stored", method: 0 },
    { name: "d.py", data: "print('d')\n" }];
  const zip = buildZip(members);
  const fs = { writeFile() {}, chmod() {} };
  const plain = await open(fs, zip);
  for (const step of [1, 7, 4096, zip.length]) {
    const reader = feed(zip, step);
    assert.equal(reader.members.size, 4);  // every member (the folder's empty one too: open skips it)
    const [body, digest] = reader.finish();
    assert.deepEqual(Buffer.from(body), Buffer.from(zip));
    assert.equal(digest, createHash("sha256").update(zip).digest("hex"));
    const archive = await open(fs, body);
    assert.equal(archive.info(), plain.info());
    assert.equal(archive.digests, plain.digests);
    for (let i = 0; i < members.length; i++) assert.deepEqual(Buffer.from(archive.read(i)), Buffer.from(plain.read(i)));
  }
});

test("an early member is used only where the central directory says the same", async () => {
  // The local header claims a size the central directory does not: the early work is not taken.
  const zip = buildZip([{ name: "a.py", data: "print('a')\n" }]);
  const reader = feed(zip, 3);
  const [body] = reader.finish();
  const [only] = reader.members.values();
  only.size += 1;  // as if the local header had said another size
  const archive = await open({ writeFile() {}, chmod() {} }, body);
  assert.equal(new TextDecoder().decode(archive.read(0)), "print('a')\n");
  assert.equal(archive.digests.slice(0, 43), recordHash("print('a')\n"));
});

test("a data descriptor, a lying size or garbage stop the early work, and open does it all", async () => {
  const descriptor = buildZip([{ name: "a.py", data: "1", flags: 0x808 }]);
  assert.equal(feed(descriptor, 5).members.size, 0);
  const lying = buildZip([{ name: "a.py", data: "print('a')\n", declaredSize: 3 }, { name: "b.py", data: "2" }]);
  const reader = feed(lying, 5);
  assert.equal(reader.members.size, 0);  // stopped at the first member, the second is not read early either
  assert.equal(reader.next, -1);
  const garbage = feed(new Uint8Array(100).fill(7), 10);
  assert.equal(garbage.members.size, 0);
  assert.equal(garbage.finish()[0].length, 100);
});

test("write makes the new folders it is given, in order, before the files", async () => {
  const zip = buildZip([{ name: "pkg/sub/a.py", data: "a = 1\n" }]);
  const calls = [];
  const fs = { mkdir: (p) => calls.push(["mkdir", p]), writeFile: (p) => calls.push(["write", p]), chmod() {} };
  const archive = await open(fs, zip);
  archive.write(JSON.stringify([[0, 0, "/site/pkg/sub/a.py"]]), JSON.stringify(["/site/pkg", "/site/pkg/sub"]));
  assert.deepEqual(calls, [["mkdir", "/site/pkg"], ["mkdir", "/site/pkg/sub"], ["write", "/site/pkg/sub/a.py"]]);
  archive.write(JSON.stringify([[0, 0, "/site/b.py"]]));  // no folders: the old call still works
  assert.deepEqual(calls.at(-1), ["write", "/site/b.py"]);
});
