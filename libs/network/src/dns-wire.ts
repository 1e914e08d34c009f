// The DNS wire format on the embedded server's hot path: read the one question of a query and build an A
// answer by copying the query's question and appending records that point back at it (0xc00c). Anything
// unusual (several questions, compressed question names) returns undefined and the caller falls back to
// dns-packet. Pure.

export interface WireQuestion {
  id: number;
  flags: number;
  /** Lower-cased, without the trailing dot. */
  name: string;
  type: number;
  /** Byte offset just past the question (where answers go). */
  end: number;
}

export const TYPE_A = 1;
export const TYPE_ANY = 255;
export const RCODE_NXDOMAIN = 3;

export function readQuestion(msg: Buffer): WireQuestion | undefined {
  if (msg.length < 17) return undefined;
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || msg.readUInt16BE(4) !== 1) return undefined; // a response, or not one question
  let off = 12;
  const labels: string[] = [];
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off];
    if (len === 0) break;
    if (len & 0xc0 || off + 1 + len > msg.length) return undefined;
    labels.push(msg.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  off += 1;
  if (off + 4 > msg.length) return undefined;
  return {
    id: msg.readUInt16BE(0),
    flags,
    name: labels.join('.').toLowerCase(),
    type: msg.readUInt16BE(off),
    end: off + 4,
  };
}

/** The same answer from ready-made A records (DnsAnswer.records): two byte copies. */
export function buildAnswerFromRecords(
  query: Buffer,
  q: WireQuestion,
  records: Buffer,
  nxdomain: boolean,
): Buffer {
  const out = Buffer.allocUnsafe(q.end + records.length);
  query.copy(out, 0, 0, q.end);
  out.writeUInt16BE(
    0x8000 | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100) | 0x0080 | (nxdomain ? RCODE_NXDOMAIN : 0),
    2,
  );
  out.writeUInt16BE(records.length / 16, 6);
  out.writeUInt32BE(0, 8);
  records.copy(out, q.end);
  return out;
}

/** An authoritative answer to `q` (from `query`) with A records, or NXDOMAIN when `nxdomain`. TTL 0. */
export function buildAnswer(query: Buffer, q: WireQuestion, addresses: string[], nxdomain: boolean): Buffer {
  const out = Buffer.allocUnsafe(q.end + addresses.length * 16);
  query.copy(out, 0, 0, q.end);
  const rd = q.flags & 0x0100;
  const opcode = q.flags & 0x7800;
  out.writeUInt16BE(0x8000 | opcode | 0x0400 | rd | 0x0080 | (nxdomain ? RCODE_NXDOMAIN : 0), 2);
  out.writeUInt16BE(addresses.length, 6); // ancount
  out.writeUInt16BE(0, 8); // nscount
  out.writeUInt16BE(0, 10); // arcount (an EDNS OPT of the query is not echoed)
  let off = q.end;
  for (const a of addresses) {
    out.writeUInt16BE(0xc00c, off);
    out.writeUInt16BE(TYPE_A, off + 2);
    out.writeUInt16BE(1, off + 4); // IN
    out.writeUInt32BE(0, off + 6); // TTL
    out.writeUInt16BE(4, off + 10);
    const p = a.split('.');
    out[off + 12] = Number(p[0]);
    out[off + 13] = Number(p[1]);
    out[off + 14] = Number(p[2]);
    out[off + 15] = Number(p[3]);
    off += 16;
  }
  return out;
}
