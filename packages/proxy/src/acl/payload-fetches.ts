/**
 * Layer-4/6 content fetches over the bytes a tcp frontend buffered for `tcp-request content`
 * (HttpTxn.payload): `req.len`, `req.payload(off,len)`, `req.payload_lv(off,len[,off2])`, and
 * the TLS ClientHello ones used for TLS passthrough (`req.ssl_sni`, `req.ssl_hello_type`,
 * `req.ssl_ver`); and their `res.` twins over the server bytes a backend's `tcp-response
 * content` inspection holds (HttpTxn.resPayload), readable in response rules only. When the bytes so far
 * are too few to answer, the fetch returns no sample and marks the transaction (`moreData`):
 * the rule then waits for more data until `tcp-request inspect-delay`, as HAProxy's
 * SMP_F_MAY_CHANGE does.
 */
import type { HttpTxn } from '../model/txn.ts';
import type { FetchDef, FetchFn } from './types.ts';

/** Set on txn.cache when a fetch could not answer from the bytes buffered so far. */
export const MORE_DATA = '$moreData';

/** Set on txn.cache while a tcp rule list is evaluated for the last time (HAProxy's SMP_OPT_FINAL). */
export const FINAL = '$final';

/** HAProxy's `tune.bufsize` default: what inspection may buffer, and the end of any payload block. */
export const INSPECT_MAX = 16384;

function more(t: HttpTxn): undefined {
  t.cache[MORE_DATA] = true;
  return undefined;
}

function simple(type: FetchDef['type'], fn: FetchFn): FetchDef {
  return { type, minArgs: 0, maxArgs: 0, create: () => fn };
}

/** Which buffered bytes a fetch reads: the client's (`req.`) or the server's (`res.`). */
type Side = 'payload' | 'resPayload';

/** What a ClientHello at the start of the buffer says, or why it cannot say. */
interface Hello {
  recordVersion: number;
  handshakeType: number;
  sni?: string;
}

/** Parses the TLS record and ClientHello; 'more' when incomplete, undefined when not TLS. */
function clientHello(t: HttpTxn, side: Side): Hello | 'more' | undefined {
  const key = side === 'payload' ? '$hello' : '$resHello';
  const cached = t.cache[key] as Hello | 'more' | undefined | null;
  if (cached !== undefined && cached !== 'more') return cached ?? undefined;
  const b = t[side];
  if (!b) return undefined;
  const r = parseHello(b);
  t.cache[key] = r === undefined ? null : r;
  return r;
}

function parseHello(b: Buffer): Hello | 'more' | undefined {
  if (b.length < 1) return 'more';
  if (b[0] !== 0x16) return undefined; // not a handshake record
  if (b.length < 6) return 'more';
  const recordVersion = (b[1] << 16) | b[2];
  if (b[1] !== 3) return undefined;
  const recLen = b.readUInt16BE(3);
  const handshakeType = b[5];
  if (handshakeType !== 1) return { recordVersion, handshakeType };
  const end = 5 + recLen;
  if (b.length < end) return 'more';
  // handshake header (4), client_version (2), random (32)
  let p = 5 + 4 + 2 + 32;
  if (p + 1 > end) return { recordVersion, handshakeType };
  p += 1 + b[p]; // session id
  if (p + 2 > end) return { recordVersion, handshakeType };
  p += 2 + b.readUInt16BE(p); // cipher suites
  if (p + 1 > end) return { recordVersion, handshakeType };
  p += 1 + b[p]; // compression methods
  if (p + 2 > end) return { recordVersion, handshakeType };
  const extEnd = Math.min(end, p + 2 + b.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    const data = p + 4;
    if (data + len > extEnd) break;
    if (type === 0 && len >= 5) {
      // server_name list: list length (2), name type (1, 0 = host_name), name length (2), name
      const nameLen = b.readUInt16BE(data + 3);
      if (b[data + 2] === 0 && data + 5 + nameLen <= data + len)
        return { recordVersion, handshakeType, sni: b.toString('latin1', data + 5, data + 5 + nameLen) };
    }
    p = data + len;
  }
  return { recordVersion, handshakeType };
}

