/**
 * The client side of HTTP/1.x: one FrontConn per accepted connection, parsing request heads with
 * Node's own llhttp binding (the parser node:http uses, from `_http_common`) and framing
 * responses itself.
 *
 * Why not node:http: per request it builds an IncomingMessage and a ServerResponse (two streams
 * with their state objects), validates every header again, copies them into an object, arms
 * timers and adds `Connection`/`Keep-Alive` headers of its own. On the small-request benchmark
 * that was most of the proxy's JavaScript time. Here a request is one parse of its head, two
 * small objects and one write of the response head with the first body bytes.
 *
 * How a connection is read:
 * - Only the head goes to the parser: the bytes up to the first CRLFCRLF (a head split over
 *   reads waits until it is whole, up to 16 KiB, node's default limit). llhttp is strict: bare
 *   LF line ends, conflicting Content-Length/Transfer-Encoding, invalid tokens are refused
 *   (400).
 * - A body with a Content-Length is handed on as the socket's own buffers; a chunked body is
 *   decoded here (strictly: hex sizes, CRLF after each chunk; trailers are kept for the server).
 * - Requests are served one at a time, in order: bytes of a next (pipelined) request wait until
 *   the current response is complete, reading stops when more than 64 KiB wait.
 * - `Expect: 100-continue` is answered at once with `100 Continue` (as node:http did), the
 *   request then goes through as usual.
 * - `Upgrade` requests stop the reading: what follows the head belongs to the tunnel.
 *
 * How a response is written: HTTP/1.1 status line and the given fields (names must be tokens,
 * values without control characters, else writeHead throws); a body without Content-Length is
 * sent chunked to HTTP/1.1 clients and ends the connection for HTTP/1.0 ones; no body for HEAD,
 * 1xx, 204 and 304. `Connection: close` is added when the connection ends after the response,
 * `Connection: keep-alive` for an HTTP/1.0 client that keeps it, nothing else (as HAProxy).
 */
import { EventEmitter } from 'node:events';
import { IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientRequest, ClientResponse } from './client-side.ts';
import { type FastRequestHead, readRequestHead } from './fast-head.ts';
import { lastChunk, parseTrailerLines } from './headers.ts';
import {
  HEAD_END,
  HTTPParser,
  kOnHeaders,
  kOnHeadersComplete,
  kOnMessageComplete,
  MAX_HEAD_SIZE,
  METHODS,
  PARSER_RESOURCE,
} from './llhttp.ts';
import { ReadBuffer, retain, retainIn } from './read-buffers.ts';
import { type Batched, batchWrites } from './write-batch.ts';

/** Bytes of pipelined requests buffered before reading stops. */
const MAX_PENDING = 64 * 1024;
/**
 * Request body bytes kept while the reader is paused before the socket stops being read (as
 * node:http's 256 KiB high-water mark did): stopping and restarting a socket at each 64 KiB read
 * cost a third of the upload throughput.
 */
const MAX_BODY_BUFFER = 256 * 1024;
const EMPTY = Buffer.alloc(0);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/** Bodies up to this size are written together with the head as one latin1 string. */
const SMALL_BODY = 4096;

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Connection states. */
const HEAD = 0;
const BODY_LENGTH = 1;
const BODY_CHUNKED = 2;
/** The request is whole; its response is not. */
const WAIT = 3;
/** Upgrade requested or handed over, or closing: no more parsing. */
const STOPPED = 4;

/** Chunked decoder states. */
const CH_SIZE = 0;
const CH_EXT = 1;
const CH_SIZE_LF = 2;
const CH_DATA = 3;
const CH_DATA_CR = 4;
const CH_DATA_LF = 5;
const CH_TRAILER_START = 6;
const CH_TRAILER = 7;
const CH_TRAILER_LF = 8;
const CH_FINAL_LF = 9;

/** What a listener does with a connection's requests and errors. */
export interface FrontOwner {
  onRequest(req: FrontRequest, res: FrontResponse): void;
  onUpgrade(req: FrontRequest, res: FrontResponse, head: Buffer): void;
  /**
   * The request head could not be read (llhttp code, `ERR_HTTP_REQUEST_TIMEOUT`): answer, close.
   * `head` and `errorAt`: the bytes refused and where (for `show errors`).
   */
  onClientError(conn: FrontConn, code: string, head?: Buffer, errorAt?: number): void;
  /** The request body was invalid after the request was handed on (chunked framing). */
  onBodyError(conn: FrontConn, code: string): void;
  onTimeout(socket: Socket): void;
  /**
   * The connection's first bytes are the HTTP/2 client preface (h2c with prior knowledge, as
   * HAProxy's mux_h1 detects it): take the socket over with `bytes` as its first input and
   * return true, or false to go on as HTTP/1 (`option disable-h2-upgrade`).
   */
  onH2Preface?(conn: FrontConn, bytes: Buffer): boolean;
}

