// Native wheel unpacking for micropip in Pyodide.
//
// Inflating, hashing and writing thousands of members from wasm is most of an install's
// time; the host JS engine does all three natively (Node: zlib + crypto; browsers:
// DecompressionStream + WebCrypto) and the inflated bytes never enter Python's memory.
// Python still runs every check (paths, sizes, RECORD hashes) on what this returns. The
// central-directory parser is strict: anything unusual (zip64, encryption, another
// compression method, a non-UTF-8 name, overlapping data) answers undefined and the wheel
// goes down the plain Python path, which reports the precise error.

const isNode = typeof process !== "undefined" && !!(process.versions && process.versions.node);
const zlib = isNode ? await import("node:zlib") : null;
const nodeCrypto = isNode ? await import("node:crypto") : null;
const subtle = !isNode && globalThis.crypto && globalThis.crypto.subtle ? globalThis.crypto.subtle : null;
export const MAX_TOTAL = 2 ** 30;
const RATIO_MIN = 10 * 1024 * 1024, MAX_RATIO = 200;
const utf8 = new TextDecoder("utf-8", { fatal: true });

// Node: synchronous zlib measured faster here than its thread-pool variant (less scheduling);
// one output chunk of the declared size (up to 1 MiB, so a lying size cannot make it allocate
// much) saves the chunk joins. Never inflates past the declared size.
function inflate(raw, size) {
  const chunkSize = Math.min(Math.max(64, size), 1 << 20);
  if (zlib) return zlib.inflateRawSync(raw, { maxOutputLength: Math.max(size, 1), chunkSize });
  return inflateStream(raw, size);
}

async function inflateStream(raw, size) {
  const reader = new Blob([raw]).stream().pipeThrough(new DecompressionStream("deflate-raw")).getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > size) { await reader.cancel(); throw new Error("member inflates past its declared size"); }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

// RECORD-style: urlsafe base64 without padding, 43 characters.
const nodeSha256 = (buf) => nodeCrypto.createHash("sha256").update(buf).digest("base64url");

async function sha256(buf) {
  if (nodeCrypto) return nodeSha256(buf);
  if (!subtle) return undefined;
  const bytes = new Uint8Array(await subtle.digest("SHA-256", buf));
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The members of a zip archive from its central directory, or undefined when anything is
 * unusual or inconsistent. Every offset is checked against the buffer before it is read.
 */
export function parseCentralDirectory(buf) {
  const n = buf.length;
  if (n < 22) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, n);
  let eocd = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50 && i + 22 + view.getUint16(i + 20, true) === n) { eocd = i; break; }
  }
  if (eocd < 0 || view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) return undefined;
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true), cdStart = view.getUint32(eocd + 16, true);
  if (count !== view.getUint16(eocd + 8, true) || count === 0xffff || cdStart + cdSize !== eocd) return undefined;
  const entries = [];
  let p = cdStart, total = 0, dataEnd = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== 0x02014b50) return undefined;
    const flags = view.getUint16(p + 8, true), method = view.getUint16(p + 10, true);
    const csize = view.getUint32(p + 20, true), size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true), extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const extAttr = view.getUint32(p + 38, true), local = view.getUint32(p + 42, true);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > eocd || (flags & 0x1) || (method !== 0 && method !== 8)) return undefined;
    if (csize === 0xffffffff || size === 0xffffffff || local === 0xffffffff) return undefined;
    if (method === 0 && csize !== size) return undefined;
    const nameBytes = buf.subarray(p + 46, p + 46 + nameLen);
    if (!(flags & 0x800) && nameBytes.some((b) => b >= 0x80)) return undefined;  // cp437: Python decodes
    let name;
    try { name = utf8.decode(nameBytes); } catch { return undefined; }
    if (name.includes("\0")) return undefined;
    if (local + 30 > cdStart || view.getUint32(local, true) !== 0x04034b50) return undefined;
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + csize > cdStart || local < dataEnd) return undefined;  // overlapping members
    dataEnd = start + csize;
    total += size;
    if (total > MAX_TOTAL || (size > RATIO_MIN && size > MAX_RATIO * csize)) return undefined;
    entries.push({ name, method, csize, size, flags, extAttr, start });
    p = next;
  }
  return p === eocd ? entries : undefined;
}

// In a browser every member costs a DecompressionStream: about 0.7 ms of set-up and task hops
// each in Chromium (measured), whatever its size. A wheel of many small files (pygments: 349
// members, 251 ms here against about 60 ms for zlib in wasm) goes down the Python path
// instead; a wheel of few big members (a compiled extension) is inflated here.
export const BROWSER_MIN_AVG_MEMBER = 128 * 1024;

export function preferNativeInBrowser(entries, minAvgMember = BROWSER_MIN_AVG_MEMBER) {
  const files = entries.filter((e) => !e.name.endsWith("/"));
  if (files.length === 0) return false;
  const total = files.reduce((sum, e) => sum + e.size, 0);
  return total / files.length >= minAvgMember;
}

/** Inflated members kept in JS memory; Python reads the few it needs and has the rest written. */
export class Archive {
  constructor(FS, entries, outs, digests) {
    this.FS = FS;
    this.entries = entries;
    this.outs = outs;
    this.digests = digests;
  }
  info() {
    return JSON.stringify(this.entries.map((e, i) => [e.name, e.method, e.csize, e.size, e.flags, e.extAttr, this.outs[i].length]));
  }
  read(i) { const b = this.outs[i]; return new Uint8Array(b.buffer, b.byteOffset, b.length); }  // not a Node Buffer
  // spec: JSON [[member index, mode or 0, path], ...]; folders: JSON [path, ...], new folders made
  // first, parents before children (the journal recorded them); any other folder exists.
  write(spec, folders = "[]") {
    for (const path of JSON.parse(folders)) this.FS.mkdir(path);
    for (const [i, mode, path] of JSON.parse(spec)) {
      this.FS.writeFile(path, this.outs[i]);
      if (mode) this.FS.chmod(path, mode);
    }
  }
  release() { this.outs = this.entries = this.digests = null; }
}

