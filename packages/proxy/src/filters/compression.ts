/**
 * The HTTP compression filter, as HAProxy 2.6's flt_http_comp.c: the request's Accept-Encoding
 * picks an algorithm of the backend's `compression algo` list (else the frontend's), the server's
 * response head decides whether it is compressed (before the http-response rules, as HAProxy's
 * post-analyzer), the head is rewritten after the rules, and the body is compressed as it arrives:
 * every chunk from the server goes out compressed and flushed (Z_SYNC_FLUSH), nothing is held for
 * the next one. The zlib level (brotli quality) is `tune.comp.maxlevel` (HAProxy's default 1).
 * `br` (brotli, node:zlib) is Switchyard's addition to HAProxy 2.6's algorithms.
 */
import zlib from 'node:zlib';
import type { CompressionAlgo, CompressionModel } from '@switchyard/config';
import { findHeader } from '../model/header-list.ts';

/** The name an algorithm has in Accept-Encoding / Content-Encoding (HAProxy's ua_name). */
const UA_NAME: Record<CompressionAlgo, string> = {
  identity: 'identity',
  gzip: 'gzip',
  deflate: 'deflate',
  'raw-deflate': 'deflate',
  br: 'br',
};

/** Values of every `lname` header, split on commas (HAProxy's http_find_header without `full`). */
function listValues(headers: string[], lname: string): string[] {
  const out: string[] = [];
  for (let i = findHeader(headers, lname); i >= 0; i = findHeader(headers, lname, i + 2)) {
    for (const part of headers[i + 1].split(',')) {
      const v = part.trim();
      if (v !== '') out.push(v);
    }
  }
  return out;
}

/** HAProxy's http_parse_qvalue: `0.5` as 500 (0..1000); not starting with a digit: 1000. */
function qvalue(text: string): number {
  const d = (i: number): number => {
    const c = text.charCodeAt(i) - 48;
    return c >= 0 && c <= 9 ? c : -1;
  };
  if (d(0) < 0) return 1000;
  let q = d(0) * 1000;
  if (text.charCodeAt(1) === 46) {
    for (let i = 2, mul = 100; i < 5 && d(i) >= 0; i++, mul /= 10) q += d(i) * mul;
  }
  return Math.min(q, 1000);
}

/**
 * The q-value of one Accept-Encoding element (`rest` is what follows its token), 1000 when it
 * has none, as HAProxy reads it: `;` separated parameters, the first `q=` one.
 */
function elementQ(rest: string): number {
  if (!/^[ \t]*;/.test(rest)) return 1000;
  for (const param of rest.split(';').slice(1)) {
    const p = param.replace(/^[ \t]+/, '');
    if (p.startsWith('q=')) return qvalue(p.slice(2));
  }
  return 1000;
}

/**
 * Old Mozilla/4 user agents that mishandle compression, unless MSIE 6 SP2 or later (HAProxy's
 * test at the top of select_compression_request_header).
 */
function badUserAgent(ua: string | undefined): boolean {
  if (ua === undefined || !ua.startsWith('Mozilla/4')) return false;
  if (ua.length < 31 || ua.slice(25, 30) !== 'MSIE ') return true;
  const major = ua.charCodeAt(30);
  if (major < 54) return true; // '6'
  return major === 54 && (ua.length < 54 || ua.slice(51, 54) !== 'SV1');
}

/** The algorithms in effect for a stream: the backend's, else the frontend's. */
function algosOf(fe: CompressionModel | undefined, be: CompressionModel | undefined): CompressionAlgo[] | undefined {
  if (be && be.algos.length > 0) return be.algos;
  if (fe && fe.algos.length > 0) return fe.algos;
  return undefined;
}

/**
 * HAProxy's select_compression_request_header: the algorithm for this request, or undefined.
 * The element with the highest q-value (the first of equals) that names a configured algorithm
 * (or `*`: the first one) wins; q=0 never does. Without one, `identity` if configured. With
 * `compression offload` in either proxy, Accept-Encoding is removed from `headers` once an
 * algorithm was found in it.
 */
