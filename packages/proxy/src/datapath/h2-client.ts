/**
 * The upstream HTTP/2 client (HAProxy's mux_h2, backend side), on node:http2 client sessions
 * (nghttp2 frames and HPACK; no codec of our own). It speaks the same dispatch-handler API as
 * h1-client.ts, so the Stream does not know which protocol carries its request.
 *
 * - Many streams per connection, at most the server's SETTINGS_MAX_CONCURRENT_STREAMS (100
 *   until its SETTINGS arrive, as HAProxy): a request that finds every connection full opens
 *   another one.
 * - `http-reuse` as HAProxy 2.6: a connection with streams in progress is reserved for the
 *   client connection that opened it (`safe`, `aggressive`, `never`) or shared (`always`); an
 *   idle one is reused by a client's second request (`safe`), by any request (`aggressive`,
 *   `always`), or only by the same client (`never`).
 * - `max-reuse N`: at most N+1 streams per connection; `pool-max-conn N`: idle connections kept;
 *   `pool-purge-delay T`: each period, half of the idle connections (rounded up) are closed.
 * - GOAWAY: no new stream on that connection; streams above its last stream id (and
 *   REFUSED_STREAM) end with ERR_H2_REFUSED (the server did not process them: safe to retry);
 *   RST_STREAM from the server ends the stream with ERR_H2_RST.
 * - `timeout server` per stream (UND_ERR_HEADERS_TIMEOUT / UND_ERR_BODY_TIMEOUT), back-pressure
 *   both ways, request and response trailers.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  connect as h2connect,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { UpstreamError } from '../model/codes.ts';
import type { PoolOptions, UpstreamHandler, UpstreamRequest } from './h1-client.ts';
import { getHeader, websocketAccept } from './headers.ts';

/** HAProxy's `http-reuse` modes. */
export type ReuseMode = 'never' | 'safe' | 'aggressive' | 'always';

export interface H2PoolOptions extends PoolOptions {
  reuse: ReuseMode;
  /** -1: no limit. */
  maxReuse: number;
  /** -1: no limit. */
  poolMaxConn: number;
  /** ms; 0: no idle connection kept. */
  purgeDelay: number;
  /** ALPN offered over TLS (`alpn`), default h2. */
  alpn?: string[];
}

/** Streams allowed before the server's SETTINGS arrive (HAProxy's tune.h2.max-concurrent-streams). */
const DEFAULT_STREAMS = 100;
/** Response head size accepted from a server (as tune.bufsize): larger is an invalid response. */
const MAX_HEADER_LIST = 16384;
/** Fields that never travel in HTTP/2 (RFC 9113 8.2.2), dropped from requests. */
const H2_FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

/** One HTTP/2 connection to the server. */
class Session {
  readonly h2: ClientHttp2Session;
  connected = false;
  /** Streams open (or waiting for the connection). */
  active = 0;
  /** Streams ever opened on it (max-reuse). */
  used = 0;
  maxStreams = DEFAULT_STREAMS;
  /** No new stream: GOAWAY received, closing, or max-reuse reached. */
  draining = false;
  /** The client connection it is reserved for (undefined: shared or idle). */
  owner: object | undefined;
  idleSince = 0;
  readonly waiting: Array<() => void> = [];

  constructor(h2: ClientHttp2Session) {
    this.h2 = h2;
  }
}

/** HTTP/2 connections to one server address. */
export class H2Pool {
  private readonly opts: H2PoolOptions;
  private readonly all: Session[] = [];
  private readonly idle: Session[] = [];
  private purgeTimer: NodeJS.Timeout | undefined;
  private closing?: { resolve: () => void };
  private readonly scheme: string;

  constructor(opts: H2PoolOptions) {
    this.opts = opts;
    this.scheme = opts.tls ? 'https' : 'http';
  }

  /** Connections open (tests, stats). */
  get connectionCount(): number {
    return this.all.length;
  }