/** RFC 9113 3.4: what an HTTP/2 client sends first. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** One request as the Stream sees it (the subset of IncomingMessage it uses). */
export class FrontRequest extends EventEmitter implements ClientRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  readonly rawHeaders: string[];
  readonly socket: Socket;
  readonly conn: FrontConn;
  /** The connection may stay open after this request (llhttp's view: version, Connection). */
  readonly keepAlive: boolean;
  readonly upgrade: boolean;
  /** A body follows the head (Content-Length > 0 or chunked). */
  hasBody = false;
  /** Trailer fields of a chunked body ([name, value, ...]), set before its 'end'. */
  trailers: string[] | undefined;
  expectContinue = false;
  /** The whole request, body included, has been received. */
  complete = false;
  /** The rest of the body is read and dropped (answered, nobody reads it). */
  discard = false;
  /** Time (ms) from the head's first byte to its end: HAProxy's TR (0 when it came in one read). */
  headMs = 0;
  private paused = false;
  private buffered?: Buffer[];
  private bufferedBytes = 0;
  private endPending = false;

  get notFirst(): boolean {
    return ((this.conn.socket as CountedSocket)[READ_MARK] ?? 0) > 0;
  }

  constructor(
    conn: FrontConn,
    method: string,
    url: string,
    major: number,
    minor: number,
    rawHeaders: string[],
    keepAlive: boolean,
    upgrade: boolean,
  ) {
    super();
    this.conn = conn;
    this.socket = conn.socket;
    this.method = method;
    this.url = url;
    this.httpVersionMajor = major;
    this.httpVersionMinor = minor;
    this.httpVersion = major === 1 && minor === 1 ? '1.1' : major === 1 && minor === 0 ? '1.0' : `${major}.${minor}`;
    this.rawHeaders = rawHeaders;
    this.keepAlive = keepAlive;
    this.upgrade = upgrade;
  }

  /** Body bytes from the connection: to the reader, or kept while it is paused or absent. */
  pushBody(chunk: Buffer): void {
    if (this.discard) return;
    if (!this.paused && this.buffered === undefined && this.listenerCount('data') > 0) {
      this.emit('data', chunk);
      return;
    }
    if (this.buffered === undefined) this.buffered = [];
    this.buffered.push(chunk);
    retain();
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes > MAX_BODY_BUFFER) this.conn.socket.pause();
  }

  endBody(): void {
    this.complete = true;
    if (this.buffered !== undefined || this.paused || this.listenerCount('end') === 0) {
      this.endPending = true;
      return;
    }
    this.emit('end');
  }

  /** Stops 'data' events; the socket itself stops only once MAX_BODY_BUFFER bytes wait. */
  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    const b = this.buffered;
    if (b !== undefined) {
      this.buffered = undefined;
      this.bufferedBytes = 0;
      for (let i = 0; i < b.length; i++) {
        if (this.paused) {
          // the reader paused again: keep the rest
          const rest = b.slice(i);
          this.buffered = rest;
          for (const c of rest) this.bufferedBytes += c.length;
          return this;
        }
        this.emit('data', b[i]);
      }
    }
    if (this.endPending && !this.paused) {
      this.endPending = false;
      this.emit('end');
    }
    if (!this.paused && !this.complete) this.conn.resumeReading();
    return this;
  }

  /** The body stopped short (connection closed): readers hear an error. */
  abort(err: Error): void {
    if (this.complete) return;
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.emit('aborted');
  }
}

/** The response to a FrontRequest (the subset of ServerResponse the Stream uses). */
export class FrontResponse extends EventEmitter implements ClientResponse {
  readonly conn: FrontConn;
  readonly req: FrontRequest;
  statusCode = 200;
  headersSent = false;
  /** The connection stays open after this response. */
  shouldKeepAlive: boolean;
  /** Unused (no Date header is added); kept for node:http's shape. */
  sendDate = false;
  writableFinished = false;
  private hasBody = true;
  private chunked = false;
  /** An errorfile's framing (see framing()). */
  private version10 = false;
  private closeDelimited = false;
  private head: string | undefined;
  private corked = false;
  private in0 = 0;
  private out0 = 0;

  constructor(conn: FrontConn, req: FrontRequest) {
    super();
    this.conn = conn;
    this.req = req;
    this.shouldKeepAlive = req.keepAlive && !req.upgrade;
  }

  get writableNeedDrain(): boolean {
    return this.conn.socket.writableNeedDrain;
  }

  // Request bytes arrive before the request is handed on (often the whole request in one read),
  // so the count starts where the previous request on this connection ended.
  markTraffic(): void {
    const sock = this.conn.socket as CountedSocket;
    this.in0 = sock[READ_MARK] ?? 0;
    this.out0 = sock.bytesWritten;
  }

  traffic(): [number, number] {
    const sock = this.conn.socket as CountedSocket;
    const bin = sock.bytesRead - this.in0;
    sock[READ_MARK] = sock.bytesRead;
    return [bin, sock.bytesWritten - this.out0];
  }

