/**
 * The client side of HTTP/2 (HAProxy's mux_h2, frontend side): Node's http2 server sessions
 * (nghttp2 does the framing, HPACK, flow control and the RFC 9113 checks: invalid frames and
 * pseudo-headers, connection-specific fields, content-length against DATA, stream limits) and,
 * per stream, the ClientRequest/ClientResponse pair a Stream (stream.ts) runs on, the same
 * stream and analyzers as HTTP/1.
 *
 * - One node:http2 server object per listener, never listening itself: the listener hands it
 *   each h2 connection (cleartext `proto h2`, or TLS that chose `h2` by ALPN).
 * - Request head: pseudo-headers go, `:authority` becomes `Host` (RFC 9113 8.3.1; a `host`
 *   field sent as well is dropped), split `cookie` fields are joined with "; " (8.2.3).
 * - Request body: read with back-pressure (the stream's flow-control window opens only as the
 *   server side takes the bytes).
 * - Response: connection-specific fields (connection, keep-alive, proxy-connection,
 *   transfer-encoding, upgrade) are not carried; HEAD, 1xx, 204 and 304 end with the HEADERS.
 * - Timeouts: `timeout client` (no frame from the client for that long) is the streams' client
 *   timeout, or closes a connection without streams; `timeout http-keep-alive` closes one idle
 *   between streams, both with GOAWAY. Stopping sends GOAWAY and lets open streams finish.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import {
  constants,
  createServer,
  type Http2Server,
  Http2ServerRequest,
  Http2ServerResponse,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  type ServerStreamResponseOptions,
  type Settings,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { H2Tune } from '../runtime/plan.ts';
import type { ClientRequest, ClientResponse } from './client-side.ts';
import { websocketAccept } from './headers.ts';

/** Fields HTTP/2 cannot carry (RFC 9113 8.2.2), dropped from responses. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** HAProxy's tune.bufsize: the largest header list a request may have. */
const MAX_HEADER_LIST = 16384;
/** HAProxy's tune.http.maxhdr (101 fields). */
const MAX_HEADER_PAIRS = 101;
/**
 * Bytes HAProxy 2.6 counts per message besides its strings (its HTX start line and end of
 * headers): a message counts 21 + the start line's three strings + each field's name and value
 * + the body + each trailer's name and value + 1 after trailers (what `%U`/`%B` and the stats' bytes in/out say
 * for an HTTP/2 stream, measured with haproxy 2.6).
 */
const HTX_OVERHEAD = 21;
/** `HTTP/2.0` or `HTTP/1.1`: the version string of a start line. */
const VERSION_LENGTH = 8;

/** What the listener does with each stream: runs a Stream on it, which times out on request. */
export interface H2Owner {
  onH2Request(req: H2Request, res: H2Response): ClientTimeoutTarget;
}

/** The Stream seen from the connection: told when the client went quiet. */
export interface ClientTimeoutTarget {
  readonly done: boolean;
  clientTimeout(): void;
}

/**
 * SETTINGS announced to clients from `tune.h2.*` (push off, header lists of tune.bufsize,
 * extended CONNECT as haproxy 2.6 announces it).
 */
export function h2Settings(t: H2Tune): Settings {
  return {
    enableConnectProtocol: t.connectProtocol,
    headerTableSize: t.headerTableSize,
    initialWindowSize: t.initialWindowSize,
    maxConcurrentStreams: t.maxConcurrentStreams,
    maxFrameSize: t.maxFrameSize,
    maxHeaderListSize: MAX_HEADER_LIST,
    enablePush: false,
  };
}

/** The HTTP/2 side of one listener: its sessions and their streams. */
export class H2Front {
  private readonly server: Http2Server;
  clientMs = 0;
  /** The socket being handed to node (its session's `socket` is a proxy that refuses some calls). */
  private arriving?: Socket;