  /** Idle connections (tests, stats). */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Sends `req` on a stream; true when an existing connection carried it. */
  dispatch(req: UpstreamRequest, handler: UpstreamHandler): boolean {
    if (this.closing) throw new UpstreamError('the pool is closed', 'UND_ERR_CLOSED');
    const headers = requestHeaders(req, this.opts.authority, this.scheme);
    if (req.upgrade) {
      // RFC 8441 extended CONNECT, as haproxy 2.6 sends an HTTP/1 upgrade to an h2 server
      headers[':method'] = 'CONNECT';
      headers[':protocol'] = req.upgrade;
    }
    const client = req.client;
    let s = this.pick(client, req.notFirst === true);
    const reused = s !== undefined;
    if (!s) s = this.open();
    const mode = this.opts.reuse;
    s.owner = mode === 'always' ? undefined : client;
    s.active++;
    s.used++;
    const max = this.opts.maxReuse;
    if (max >= 0 && s.used > max) s.draining = true;
    const sess = s;
    if (sess.connected) this.start(sess, req, headers, handler);
    else sess.waiting.push(() => this.start(sess, req, headers, handler));
    return reused;
  }

  /** A connection that can take one more stream for `client`, per the reuse mode. */
  private pick(client: object | undefined, notFirst: boolean): Session | undefined {
    const mode = this.opts.reuse;
    const all = this.all;
    for (let i = 0; i < all.length; i++) {
      const s = all[i];
      if (s.draining || s.active === 0 || s.active >= s.maxStreams) continue;
      if (s.owner === undefined ? mode === 'always' : s.owner === client) return s;
    }
    const idle = this.idle;
    for (let i = idle.length - 1; i >= 0; i--) {
      const s = idle[i];
      if (s.draining) continue;
      const ok = mode === 'never' ? s.owner === client : mode === 'safe' ? notFirst || s.owner === client : true;
      if (!ok) continue;
      idle.splice(i, 1);
      return s;
    }
    return undefined;
  }

  /**
   * Takes a connected TLS socket that negotiated h2 (alpn-pool.ts) as an idle connection kept
   * for `owner` (the client connection whose request opened it).
   */
  adopt(socket: Socket, owner: object | undefined): void {
    const s = this.open(socket);
    s.owner = owner;
    this.keepIdle(s);
  }

  private open(adopted?: Socket): Session {
    const o = this.opts;
    const url = `${this.scheme}://${o.authority}`;
    const h2 = h2connect(url, {
      maxHeaderListPairs: 256,
      maxSessionMemory: 16,
      createConnection: () => {
        if (adopted) return adopted;
        const sock: Socket = o.tls
          ? tlsConnect({ ...o.tls, host: o.host, port: o.port, ALPNProtocols: o.alpn ?? ['h2'] })
          : netConnect({ host: o.host, port: o.port, noDelay: true });
        if (o.proxyHeader) sock.write(o.proxyHeader);
        return sock;
      },
    });
    const s = new Session(h2);
    this.all.push(s);
    let timer: NodeJS.Timeout | undefined;
    if (o.connectTimeout > 0) {
      timer = setTimeout(() => {
        if (!s.connected) this.failSession(s, new UpstreamError('connect timeout', 'UND_ERR_CONNECT_TIMEOUT'));
      }, o.connectTimeout);
    }
    h2.once('connect', () => {
      if (timer) clearTimeout(timer);
      s.connected = true;
      const tls = h2.socket as Socket & { alpnProtocol?: string | false };
      if (o.tls && tls.alpnProtocol !== 'h2') {
        if (tls.alpnProtocol) o.onOtherProtocol?.(tls.alpnProtocol);
        this.failSession(s, new UpstreamError('the server did not negotiate h2', 'ECONNRESET'));
        return;
      }
      for (const run of s.waiting.splice(0)) run();
    });
    h2.on('remoteSettings', (st) => {
      s.maxStreams = st.maxConcurrentStreams ?? DEFAULT_STREAMS;
    });
    h2.on('goaway', () => {
      s.draining = true;
      this.unidle(s);
      if (s.active === 0) h2.close();
    });
    h2.on('error', (err: Error) => {
      if (timer) clearTimeout(timer);
      this.failSession(s, err);
    });
    h2.on('close', () => {
      if (timer) clearTimeout(timer);
      this.failSession(s, new UpstreamError('other side closed', 'UND_ERR_SOCKET'));
    });
    return s;
  }

