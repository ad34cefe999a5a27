/**
 * The per-request view that ACL fetches, balancing hashes, header rules and the log line read.
 *
 * Built once per request by the datapath from node:http's IncomingMessage. Fields that cost
 * something to derive (cookies, query parameters, lower-cased header map) are computed lazily
 * on first use and cached on the object, so a request that no rule inspects pays nothing.
 */
import type { TLSSocket } from 'node:tls';

export interface HttpTxn {
  /** Request method as received, e.g. `GET`. */
  method: string;
  /** Request target as received (`/a/b?x=1`, or absolute-form `http://h/a`). */
  url: string;
  /** Path part of the target, without the query string (`/a/b`). */
  path: string;
  /** Query string without `?` ('' when absent). */
  query: string;
  /** HTTP version, `1.0` or `1.1` (or `2.0`). */
  httpVersion: string;
  /**
   * Raw header list as node:http gives it (`req.rawHeaders`): [name, value, name, value, ...],
   * names in their original case, duplicates kept in order.
   */
  rawHeaders: string[];
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** Client connection is TLS (`ssl_fc`). */
  ssl: boolean;
  /** The client's TLS connection, read by the `ssl_fc_*` / `ssl_c_*` fetches and `%sslv`/`%sslc`. */
  tls?: TLSSocket;
  /** Name of the frontend that received the request. */
  frontend: string;
  /** Name of the backend chosen (set after use_backend / default_backend). */
  backend?: string;
  /** Stick-counter entries tracked for this request (slots 0..2), set by `http-request track-sc`. */
  tracked?: Array<unknown | undefined>;
  /**
   * Client bytes buffered so far by `tcp-request content` inspection (tcp frontends); the
   * `req.payload`, `req.len`, `req.ssl_*` fetches read it. Undefined for HTTP requests.
   */
  payload?: Buffer;
  /** Server bytes held by `tcp-response content` inspection; `res.len`, `res.payload` read them. */
  resPayload?: Buffer;
  /** `txn.`, `req.` and `res.` variables (`set-var`), created on the first set. */
  vars?: Map<string, string | number | boolean>;
  /** `sess.` variables: the client connection's, shared by its requests (sessionVars()). */
  sessVars?: Map<string, string | number | boolean>;
  /** Lazily filled caches; owned by the acl/fetch helpers. */
  cache: Record<string, unknown>;
  /** HAProxy's request counter (`%rt`): one number per stream, from 0 in each process. */
  counter?: number;
  /** The frontend's `unique-id-format`, compiled; uniqueId() runs it once. */
  uniqueIdFormat?: (txn: HttpTxn) => string;
  /** The unique id, once generated (`%ID`, the `unique-id` fetch, `unique-id-header`). */
  uniqueId?: string;
  /** The frontend's capture slots (lengths, header names), when it declares any. */
  capSlots?: { request: Array<{ header?: string; len: number }>; response: Array<{ header?: string; len: number }> };
  /** Request capture values by slot id (undefined: nothing captured), when the frontend has slots. */
  reqCap?: Array<string | undefined>;
  /** Response capture values by slot id. */
  resCap?: Array<string | undefined>;
  /** `capture cookie`: the request's cookie (`%CC`) and the response's Set-Cookie (`%CS`), `NAME=value` cut at len. */
  cliCookie?: string;
  srvCookie?: string;
}

let requestCounter = 0;

/** The next stream's `%rt` (HAProxy's global.req_count). */
export function nextRequestCounter(): number {
  return requestCounter++;
}

/** HAProxy's UNIQUEID_LEN (128 bytes with the NUL): longer ids are cut. */
const UNIQUE_ID_MAX = 127;

/**
 * The request's unique id, generated on first use from the frontend's `unique-id-format`
 * (stream_generate_unique_id); undefined without a format.
 */
export function uniqueId(txn: HttpTxn): string | undefined {
  if (txn.uniqueId === undefined && txn.uniqueIdFormat) {
    txn.uniqueId = ''; // a format that reads its own id sees it empty, never recurses
    const id = txn.uniqueIdFormat(txn);
    txn.uniqueId = id.length > UNIQUE_ID_MAX ? id.slice(0, UNIQUE_ID_MAX) : id;
  }
  return txn.uniqueId;
}

/** Case-insensitive header lookup over rawHeaders: all values of `name` in order. */
export function headerValues(txn: HttpTxn, lowerName: string): string[] {
  const out: string[] = [];
  const h = txn.rawHeaders;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i].length === lowerName.length && h[i].toLowerCase() === lowerName) out.push(h[i + 1]);
  }
  return out;
}

/** The target in origin form (`/path?query`): absolute-form targets (HTTP/2 ones) lose scheme and authority. */
export function originForm(txn: HttpTxn): string {
  const u = txn.url;
  if (u.charCodeAt(0) === 47 || u === '*') return u;
  return txn.query ? `${txn.path}?${txn.query}` : txn.path;
}

/** Builds a transaction from the parts node:http exposes. */
export function makeTxn(
  init: Omit<HttpTxn, 'path' | 'query' | 'cache'> & { cache?: Record<string, unknown> },
): HttpTxn {
  const url = init.url;
  let pathStart = 0;
  // absolute-form: scheme://authority/path
  if (url.charCodeAt(0) !== 47 /* / */) {
    const s = url.indexOf('://');
    if (s >= 0) {
      const p = url.indexOf('/', s + 3);
      pathStart = p < 0 ? url.length : p;
    }
  }
  const q = url.indexOf('?', pathStart);
  const path = q < 0 ? url.slice(pathStart) || '/' : url.slice(pathStart, q) || '/';
  const query = q < 0 ? '' : url.slice(q + 1);
  // An explicit literal (not a spread): one fixed shape, built once per request on the hot path.
  return {
    method: init.method,
    url,
    path,
    query,
    httpVersion: init.httpVersion,
    rawHeaders: init.rawHeaders,
    srcIp: init.srcIp,
    srcPort: init.srcPort,
    dstIp: init.dstIp,
    dstPort: init.dstPort,
    ssl: init.ssl,
    tls: init.tls,
    frontend: init.frontend,
    backend: init.backend,
    tracked: init.tracked,
    payload: init.payload,
    vars: init.vars,
    sessVars: init.sessVars,
    cache: init.cache ?? {},
    counter: init.counter,
    uniqueIdFormat: init.uniqueIdFormat,
    uniqueId: init.uniqueId,
    capSlots: init.capSlots,
    reqCap: init.reqCap,
    resCap: init.resCap,
  };
}

const SESS_VARS = Symbol('switchyard.sessVars');

/** The `sess.` variables of a client connection (one map per connection, made on first use). */
export function sessionVars(conn: object): Map<string, string | number | boolean> {
  // a TLS socket's variables live on the TCP socket it wraps (set by tcp-request connection rules)
  const c = ((conn as { _parent?: object })._parent ?? conn) as {
    [SESS_VARS]?: Map<string, string | number | boolean>;
  };
  let m = c[SESS_VARS];
  if (!m) {
    m = new Map();
    c[SESS_VARS] = m;
  }
  return m;
}