  constructor(
    private readonly owner: H2Owner,
    tune: H2Tune,
  ) {
    this.server = createServer({
      settings: h2Settings(tune),
      maxHeaderListPairs: MAX_HEADER_PAIRS,
      maxSendHeaderBlockLength: 64 * 1024,
      // streams over the limit are refused (REFUSED_STREAM); a client that keeps opening them,
      // or sends invalid frames, gets GOAWAY (node's flood limits)
      maxSessionRejectedStreams: 100,
      maxSessionInvalidFrames: 1000,
    });
    this.server.on('session', (session: ServerHttp2Session) => {
      new H2Conn(session, this.arriving ?? (session.socket as Socket), this.clientMs);
    });
    // errors end their session or stream; nothing to do beyond that
    this.server.on('sessionError', noop);
    this.server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _f: number, raw: string[]) =>
      this.onStream(stream, headers, raw),
    );
  }

  /** Serves `socket` (already past TLS and any PROXY header) as an HTTP/2 connection. */
  serve(socket: Socket): void {
    this.arriving = socket;
    // node:http2 hands a TLS socket whose ALPN is not h2 to 'unknownProtocol'; one whose client
    // sent the h2 preface anyway (no ALPN, or http/1.1) is HTTP/2 as with haproxy's mux_h1: the
    // check is passed, the negotiated value (ssl_fc_alpn) stays
    const tls = socket as TLSSocket;
    const alpn = tls.encrypted ? tls.alpnProtocol : 'h2';
    if (alpn !== 'h2') tls.alpnProtocol = 'h2';
    try {
      this.server.emit('connection', socket);
    } finally {
      this.arriving = undefined;
      if (alpn !== 'h2') tls.alpnProtocol = alpn;
    }
  }

  /** New `tune.h2.*` (reload): for connections made from now on. */
  update(tune: H2Tune): void {
    this.server.updateSettings(h2Settings(tune));
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, raw: string[]): void {
    stream.on('error', noop);
    const conn = connOfSession(stream.session as ServerHttp2Session);
    if (conn === undefined) {
      stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    const req = new H2Request(stream, headers, raw, conn.socket);
    const res = new H2Response(conn, stream, req);
    conn.opened(res, this.owner.onH2Request(req, res));
  }
}

/** One client HTTP/2 connection. */
export class H2Conn {
  readonly session: ServerHttp2Session;
  readonly socket: Socket;
  /** End of the last stream (ms; 0 while streams are open), for `timeout http-keep-alive`. */
  idleSince = Date.now();
  private readonly streams = new Map<H2Response, ClientTimeoutTarget>();

  constructor(session: ServerHttp2Session, socket: Socket, clientMs: number) {
    this.session = session;
    this.socket = socket;
    (this.socket as H2Socket)[H2_CONN] = this;
    (session as H2Session)[H2_CONN] = this;
    session.on('error', noop);
    goawayWithRfcCodes(session);
    if (clientMs > 0) session.setTimeout(clientMs, () => this.onTimeout());
  }

  get idle(): boolean {
    return this.streams.size === 0;
  }

  opened(res: H2Response, target: ClientTimeoutTarget): void {
    if (target.done) return;
    this.streams.set(res, target);
    this.idleSince = 0;
  }

  closed(res: H2Response): void {
    if (!this.streams.delete(res)) return;
    if (this.streams.size === 0) this.idleSince = Date.now();
  }

  setClientTimeout(ms: number): void {
    this.session.setTimeout(ms, ms > 0 ? () => this.onTimeout() : undefined);
  }

  /** `timeout http-keep-alive` between streams (the listener's sweep calls it). */
  checkTimeouts(now: number, keepAliveMs: number): void {
    if (this.streams.size === 0 && keepAliveMs > 0 && this.idleSince > 0 && now - this.idleSince >= keepAliveMs)
      this.goaway(true);
  }