  /** The connection is gone: streams still waiting for it fail; the pool forgets it. */
  private failSession(s: Session, err: Error): void {
    s.draining = true;
    const i = this.all.indexOf(s);
    if (i >= 0) this.all.splice(i, 1);
    this.unidle(s);
    const waiting = s.waiting.splice(0);
    if (!s.h2.destroyed) s.h2.destroy();
    for (const run of waiting) run();
    void err;
    if (this.closing && this.all.length === 0) this.closing.resolve();
  }

  private unidle(s: Session): void {
    const j = this.idle.indexOf(s);
    if (j >= 0) this.idle.splice(j, 1);
  }

  /** Opens the stream of one request on a connected session (or fails it if the session died). */
  private start(s: Session, req: UpstreamRequest, headers: OutgoingHttpHeaders, handler: UpstreamHandler): void {
    if (s.h2.destroyed || s.h2.closed) {
      this.streamEnded(s);
      handler.onError(
        new UpstreamError('connection to the server failed', s.connected ? 'ECONNRESET' : 'ECONNREFUSED'),
      );
      return;
    }
    let st: ClientHttp2Stream;
    try {
      const tunnel = req.upgrade !== undefined;
      st = s.h2.request(headers, {
        endStream: req.body === null && !tunnel,
        waitForTrailers: req.body !== null && !tunnel,
      });
    } catch (e) {
      this.streamEnded(s);
      const err = e as Error & { code?: string };
      if (req.upgrade !== undefined) {
        // a server that did not announce SETTINGS_ENABLE_CONNECT_PROTOCOL
        handler.onError(new UpstreamError(`the server does not take ${req.upgrade} over HTTP/2`, 'HPE_INVALID'));
        return;
      }
      handler.onError(
        new UpstreamError(
          err.message,
          err.code === 'ERR_HTTP2_INVALID_CONNECTION_HEADERS' ? 'UND_ERR_INVALID_ARG' : 'ERR_H2_REFUSED',
        ),
      );
      return;
    }
    new Exchange(this, s, st, req, handler);
  }

  /** A stream ended: the connection may go idle, be closed, or serve the next stream. */
  streamEnded(s: Session): void {
    s.active--;
    if (s.active > 0) return;
    const o = this.opts;
    if (s.draining || this.closing || !s.connected) {
      if (!s.h2.destroyed) s.h2.close();
      return;
    }
    if (o.reuse !== 'never') s.owner = undefined;
    if (o.purgeDelay === 0 || o.poolMaxConn === 0 || (o.poolMaxConn > 0 && this.idle.length >= o.poolMaxConn)) {
      s.draining = true;
      s.h2.close();
      return;
    }
    this.keepIdle(s);
  }

  private keepIdle(s: Session): void {
    s.idleSince = Date.now();
    this.idle.push(s);
    if (!this.purgeTimer && this.opts.purgeDelay > 0) {
      this.purgeTimer = setInterval(this.purge, this.opts.purgeDelay);
      this.purgeTimer.unref();
    }
  }

  /** pool-purge-delay: half of the idle connections (rounded up) close each period. */
  private readonly purge = (): void => {
    const idle = this.idle;
    const kill = Math.ceil(idle.length / 2);
    for (const s of idle.splice(0, kill)) {
      s.draining = true;
      s.h2.close();
    }
    if (idle.length === 0 && this.purgeTimer) {
      clearInterval(this.purgeTimer);
      this.purgeTimer = undefined;
    }
  };

  /** Closes idle connections now and the others once their streams end. */
  close(): Promise<void> {
    if (this.closing) return Promise.resolve();
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = undefined;
    return new Promise((resolve) => {
      this.closing = { resolve };
      for (const s of this.all) {
        s.draining = true;
        if (s.active === 0) s.h2.close();
      }
      this.idle.length = 0;
      if (this.all.length === 0) resolve();
    });
  }

