/**
 * Layer-4/6 content fetches over the bytes a tcp frontend buffered for `tcp-request content`
 * (HttpTxn.payload): `req.len`, `req.payload(off,len)`, and the TLS ClientHello ones used for
 * TLS passthrough (`req.ssl_sni`, `req.ssl_hello_type`, `req.ssl_ver`). When the bytes so far
 * are too few to answer, the fetch returns no sample and marks the transaction (`moreData`):
 * the rule then waits for more data until `tcp-request inspect-delay`, as HAProxy's
 * SMP_F_MAY_CHANGE does.
 */
import type { HttpTxn } from '../txn.ts';
import type { FetchDef, FetchFn } from './types.ts';

/** Set on txn.cache when a fetch could not answer from the bytes buffered so far. */
export const MORE_DATA = '$moreData';

function more(t: HttpTxn): undefined {
  t.cache[MORE_DATA] = true;
  return undefined;
}

function simple(type: FetchDef['type'], fn: FetchFn): FetchDef {
  return { type, minArgs: 0, maxArgs: 0, create: () => fn };
}

/** What a ClientHello at the start of the buffer says, or why it cannot say. */
interface Hello {
  recordVersion: number;
  handshakeType: number;
  sni?: string;
}

/** Parses the TLS record and ClientHello; 'more' when incomplete, undefined when not TLS. */
function clientHello(t: HttpTxn): Hello | 'more' | undefined {
  const cached = t.cache.$hello as Hello | 'more' | undefined | null;
  if (cached !== undefined && cached !== 'more') return cached ?? undefined;
  const b = t.payload;
  if (!b) return undefined;
  const r = parseHello(b);
  t.cache.$hello = r === undefined ? null : r;
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

function helloFetch<T>(type: FetchDef['type'], pick: (h: Hello) => T | undefined): FetchDef {
  return simple(type, (t) => {
    const h = clientHello(t);
    if (h === 'more') return more(t);
    if (h === undefined) return undefined;
    return pick(h) as string | number | undefined;
  });
}

const payloadFetch: FetchDef = {
  type: 'str',
  minArgs: 2,
  maxArgs: 2,
  create(args) {
    const off = Number(args[0]);
    const len = Number(args[1]);
    if (!/^[0-9]+$/.test(args[0])) return `offset '${args[0]}' is not a non-negative integer`;
    if (!/^[0-9]+$/.test(args[1])) return `length '${args[1]}' is not a non-negative integer`;
    return (t) => {
      const b = t.payload;
      if (!b) return undefined;
      // length 0: everything from the offset on (HAProxy)
      if (len === 0) return b.length < off ? more(t) : b.toString('latin1', off);
      if (b.length < off + len) return more(t);
      return b.toString('latin1', off, off + len);
    };
  },
};

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
  // no byte yet: wait for the first ones (HAProxy waits while a failed match may still change)
  [['req.proto_http', 'req_proto_http'], simple('bool', protoHttp)],
  [['req.len', 'req_len'], simple('int', (t) => (t.payload?.length === 0 ? more(t) : t.payload?.length))],
  [['req.payload'], payloadFetch],
  [['req.ssl_sni', 'req_ssl_sni'], helloFetch('str', (h) => h.sni)],
  [['req.ssl_hello_type', 'req_ssl_hello_type'], helloFetch('int', (h) => h.handshakeType)],
  [['req.ssl_ver', 'req_ssl_ver'], helloFetch('int', (h) => h.recordVersion)],
];