  /** GOAWAY: no new streams; open ones finish (or, with `now`, the connection closes at once). */
  goaway(now = false): void {
    const s = this.session;
    if (s.destroyed) return;
    if (now || this.streams.size === 0) {
      if (!s.closed) s.goaway(constants.NGHTTP2_NO_ERROR);
      s.close();
      // the client may not close after a GOAWAY: the socket goes once the frame is written
      setImmediate(() => s.destroy());
      return;
    }
    if (!s.closed) s.close();
  }

  private onTimeout(): void {
    if (this.streams.size === 0) {
      this.goaway(true);
      return;
    }
    for (const t of [...this.streams.values()]) t.clientTimeout();
  }
}

/** One HTTP/2 request as the Stream reads it. */
export class H2Request extends EventEmitter implements ClientRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion = '2.0';
  readonly httpVersionMajor = 2;
  readonly httpVersionMinor = 0;
  readonly rawHeaders: string[];
  readonly socket: Socket;
  readonly hasBody: boolean;
  readonly headMs = 0;
  readonly stream: ServerHttp2Stream;
  /** Not the session's first stream (client streams are odd, from 1). */
  get notFirst(): boolean {
    return (this.stream.id ?? 1) > 1;
  }
  readonly headers: IncomingHttpHeaders;
  /** The head as received (with pseudo-headers), for a service's node:http2 request. */
  readonly h2Raw: string[];
  /** Bytes of this request as HAProxy counts them (HTX_OVERHEAD), then the DATA payload. */
  bytes: number;
  /** Trailer fields ([name, value, ...]) of the request, set before its 'end'. */
  trailers: string[] | undefined;
  /** `:protocol` of an extended CONNECT (RFC 8441), carried as an upgrade. */
  readonly upgradeProtocol?: string;
  /** The Sec-WebSocket-Key made for the server (the client's stream has none). */
  readonly wsKey?: string;
  /** The body's 'data' listeners and the wrappers that count their bytes (made on first use). */
  private wrapped?: Map<(...a: unknown[]) => void, (c: Buffer) => void>;

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, raw: string[], socket: Socket) {
    super();
    this.stream = stream;
    this.headers = headers;
    this.h2Raw = raw;
    this.socket = socket;
    this.method = String(headers[':method'] ?? 'GET');
    const protocol = headers[':protocol'];
    // RFC 8441 extended CONNECT (WebSocket over HTTP/2): a GET with `Upgrade: <protocol>` from
    // here on, as HAProxy's h2 mux turns it into (the HTTP/1 server sees an upgrade request)
    if (this.method === 'CONNECT' && typeof protocol === 'string') {
      this.method = 'GET';
      this.upgradeProtocol = protocol;
    }
    const authority = headers[':authority'];
    const path = String(headers[':path'] ?? (this.method === 'CONNECT' ? authority : '/'));
    // in absolute form, as HAProxy 2.6 builds an HTTP/2 request's start line (its logs and the
    // `url` fetch show it; `path` and the server see the origin form)
    this.url =
      typeof authority === 'string' && path.charCodeAt(0) === 47
        ? `${String(headers[':scheme'] ?? 'http')}://${authority}${path}`
        : path;
    const out: string[] = [];
    let bytes = HTX_OVERHEAD + this.method.length + this.url.length + VERSION_LENGTH;
    if (typeof authority === 'string') {
      out.push('host', authority);
      bytes += authority.length + 4;
    }
    let cookie: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i];
      if (n.charCodeAt(0) === 58 /* : */) continue;
      if (n === 'host' && authority !== undefined) continue;
      if (n === 'cookie') {
        cookie = cookie === undefined ? raw[i + 1] : `${cookie}; ${raw[i + 1]}`;
        continue;
      }
      out.push(n, raw[i + 1]);
      bytes += n.length + raw[i + 1].length;
    }
    if (cookie !== undefined) {
      out.push('cookie', cookie);
      bytes += cookie.length + 6;
    }
    if (this.upgradeProtocol !== undefined) {
      out.push('connection', 'upgrade', 'upgrade', this.upgradeProtocol);
      // an HTTP/1 WebSocket handshake needs a key (HTTP/2 has none): one is made, its answer checked
      if (this.upgradeProtocol.toLowerCase() === 'websocket' && headers['sec-websocket-key'] === undefined) {
        this.wsKey = randomBytes(16).toString('base64');
        out.push('sec-websocket-key', this.wsKey);
      }
    }
    this.rawHeaders = out;
    this.bytes = bytes;
    this.hasBody = !stream.endAfterHeaders;
    // shared listener (no per-stream closure); a bodiless request cannot be aborted mid-body
    if (this.hasBody) {
      (stream as RequestStream)[H2_REQUEST] = this;
      stream.once('aborted', onRequestAborted);
      stream.once('trailers', onRequestTrailers);
    }
  }

  /** The request's trailing HEADERS (pseudo-headers are not carried), counted as received. */
  gotTrailers(raw: string[]): void {
    const t: string[] = [];
    this.bytes++; // HAProxy's end-of-trailers block
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (raw[i].charCodeAt(0) === 58) continue;
      t.push(raw[i], raw[i + 1]);
      this.bytes += raw[i].length + raw[i + 1].length;
    }
    this.trailers = t;
  }

  get complete(): boolean {
    return !this.hasBody || this.stream.readableEnded;
  }

  /** The client reset the stream before the end of its body. */
  aborted(): void {
    if (this.stream.readableEnded) return;
    const err = Object.assign(new Error('client reset the stream'), { code: 'ECONNRESET' });
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.emit('aborted');
  }

  // Body events are the stream's own: listening to 'data' is what reads the stream (and opens
  // its flow-control window), as a Readable does.
  override on(event: string | symbol, fn: (...a: unknown[]) => void): this {
    if (event === 'data') {
      const w = (c: Buffer): void => {
        this.bytes += c.length;
        fn(c);
      };
      if (this.wrapped === undefined) this.wrapped = new Map();
      this.wrapped.set(fn, w);
      this.stream.on('data', w);
      return this;
    }
    if (event === 'end') {
      this.stream.on('end', fn);
      return this;
    }
    return super.on(event, fn);
  }

  override off(event: string | symbol, fn: (...a: unknown[]) => void): this {
    if (event === 'data') {
      const w = this.wrapped?.get(fn);
      if (w !== undefined) {
        this.wrapped?.delete(fn);
        this.stream.off('data', w);
      }
      return this;
    }
    if (event === 'end') {
      this.stream.off('end', fn);
      return this;
    }
    return super.off(event, fn);
  }

  pause(): this {
    this.stream.pause();
    return this;
  }

  resume(): this {
    this.stream.resume();
    return this;
  }
}