  /**
   * The next head is an errorfile's as HAProxy's mux sends it: `HTTP/1.0` when the file says so
   * (then `connection: keep-alive` when the connection stays), and a body without a length ends
   * with the connection instead of being chunked.
   */
  framing(version10: boolean, closeDelimited: boolean): void {
    this.version10 = version10;
    this.closeDelimited = closeDelimited;
  }

  /** Status line and fields; `flat` is [name, value, name, value, ...]. Throws on an invalid field. */
  writeHead(status: number, reason: string | undefined, flat: string[]): this {
    if (this.headersSent) throw new Error('response head already sent');
    const req = this.req;
    let hasLength = false;
    const v10 = this.version10;
    let head = `HTTP/1.${v10 ? 0 : 1} ${status} ${reason ?? STATUS_CODES[status] ?? 'unknown'}\r\n`;
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i];
      const value = flat[i + 1];
      if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
      if (INVALID_VALUE.test(value)) throw new TypeError(`invalid value for header ${name}`);
      if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true;
      head += `${name}: ${value}\r\n`;
    }
    this.statusCode = status;
    this.hasBody = !(req.method === 'HEAD' || status < 200 || status === 204 || status === 304);
    if (this.hasBody && !hasLength) {
      if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && !this.closeDelimited) {
        this.chunked = true;
        head += 'transfer-encoding: chunked\r\n';
      } else this.shouldKeepAlive = false; // HTTP/1.0: the end of the connection ends the body
    }
    if (!this.shouldKeepAlive) {
      // an HTTP/1.0 response without a length says nothing: its end is the connection's
      if (!(v10 && this.hasBody && !hasLength)) head += 'connection: close\r\n';
    } else if (req.httpVersionMinor === 0 || v10) head += 'connection: keep-alive\r\n';
    this.head = `${head}\r\n`;
    this.headersSent = true;
    return this;
  }

  write(chunk: Buffer): boolean {
    if (this.writableFinished) return false;
    const s = this.conn.socket;
    if (this.head !== undefined && !this.chunked && chunk.length <= SMALL_BODY && this.hasBody) {
      // a small body goes out with its head as one string: one plain write, no writev
      const head = this.head;
      this.head = undefined;
      batchWrites(this.conn);
      return s.write(head + chunk.toString('latin1'), 'latin1');
    }
    if (this.head !== undefined) {
      // head and first bytes leave in one write; more writes of this tick join them
      s.cork();
      this.corked = true;
      s.write(this.head, 'latin1');
      this.head = undefined;
      process.nextTick(uncorkResponse, this);
    }
    if (!this.hasBody || chunk.length === 0) return !s.writableNeedDrain;
    let ok: boolean;
    if (this.chunked) {
      s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      s.write(chunk);
      ok = s.write('\r\n', 'latin1');
    } else ok = s.write(chunk);
    // still queued (the kernel did not take it all, or corked): the chunk's read buffer is in use
    retainIn(s);
    return ok;
  }

  /** Ends the response; `trailers` ([name, value, ...]) go in the last chunk of a chunked body. */
  end(chunk?: Buffer, trailers?: string[]): void {
    if (this.writableFinished) return;
    if (!this.headersSent) this.writeHead(this.statusCode, undefined, []);
    const s = this.conn.socket;
    if (chunk !== undefined && chunk.length > 0) this.write(chunk);
    if (this.head !== undefined) {
      batchWrites(this.conn);
      s.write(this.head, 'latin1');
      this.head = undefined;
    }
    if (this.chunked && this.hasBody) s.write(lastChunk(trailers), 'latin1');
    this.uncork();
    this.writableFinished = true;
    this.conn.responseDone(this);
    this.emit('finish');
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.conn.socket.uncork();
  }

  destroy(): void {
    this.conn.socket.destroy();
  }

  /** The socket becomes someone else's (a tunnel): nothing more is read or written here. */
  detachSocket(_socket?: Socket): void {
    this.conn.detach();
  }

  /** The server's 101 goes to the client as it came; the socket becomes the tunnel's. */
  openTunnel(status: number, raw: string[]): Socket {
    let head = `HTTP/1.1 ${status} Switching Protocols\r\n`;
    for (let i = 0; i + 1 < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
    const s = this.conn.socket;
    this.detachSocket(s);
    s.write(`${head}\r\n`);
    return s;
  }

  /**
   * node:http objects for a service (stats page, exporter) that writes the response itself.
   * When the service's response finishes, this one finishes with it.
   */
  forService(): [IncomingMessage, ServerResponse] {
    const req = this.req;
    const sock = this.conn.socket;
    const im = new IncomingMessage(sock);
    im.method = req.method;
    im.url = req.url;
    im.httpVersionMajor = req.httpVersionMajor;
    im.httpVersionMinor = req.httpVersionMinor;
    im.httpVersion = req.httpVersion;
    (im as unknown as { _addHeaderLines(h: string[], n: number): void })._addHeaderLines(
      req.rawHeaders,
      req.rawHeaders.length,
    );
    if (!req.hasBody) {
      im.complete = true;
      im.push(null);
    } else {
      req.on('data', (c: Buffer) => {
        retain();
        im.push(c);
      });
      req.on('end', () => {
        im.complete = true;
        im.push(null);
      });
      req.resume();
    }
    const sr = new ServerResponse(im);
    sr.shouldKeepAlive = this.shouldKeepAlive;
    sr.assignSocket(sock);
    this.headersSent = true;
    sr.once('finish', () => {
      sr.detachSocket(sock);
      this.statusCode = sr.statusCode;
      this.shouldKeepAlive = this.shouldKeepAlive && sr.shouldKeepAlive && !sr.hasHeader('connection');
      this.writableFinished = true;
      this.conn.responseDone(this);
      this.emit('finish');
    });
    return [im, sr];
  }
}