function helloFetch<T>(type: FetchDef['type'], pick: (h: Hello) => T | undefined, side: Side = 'payload'): FetchDef {
  const def = simple(type, (t) => {
    const h = clientHello(t, side);
    if (h === 'more') return more(t);
    if (h === undefined) return undefined;
    return pick(h) as string | number | undefined;
  });
  return side === 'resPayload' ? { ...def, phase: 'response' } : def;
}

/** `req.len` / `res.len`: the bytes so far, an answer that may change (HAProxy's SMP_F_MAY_CHANGE). */
function lenFetch(side: Side): FetchDef {
  return {
    ...simple('int', (t) => {
      const b = t[side];
      if (!b) return undefined;
      more(t);
      return b.length;
    }),
    phase: side === 'resPayload' ? 'response' : undefined,
  };
}

const nonNegative = (what: string, v: string): string | undefined =>
  /^[0-9]+$/.test(v) ? undefined : `${what} '${v}' is not a non-negative integer`;

/**
 * A fetch over the buffered bytes of `side` with `min`..`max` arguments: `make` checks them
 * (a message when wrong) and returns the reader; no buffer (an HTTP request) gives no sample.
 */
function bufferFetch(
  side: Side,
  min: number,
  max: number,
  make: (args: string[]) => ((b: Buffer, t: HttpTxn) => string | undefined) | string,
): FetchDef {
  return {
    type: 'str',
    phase: side === 'resPayload' ? 'response' : undefined,
    minArgs: min,
    maxArgs: max,
    create(args) {
      const read = make(args);
      if (typeof read === 'string') return read;
      return (t) => {
        const b = t[side];
        return b ? read(b, t) : undefined;
      };
    },
  };
}

/** `payload(off,len)`: `len` bytes at `off` (0: everything from `off` on, as HAProxy). */
const payloadFetch = (side: Side): FetchDef =>
  bufferFetch(side, 2, 2, (args) => {
    const bad = nonNegative('offset', args[0]) ?? nonNegative('length', args[1]);
    if (bad) return bad;
    const off = Number(args[0]);
    const len = Number(args[1]);
    return (b, t) => {
      if (len === 0) return b.length < off ? more(t) : b.toString('latin1', off);
      if (b.length < off + len) return more(t);
      return b.toString('latin1', off, off + len);
    };
  });

/**
 * `payload_lv(off1,len1[,off2])`: a block whose length is the big-endian `len1`-byte integer at
 * `off1`, starting at `off2` (absolute, or relative to off1+len1 when signed), else right after
 * the length, as HAProxy's smp_fetch_payload_lv.
 */
const payloadLvFetch = (side: Side): FetchDef =>
  bufferFetch(side, 2, 3, (args) => {
    const bad = nonNegative('offset', args[0]) ?? nonNegative('length', args[1]);
    if (bad) return bad;
    const off1 = Number(args[0]);
    const len1 = Number(args[1]);
    if (len1 === 0) return 'payload length must be > 0';
    const a2 = args[2];
    if (a2 !== undefined && !/^[+-]?[0-9]+$/.test(a2)) return 'payload offset2 is not a number';
    const relative = a2 === undefined || a2[0] === '+' || a2[0] === '-';
    const off2 = a2 === undefined ? 0 : Number(a2);
    if (relative && off1 + len1 + off2 < 0) return 'payload offset too negative';
    return (b, t) => {
      if (b.length < off1 + len1) return more(t);
      let n = 0;
      for (let i = 0; i < len1; i++) n = n * 256 + b[off1 + i];
      const start = relative ? off1 + len1 + off2 : off2;
      // an empty block, or one past the buffer size, never matches
      if (n === 0 || start + n > INSPECT_MAX) return undefined;
      if (b.length < start + n) return more(t);
      return b.toString('latin1', start, start + n);
    };
  });

/**
 * The RDP Connection Request's `Cookie: NAME=VALUE\r\n` after its 11-byte TPKT + X.224 header,
 * as HAProxy's fetch_rdp_cookie_name: the value; 'more' while the bytes so far are too few;
 * undefined when it is not such a cookie. `name` '' takes any name.
 */