/** The response to an H2Request, written on its stream. */
export class H2Response extends EventEmitter implements ClientResponse {
  statusCode = 200;
  headersSent = false;
  /** An HTTP/2 connection outlives its streams (GOAWAY ends it, not a response). */
  shouldKeepAlive = true;
  sendDate = false;
  writableFinished = false;
  private readonly conn: H2Conn;
  private readonly stream: ServerHttp2Stream;
  private readonly req: H2Request;
  private head: OutgoingHttpHeaders | undefined;
  private noBody = false;
  /** The head has a content-length: a body of known length, no trailers expected. */
  private hasLength = false;
  private bytes = 0;
  private service?: Http2ServerResponse;
  private drainListened = false;

  constructor(conn: H2Conn, stream: ServerHttp2Stream, req: H2Request) {
    super();
    this.conn = conn;
    this.stream = stream;
    this.req = req;
    (stream as ResponseStream)[H2_RESPONSE] = this;
    stream.once('close', onResponseStreamClose);
  }

  /** The stream closed (ended, reset, or its connection went). */
  streamClosed(): void {
    this.conn.closed(this);
    if (this.tunnelling) return;
    if (this.writableFinished) return;
    // a service's response (forService) may end the stream before its own 'finish'
    if (this.service !== undefined && this.stream.writableEnded) this.serviceDone();
    else this.emit('close');
  }