  /** Closes every connection now; streams in progress end with an error. */
  destroy(): Promise<void> {
    const p = this.close();
    for (const s of this.all.slice()) s.h2.destroy();
    return p;
  }
}

/** One request/response on one stream. */
class Exchange {
  private readonly pool: H2Pool;
  private readonly sess: Session;
  private readonly st: ClientHttp2Stream;
  private readonly req: UpstreamRequest;
  private handler: UpstreamHandler | undefined;
  private gotHead = false;
  private trailers: string[] | null = null;
  private ended = false;

  constructor(pool: H2Pool, sess: Session, st: ClientHttp2Stream, req: UpstreamRequest, handler: UpstreamHandler) {
    this.pool = pool;
    this.sess = sess;
    this.st = st;
    this.req = req;
    this.handler = handler;
    const t = req.timeout ?? 0;
    if (t > 0) st.setTimeout(t, this.onTimeout);
    st.on('response', this.onResponse);
    st.on('data', this.onData);
    st.on('trailers', this.onTrailers);
    st.on('end', this.onEnd);
    st.on('error', this.onStreamError);
    st.on('close', this.onClose);
    handler.onConnect(this.abort);
    if (this.handler && req.body) this.sendBody(req);
  }

  private sendBody(req: UpstreamRequest): void {
    const body = req.body as NonNullable<UpstreamRequest['body']>;
    const st = this.st;
    body.on('data', (chunk: Buffer) => {
      if (st.destroyed) return;
      if (!st.write(chunk)) body.pause();
    });
    st.on('drain', () => body.resume());
    body.once('end', () => {
      if (st.destroyed) return;
      st.once('wantTrailers', () => {
        const t = req.trailers?.();
        // without trailers the stream still ends normally (END_STREAM), never by a reset:
        // close() would send RST_STREAM, which a gRPC server takes as a cancelled call
        st.sendTrailers(t && t.length > 0 ? flatToObject(t) : {});
      });
      st.end();
    });
    body.once('error', (err: Error) => this.fail(err));
  }

  private readonly abort = (err?: Error): void => {
    this.handler = undefined;
    this.req.body?.removeAllListeners('data');
    if (!this.st.destroyed) this.st.close(constants.NGHTTP2_CANCEL);
    void err;
  };

  private readonly onResponse = (_h: unknown, _flags: number, raw: string[]): void => {
    const h = this.handler;
    if (!h) return;
    const status = Number(raw[1]);
    if (raw[0] !== ':status' || !(status >= 200 && status <= 599)) {
      this.fail(new UpstreamError(`invalid :status from server (${raw[1]})`, 'HPE_INVALID_STATUS'));
      return;
    }
    let size = 0;
    const out: string[] = [];
    for (let i = 2; i < raw.length; i += 2) {
      const n = raw[i];
      size += n.length + raw[i + 1].length + 32;
      if (n.charCodeAt(0) === 58) {
        this.fail(new UpstreamError(`invalid pseudo-header ${n} in response`, 'HPE_INVALID_HEADER_TOKEN'));
        return;
      }
      out.push(n, raw[i + 1]);
    }
    if (size > MAX_HEADER_LIST) {
      this.fail(new UpstreamError('response head too large', 'HPE_HEADER_OVERFLOW'));
      return;
    }
    this.gotHead = true;
    if (this.req.upgrade !== undefined && status === 200) {
      this.upgraded(h, out);
      return;
    }
    if (!h.onHeaders(status, out, this.resume, '')) this.st.pause();
  };

  /**
   * The server accepted an extended CONNECT: the client hears an HTTP/1 101 (with the
   * Sec-WebSocket-Accept of its key, as haproxy 2.6 makes it) and the stream is the tunnel.
   */
  private upgraded(h: UpstreamHandler, fields: string[]): void {
    this.handler = undefined;
    const st = this.st;
    st.off('data', this.onData);
    st.off('end', this.onEnd);
    st.off('trailers', this.onTrailers);
    st.setTimeout(0);
    st.pause();
    const proto = this.req.upgrade as string;
    const out = ['upgrade', proto, 'connection', 'upgrade', ...fields];
    const key = getHeader(this.req.headers, 'sec-websocket-key');
    if (proto.toLowerCase() === 'websocket' && key !== undefined)
      out.push('sec-websocket-accept', websocketAccept(key));
    h.onUpgrade(101, out, st);
  }