function uncorkResponse(res: FrontResponse): void {
  res.uncork();
}

/** One client connection. */
export class FrontConn implements Batched {
  readonly socket: Socket;
  batched = false;
  private readonly owner: FrontOwner;
  private state = HEAD;
  /** Start of the head being read (ms; 0: none yet), for `timeout http-request`. */
  headStart: number;
  /** End of the last response (ms; 0: a request is in progress), for `timeout http-keep-alive`. */
  idleSince = 0;
  req: FrontRequest | undefined;
  res: FrontResponse | undefined;
  private partial: Buffer | undefined;
  /** When the first byte of the head being read arrived (ms). */
  private firstByte = 0;
  /** Bytes received after the current request (the next ones), parsed when it is answered. */
  private pending: Buffer | undefined;
  private remaining = 0;
  private chState = CH_SIZE;
  private chSize = 0;
  private chDigits = 0;
  private trailerBytes = 0;
  private trailerText = '';
  private flushedHeaders: string[] | undefined;
  private flushedUrl = '';
  private clientEnded = false;
  private closed = false;
  private drainScheduled = false;
  /** Nothing of a first request read yet: its bytes may still be the HTTP/2 preface. */
  private first = true;

  /** Where reads go when the socket reads into reused buffers (see useReadBuffers). */
  private readonly rbuf = new ReadBuffer();
  /** The bytes being handled are in the shared read buffer (see onRead). */
  private inShared = false;

  constructor(socket: Socket, owner: FrontOwner, reuseReads = false) {
    this.socket = socket;
    this.owner = owner;
    this.headStart = Date.now();
    // shared listeners (no closures per connection): they find the connection on the socket
    (socket as ConnSocket)[CONN] = this;
    if (reuseReads) useReadBuffers(this);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', noop);
    socket.on('close', onSocketClose);
    socket.on('drain', onSocketDrain);
    socket.on('timeout', onSocketTimeout);
  }

  /** The socket becomes an HTTP/2 connection: nothing of it stays here (the listener's sweep then finds its h2 state). */
  handOver(): void {
    this.detach();
    this.closed = true;
    delete (this.socket as Partial<ConnSocket>)[CONN];
  }

  /** The next read's buffer: the connection's own during a request body (read-buffers.ts). */
  nextReadBuffer(): Buffer {
    return this.rbuf.next(this.state === BODY_LENGTH || this.state === BODY_CHUNKED);
  }

  /** Bytes read into a reused buffer. */
  onRead(nread: number, buf: Buffer): void {
    let data = ReadBuffer.view(buf, nread);
    if (this.state === STOPPED) {
      // an upgrade or a closing connection: bytes go the usual stream way (a tunnel pipes them)
      if (!this.socket.push(Buffer.from(data))) this.socket.pause(); // owned bytes, the buffer is reused
      return;
    }
    // Bytes in the shared buffer are not copied for a head (the usual case): what onHead keeps
    // past this call is copied there (a partial head, a pending next request, the start of a
    // body). In any other state they are copied now.
    this.inShared = ReadBuffer.isShared(buf);
    if (this.inShared && this.state !== HEAD) data = Buffer.from(data);
    try {
      this.onData(data);
    } finally {
      this.inShared = false;
    }
  }

  /** Idle between requests: nothing received of a next one. */
  get idle(): boolean {
    return this.state === HEAD && this.req === undefined && this.partial === undefined && !this.closed;
  }

  /** Checks `timeout http-request` and `timeout http-keep-alive` (called by the listener's sweep). */
  checkTimeouts(now: number, headersMs: number, keepAliveMs: number): void {
    if (this.state !== HEAD || this.req !== undefined || this.closed) return;
    if (this.headStart > 0) {
      if (headersMs > 0 && now - this.headStart >= headersMs) this.fail('ERR_HTTP_REQUEST_TIMEOUT');
    } else if (keepAliveMs > 0 && this.idleSince > 0 && now - this.idleSince >= keepAliveMs) this.socket.destroy();
  }

  resumeReading(): void {
    if (this.state !== STOPPED && !this.closed && this.socket.isPaused()) this.socket.resume();
  }

  onData(data: Buffer): void {
    switch (this.state) {
      case HEAD:
        this.onHead(data);
        return;
      case BODY_LENGTH:
      case BODY_CHUNKED:
        this.onBody(data);
        return;
      case WAIT:
        this.keep(data);
        return;
      default:
        return;
    }
  }

