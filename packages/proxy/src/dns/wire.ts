/**
 * DNS wire format (RFC 1035, EDNS0 OPT of RFC 6891, SRV of RFC 2782): the queries Switchyard
 * sends and a defensive parser of the answers. The parser follows HAProxy 2.6's
 * resolv_validate_dns_response(): every length is checked against the end of the packet, name
 * compression pointers must point backwards and at most 100 are followed, a question that is not
 * the one asked is refused, and a truncated (TC) answer is refused except for SRV queries, whose
 * complete records are still used. It never throws on packet content: a bad packet gives a
 * `DnsResponse` with `kind: 'invalid'` and the reason.
 */

export const RTYPE = { A: 1, CNAME: 5, AAAA: 28, SRV: 33, OPT: 41 } as const;
export type QueryType = typeof RTYPE.A | typeof RTYPE.AAAA | typeof RTYPE.SRV;

const HEADER = 12;
/** Longest name in wire form, as HAProxy's DNS_MAX_NAME_SIZE. */
const MAX_NAME = 255;
/** Compression pointers followed in one name before the packet is refused (HAProxy: 100). */
const MAX_POINTERS = 100;
/** Smallest possible answer record, used to bound the announced count (HAProxy's DNS_MIN_RECORD_SIZE). */
const MIN_RECORD = 1 + 10;

export interface DnsRecord {
  name: string;
  type: number;
  ttl: number;
  /** A / AAAA: the address as text. */
  address?: string;
  /** CNAME / SRV: the target name. */
  target?: string;
  priority?: number;
  weight?: number;
  port?: number;
}

export type DnsResponse =
  | { kind: 'valid'; id: number; truncated: boolean; answers: DnsRecord[]; additional: DnsRecord[] }
  /** Answer codes HAProxy treats apart: NXDOMAIN, REFUSED, another error code, no answer. */
  | { kind: 'nx' | 'refused' | 'error' | 'empty'; id: number; reason: string }
  /** A packet HAProxy counts as invalid/truncated/cname error: ignored with the reason logged. */
  | { kind: 'invalid' | 'truncated' | 'cname'; id: number; reason: string };

/** Converts a name to wire labels; returns an error text for names no query can carry. */
export function encodeName(name: string): Buffer | string {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return Buffer.from([0]);
  const parts = trimmed.split('.');
  const bufs: Buffer[] = [];
  let len = 1;
  for (const p of parts) {
    const b = Buffer.from(p, 'ascii');
    if (b.length === 0 || b.length > 63) return `label '${p}' of '${name}' must be 1 to 63 characters long`;
    if (!/^[A-Za-z0-9_-]+$/.test(p)) return `invalid character in '${name}'`;
    bufs.push(Buffer.from([b.length]), b);
    len += b.length + 1;
  }
  if (len > MAX_NAME) return `name '${name}' is longer than ${MAX_NAME} bytes`;
  bufs.push(Buffer.from([0]));
  return Buffer.concat(bufs);
}

/** One query with RD set and an EDNS0 OPT record advertising `payloadSize` (HAProxy's accepted_payload_size). */
export function encodeQuery(id: number, name: string, type: QueryType, payloadSize: number): Buffer {
  const qname = encodeName(name);
  if (typeof qname === 'string') throw new RangeError(qname);
  const head = Buffer.alloc(HEADER);
  head.writeUInt16BE(id & 0xffff, 0);
  head.writeUInt16BE(0x0100, 2); // RD
  head.writeUInt16BE(1, 4); // QDCOUNT
  head.writeUInt16BE(1, 10); // ARCOUNT: the OPT record
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(1, 2); // IN
  // OPT: root name, type 41, class = UDP payload size, TTL 0, RDLEN 0
  const opt = Buffer.from([0, 0, RTYPE.OPT, 0, 0, 0, 0, 0, 0, 0, 0]);
  opt.writeUInt16BE(Math.min(65535, Math.max(512, payloadSize)), 3);
  return Buffer.concat([head, qname, q, opt]);
}

class Malformed extends Error {}

/**
 * Reads a possibly compressed name at `at`. Returns the name (lower case, no final dot) and the
 * offset after it in the record. Throws Malformed on a pointer loop, a forward pointer, a name
 * running past the packet or longer than 255 bytes.
 */