export function selectEncoding(
  fe: CompressionModel | undefined,
  be: CompressionModel | undefined,
  headers: string[],
): CompressionAlgo | undefined {
  const algos = algosOf(fe, be);
  if (algos === undefined) return undefined;
  const ua = findHeader(headers, 'user-agent');
  if (badUserAgent(ua >= 0 ? headers[ua + 1] : undefined)) return undefined;
  let best: CompressionAlgo | undefined;
  let bestQ = 0;
  for (const el of listValues(headers, 'accept-encoding')) {
    const tok = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]*/.exec(el)?.[0] ?? '';
    const q = elementQ(el.slice(tok.length));
    if (q <= bestQ) continue;
    const ltok = tok.toLowerCase();
    for (const a of algos) {
      if (el.charCodeAt(0) === 42 || ltok === UA_NAME[a]) {
        best = a;
        bestQ = q;
        break;
      }
    }
  }
  if (best !== undefined) {
    if (be?.offload || fe?.offload) {
      for (let i = findHeader(headers, 'accept-encoding'); i >= 0; i = findHeader(headers, 'accept-encoding', i))
        headers.splice(i, 2);
    }
    return best;
  }
  return algos.includes('identity') ? 'identity' : undefined;
}

/** HAProxy's http_get_etag_type: a strong `"x"` or weak `W/"x"` entity tag, else invalid. */
function validEtag(v: string): boolean {
  const t = v.startsWith('W/') ? v.slice(2) : v;
  return t.length >= 2 && t.charCodeAt(0) === 34 && t.charCodeAt(t.length - 1) === 34;
}

/** What select_compression_response_header reads of the transaction. */
export interface CompressibleResponse {
  status: number;
  method: string;
  /** The client's HTTP version (`1.0`, `1.1`, `2.0`). */
  httpVersion: string;
  /** The server's head as received. */
  headers: string[];
  /** The body's end is known (a length or chunked framing), not the connection's close. */
  framed: boolean;
}

/**
 * HAProxy's select_compression_response_header: whether a response is compressed with the
 * algorithm the request chose. Not for HTTP/1.0, HEAD, a status other than 200-203, a response
 * without a body (Content-Length: 0, 204, 304) or ended by the close, one already encoded, one
 * with `Cache-Control: no-transform`, a malformed or repeated ETag, a multipart type, or a type
 * not listed in `compression type` (the backend's list, else the frontend's; a response without
 * Content-Type is then not compressed). HAProxy 2.6 has no minimum size.
 */
export function compressible(
  fe: CompressionModel | undefined,
  be: CompressionModel | undefined,
  r: CompressibleResponse,
): boolean {
  if (r.httpVersion === '1.0' || r.httpVersion === '0.9') return false;
  if (r.method === 'HEAD') return false;
  if (r.status < 200 || r.status > 203) return false;
  if (!r.framed) return false;
  const h = r.headers;
  const cl = findHeader(h, 'content-length');
  if (cl >= 0 && Number(h[cl + 1]) === 0) return false;
  if (findHeader(h, 'content-encoding') >= 0) return false;
  for (const v of listValues(h, 'cache-control')) if (v.toLowerCase() === 'no-transform') return false;
  const etag = findHeader(h, 'etag');
  if (etag >= 0 && (!validEtag(h[etag + 1]) || findHeader(h, 'etag', etag + 2) >= 0)) return false;
  const types = be && be.types.length > 0 ? be.types : fe && fe.types.length > 0 ? fe.types : undefined;
  const ct = findHeader(h, 'content-type');
  if (ct < 0) return types === undefined;
  const type = h[ct + 1].toLowerCase();
  if (type.startsWith('multipart')) return false;
  return types === undefined || types.some((t) => type.startsWith(t.toLowerCase()));
}

/**
 * HAProxy's set_compression_response_header on the head about to be sent: Content-Encoding
 * (not for identity), no Content-Length (the client side frames the body: chunked in HTTP/1.1,
 * DATA frames in HTTP/2), a strong ETag made weak, and `Vary: Accept-Encoding` added.
 */
export function rewriteHead(algo: CompressionAlgo, headers: string[]): void {
  if (algo !== 'identity') headers.push('Content-Encoding', UA_NAME[algo]);
  for (let i = findHeader(headers, 'content-length'); i >= 0; i = findHeader(headers, 'content-length', i))
    headers.splice(i, 2);
  const etag = findHeader(headers, 'etag');
  if (etag >= 0 && headers[etag + 1].charCodeAt(0) === 34) headers[etag + 1] = `W/${headers[etag + 1]}`;
  headers.push('Vary', 'Accept-Encoding');
}