  get writableNeedDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  writeHead(status: number, reason: string | undefined, flat: string[]): this {
    if (this.headersSent) throw new Error('response head already sent');
    const h: OutgoingHttpHeaders = { ':status': status };
    let size = HTX_OVERHEAD + VERSION_LENGTH + 3 + (reason?.length ?? 0);
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i];
      const value = flat[i + 1];
      if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
      if (INVALID_VALUE.test(value)) throw new TypeError(`invalid value for header ${name}`);
      const l = name.toLowerCase();
      size += name.length + value.length;
      if (CONNECTION_SPECIFIC.has(l)) continue;
      if (l === 'content-length') this.hasLength = true;
      const prev = h[l];
      if (prev === undefined) h[l] = value;
      else if (Array.isArray(prev)) prev.push(value);
      else h[l] = [String(prev), value];
    }
    this.statusCode = status;
    this.noBody = this.req.method === 'HEAD' || status < 200 || status === 204 || status === 304;
    this.head = h;
    this.bytes += size;
    this.headersSent = true;
    return this;
  }

  /** Sends the HEADERS frame (with END_STREAM when nothing follows). */
  private sendHead(endStream: boolean): void {
    const h = this.head;
    if (h === undefined) return;
    this.head = undefined;
    const s = this.stream;
    if (s.destroyed || s.closed) return;
    // no Date added (HAProxy adds none; a server's own is forwarded). Trailers may follow a body
    // of unknown length (chunked, or an HTTP/2 server's) or one a client asked them for with
    // `te: trailers` (gRPC): the stream then ends with a HEADERS frame, or an empty DATA frame
    // when there are none.
    const end = endStream || this.noBody;
    const wait = !end && (!this.hasLength || this.wantsTrailers());
    if (wait) s.once('wantTrailers', () => this.sendTrailers());
    s.respond(h, { endStream: end, sendDate: false, waitForTrailers: wait } as ServerStreamResponseOptions);
  }

  write(chunk: Buffer): boolean {
    if (this.writableFinished) return false;
    this.sendHead(false);
    const s = this.stream;
    if (this.noBody || chunk.length === 0 || s.destroyed || s.writableEnded) return true;
    this.bytes += chunk.length;
    if (s.write(chunk)) return true;
    // 'drain' is listened to only once a write filled the stream's buffer
    if (!this.drainListened) {
      this.drainListened = true;
      s.on('drain', onResponseStreamDrain);
    }
    return false;
  }

  /** Trailers given to end(), sent once node:http2 asks for them. */
  private trailers?: string[];

  private wantsTrailers(): boolean {
    const te = this.req.headers.te;
    return typeof te === 'string' && /\btrailers\b/i.test(te);
  }

  private sendTrailers(): void {
    const s = this.stream;
    if (s.destroyed || s.closed) return;
    const t: Record<string, string | string[]> = {};
    const list = this.trailers ?? [];
    for (let i = 0; i + 1 < list.length; i += 2) {
      const l = list[i].toLowerCase();
      if (l.charCodeAt(0) === 58 || CONNECTION_SPECIFIC.has(l)) continue;
      const prev = t[l];
      if (prev === undefined) t[l] = list[i + 1];
      else if (Array.isArray(prev)) prev.push(list[i + 1]);
      else t[l] = [prev, list[i + 1]];
    }
    try {
      s.sendTrailers(t);
    } catch {
      s.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
  }

  end(chunk?: Buffer, trailers?: string[]): void {
    if (this.writableFinished) return;
    this.trailers = trailers;
    // counted here (HAProxy's end-of-trailers block is one byte): they are written after the
    // stream is accounted, on node's 'wantTrailers'
    if (trailers !== undefined) {
      this.bytes++;
      for (let i = 0; i + 1 < trailers.length; i += 2) this.bytes += trailers[i].length + trailers[i + 1].length;
    }
    if (!this.headersSent) this.writeHead(this.statusCode, undefined, []);
    const s = this.stream;
    const last = chunk !== undefined && chunk.length > 0 && !this.noBody ? chunk : undefined;
    this.sendHead(last === undefined);
    if (!s.destroyed && !s.writableEnded && !this.noBody) {
      if (last !== undefined) this.bytes += last.length;
      if (last !== undefined) s.end(last);
      else s.end();
    }
    // a request body nobody reads any more (answered early): read and dropped
    if (!this.req.complete && this.req.listenerCount('data') === 0) s.resume();
    this.writableFinished = true;
    this.emit('finish');
  }

  /** Cuts this stream (RST_STREAM INTERNAL_ERROR); the connection and its other streams go on. */
  destroy(): void {
    const s = this.stream;
    if (!s.destroyed) s.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  detachSocket(): void {
    throw new Error('an HTTP/2 stream has no socket of its own to hand over');
  }

  /**
   * The server switched protocols (101) for an extended CONNECT: the stream answers 200 (RFC
   * 8441) without the HTTP/1 handshake fields and becomes the tunnel's client end. Undefined
   * when the server's Sec-WebSocket-Accept does not answer the key made for it.
   */
  openTunnel(_status: number, raw: string[]): Duplex | undefined {
    const key = this.req.wsKey;
    const flat: string[] = [];
    let accept: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const l = raw[i].toLowerCase();
      if (l === 'sec-websocket-accept') {
        accept = raw[i + 1];
        if (key !== undefined) continue;
      }
      flat.push(raw[i], raw[i + 1]);
    }
    if (key !== undefined && accept !== websocketAccept(key)) return undefined;
    this.writeHead(200, undefined, flat);
    this.noBody = false;
    this.hasLength = true; // no trailers: the tunnel's end is the stream's
    this.sendHead(false);
    this.tunnelling = true;
    // the tunnel's bytes count as the stream's, both ways (the pipe reads and writes the stream)
    const st = this.stream;
    const req = this.req;
    st.on('data', (c: Buffer) => {
      req.bytes += c.length;
    });
    const write = st.write.bind(st) as (...a: unknown[]) => boolean;
    (st as unknown as { write: (...a: unknown[]) => boolean }).write = (...a: unknown[]) => {
      if (a[0] instanceof Uint8Array) this.bytes += a[0].length;
      return write(...a);
    };
    return st;
  }

  /** The stream carries a tunnel (extended CONNECT): its end is not this response's. */
  private tunnelling = false;

  forService(): [IncomingMessage, ServerResponse] {
    const req = this.req;
    const im = new Http2ServerRequest(this.stream, req.headers, {}, req.h2Raw);
    const sr = new Http2ServerResponse(this.stream);
    sr.sendDate = false;
    this.service = sr;
    this.countServiceBody(sr);
    this.headersSent = true;
    sr.once('finish', () => this.serviceDone());
    return [im as unknown as IncomingMessage, sr as unknown as ServerResponse];
  }

  /** A service's body bytes, counted as it writes them. */
  private countServiceBody(sr: Http2ServerResponse): void {
    const count = (chunk: unknown, enc: unknown): void => {
      if (typeof chunk === 'string')
        this.bytes += Buffer.byteLength(chunk, typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8');
      else if (chunk instanceof Uint8Array) this.bytes += chunk.length;
    };
    const write = sr.write.bind(sr) as (...a: unknown[]) => boolean;
    const end = sr.end.bind(sr) as (...a: unknown[]) => Http2ServerResponse;
    (sr as unknown as { write: (...a: unknown[]) => boolean }).write = (...a: unknown[]) => {
      count(a[0], a[1]);
      return write(...a);
    };
    (sr as unknown as { end: (...a: unknown[]) => Http2ServerResponse }).end = (...a: unknown[]) => {
      if (typeof a[0] !== 'function') count(a[0], a[1]);
      return end(...a);
    };
  }

  private serviceDone(): void {
    if (this.writableFinished || this.service === undefined) return;
    this.statusCode = this.service.statusCode;
    // the head as HAProxy counts an applet's (HTX_OVERHEAD, `HTTP/1.1 200 OK` and its fields)
    this.bytes += HTX_OVERHEAD + VERSION_LENGTH + 3 + (STATUS_CODES[this.statusCode]?.length ?? 0);
    const sent = this.stream.sentHeaders as Record<string, unknown> | undefined;
    if (sent !== undefined)
      for (const k of Object.keys(sent)) {
        if (k.charCodeAt(0) === 58) continue;
        const v = sent[k];
        for (const x of Array.isArray(v) ? v : [v]) this.bytes += k.length + String(x).length;
      }
    this.writableFinished = true;
    this.emit('finish');
  }

  markTraffic(): void {}

  traffic(): [number, number] {
    return [this.req.bytes, this.bytes];
  }
}

/**
 * nghttp2's fatal errors as the RFC 9113 codes of their GOAWAY: node ends such a session with
 * INTERNAL_ERROR whatever the cause; HAProxy (and the RFC) name the cause.
 */
const GOAWAY_CODES = new Map<number, number>([
  [-505, constants.NGHTTP2_PROTOCOL_ERROR], // NGHTTP2_ERR_PROTO
  [-903, constants.NGHTTP2_PROTOCOL_ERROR], // NGHTTP2_ERR_BAD_CLIENT_MAGIC
  [-522, constants.NGHTTP2_FRAME_SIZE_ERROR], // NGHTTP2_ERR_FRAME_SIZE_ERROR
  [-523, constants.NGHTTP2_COMPRESSION_ERROR], // NGHTTP2_ERR_HEADER_COMP
  [-524, constants.NGHTTP2_FLOW_CONTROL_ERROR], // NGHTTP2_ERR_FLOW_CONTROL
  [-904, constants.NGHTTP2_ENHANCE_YOUR_CALM], // NGHTTP2_ERR_FLOODED
]);

function goawayWithRfcCodes(session: ServerHttp2Session): void {
  const destroy = session.destroy.bind(session);
  session.destroy = (error?: Error, code?: number): void => {
    const errno = (error as { errno?: number } | undefined)?.errno;
    if (code === undefined && errno !== undefined) code = GOAWAY_CODES.get(errno);
    destroy(error, code);
  };
}

const H2_REQUEST = Symbol('switchyard.h2Request');
const H2_RESPONSE = Symbol('switchyard.h2Response');
type RequestStream = ServerHttp2Stream & { [H2_REQUEST]?: H2Request };
type ResponseStream = ServerHttp2Stream & { [H2_RESPONSE]?: H2Response };

// Shared stream listeners (no per-stream closures): node calls them with the stream as `this`.
function onRequestAborted(this: RequestStream): void {
  this[H2_REQUEST]?.aborted();
}

function onRequestTrailers(this: RequestStream, _h: unknown, _flags: number, raw: string[]): void {
  this[H2_REQUEST]?.gotTrailers(raw);
}

function onResponseStreamClose(this: ResponseStream): void {
  this[H2_RESPONSE]?.streamClosed();
}

function onResponseStreamDrain(this: ResponseStream): void {
  this[H2_RESPONSE]?.emit('drain');
}

const H2_CONN = Symbol('switchyard.h2Conn');
type H2Socket = Socket & { [H2_CONN]?: H2Conn };
type H2Session = ServerHttp2Session & { [H2_CONN]?: H2Conn };

/** The HTTP/2 connection on an accepted socket, if it is one. */
export function h2ConnOf(socket: Socket): H2Conn | undefined {
  return (socket as H2Socket)[H2_CONN];
}

function connOfSession(s: ServerHttp2Session): H2Conn | undefined {
  return (s as H2Session)[H2_CONN];
}

function noop(): void {}
