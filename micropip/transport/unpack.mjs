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
async function sha256(buf) {
  if (nodeCrypto) return nodeCrypto.createHash("sha256").update(buf).digest("base64url");
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
  // spec: JSON [[member index, mode or 0, path], ...]; the folders exist (the journal made them).
  write(spec) {
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
  let outs;
  try {
    outs = await Promise.all(entries.map((e) => {
      if (e.name.endsWith("/")) return new Uint8Array(0);
      const raw = buf.subarray(e.start, e.start + e.csize);
      return e.method === 8 ? inflate(raw, e.size) : raw;
    }));
  } catch {
    return undefined;  // corrupt data or a lying size: the Python path says which member
  }
  const digests = [];
  for (const out of outs) {
    const d = await sha256(out);
    if (d === undefined) return new Archive(FS, entries, outs, undefined);
    digests.push(d);
  }
  return new Archive(FS, entries, outs, digests.join(""));
}
