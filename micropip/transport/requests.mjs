// HTTP requests for micropip in Pyodide: one round trip from Python per request.
//
// Values handed back to Python use undefined for "nothing": Pyodide turns it into None,
// while null becomes pyodide.ffi.jsnull, which is not None.
// Works in Node, a browser page and a Web Worker (no window or document needed).

const isNode = typeof process !== "undefined" && !!(process.versions && process.versions.node);
const nodeCrypto = isNode ? await import("node:crypto") : null;
const subtle = !isNode && globalThis.crypto && globalThis.crypto.subtle ? globalThis.crypto.subtle : null;

/** The sha256 of a download as hex, computed natively; undefined where no digest API exists. */
export async function digestHex(buf) {
  const u8 = new Uint8Array(buf);
  if (nodeCrypto) return [u8, nodeCrypto.createHash("sha256").update(u8).digest("hex")];
  if (!subtle) return [u8, undefined];
  const bytes = new Uint8Array(await subtle.digest("SHA-256", u8));
  return [u8, Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")];
}

// Bodies being read now. A body arrives a chunk (and, compressed, a decompressed piece) per turn
// of the event loop, which Python's compiling gets between two modules only: a first install
// gives extra turns while this is not 0 (micropip.head_start), or a 700 KB page took the whole import.
let bodiesReading = 0;
export function receiving() { return bodiesReading; }

/**
 * One HTTP GET: status, final URL, headers (JSON) and body, or why it failed and in which
 * phase ("waiting for" the headers, "reading the body of"). The timeout runs per phase.
 * keepInJs: a successful body is also hashed here (it stays in JS memory).
 * reader: a wheel's body is read a chunk at a time into it (unpack.mjs's BodyReader, which
 * inflates each member as soon as it is whole and hashes the body as it comes).
 */
export async function request(url, headers, credentials, timeoutMs, keepInJs, controller, reader) {
  let phase = "waiting for", timedOut = false, declared = undefined;
  // A URL fetch() cannot take is a permanent error (the caller does not retry it). User-info
  // is refused here too: credentials travel only as a header (micropip.index.auth).
  let parsed;
  try {
    parsed = new URL(url);
  } catch (e) {
    return { ok: false, invalid: true, timedOut, phase, error: "it is not a valid URL" };
  }
  if (parsed.username || parsed.password) {
    return { ok: false, invalid: true, timedOut, phase, error: "it contains credentials (user-info), which fetch() refuses" };
  }
  const arm = () => setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
  let timer = arm();
  try {
    const init = { headers: JSON.parse(headers), signal: controller.signal };
    if (credentials) init.credentials = credentials;
    const resp = await fetch(url, init);
    clearTimeout(timer);
    phase = "reading the body of";
    declared = resp.headers.get("content-length") ?? undefined;
    timer = arm();
    // Every body counts, the bundle's bytecode part too: uncounted, it got a turn per module
    // imported and arrived ~0.5 s late in Chromium, after most of what it would have served.
    bodiesReading += 1;
    let body, digest;
    try {
      if (reader && keepInJs && resp.ok && resp.body) {
        if (!resp.headers.get("content-encoding")) reader.expect(Number(declared));
        const chunks = resp.body.getReader();
        for (;;) {
          const { done, value } = await chunks.read();
          if (done) break;
          reader.push(value);
        }
        [body, digest] = reader.finish();
      } else {
        body = new Uint8Array(await resp.arrayBuffer());
      }
    } finally { bodiesReading -= 1; }
    clearTimeout(timer);
    const names = {};
    resp.headers.forEach((value, name) => { names[name.toLowerCase()] = value; });
    if (digest === undefined) digest = keepInJs && resp.ok ? (await digestHex(body))[1] : undefined;
    return { ok: true, status: resp.status, url: resp.url, headers: JSON.stringify(names), body, digest };
  } catch (e) {
    clearTimeout(timer);
    const error = e && e.name ? `${e.name}: ${e.message}` : String(e);
    return { ok: false, timedOut, phase, declared, error };
  }
}
