/**
 * The upstream HTTP/1.1 client: one pool of keep-alive connections per server address, each
 * connection a plain net/tls socket whose responses are parsed by Node's own llhttp binding
 * (the parser node:http uses, from `_http_common`). It speaks the subset of undici's legacy
 * dispatch-handler API the Stream implements (onConnect, onHeaders, onData, onComplete, onError,
 * onUpgrade), with undici's error codes, so the proxy logic does not depend on which client runs.
 *
 * Why not undici: per request, undici builds a Request object, validates every header again,
 * crosses into WebAssembly for each parser callback and re-arms its timers; on the small-request
 * benchmark that was a fifth of the proxy's CPU. Here a request is one head string, one write and
 * one native parse.
 *
 * What it does: connection reuse (LIFO, idle timeout from the server's `Keep-Alive: timeout=` hint
 * minus one second, else 4 s, at most 60 s), `Connection: close` when asked, request bodies with
 * back-pressure (Content-Length as is, otherwise re-chunked), response back-pressure (handler
 * returns false, then calls resume), HEAD and 1xx handling, upgrades (101 hands over the socket),
 * connect timeout (including the TLS handshake), one inactivity timeout for the exchange
 * (`timeout server`: UND_ERR_HEADERS_TIMEOUT before the response head, UND_ERR_BODY_TIMEOUT
 * after), strict response parsing (llhttp errors end the exchange with their HPE_* code).
 */