  /** Keeps bytes of the next request until the current one is answered. */
  private keep(data: Buffer): void {
    this.pending = this.pending === undefined ? Buffer.from(data) : Buffer.concat([this.pending, data]);
    if (this.pending.length > MAX_PENDING) this.socket.pause();
  }

  private onHead(data: Buffer): void {
    let buf = data;
    if (this.partial !== undefined) {
      buf = Buffer.concat([this.partial, data]);
      this.partial = undefined;
    }
    let firstByte = this.firstByte;
    if (buf === data) {
      firstByte = Date.now();
      this.firstByte = firstByte;
    }
    if (this.headStart === 0) this.headStart = firstByte;
    this.idleSince = 0;
    if (this.first && this.owner.onH2Preface) {
      const n = Math.min(buf.length, H2_PREFACE.length);
      if (buf.compare(H2_PREFACE, 0, n, 0, n) === 0) {
        if (n < H2_PREFACE.length) {
          this.partial = buf === data ? Buffer.from(buf) : buf;
          return;
        }
        if (this.owner.onH2Preface(this, Buffer.from(buf))) return;
      }
      this.first = false;
    }
    const end = buf.indexOf(HEAD_END);
    if (end < 0) {
      if (buf.length > MAX_HEAD_SIZE) {
        this.fail('HPE_HEADER_OVERFLOW');
        return;
      }
      // a bare LF where CRLF belongs never completes a head: let the parser refuse it now
      if (buf.indexOf(10) >= 0) {
        const r = parseHead(this, buf);
        // valid so far: parsed again from the start once more bytes arrive
        shared.dirty = true;
        this.req = undefined;
        this.res = undefined;
        if (typeof r !== 'number') {
          this.fail(r.code ?? 'HPE_INVALID', buf, r);
          return;
        }
      }
      this.partial = buf === data ? Buffer.from(buf) : buf;
      return;
    }
    const headEnd = end + 4;
    if (headEnd > MAX_HEAD_SIZE + 4) {
      this.fail('HPE_HEADER_OVERFLOW');
      return;
    }
    // the common shape of head is read here, without llhttp (fast-head.ts)
    const f = FAST;
    if (readRequestHead(buf.toString('latin1', 0, end), f)) {
      this.headersComplete(1, f.minor, f.headers, f.method, f.url, 0, '', false, f.keepAlive);
    } else {
      const r = parseHead(this, headEnd === buf.length ? buf : buf.subarray(0, headEnd));
      if (typeof r !== 'number') {
        this.fail(r.code ?? 'HPE_INVALID', buf, r);
        return;
      }
    }
    const req = this.req;
    const res = this.res;
    if (req === undefined || res === undefined) {
      this.fail('HPE_INVALID');
      return;
    }
    this.headStart = 0;
    if (buf !== data) req.headMs = Date.now() - firstByte;
    const rest = headEnd < buf.length ? buf.subarray(headEnd) : undefined;
    if (req.upgrade) {
      // what follows the head is the tunnel's: stop reading, the socket keeps it
      this.state = STOPPED;
      this.socket.off('data', onSocketData);
      this.socket.pause();
      if (req.method === 'CONNECT') {
        this.fail('HPE_CONNECT_UNSUPPORTED');
        return;
      }
      this.owner.onUpgrade(req, res, rest ? Buffer.from(rest) : EMPTY);
      return;
    }
    if (!req.hasBody) {
      req.complete = true;
      this.state = WAIT;
      if (rest !== undefined) this.keep(rest);
      this.owner.onRequest(req, res);
      return;
    }
    if (req.expectContinue && req.httpVersionMinor >= 1) this.socket.write(CONTINUE, 'latin1');
    this.owner.onRequest(req, res);
    if (rest !== undefined && (this.state === BODY_LENGTH || this.state === BODY_CHUNKED))
      this.onBody(this.inShared ? Buffer.from(rest) : rest);
  }

