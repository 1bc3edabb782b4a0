// Builds small zip archives byte by byte, so tests can craft the unusual ones on purpose.
import { deflateRawSync, crc32 } from "node:zlib";

/** members: [{ name, data (Uint8Array|string), method (0|8), flags, extra }] -> Uint8Array */
export function buildZip(members, { comment = "" } = {}) {
  const enc = new TextEncoder();
  const locals = [], centrals = [];
  let offset = 0;
  for (const m of members) {
    const data = typeof m.data === "string" ? enc.encode(m.data) : (m.data ?? new Uint8Array(0));
    const method = m.method ?? 8;
    const body = method === 8 ? deflateRawSync(data) : data;
    const name = enc.encode(m.name);
    const flags = m.flags ?? 0x800;
    const size = m.declaredSize ?? data.length;
    const crc = crc32 ? crc32(data) : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8); local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18); local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26); local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8); central.writeUInt16LE(method, 10); central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(body.length, 20); central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28); central.writeUInt32LE(m.extAttr ?? 0, 38);
    central.writeUInt32LE(m.localOffset ?? offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const c = enc.encode(comment);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8); eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(offset, 16); eocd.writeUInt16LE(c.length, 20);
  return new Uint8Array(Buffer.concat([...locals, cd, eocd, c]));
}