import { type NetConnectOpts, connect as netConnect, type Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { UpstreamError, type UpstreamFailureCode } from '../model/codes.ts';
import { type FastResponseHead, readResponseHead } from './fast-head.ts';
import { lastChunk } from './headers.ts';
import {
  HEAD_END,
  HTTPParser,
  kOnBody,
  kOnHeaders,
  kOnHeadersComplete,
  kOnMessageComplete,
  MAX_HEAD_SIZE,
  type NativeParser,
  PARSER_RESOURCE,
} from './llhttp.ts';
import { ReadBuffer, retainIn } from './read-buffers.ts';
import { type Batched, batchWrites } from './write-batch.ts';

const DEFAULT_IDLE_MS = 4000;
/** Response body reading: through the parser (chunked), by Content-Length, or until close. */
const BODY_PARSER = 0;
const BODY_LENGTH = 1;
const BODY_CLOSE = 2;
/** The result of readResponseHead, reused (read synchronously right after). */
const FAST: FastResponseHead = { minor: 1, status: 0, reason: '', headers: [], length: -1, keepAlive: false };
const MAX_IDLE_MS = 60000;
/** Request body bytes queued on a connection before the body is paused (node's 16 KiB paused at every 64 KiB read). */
const WRITE_HIGH_WATER = 256 * 1024;

/** What the Stream implements (undici's legacy handler shape). */
export interface UpstreamHandler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(statusCode: number, headers: string[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: string[] | null): void;
  onError(err: Error & { code?: string }): void;
  /**
   * After a 101: the socket (an HTTP/2 server's stream for an extended CONNECT) is handed over
   * paused (bytes after the head unread); resume it.
   */
  onUpgrade(statusCode: number, headers: string[], socket: Duplex): void;
}

export interface UpstreamRequest {
  path: string;
  method: string;
  /** Flat [name, value, ...] list, forwarded in order. */
  headers: string[];
  /** Request body (null: none). `started` is set once the first byte is taken from it. */
  body: (Readable & { started?: boolean }) | null;
  /** Close the connection after this exchange (`Connection: close`). */
  reset?: boolean;
  /** Inactivity timeout of the exchange in ms (0: none). */
  timeout?: number;
  /** Upgrade protocol (e.g. `websocket`): `Connection: upgrade` and `Upgrade:` are sent. */
  upgrade?: string;
  /** The client connection it comes from (HTTP/2 `http-reuse` reserves connections per client). */
  client?: object;
  /** Not the first request of its client connection (`http-reuse safe`). */
  notFirst?: boolean;
  /** The client sent `te: trailers` (kept toward HTTP/2 servers, dropped toward HTTP/1 ones). */
  teTrailers?: boolean;
  /** Request trailers, read once the body ended (HTTP/2 servers, HTTP/1 ones with a chunked body). */
  trailers?: () => string[] | undefined;
}

export interface PoolOptions {
  host: string;
  port: number;
  /** Host header added when the request has none, as `host:port`. */
  authority: string;
  connectTimeout: number;
  tls?: ConnectionOptions;
  /** `send-proxy`/`send-proxy-v2`: written first on every new connection of this pool. */
  proxyHeader?: Buffer;
  /** `max-reuse`: a connection carries at most N+1 requests (-1 or unset: no limit). */
  maxReuse?: number;
  /** `pool-max-conn`: idle connections kept (-1 or unset: no limit). */
  poolMaxConn?: number;
  /** ALPN offered over TLS (`alpn`; HTTP/1: http/1.1 alone when unset). */
  alpn?: string[];
  /** Told the protocol a TLS connection negotiated when it is not this pool's (alpn-pool.ts). */
  onOtherProtocol?: (alpn: string) => void;
}

/** Keep-alive connections to one server address. */
export class H1Pool {
  private readonly opts: PoolOptions;
  private readonly idle: Conn[] = [];
  /** Every open connection, an array with swap-remove (see listeners.ts on long-lived Sets). */
  private readonly all: Conn[] = [];
  private closing?: { resolve: () => void };

  constructor(opts: PoolOptions) {
    this.opts = opts;
  }

  /** Connections open (tests, stats). */
  get connectionCount(): number {
    return this.all.length;
  }

  /** The PROXY header new connections start with (`send-proxy`), if any. */
  get proxyHeader(): Buffer | undefined {
    return this.opts.proxyHeader;
  }

  /**
   * Sends `req` on an idle connection or a new one; the handler hears everything after.
   * Returns true when a kept-alive connection was reused.
   */
  dispatch(req: UpstreamRequest, handler: UpstreamHandler): boolean {
    if (this.closing) throw new UpstreamError('the pool is closed', 'UND_ERR_CLOSED');
    const head = requestHead(req, this.opts.authority);
    // an upgraded socket becomes a stream-mode tunnel: it needs a connection of its own that
    // reads through node's streams, not into a reused buffer
    let conn = req.upgrade ? undefined : this.idle.pop();
    while (conn?.socket.destroyed) conn = this.idle.pop();
    if (conn) {
      conn.start(req, head, handler);
      return true;
    }
    conn = new Conn(this, this.opts, req.upgrade !== undefined);
    conn.slot = this.all.length;
    this.all.push(conn);
    conn.start(req, head, handler);
    return false;
  }

  /** Takes a connected TLS socket that negotiated http/1.1 (alpn-pool.ts) as an idle connection. */
  adopt(socket: Socket): void {
    const conn = new Conn(this, this.opts, false, socket);
    conn.slot = this.all.length;
    this.all.push(conn);
    this.release(conn);
  }

  /** A new TLS connection negotiated `alpn`, another protocol than HTTP/1. */
  otherProtocol(alpn: string): void {
    this.opts.onOtherProtocol?.(alpn);
  }

  /** A connection finished its exchange and may carry another one (`max-reuse`, `pool-max-conn`). */
  release(conn: Conn): void {
    const o = this.opts;
    if (
      this.closing ||
      (o.maxReuse !== undefined && o.maxReuse >= 0 && conn.uses > o.maxReuse) ||
      (o.poolMaxConn !== undefined && o.poolMaxConn >= 0 && this.idle.length >= o.poolMaxConn)
    ) {
      conn.socket.destroy();
      return;
    }
    this.idle.push(conn);
    if (!sweeping.has(this)) startSweep(this);
  }

  /** Closes connections idle longer than their keep-alive time; false once none is idle. */
  sweep(now: number): boolean {
    const idle = this.idle;
    let w = 0;
    for (let r = 0; r < idle.length; r++) {
      const c = idle[r] as Conn;
      if (now - c.idleSince + SWEEP_MS > c.idleMs)
        c.socket.destroy(); // early rather than late
      else idle[w++] = c;
    }
    idle.length = w;
    return w > 0;
  }

  /** A connection is gone. */
  forget(conn: Conn): void {
    const all = this.all;
    const at = conn.slot;
    if (at >= 0 && all[at] === conn) {
      const last = all.pop() as Conn;
      if (last !== conn) {
        all[at] = last;
        last.slot = at;
      }
      conn.slot = -1;
    }
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    if (this.closing && all.length === 0) this.closing.resolve();
  }

  /** Idle connections (tests, stats). */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Closes idle connections now and the busy ones once their exchange ends. */
  close(): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      this.closing = { resolve };
      for (const c of this.idle.splice(0)) c.socket.destroy();
      if (this.all.length === 0) resolve();
    });
  }

  /** Closes every connection now; exchanges in progress end with an error. */
  destroy(): Promise<void> {
    const p = this.close();
    for (const c of this.all.slice()) c.fail(new UpstreamError('the pool was destroyed', 'UND_ERR_DESTROYED'));
    return p;
  }
}