  /** llhttp read a whole head (called during parseHead). */
  headersComplete(
    major: number,
    minor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _status: number,
    _reason: string,
    upgrade: boolean,
    keepAlive: boolean,
  ): void {
    const raw = headers ?? shared.flushedHeaders ?? [];
    const target = url || shared.flushedUrl;
    const req = new FrontRequest(this, METHODS[method] ?? 'GET', target, major, minor, raw, keepAlive, upgrade);
    let length = -1;
    let chunked = false;
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i];
      const l = n.length;
      if (l === 14) {
        if (n.toLowerCase() === 'content-length') length = Number(raw[i + 1]);
      } else if (l === 17) {
        if (n.toLowerCase() === 'transfer-encoding') chunked = true;
      } else if (l === 6) {
        if (n.toLowerCase() === 'expect' && raw[i + 1].toLowerCase() === '100-continue') req.expectContinue = true;
      }
    }
    if (chunked) {
      req.hasBody = true;
      this.state = BODY_CHUNKED;
      this.chState = CH_SIZE;
      this.chSize = 0;
      this.chDigits = 0;
      this.trailerBytes = 0;
      this.trailerText = '';
    } else if (length > 0) {
      req.hasBody = true;
      this.state = BODY_LENGTH;
      this.remaining = length;
    }
    this.req = req;
    this.res = new FrontResponse(this, req);
  }

  private onBody(data: Buffer): void {
    const req = this.req as FrontRequest;
    if (this.res?.writableFinished === true && req.listenerCount('data') === 0) {
      // answered, and nobody takes the rest of the body (its server is gone): read to its end and
      // drop it, the connection goes on after it
      req.discard = true;
    }
    if (this.state === BODY_LENGTH) {
      const n = Math.min(this.remaining, data.length);
      this.remaining -= n;
      if (n > 0) req.pushBody(n === data.length ? data : data.subarray(0, n));
      if (this.remaining > 0) return;
      this.bodyEnd(n < data.length ? data.subarray(n) : undefined);
      return;
    }
    this.decodeChunked(data);
  }

  /** Strict chunked decoding; data is handed on as slices of `data`. */
  private decodeChunked(data: Buffer): void {
    const req = this.req as FrontRequest;
    let i = 0;
    const len = data.length;
    while (i < len) {
      const c = data[i];
      switch (this.chState) {
        case CH_SIZE: {
          const d = hexValue(c);
          if (d >= 0) {
            if (++this.chDigits > 12) {
              this.bodyError('HPE_INVALID_CHUNK_SIZE');
              return;
            }
            this.chSize = this.chSize * 16 + d;
            i++;
            break;
          }
          if (this.chDigits === 0) {
            this.bodyError('HPE_INVALID_CHUNK_SIZE');
            return;
          }
          if (c === 13) this.chState = CH_SIZE_LF;
          else if (c === 59 || c === 32 || c === 9) this.chState = CH_EXT;
          else {
            this.bodyError('HPE_INVALID_CHUNK_SIZE');
            return;
          }
          i++;
          break;
        }
        case CH_EXT:
          if (c === 13) this.chState = CH_SIZE_LF;
          else if (c === 10 || (c < 32 && c !== 9) || c === 127) {
            this.bodyError('HPE_STRICT');
            return;
          }
          i++;
          break;
        case CH_SIZE_LF:
          if (c !== 10) {
            this.bodyError('HPE_STRICT');
            return;
          }
          i++;
          if (this.chSize === 0) {
            this.chState = CH_TRAILER_START;
          } else {
            this.remaining = this.chSize;
            this.chState = CH_DATA;
          }
          break;
        case CH_DATA: {
          const n = Math.min(this.remaining, len - i);
          req.pushBody(i === 0 && n === len ? data : data.subarray(i, i + n));
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.chState = CH_DATA_CR;
          break;
        }
        case CH_DATA_CR:
          if (c !== 13) {
            this.bodyError('HPE_STRICT');
            return;
          }
          this.chState = CH_DATA_LF;
          i++;
          break;
        case CH_DATA_LF:
          if (c !== 10) {
            this.bodyError('HPE_STRICT');
            return;
          }
          this.chState = CH_SIZE;
          this.chSize = 0;
          this.chDigits = 0;
          i++;
          break;
        case CH_TRAILER_START:
          if (c === 13) {
            this.chState = CH_FINAL_LF;
            i++;
          } else this.chState = CH_TRAILER;
          break;
        case CH_TRAILER: {
          // a trailer line, up to its CR (rare: read as a string, bounded as a head)
          let j = i;
          while (j < len && data[j] !== 13 && data[j] !== 10) j++;
          this.trailerBytes += j - i;
          if (this.trailerBytes > MAX_HEAD_SIZE) {
            this.bodyError('HPE_HEADER_OVERFLOW');
            return;
          }
          this.trailerText += data.toString('latin1', i, j);
          i = j;
          if (i === len) break;
          if (data[i] === 10) {
            this.bodyError('HPE_STRICT');
            return;
          }
          this.chState = CH_TRAILER_LF;
          i++;
          break;
        }
        case CH_TRAILER_LF:
          if (c !== 10) {
            this.bodyError('HPE_STRICT');
            return;
          }
          this.trailerText += '\n';
          this.chState = CH_TRAILER_START;
          i++;
          break;
        case CH_FINAL_LF: {
          if (c !== 10) {
            this.bodyError('HPE_STRICT');
            return;
          }
          i++;
          if (this.trailerText.length > 0) {
            const t = parseTrailerLines(this.trailerText);
            this.trailerText = '';
            if (typeof t === 'string') {
              this.bodyError('HPE_INVALID_HEADER_TOKEN');
              return;
            }
            req.trailers = t;
          }
          this.bodyEnd(i < len ? data.subarray(i) : undefined);
          return;
        }
      }
    }
  }

  private bodyError(code: string): void {
    this.state = STOPPED;
    this.socket.off('data', onSocketData);
    this.owner.onBodyError(this, code);
  }

  private bodyEnd(rest: Buffer | undefined): void {
    const req = this.req as FrontRequest;
    const res = this.res as FrontResponse;
    if (res.writableFinished) {
      // answered before the body ended: now that it has, the connection goes on
      req.endBody();
      if (this.state === STOPPED || this.closed) return;
      this.req = undefined;
      this.res = undefined;
      this.state = HEAD;
      this.idleSince = Date.now();
      if (rest !== undefined) this.keep(rest);
      if (this.pending !== undefined && !this.drainScheduled) {
        this.drainScheduled = true;
        process.nextTick(drainPending, this);
      } else this.resumeReading();
      return;
    }
    this.state = WAIT;
    if (rest !== undefined) this.keep(rest);
    req.endBody();
  }

  /** The current response is complete: close, or read the next request. */
  responseDone(res: FrontResponse): void {
    if (res !== this.res) return;
    const req = this.req as FrontRequest;
    if (!req.complete && res.shouldKeepAlive && !this.clientEnded && this.state !== STOPPED) {
      // answered before the whole body: it is still read (and sent on, or dropped), then the
      // next request (bodyEnd)
      if (req.listenerCount('data') === 0) {
        req.discard = true;
        req.resume();
      }
      return;
    }
    // a client that sent its FIN after pipelined requests still gets every one answered (as
    // haproxy 2.6); the connection ends after the last
    const ended = this.clientEnded && this.pending === undefined;
    if (!res.shouldKeepAlive || !req.complete || ended || this.state === STOPPED) {
      this.state = STOPPED;
      this.req = undefined;
      this.res = undefined;
      this.pending = undefined;
      if (!this.closed) this.socket.end();
      return;
    }
    this.req = undefined;
    this.res = undefined;
    this.state = HEAD;
    this.idleSince = Date.now();
    if (this.pending !== undefined && !this.drainScheduled) {
      // the next request starts after this one's accounting (the caller finishes it first)
      this.drainScheduled = true;
      process.nextTick(drainPending, this);
    } else if (this.socket.isPaused()) this.socket.resume();
  }

  /** Parses requests that arrived while the previous one was served. */
  drainPending(): void {
    this.drainScheduled = false;
    const p = this.pending;
    this.pending = undefined;
    if (this.closed || this.state !== HEAD) {
      if (p !== undefined) this.pending = p;
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    if (p !== undefined) this.onHead(p);
    // the client is done sending: a partial head left over is not answered
    if (this.clientEnded && this.state === HEAD && this.req === undefined && !this.closed) this.socket.end();
  }

  /** The socket is handed over (tunnel): our listeners go. */
  detach(): void {
    const s = this.socket;
    this.state = STOPPED;
    s.off('data', onSocketData);
    s.off('end', onSocketEnd);
    s.off('close', onSocketClose);
    s.off('drain', onSocketDrain);
    s.off('timeout', onSocketTimeout);
    s.setTimeout(0);
    this.req = undefined;
    this.res = undefined;
  }

  private fail(code: string, head?: Buffer, err?: Error & { bytesParsed?: number }): void {
    this.state = STOPPED;
    this.partial = undefined;
    this.socket.off('data', onSocketData);
    this.owner.onClientError(this, code, head, head ? (err?.bytesParsed ?? head.length) : undefined);
  }

  onEnd(): void {
    this.clientEnded = true;
    if (this.state === HEAD && this.req === undefined) {
      // a head cut short is not answered (as node:http): the connection just ends
      this.socket.end();
      return;
    }
    if (this.state === BODY_LENGTH || this.state === BODY_CHUNKED) {
      this.req?.abort(Object.assign(new Error('request body cut short'), { code: 'ECONNRESET' }));
      this.socket.destroy();
    }
    // WAIT: the response goes out, then the connection ends (responseDone)
  }

  onClose(): void {
    this.closed = true;
    const req = this.req;
    const res = this.res;
    this.req = undefined;
    this.res = undefined;
    this.pending = undefined;
    this.partial = undefined;
    if (req && !req.complete)
      req.abort(Object.assign(new Error('client closed the connection'), { code: 'ECONNRESET' }));
    if (res && !res.writableFinished) res.emit('close');
  }

  onDrain(): void {
    const res = this.res;
    if (res !== undefined) res.emit('drain');
  }

  onTimeout(): void {
    this.owner.onTimeout(this.socket);
  }
}