function readName(buf: Buffer, at: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = at;
  let next = -1;
  let pointers = 0;
  let size = 1;
  for (;;) {
    if (pos >= buf.length) throw new Malformed('name runs past the end of the packet');
    const len = buf[pos];
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new Malformed('compression pointer cut by the end of the packet');
      const target = ((len & 0x3f) << 8) | buf[pos + 1];
      if (target >= pos) throw new Malformed('compression pointer does not point backwards');
      if (++pointers > MAX_POINTERS) throw new Malformed('too many compression pointers');
      if (next < 0) next = pos + 2;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Malformed(`unknown label type 0x${len.toString(16)}`);
    if (len === 0) {
      if (next < 0) next = pos + 1;
      return { name: labels.join('.').toLowerCase(), next };
    }
    if (pos + 1 + len > buf.length) throw new Malformed('label runs past the end of the packet');
    size += len + 1;
    if (size > MAX_NAME) throw new Malformed(`name longer than ${MAX_NAME} bytes`);
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
}

function ipv6Text(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  // shorten the longest run of zeros, as inet_ntop does
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/** Reads one resource record at `pos`. */
function readRecord(buf: Buffer, pos: number): { rec: DnsRecord; next: number } {
  const { name, next: afterName } = readName(buf, pos);
  let p = afterName;
  if (p + 10 > buf.length) throw new Malformed('record header cut by the end of the packet');
  const type = buf.readUInt16BE(p);
  const ttl = buf.readUInt32BE(p + 4);
  const rdlen = buf.readUInt16BE(p + 8);
  p += 10;
  if (p + rdlen > buf.length) throw new Malformed('record data runs past the end of the packet');
  const rec: DnsRecord = { name, type, ttl };
  const rdata = buf.subarray(p, p + rdlen);
  switch (type) {
    case RTYPE.A:
      if (rdlen !== 4) throw new Malformed(`A record of ${rdlen} bytes`);
      rec.address = `${rdata[0]}.${rdata[1]}.${rdata[2]}.${rdata[3]}`;
      break;
    case RTYPE.AAAA:
      if (rdlen !== 16) throw new Malformed(`AAAA record of ${rdlen} bytes`);
      rec.address = ipv6Text(rdata);
      break;
    case RTYPE.CNAME: {
      const t = readName(buf, p);
      if (t.next > p + rdlen) throw new Malformed('CNAME target runs past its record');
      rec.target = t.name;
      break;
    }
    case RTYPE.SRV: {
      if (rdlen <= 6) throw new Malformed(`SRV record of ${rdlen} bytes`);
      rec.priority = buf.readUInt16BE(p);
      rec.weight = buf.readUInt16BE(p + 2);
      rec.port = buf.readUInt16BE(p + 4);
      const t = readName(buf, p + 6);
      if (t.next > p + rdlen) throw new Malformed('SRV target runs past its record');
      rec.target = t.name;
      break;
    }
    default:
      break;
  }
  return { rec, next: p + rdlen };
}

/**
 * Parses an answer to the query (`qname`, `qtype`) of `payloadSize` bytes at most. Answers that
 * are not for that name (poisoning attempts) are `invalid`; records of another name after the
 * question's CNAME chain are a `cname` error, as HAProxy.
 */
export function parseResponse(buf: Buffer, qname: string, qtype: QueryType, payloadSize = 65535): DnsResponse {
  const id = buf.length >= 2 ? buf.readUInt16BE(0) : -1;
  const bad = (reason: string): DnsResponse => ({ kind: 'invalid', id, reason });
  if (buf.length > payloadSize)
    return bad(`answer of ${buf.length} bytes is larger than accepted_payload_size ${payloadSize}`);
  if (buf.length < HEADER) return bad(`answer of ${buf.length} bytes is shorter than a DNS header`);
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return bad('packet is a query, not a response');
  const rcode = flags & 0x0f;
  if (rcode === 3) return { kind: 'nx', id, reason: 'NXDOMAIN' };
  if (rcode === 5) return { kind: 'refused', id, reason: 'REFUSED' };
  if (rcode !== 0) return { kind: 'error', id, reason: `response code ${rcode}` };
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  if (qd !== 1) return bad(`${qd} questions in the answer (1 expected)`);
  if (an === 0) return { kind: 'empty', id, reason: 'no answer record' };
  if (an > Math.floor((payloadSize - HEADER) / MIN_RECORD))
    return bad(`${an} answer records announced, more than a packet can hold`);
  const want = (qname.endsWith('.') ? qname.slice(0, -1) : qname).toLowerCase();
  const truncated = (flags & 0x0200) !== 0;
  try {
    const q = readName(buf, HEADER);
    if (q.name !== want) return bad(`answer is for '${q.name}', not '${want}'`);
    if (q.next + 4 > buf.length) throw new Malformed('question cut by the end of the packet');
    const type = buf.readUInt16BE(q.next);
    if (type !== qtype) return bad(`answer is for type ${type}, not ${qtype}`);
    // HAProxy refuses truncated answers but for SRV, whose complete records are still worth using.
    if (truncated && qtype !== RTYPE.SRV) return { kind: 'truncated', id, reason: 'truncated answer (TC bit set)' };
    let pos = q.next + 4;
    const answers: DnsRecord[] = [];
    let expected = want;
    for (let i = 0; i < an; i++) {
      const r = readRecord(buf, pos);
      pos = r.next;
      const rec = r.rec;
      if (qtype !== RTYPE.SRV && rec.name !== expected) {
        if (i === 0) return bad(`answer record for '${rec.name}', not '${want}'`);
        return { kind: 'cname', id, reason: `record for '${rec.name}' outside the CNAME chain of '${want}'` };
      }
      if (qtype === RTYPE.SRV && rec.name !== want) return bad(`SRV record for '${rec.name}', not '${want}'`);
      if (rec.type === RTYPE.CNAME && rec.target) {
        if (i + 1 === an)
          return { kind: 'cname', id, reason: `'${want}' is a CNAME to '${rec.target}' with no address` };
        expected = rec.target;
      }
      answers.push(rec);
    }
    const additional: DnsRecord[] = [];
    // authority records are skipped; additional ones carry the SRV targets' addresses
    for (let i = 0; qtype === RTYPE.SRV && i < ns + ar && pos < buf.length; i++) {
      const r = readRecord(buf, pos);
      pos = r.next;
      if (i >= ns && (r.rec.type === RTYPE.A || r.rec.type === RTYPE.AAAA)) additional.push(r.rec);
    }
    return { kind: 'valid', id, truncated, answers, additional };
  } catch (e) {
    if (e instanceof Malformed) return bad(truncated ? `${e.message} (truncated answer)` : e.message);
    throw e;
  }
}