/** One upstream connection and its parser; carries one exchange at a time. */
class Conn implements Batched {
  readonly socket: Socket;
  batched = false;
  private readonly pool: H1Pool;
  private readonly parser: NativeParser;
  private handler: UpstreamHandler | undefined;
  private req: UpstreamRequest | undefined;
  private connected = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private pendingHead: string | undefined;
  /** Response head seen for the current exchange (a final one, not 1xx). */
  private gotHead = false;
  private keepAlive = false;
  /** How long this connection may stay idle (the server's hint), and since when it is. */
  idleMs = DEFAULT_IDLE_MS;
  idleSince = 0;
  /** Position in its pool's list of connections. */
  slot = -1;
  /** Exchanges started on it (`max-reuse`). */
  uses = 0;
  private timeoutMs = 0;
  private headers: string[] | undefined;
  private upgraded = false;
  private closed = false;
  private bodyDone = true;
  /** The request whose body is being sent (it may outlive its exchange, see complete()). */
  private sending: UpstreamRequest | undefined;
  /** The response is complete, the request body not yet: released once it is sent. */
  private awaitingBody = false;
  private readonly resumeFn = (): void => {
    if (!this.closed) this.socket.resume();
  };
  private readonly abortFn = (err?: Error): void => {
    this.fail(err ?? new UpstreamError('request aborted', 'UND_ERR_ABORTED'));
  };

  /**
   * Plain TCP connections read into buffers reused from one read to the next (`onread`) instead
   * of a fresh 64 KiB allocation per read: forwarding a large body then stays in the CPU's caches
   * and makes no garbage (1 MB responses: +30-40% in a bare relay on this machine).
   * - During an exchange the connection reads into a buffer of its own. A read's bytes may stay
   *   referenced after the read (a client write the kernel did not take at once, see
   *   read-buffers.ts): the next read then gets a new buffer.
   * - Between exchanges it points at one buffer shared by all idle connections and holds none of
   *   its own. Bytes read there (the first read of a response) are copied out at once, before
   *   anything else can read into it.
   */
  private readonly rbuf = new ReadBuffer();
  private readonly nextReadBuffer = (): Buffer => this.rbuf.next(this.handler !== undefined);
  private readonly onRead = (nread: number, buf: Uint8Array): boolean => {
    this.onSocketData(ReadBuffer.bytes(buf, nread));
    return true; // pausing is done by onSocketData itself
  };