/** Client bytes read up to the end of the previous request on a connection. */
const READ_MARK = Symbol('switchyard.readMark');
type CountedSocket = Socket & { [READ_MARK]?: number };

const CONN = Symbol('switchyard.frontConn');
type ConnSocket = Socket & { [CONN]: FrontConn };

/** The HTTP state of an accepted socket (none yet during a TLS handshake). */
export function connOf(socket: Socket): FrontConn | undefined {
  return (socket as Partial<ConnSocket>)[CONN];
}

function onSocketData(this: ConnSocket, data: Buffer): void {
  this[CONN].onData(data);
}
function onSocketEnd(this: ConnSocket): void {
  this[CONN].onEnd();
}
function onSocketClose(this: ConnSocket): void {
  this[CONN].onClose();
}
function onSocketDrain(this: ConnSocket): void {
  this[CONN].onDrain();
}
function onSocketTimeout(this: ConnSocket): void {
  this[CONN].onTimeout();
}

/** The result of readRequestHead, reused (read synchronously right after). */
const FAST: FastRequestHead = { method: 0, url: '', minor: 1, headers: [], keepAlive: false };

/**
 * One parser for every connection: a head is always parsed whole, in one call, so no connection
 * needs its own (node:http keeps one per connection, about 2 KiB of native memory each). After a
 * head it is left clean only when the message ended with it and the connection stays open;
 * otherwise it is initialized again before the next head.
 */