/** Inflate and hash every member of the wheel in buf; undefined sends it down the Python path. */
export async function open(FS, buf, minAvgMember = BROWSER_MIN_AVG_MEMBER) {
  const entries = parseCentralDirectory(buf);
  if (!entries) return undefined;
  if (!zlib && !preferNativeInBrowser(entries, minAvgMember)) return undefined;
  const ready = early.get(buf);  // inflated while the body downloaded (BodyReader)
  early.delete(buf);
  const taken = entries.map((e) => {
    const m = ready && !e.name.endsWith("/") ? ready.get(e.start) : undefined;
    return m && m.method === e.method && m.csize === e.csize && m.size === e.size ? m : undefined;
  });
  takenEarly += taken.filter(Boolean).length;
  let outs;
  try {
    outs = await Promise.all(entries.map((e, i) => {
      if (e.name.endsWith("/")) return new Uint8Array(0);
      if (taken[i]) return taken[i].out;
      const raw = buf.subarray(e.start, e.start + e.csize);
      return e.method === 8 ? inflate(raw, e.size) : raw;
    }));
  } catch {
    return undefined;  // corrupt data or a lying size: the Python path says which member
  }
  const digests = [];
  for (const [i, out] of outs.entries()) {
    const d = taken[i] ? taken[i].digest : await sha256(out);
    if (d === undefined) return new Archive(FS, entries, outs, undefined);
    digests.push(d);
  }
  return new Archive(FS, entries, outs, digests.join(""));
}

// ---- a wheel inflated while it downloads (Node) ----------------------------------------------
//
// A wheel arrives over seconds on a slow link and its members were inflated and hashed only
// once it was whole (faker: 760 members, ~60 ms here; botocore's 13 MB far more). Reading
// the body a chunk at a time, each member whose bytes are all here is inflated and hashed at
// once, from its local header, while the rest still travels. Nothing is trusted from this:
// `open` takes an early member only where the central directory, read once the body is whole,
// names the same data offset, method and both sizes (the same bytes inflated the same way),
// and Python checks every member against RECORD as before. Anything unusual (a data
// descriptor, encryption, another method, a lying size) stops the early work; `open` does
// the rest as ever. Node only: there inflating is synchronous (zlib); a browser page keeps
// its DecompressionStream path after the download.

const early = new WeakMap();  // a body the reader returned -> Map(data offset -> inflated member)
let takenEarly = 0;
/** How many members `open` has taken inflated early in this interpreter (a count for tests and probes). */
export function membersTakenEarly() { return takenEarly; }

export class BodyReader {
  constructor() {
    this.buf = new Uint8Array(64 * 1024);
    this.length = 0;
    this.next = 0;  // where the next local header starts; -1 once the early work stopped
    this.members = new Map();
    this.total = 0;
    this.hash = nodeCrypto.createHash("sha256");
  }
  /** The size the server announced (the body may still differ: it only sizes the buffer). */
  expect(size) {
    if (Number.isSafeInteger(size) && size > this.buf.length && size <= MAX_TOTAL) this.grow(size);
  }
  grow(capacity) {
    const bigger = new Uint8Array(capacity);
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
  }
  push(chunk) {
    if (this.length + chunk.length > this.buf.length) this.grow(Math.max(this.buf.length * 2, this.length + chunk.length));
    this.buf.set(chunk, this.length);
    this.length += chunk.length;
    this.hash.update(chunk);
    if (this.next >= 0) {
      try { this.scan(); } catch { this.next = -1; }
    }
  }
  scan() {
    const view = new DataView(this.buf.buffer, this.buf.byteOffset, this.length);
    while (this.next + 30 <= this.length) {
      const p = this.next;
      if (view.getUint32(p, true) !== 0x04034b50) { this.next = -1; return; }  // the central directory
      const flags = view.getUint16(p + 6, true), method = view.getUint16(p + 8, true);
      const csize = view.getUint32(p + 18, true), size = view.getUint32(p + 22, true);
      const start = p + 30 + view.getUint16(p + 26, true) + view.getUint16(p + 28, true);
      if ((flags & 0x9) || (method !== 0 && method !== 8) || csize === 0xffffffff || size === 0xffffffff ||
          (method === 0 && csize !== size)) { this.next = -1; return; }
      if (start + csize > this.length) return;  // the rest of this member is still on its way
      this.total += size;
      if (this.total > MAX_TOTAL || (size > RATIO_MIN && size > MAX_RATIO * csize)) { this.next = -1; return; }
      const raw = this.buf.subarray(start, start + csize);
      const out = method === 8 ? inflate(raw, size) : raw.slice();  // a stored member is copied: the buffer may grow
      if (out.length !== size) { this.next = -1; return; }
      this.members.set(start, { method, csize, size, out, digest: nodeSha256(out) });
      this.next = start + csize;
    }
  }
  /** The whole body (and its sha256 as hex); `open` finds the members inflated early. */
  finish() {
    const body = this.buf.subarray(0, this.length);
    if (this.members.size) early.set(body, this.members);
    return [body, this.hash.digest("hex")];
  }
}

/** A reader for a wheel's body where inflating can keep up with the download (Node); else undefined. */
export function bodyReader() {
  return zlib && nodeCrypto ? new BodyReader() : undefined;
}