  constructor(pool: H1Pool, o: PoolOptions, streamReads = false, adopted?: Socket) {
    this.pool = pool;
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.RESPONSE, PARSER_RESOURCE, MAX_HEAD_SIZE, 0);
    parser[kOnHeaders] = (h: string[]) => {
      // long heads arrive in pieces before headers-complete
      this.headers = this.headers ? this.headers.concat(h) : h;
    };
    parser[kOnHeadersComplete] = this.onHeadersComplete;
    parser[kOnBody] = this.onBody;
    parser[kOnMessageComplete] = this.onMessageComplete;
    this.parser = parser;
    const sock = adopted
      ? adopted
      : o.tls
        ? tlsConnect({ ...o.tls, host: o.host, port: o.port, ALPNProtocols: o.alpn ?? ['http/1.1'] })
        : streamReads
          ? netConnect({ host: o.host, port: o.port, noDelay: true, highWaterMark: WRITE_HIGH_WATER } as NetConnectOpts)
          : netConnect({
              host: o.host,
              port: o.port,
              noDelay: true,
              highWaterMark: WRITE_HIGH_WATER,
              onread: { buffer: this.nextReadBuffer, callback: this.onRead },
            } as NetConnectOpts);
    this.socket = sock;
    sock.setNoDelay(true);
    if (adopted) {
      // connected and past its PROXY header already
      this.connected = true;
      this.idleSince = Date.now();
    } else {
      if (o.connectTimeout > 0) {
        this.connectTimer = setTimeout(() => {
          this.fail(new UpstreamError('connect timeout', 'UND_ERR_CONNECT_TIMEOUT'));
        }, o.connectTimeout);
      }
      sock.once(o.tls ? 'secureConnect' : 'connect', this.onConnected);
    }
    sock.on('data', this.onSocketData);
    sock.on('end', this.onSocketEnd);
    sock.on('error', this.onSocketError);
    sock.on('close', this.onSocketClose);
    sock.on('timeout', this.onSocketTimeout);
    sock.on('drain', this.onSocketDrain);
  }

  start(req: UpstreamRequest, head: string, handler: UpstreamHandler): void {
    this.uses++;
    this.req = req;
    this.handler = handler;
    this.gotHead = false;
    this.bodyMode = BODY_PARSER;
    this.partialHead = undefined;
    // the previous exchange may have ended while its reader held the socket paused
    if (this.socket.isPaused()) this.socket.resume();
    this.headers = undefined;
    const t = req.timeout ?? 0;
    if (t !== this.timeoutMs) {
      // re-armed only when it changes: node allocates a timer per setTimeout call
      this.timeoutMs = t;
      this.socket.setTimeout(t);
    }
    if (!this.connected) {
      this.pendingHead = head;
      return;
    }
    handler.onConnect(this.abortFn);
    if (this.handler === handler) this.send(head);
  }

  private readonly onConnected = (): void => {
    this.connected = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    const alpn = (this.socket as { alpnProtocol?: string | false }).alpnProtocol;
    if (alpn === 'h2') {
      // offered with `alpn h2,...` and chosen by the server: not an HTTP/1 connection
      this.pool.otherProtocol(alpn);
      this.fail(new UpstreamError('the server negotiated h2', 'ECONNRESET'));
      return;
    }
    const ph = this.pool.proxyHeader;
    if (ph) this.socket.write(ph);
    const h = this.handler;
    const head = this.pendingHead;
    this.pendingHead = undefined;
    if (!h || head === undefined) return;
    h.onConnect(this.abortFn);
    if (this.handler === h) this.send(head);
  };

  private send(head: string): void {
    const req = this.req as UpstreamRequest;
    const body = req.body;
    const sock = this.socket;
    if (!body) {
      batchWrites(this);
      sock.write(head, 'latin1');
      return;
    }
    // The head leaves with the first body chunk (or the end): a body that turns out invalid
    // (a bad chunk size...) is refused before anything reached the server.
    let first: string | undefined = head;
    this.bodyDone = false;
    this.sending = req;
    const chunked = !hasContentLength(req.headers);
    body.on('data', (chunk: Buffer) => {
      if (this.closed || this.sending !== req) return;
      sock.cork();
      if (first !== undefined) {
        sock.write(first, 'latin1');
        first = undefined;
      }
      if (chunked) sock.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      sock.write(chunk);
      if (chunked) sock.write('\r\n', 'latin1');
      sock.uncork();
      // still queued: the client connection's read buffer holding it is in use (front.ts)
      retainIn(sock);
      if (sock.writableNeedDrain) body.pause();
    });
    body.once('end', () => {
      if (this.closed || this.sending !== req) return;
      this.bodyDone = true;
      this.sending = undefined;
      if (first !== undefined) sock.write(first, 'latin1');
      first = undefined;
      // the client's trailers go in the last chunk (dropped when the body has a Content-Length)
      if (chunked) sock.write(lastChunk(req.trailers?.()), 'latin1');
      if (this.awaitingBody) {
        // the response came first; now the request is whole too and the connection is free
        this.awaitingBody = false;
        this.idleSince = Date.now();
        this.pool.release(this);
      }
    });
    body.once('error', (err: Error) => {
      if (this.sending === req) this.fail(err);
    });
  }

  private readonly onSocketDrain = (): void => {
    const body = this.sending?.body;
    if (body && !this.bodyDone) body.resume();
  };

  private readonly onHeadersComplete = (
    _major: number,
    _minor: number,
    headers: string[] | undefined,
    _method: number,
    _url: string,
    statusCode: number,
    statusMessage: string,
    upgrade: boolean,
    shouldKeepAlive: boolean,
  ): number => {
    const list = this.headers ? (headers ? this.headers.concat(headers) : this.headers) : (headers ?? []);
    this.headers = undefined;
    const h = this.handler;
    if (!h) return 1;
    if (statusCode < 200) {
      if (statusCode === 101 && upgrade && this.req?.upgrade) {
        this.upgraded = true;
        this.gotHead = true;
        this.pendingUpgrade = { statusCode, headers: list };
        return 2;
      }
      h.onHeaders(statusCode, list, this.resumeFn, statusMessage);
      return 1;
    }
    this.gotHead = true;
    this.keepAlive = shouldKeepAlive && !this.req?.reset;
    // one pass over the head: keep-alive hint and how the body is framed
    let idleMs = DEFAULT_IDLE_MS;
    let length = -1;
    let chunked = false;
    for (let i = 0; i < list.length; i += 2) {
      const n = list[i] as string;
      if (n.length === 10 && n.toLowerCase() === 'keep-alive') idleMs = keepAliveHint(list[i + 1] as string);
      else if (n.length === 14 && n.toLowerCase() === 'content-length') length = Number(list[i + 1]);
      else if (n.length === 17 && n.toLowerCase() === 'transfer-encoding') chunked = true;
    }
    this.idleMs = idleMs;
    this.chunkedBody = chunked;
    const noBody = this.req?.method === 'HEAD' || statusCode === 204 || statusCode === 304;
    // The body goes around the parser when its end is known without decoding it (a length, or
    // the close): forwarded as the socket's own buffers, no copy. Chunked bodies stay parsed.
    if (!noBody && !chunked) {
      if (length > 0) {
        this.bodyMode = BODY_LENGTH;
        this.remaining = length;
      } else if (length < 0) {
        this.bodyMode = BODY_CLOSE;
      }
    }
    if (!h.onHeaders(statusCode, list, this.resumeFn, statusMessage ?? '')) this.socket.pause();
    return noBody ? 1 : 0;
  };

  private pendingUpgrade: { statusCode: number; headers: string[] } | undefined;
  /** The current response body is chunked (it ends with a trailer section). */
  private chunkedBody = false;
  /** How the current response body is read: through the parser, by length, or until close. */
  private bodyMode = BODY_PARSER;
  private remaining = 0;
  /** Start of a response head split over reads. */
  private partialHead: Buffer | undefined;
  /** llhttp read the current response's head (it must be reset if the body goes around it). */
  private parserInBody = false;

  private readonly onBody = (chunk: Buffer): void => {
    const h = this.handler;
    if (h && !h.onData(chunk)) this.socket.pause();
  };

  private readonly onMessageComplete = (): void => {
    this.parserInBody = false;
    // the fields llhttp flushes at the end of a chunked body are its trailers
    const trailers = this.headers;
    this.headers = undefined;
    if (!this.handler || !this.gotHead || this.upgraded) return; // end of a 1xx, or the 101 of an upgrade
    // a chunked body always ends with its (maybe empty) trailer section
    this.complete(trailers !== undefined && trailers.length > 0 ? trailers : this.chunkedBody ? [] : null);
  };

  /** The response is complete: the handler hears it (with the trailers of a chunked body), the connection is reused or closed. */
  private complete(trailers: string[] | null = null): void {
    const h = this.handler as UpstreamHandler;
    this.handler = undefined;
    const req = this.req;
    this.req = undefined;
    this.gotHead = false;
    const reusable = this.keepAlive && !this.closed && this.idleMs > 0;
    if (!this.bodyDone && this.sending === req && req !== undefined) {
      if (reusable) {
        // A response before the whole request body (a server that answers without reading it):
        // as haproxy 2.6, the rest of the body is still sent, then the connection is reused.
        this.awaitingBody = true;
        h.onComplete(trailers);
        return;
      }
      req.body?.removeAllListeners('data');
      this.sending = undefined;
    }
    this.idleSince = Date.now();
    h.onComplete(trailers);
    if (reusable) this.pool.release(this);
    else this.socket.destroy();
  }

  private readonly onSocketData = (data: Buffer): void => {
    let rest: Buffer | undefined = data;
    while (rest && rest.length > 0) {
      if (!this.handler) {
        // bytes from an idle connection, or after a complete response: the server broke the
        // protocol; drop the connection
        this.socket.destroy();
        return;
      }
      switch (this.bodyMode) {
        case BODY_LENGTH:
          rest = this.rawBody(rest);
          break;
        case BODY_CLOSE: {
          const h = this.handler;
          if (!h.onData(rest)) this.socket.pause();
          rest = undefined;
          break;
        }
        default:
          rest = this.parse(rest);
      }
    }
  };

  /** Body bytes of a response with a length: forwarded as they are; the rest is what follows. */
  private rawBody(data: Buffer): Buffer | undefined {
    const h = this.handler as UpstreamHandler;
    const n = Math.min(this.remaining, data.length);
    this.remaining -= n;
    const done = this.remaining === 0;
    if (!h.onData(n === data.length ? data : data.subarray(0, n))) this.socket.pause();
    if (!done || this.handler !== h) return undefined;
    this.bodyMode = BODY_PARSER;
    if (this.parserInBody) {
      // the parser saw the head only and waits for a body it will never see: start it afresh
      this.parserInBody = false;
      this.parser.initialize(HTTPParser.RESPONSE, PARSER_RESOURCE, MAX_HEAD_SIZE, 0);
    }
    this.complete();
    return n < data.length ? data.subarray(n) : undefined;
  }

  /**
   * Bytes for the parser. Waiting for a head, only the head is given to it (the body may then be
   * read around it); in a chunked body, everything. Returns the bytes it did not take.
   */
  private parse(data: Buffer): Buffer | undefined {
    let chunk = data;
    let rest: Buffer | undefined;
    if (!this.gotHead) {
      if (this.partialHead) {
        chunk = Buffer.concat([this.partialHead, data]);
        this.partialHead = undefined;
      }
      const end = chunk.indexOf(HEAD_END);
      if (end < 0) {
        if (chunk.length > MAX_HEAD_SIZE) {
          this.fail(new UpstreamError('response head too large', 'HPE_HEADER_OVERFLOW'));
        } else this.partialHead = Buffer.from(chunk); // the read buffer is reused
        return undefined;
      }
      if (end + 4 < chunk.length) {
        rest = chunk.subarray(end + 4);
        chunk = chunk.subarray(0, end + 4);
      }
      // the common shape of head is read here, without llhttp (fast-head.ts)
      if (!this.parserInBody && readResponseHead(chunk.toString('latin1', 0, end), FAST)) {
        const h = this.handler;
        const skip = this.onHeadersComplete(
          1,
          FAST.minor,
          FAST.headers,
          0,
          '',
          FAST.status,
          FAST.reason,
          false,
          FAST.keepAlive,
        );
        // no body (HEAD, 204, 304, a zero length): the response is complete now, as llhttp would say
        if (this.handler === h && h !== undefined && (skip === 1 || this.bodyMode === BODY_PARSER)) {
          this.bodyMode = BODY_PARSER;
          this.complete();
        }
        return rest;
      }
      this.parserInBody = true;
    }
    const r = this.parser.execute(chunk);
    if (typeof r !== 'number') {
      // what haproxy keeps for `show errors`: the bytes read, the position of the refused byte
      const snapshot = this.gotHead
        ? undefined
        : { buf: rest ? Buffer.concat([chunk, rest]) : Buffer.from(chunk), errorAt: bytesParsed(r) };
      this.fail(
        new UpstreamError(
          `invalid response from server (${r.code ?? r.message})`,
          (r.code as UpstreamFailureCode | undefined) ?? 'HPE_INVALID',
          snapshot,
        ),
      );
      return undefined;
    }
    if (this.upgraded && this.pendingUpgrade) {
      const u = this.pendingUpgrade;
      this.pendingUpgrade = undefined;
      const h = this.handler;
      this.handler = undefined;
      this.detach();
      // paused: bytes that followed the 101 wait for the new owner, who resumes the socket
      this.socket.pause();
      if (r < chunk.length) rest = rest ? Buffer.concat([chunk.subarray(r), rest]) : chunk.subarray(r);
      if (rest && rest.length > 0) this.socket.unshift(Buffer.from(rest));
      h?.onUpgrade(u.statusCode, u.headers, this.socket);
      return undefined;
    }
    return rest;
  }

  private readonly onSocketEnd = (): void => {
    if (this.handler && this.gotHead) {
      if (this.bodyMode === BODY_CLOSE) {
        // close-delimited body: the end is the end of the message
        this.bodyMode = BODY_PARSER;
        this.keepAlive = false;
        this.complete();
        return;
      }
      if (this.bodyMode === BODY_PARSER) {
        const r = this.parser.finish();
        if (r instanceof Error) {
          this.fail(new UpstreamError('response truncated by the server', 'UND_ERR_SOCKET'));
          return;
        }
      }
    }
    if (this.handler) this.fail(new UpstreamError('other side closed', 'UND_ERR_SOCKET'));
    else this.socket.destroy();
  };

  private readonly onSocketError = (err: Error): void => {
    this.fail(err);
  };

  private readonly onSocketClose = (): void => {
    if (this.handler) this.fail(new UpstreamError('other side closed', 'UND_ERR_SOCKET'));
    this.cleanup();
  };

  private readonly onSocketTimeout = (): void => {
    if (!this.handler) {
      this.socket.destroy(); // idle for a whole `timeout server`
      return;
    }
    this.fail(
      this.gotHead
        ? new UpstreamError('body timeout', 'UND_ERR_BODY_TIMEOUT')
        : new UpstreamError('headers timeout', 'UND_ERR_HEADERS_TIMEOUT'),
    );
  };

  /** Ends the current exchange with `err` (the handler hears it once) and the connection. */
  fail(err: Error): void {
    const h = this.handler;
    const req = this.req;
    this.handler = undefined;
    this.req = undefined;
    const sending = this.sending ?? req;
    if (sending?.body && !this.bodyDone) sending.body.removeAllListeners('data');
    this.sending = undefined;
    this.awaitingBody = false;
    this.socket.destroy();
    this.cleanup();
    if (h) h.onError(err);
  }

  /** Hands the socket over (upgrade): our listeners and parser go away. */
  private detach(): void {
    const s = this.socket;
    s.off('data', this.onSocketData);
    s.off('end', this.onSocketEnd);
    s.off('error', this.onSocketError);
    s.off('close', this.onSocketClose);
    s.off('timeout', this.onSocketTimeout);
    s.off('drain', this.onSocketDrain);
    s.setTimeout(0);
    this.cleanup();
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.pool.forget(this);
    // freed after the current parser callback returns
    setImmediate(closeParser, this.parser);
  }
}