const shared = {
  parser: new HTTPParser(),
  dirty: true,
  conn: undefined as FrontConn | undefined,
  flushedHeaders: undefined as string[] | undefined,
  flushedUrl: '',
};
shared.parser[kOnHeaders] = (headers: string[], url: string): void => {
  shared.flushedHeaders = shared.flushedHeaders === undefined ? headers : shared.flushedHeaders.concat(headers);
  shared.flushedUrl += url;
};
shared.parser[kOnHeadersComplete] = (
  major: number,
  minor: number,
  headers: string[] | undefined,
  method: number,
  url: string | undefined,
  status: number,
  reason: string,
  upgrade: boolean,
  keepAlive: boolean,
): number => {
  shared.conn?.headersComplete(major, minor, headers, method, url, status, reason, upgrade, keepAlive);
  return 0;
};
shared.parser[kOnMessageComplete] = noop;

/** Runs the shared parser over one head (or the start of one) for `conn`. */
function parseHead(conn: FrontConn, head: Buffer): number | (Error & { code?: string }) {
  const p = shared.parser;
  if (shared.dirty) p.initialize(HTTPParser.REQUEST, PARSER_RESOURCE, MAX_HEAD_SIZE, 0);
  shared.dirty = false;
  shared.conn = conn;
  shared.flushedHeaders = undefined;
  shared.flushedUrl = '';
  let r: number | (Error & { code?: string });
  try {
    r = p.execute(head);
  } finally {
    shared.conn = undefined;
    shared.flushedHeaders = undefined;
  }
  const req = conn.req;
  if (typeof r !== 'number' || req === undefined || req.hasBody || !req.keepAlive || req.upgrade) shared.dirty = true;
  return r;
}

/**
 * Node reads an accepted socket into a fresh 64 KiB buffer per read; its `onread` option (one
 * reused buffer) exists only for sockets it connects itself. For accepted ones the same internal
 * fields are set here before the first read (found by their symbols' names; when they are not
 * there, as maybe in another Node version, reads stay as they are). A request body then streams
 * through a buffer that stays in the CPU's caches and makes no garbage.
 * `SWITCHYARD_CLIENT_READ_BUFFERS=0` turns it off.
 */
let readFields: { buffer: symbol; callback: symbol; generator: symbol } | null | undefined;

function useReadBuffers(conn: FrontConn): void {
  const s = conn.socket as Socket & Record<symbol, unknown> & { _handle?: { useUserBuffer?(b: Buffer): void } };
  if (readFields === undefined) {
    const syms = Object.getOwnPropertySymbols(s);
    const find = (d: string) => syms.find((x) => x.description === d);
    const buffer = find('kBuffer');
    const callback = find('kBufferCb');
    const generator = find('kBufferGen');
    readFields =
      process.env.SWITCHYARD_CLIENT_READ_BUFFERS !== '0' &&
      buffer &&
      callback &&
      generator &&
      typeof s._handle?.useUserBuffer === 'function'
        ? { buffer, callback, generator }
        : null;
  }
  const f = readFields;
  const handle = s._handle;
  if (f === null || handle?.useUserBuffer === undefined || s[f.buffer] !== null) return;
  const first = conn.nextReadBuffer();
  s[f.buffer] = first;
  s[READER] = conn;
  s[f.generator] = nextUserBuffer;
  s[f.callback] = onUserRead;
  handle.useUserBuffer(first);
}

/**
 * The read callback and buffer generator of every connection reading into reused buffers, shared
 * (no two closures per connection). Node calls the callback as a method of the socket, then,
 * at once and without `this`, the generator (stream_base_commons onStreamRead): the callback
 * leaves its connection for the generator.
 */
let readingConn: FrontConn | undefined;

/** The connection a socket reads for (kept after a hand-over: its reads then go the stream way). */
const READER = Symbol('switchyard.reader');

function onUserRead(this: Socket & { [READER]: FrontConn }, nread: number, buf: Buffer): boolean {
  const conn = this[READER];
  readingConn = conn;
  conn.onRead(nread, buf);
  return true;
}

function nextUserBuffer(): Buffer {
  const conn = readingConn as FrontConn;
  readingConn = undefined;
  return conn.nextReadBuffer();
}

function drainPending(c: FrontConn): void {
  c.drainPending();
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function noop(): void {}