/** HAProxy's comp_in / comp_out / comp_byp / comp_rsp counters of a frontend or backend. */
export interface CompressionCounters {
  compIn: number;
  compOut: number;
  compByp: number;
  compRsp: number;
}

/** Where the compressed body goes (the client response). */
export interface BodySink {
  write(chunk: Buffer): boolean;
}

function makeCodec(
  algo: Exclude<CompressionAlgo, 'identity'>,
  level: number,
): zlib.Gzip | zlib.Deflate | zlib.DeflateRaw | zlib.BrotliCompress {
  switch (algo) {
    case 'gzip':
      return zlib.createGzip({ level });
    case 'deflate':
      return zlib.createDeflate({ level });
    case 'raw-deflate':
      return zlib.createDeflateRaw({ level });
    case 'br':
      return zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level } });
  }
}

/**
 * One response body through the compressor. write() takes the server's chunks (false: wait for
 * `drained`), end() flushes the stream's end; compressed bytes go to the sink as zlib makes them,
 * and zlib waits while the sink is full. `identity` passes the bytes through (HAProxy counts them
 * as bypassed).
 */
export class Encoder {
  private readonly codec?: zlib.Gzip | zlib.Deflate | zlib.DeflateRaw | zlib.BrotliCompress;
  private readonly sink: BodySink;
  private readonly counters: CompressionCounters[];
  private readonly flushKind: number;
  private ended?: () => void;
  private failed = false;
  /**
   * HAProxy's HTX ends a chunked body with a one-byte block its filter counts as consumed
   * input: 1 for a chunked server response, so comp_in / comp_byp read as HAProxy's.
   */
  private readonly endBytes: number;

  /**
   * `drained`: the encoder can take more (after write() returned false); `failed`: zlib failed
   * mid-stream (the caller cuts the response); `level`: `tune.comp.maxlevel`; `chunked`: the
   * server's body was chunked.
   */
  constructor(
    algo: CompressionAlgo,
    level: number,
    chunked: boolean,
    sink: BodySink,
    counters: CompressionCounters[],
    drained: () => void,
    failed: (err: Error) => void,
  ) {
    this.sink = sink;
    this.counters = counters;
    this.endBytes = chunked ? 1 : 0;
    this.flushKind = algo === 'br' ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.Z_SYNC_FLUSH;
    if (algo === 'identity') return;
    const c = makeCodec(algo, level);
    this.codec = c;
    c.on('data', (d: Buffer) => {
      for (const k of this.counters) k.compOut += d.length;
      if (!this.sink.write(d)) c.pause();
    });
    c.on('drain', drained);
    c.on('end', () => this.ended?.());
    c.on('error', (e: Error) => {
      if (this.failed) return;
      this.failed = true;
      failed(e);
    });
  }

  /** Compresses `chunk` and flushes what it gives; false when the caller should wait for `drained`. */
  write(chunk: Buffer): boolean {
    const c = this.codec;
    if (!c) {
      for (const k of this.counters) k.compByp += chunk.length;
      return this.sink.write(chunk);
    }
    if (this.failed) return false;
    for (const k of this.counters) k.compIn += chunk.length;
    // zlib reads the chunk later, from the thread pool: the read buffer under it is reused
    const more = c.write(Buffer.from(chunk));
    c.flush(this.flushKind);
    return more && !c.isPaused();
  }

  /** The client can take more: compressed bytes flow again. */
  sinkDrained(): void {
    const c = this.codec;
    if (c?.isPaused()) c.resume();
  }

  /** The encoder is waiting for the client or for zlib. */
  get busy(): boolean {
    const c = this.codec;
    return c !== undefined && (c.isPaused() || c.writableNeedDrain);
  }

  /** The body ended: `done` once the compressed stream's end went to the sink. */
  end(done: () => void): void {
    const c = this.codec;
    for (const k of this.counters) {
      k.compRsp++;
      if (c) k.compIn += this.endBytes;
      else k.compByp += this.endBytes;
    }
    if (!c) {
      done();
      return;
    }
    this.ended = done;
    c.end();
  }

  /** The response was cut: the compressor is released. */
  destroy(): void {
    this.ended = undefined;
    this.codec?.destroy();
  }
}