/** Pools with idle connections, swept once a second (one timer for all, not one per socket). */
const sweeping = new Set<H1Pool>();
let sweepTimer: NodeJS.Timeout | undefined;
const SWEEP_MS = 1000;

function startSweep(pool: H1Pool): void {
  sweeping.add(pool);
  if (sweepTimer) return;
  sweepTimer = setInterval(() => {
    const now = Date.now();
    for (const p of sweeping) if (!p.sweep(now)) sweeping.delete(p);
    if (sweeping.size === 0 && sweepTimer) {
      clearInterval(sweepTimer);
      sweepTimer = undefined;
    }
  }, SWEEP_MS);
  sweepTimer.unref();
}

function closeParser(p: NativeParser): void {
  p.close();
}

/** `Keep-Alive: timeout=N` from the server: keep idle one second less; else the default. */
function keepAliveHint(value: string): number {
  const m = /timeout=(\d+)/i.exec(value);
  if (!m) return DEFAULT_IDLE_MS;
  const ms = Number(m[1]) * 1000 - 1000;
  return ms <= 0 ? 0 : Math.min(ms, MAX_IDLE_MS);
}

function hasContentLength(list: string[]): boolean {
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i];
    if (n.length === 14 && n.toLowerCase() === 'content-length') return true;
  }
  return false;
}

