// micropip/transport/requests.mjs and cache_store.mjs against real local servers and folders.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { request, digestHex } from "../../micropip/transport/requests.mjs";
import { store } from "../../micropip/transport/cache_store.mjs";

async function serve(handler) {
  const server = http.createServer(handler);
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

test("a GET returns status, headers, body and, kept in JS, its sha256", async () => {
  const s = await serve((req, res) => { res.setHeader("X-Seen-Accept", req.headers.accept ?? ""); res.end("wheel bytes"); });
  try {
    const answer = await request(s.url, JSON.stringify({ Accept: "text/html" }), "", 5000, true, new AbortController());
    assert.equal(answer.ok, true);
    assert.equal(answer.status, 200);
    assert.equal(JSON.parse(answer.headers)["x-seen-accept"], "text/html");
    assert.equal(Buffer.from(answer.body).toString(), "wheel bytes");
    assert.equal(answer.digest, createHash("sha256").update("wheel bytes").digest("hex"));
  } finally { s.close(); }
});

test("HTTP errors are answers, not failures", async () => {
  const s = await serve((req, res) => { res.statusCode = 404; res.end("no"); });
  try {
    const answer = await request(s.url, "{}", "", 5000, true, new AbortController());
    assert.equal(answer.ok, true);
    assert.equal(answer.status, 404);
    assert.equal(answer.digest, undefined);
  } finally { s.close(); }
});

test("a server that never answers times out in the waiting phase", async () => {
  const s = await serve(() => {});
  try {
    const answer = await request(s.url, "{}", "", 200, false, new AbortController());
    assert.equal(answer.ok, false);
    assert.equal(answer.timedOut, true);
    assert.equal(answer.phase, "waiting for");
  } finally { s.close(); }
});

test("a refused connection says why", async () => {
  const s = await serve(() => {});
  const url = s.url;
  s.close();
  const answer = await request(url, "{}", "", 2000, false, new AbortController());
  assert.equal(answer.ok, false);
  assert.equal(answer.timedOut, false);
  assert.match(answer.error, /fetch failed|ECONNREFUSED/);
});

test("digestHex hashes any buffer", async () => {
  const [bytes, hex] = await digestHex(new TextEncoder().encode("abc"));
  assert.equal(bytes.length, 3);
  assert.equal(hex, createHash("sha256").update("abc").digest("hex"));
});

test("the Node cache store writes atomically, reads, lists and removes", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "store-"));
  try {
    assert.equal(await store.read(dir, "missing"), undefined);
    assert.equal(await store.list(path.join(dir, "absent")), "[]");
    await store.write(dir, "a.whl", new TextEncoder().encode("12345"));
    assert.equal(Buffer.from(await store.read(dir, "a.whl")).toString(), "12345");
    assert.deepEqual(JSON.parse(await store.list(dir)), [["a.whl", 5]]);
    await store.remove(dir, "a.whl");
    await store.remove(dir, "a.whl");
    assert.deepEqual(JSON.parse(await store.list(dir)), []);
  } finally { await rm(dir, { recursive: true, force: true }); }
});

test("a wheel read through a BodyReader arrives whole, hashed, with its members inflated on the way", async () => {
  const { BodyReader, open } = await import("../../micropip/transport/unpack.mjs");
  const { buildZip } = await import("./zip_builder.mjs");
  const zip = buildZip([{ name: "a.py", data: "a = 1\n".repeat(20000) }, { name: "b.py", data: "b = 2\n" }]);
  const s = await serve((req, res) => {  // in small pieces, as a slow link delivers it
    res.setHeader("Content-Length", zip.length);
    let at = 0;
    const more = () => { if (at >= zip.length) return res.end(); res.write(zip.subarray(at, at += 1000)); setImmediate(more); };
    more();
  });
  try {
    const reader = new BodyReader();
    const answer = await request(s.url, "{}", "", 5000, true, new AbortController(), reader);
    assert.equal(answer.ok, true);
    assert.deepEqual(Buffer.from(answer.body), Buffer.from(zip));
    assert.equal(answer.digest, createHash("sha256").update(zip).digest("hex"));
    assert.equal(reader.members.size, 2);
    const archive = await open({ writeFile() {}, chmod() {} }, answer.body);
    assert.equal(new TextDecoder().decode(archive.read(1)), "b = 2\n");
  } finally { s.close(); }
});