  private readonly resume = (): void => {
    if (!this.st.destroyed) this.st.resume();
  };

  private readonly onData = (chunk: Buffer): void => {
    const h = this.handler;
    if (h && !h.onData(chunk)) this.st.pause();
  };

  private readonly onTrailers = (_t: unknown, _flags: number, raw: string[]): void => {
    this.trailers = raw;
  };

  private readonly onEnd = (): void => {
    const h = this.handler;
    if (!h || !this.gotHead) return;
    this.handler = undefined;
    this.finish();
    h.onComplete(this.trailers);
  };

  private readonly onTimeout = (): void => {
    this.fail(
      this.gotHead
        ? new UpstreamError('body timeout', 'UND_ERR_BODY_TIMEOUT')
        : new UpstreamError('headers timeout', 'UND_ERR_HEADERS_TIMEOUT'),
    );
  };

  private readonly onStreamError = (err: Error & { code?: string }): void => {
    // the close event that follows says why
    void err;
  };

  private readonly onClose = (): void => {
    if (!this.handler) {
      this.finish();
      return;
    }
    const rst = this.st.rstCode;
    const sess = this.sess;
    if (rst === constants.NGHTTP2_REFUSED_STREAM && !this.gotHead) {
      this.fail(new UpstreamError('stream refused by the server (not processed)', 'ERR_H2_REFUSED'));
    } else if (rst === constants.NGHTTP2_NO_ERROR && !this.gotHead && sess.draining) {
      this.fail(new UpstreamError('connection closed by GOAWAY before the stream was processed', 'ERR_H2_REFUSED'));
    } else if (rst === constants.NGHTTP2_PROTOCOL_ERROR || rst === constants.NGHTTP2_FRAME_SIZE_ERROR) {
      this.fail(new UpstreamError(`invalid HTTP/2 from the server (error ${rst})`, 'HPE_INVALID'));
    } else if (rst !== undefined && rst !== constants.NGHTTP2_NO_ERROR) {
      this.fail(new UpstreamError(`stream reset by the server (error ${rst})`, 'ERR_H2_RST'));
    } else this.fail(new UpstreamError('stream closed by the server', 'UND_ERR_SOCKET'));
  };

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.pool.streamEnded(this.sess);
  }

  private fail(err: Error): void {
    const h = this.handler;
    this.handler = undefined;
    this.req.body?.removeAllListeners('data');
    if (!this.st.destroyed) this.st.close(constants.NGHTTP2_CANCEL);
    this.finish();
    h?.onError(err);
  }
}

/** The request as HTTP/2 fields: pseudo-headers first, Host as :authority (RFC 9113 8.3.1). */
function requestHeaders(req: UpstreamRequest, authority: string, scheme: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': req.method, ':scheme': scheme, ':path': req.path };
  let auth: string | undefined;
  const list = req.headers;
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i].toLowerCase();
    const v = list[i + 1];
    if (n === 'host') {
      if (auth === undefined) auth = v;
      continue;
    }
    if (H2_FORBIDDEN.has(n) || n.charCodeAt(0) === 58) continue;
    const prev = out[n];
    if (prev === undefined) out[n] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[n] = n === 'cookie' ? `${prev}; ${v}` : [String(prev), v];
  }
  if (req.teTrailers) out.te = 'trailers';
  out[':authority'] = auth ?? authority;
  return out;
}

function flatToObject(list: string[]): OutgoingHttpHeaders {
  const o: OutgoingHttpHeaders = {};
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i].toLowerCase();
    if (n.charCodeAt(0) === 58 || H2_FORBIDDEN.has(n)) continue;
    const prev = o[n];
    if (prev === undefined) o[n] = list[i + 1];
    else if (Array.isArray(prev)) prev.push(list[i + 1]);
    else o[n] = [String(prev), list[i + 1]];
  }
  return o;
}