/** Characters a header value may not contain on the wire (CR, LF, NUL). */
const BAD_VALUE = /[\r\n\0]/;
/** RFC 9110 token characters (header names, methods). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Request targets: visible ASCII and obs-text, no spaces or controls. */
const BAD_TARGET = /[\0-\x20\x7f]/;

/**
 * The request head as one latin1 string. Throws on anything that would break the framing
 * (a rule that produced CR/LF in a value, an invalid name, a target with spaces).
 */
export function requestHead(req: UpstreamRequest, authority: string): string {
  if (!TOKEN.test(req.method))
    throw new UpstreamError(`invalid method ${JSON.stringify(req.method)}`, 'UND_ERR_INVALID_ARG');
  if (BAD_TARGET.test(req.path)) throw new UpstreamError('invalid request target', 'UND_ERR_INVALID_ARG');
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  const list = req.headers;
  let host = false;
  let hasLength = false;
  for (let i = 0; i < list.length; i += 2) {
    const n = list[i];
    const v = list[i + 1];
    if (!TOKEN.test(n)) throw new UpstreamError(`invalid header name ${JSON.stringify(n)}`, 'UND_ERR_INVALID_ARG');
    if (BAD_VALUE.test(v)) throw new UpstreamError(`invalid value for header ${n}`, 'UND_ERR_INVALID_ARG');
    if (n.length === 4 && !host && n.toLowerCase() === 'host') host = true;
    else if (n.length === 14 && n.toLowerCase() === 'content-length') hasLength = true;
    head += `${n}: ${v}\r\n`;
  }
  if (!host) head += `host: ${authority}\r\n`;
  if (req.upgrade) head += `connection: upgrade\r\nupgrade: ${req.upgrade}\r\n`;
  else if (req.reset) head += 'connection: close\r\n';
  else head += 'connection: keep-alive\r\n';
  if (req.body && !hasLength && !req.upgrade) head += 'transfer-encoding: chunked\r\n';
  return `${head}\r\n`;
}

/** Where llhttp stopped in the bytes given to it (node's parser error carries it). */
function bytesParsed(e: Error): number {
  const n = (e as Error & { bytesParsed?: unknown }).bytesParsed;
  return typeof n === 'number' ? n : 0;
}