export function rdpCookie(b: Buffer, name: string): string | 'more' | undefined {
  let p = 11;
  if (b.length - p <= 7) return 'more';
  if (b.toString('latin1', p, p + 7).toLowerCase() !== 'cookie:') return undefined;
  p += 7;
  while (p < b.length && b[p] === 32) p++;
  if (name) {
    if (b.length - p <= name.length) return 'more';
    if (
      b[p + name.length] !== 61 /* = */ ||
      b.toString('latin1', p, p + name.length).toLowerCase() !== name.toLowerCase()
    )
      return undefined;
    p += name.length + 1;
  } else {
    while (p < b.length && b[p] !== 61) {
      if (b[p] === 13 || b[p] === 10) return undefined;
      p++;
    }
    if (p >= b.length) return 'more';
    p++;
  }
  const start = p;
  while (p < b.length && b[p] !== 13) p++;
  if (b.length - p < 2) return 'more';
  if (b[p + 1] !== 10) return undefined;
  return b.toString('latin1', start, p);
}

/** `req.rdp_cookie([NAME])`, `req.rdp_cookie_cnt([NAME])` (1 when there is one, 0 when not). */
function rdpCookieFetch(count: boolean): FetchDef {
  return {
    type: count ? 'int' : 'str',
    minArgs: 0,
    maxArgs: 1,
    create(args) {
      const name = args[0] ?? '';
      return (t) => {
        const b = t.payload;
        if (!b) return undefined;
        const v = rdpCookie(b, name);
        if (v === 'more') return more(t);
        if (count) return v === undefined ? 0 : 1;
        return v;
      };
    },
  };
}

const HTTP_START = /^[A-Z]+ [^ \r\n]+ HTTP\/1\.[01]\r?\n/;
/** What may still become a request line once more bytes come. */
const HTTP_PREFIX = /^[A-Z]*$|^[A-Z]+ [^ \r\n]*( H?T?T?P?\/?1?\.?[01]?\r?)?$/;

/**
 * `req.proto_http`: an HTTP request is always HTTP; a tcp stream's buffered bytes are when they
 * start with an HTTP/1 request line (waiting while they could still become one).
 */
function protoHttp(t: HttpTxn): boolean {
  const b = t.payload;
  if (!b) return true;
  const s = b.toString('latin1', 0, 1024);
  if (HTTP_START.test(s)) return true;
  if (s.length < 1024 && HTTP_PREFIX.test(s)) more(t);
  return false;
}

/** The payload fetches, registered by fetches.ts with the other builtins. */
export const PAYLOAD_FETCHES: Array<[string[], FetchDef]> = [
  // true once the inspection is final (inspect-delay over, data done), unknown before
  [['wait_end'], simple('bool', (t) => (t.cache[FINAL] === true ? true : more(t)))],
  // no byte yet: wait for the first ones (HAProxy waits while a failed match may still change)
  [['req.proto_http', 'req_proto_http'], simple('bool', protoHttp)],
  [['req.len', 'req_len'], lenFetch('payload')],
  [['req.payload'], payloadFetch('payload')],
  [['req.payload_lv'], payloadLvFetch('payload')],
  [['req.rdp_cookie', 'rdp_cookie'], rdpCookieFetch(false)],
  [['req.rdp_cookie_cnt', 'rdp_cookie_cnt'], rdpCookieFetch(true)],
  [['res.len'], lenFetch('resPayload')],
  [['res.payload'], payloadFetch('resPayload')],
  [['res.payload_lv'], payloadLvFetch('resPayload')],
  [['res.ssl_hello_type', 'rep_ssl_hello_type'], helloFetch('int', (h) => h.handshakeType, 'resPayload')],
  [['req.ssl_sni', 'req_ssl_sni'], helloFetch('str', (h) => h.sni)],
  [['req.ssl_hello_type', 'req_ssl_hello_type'], helloFetch('int', (h) => h.handshakeType)],
  [['req.ssl_ver', 'req_ssl_ver'], helloFetch('int', (h) => h.recordVersion)],
];
