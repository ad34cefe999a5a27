/**
 * Client side: one listening socket per bind, node:http(s) parsing behind it, `maxconn`
 * (global and frontend: excess connections wait, paused, until a slot frees, like HAProxy
 * pausing accept), client timeouts, and HAProxy's answers to unparseable requests.
 */
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { BindModel } from '@switchyard/config';
import { stderrLine } from '../log/logger.ts';
import { countSessionStart } from '../runtime/counters.ts';
import type { CannedResponse, FrontendPlan, TlsPlan } from '../runtime/plan.ts';
import { contextForName } from '../runtime/tls.ts';
import type { DatapathContext } from './context.ts';
import { SOCKET_STREAM, Stream, type TrackedSocket } from './stream.ts';
import { handleUpgrade } from './tunnel.ts';

/** A bound address and the frontend it currently serves (swapped on reload). */
export class Listener {
  fe: FrontendPlan;
  readonly key: string;
  bind: BindModel;
  readonly net: NetServer;
  readonly http: HttpServer;
  private tls?: TlsPlan;
  /** Open client connections of this listener. */
  readonly sockets = new Set<Socket>();

  constructor(
    private readonly ctx: DatapathContext,
    private readonly gate: ConnectionGate,
    fe: FrontendPlan,
    bind: BindModel,
    tls: TlsPlan | undefined,
  ) {
    this.fe = fe;
    this.bind = bind;
    this.key = bindKey(bind);
    this.tls = tls;
    const opts = {
      insecureHTTPParser: false,
      requireHostHeader: false,
      joinDuplicateHeaders: false,
      requestTimeout: 0,
      // Responses stream from undici chunk by chunk; with node's 16 KiB default nearly every
      // chunk of a large body filled the buffer and paused the server side until 'drain'.
      highWaterMark: 256 * 1024,
    };
    if (tls) {
      this.http = createHttpsServer({
        ...opts,
        key: tls.defaultOptions.key,
        cert: tls.defaultOptions.cert,
        ALPNProtocols: tls.alpn?.filter((p) => p === 'http/1.1') ?? undefined,
        SNICallback: (name, cb) => cb(null, this.tls ? contextForName(this.tls, name) : undefined),
      });
    } else this.http = createHttpServer(opts);
    this.http.on('request', this.onRequest);
    this.http.on('upgrade', this.onUpgrade);
    this.http.on('clientError', this.onClientError);
    this.http.on('tlsClientError', (_err: Error, sock: Duplex) => sock.destroy());
    this.http.on('timeout', this.onTimeout);
    this.applyTimeouts();
    // noDelay: node:http sets it on the sockets it accepts itself; these are accepted here.
    this.net = createNetServer({ pauseOnConnect: true, noDelay: true });
    this.net.on('connection', (s: Socket) => this.gate.arrive(this, s));
  }

  /** Swaps in the frontend of a new runtime (reload) keeping the socket. */
  update(fe: FrontendPlan, bind: BindModel, tls: TlsPlan | undefined): void {
    this.fe = fe;
    this.bind = bind;
    if (tls) {
      this.tls = tls;
      (this.http as unknown as { setSecureContext(o: object): void }).setSecureContext({
        key: tls.defaultOptions.key,
        cert: tls.defaultOptions.cert,
      });
    }
    this.applyTimeouts();
  }

  private applyTimeouts(): void {
    const t = this.fe.timeouts;
    const http = this.http;
    const headers = t.httpRequest ?? t.client ?? 0;
    http.headersTimeout = headers;
    http.keepAliveTimeout = t.httpKeepAlive ?? t.httpRequest ?? t.client ?? 5000;
    http.setTimeout(t.client ?? 0);
    // How often node checks headersTimeout: fine enough for the configured timeout.
    (http as unknown as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.max(
      50,
      Math.min(1000, Math.floor((headers || 4000) / 4)),
    );
  }

  /** Starts listening; rejects with the OS error (EADDRINUSE, EACCES...). */
  listen(): Promise<void> {
    const b = this.bind;
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.net.once('error', onError);
      const done = () => {
        this.net.off('error', onError);
        // The http server never listens itself (sockets come from this.net), but node starts
        // its connection tracking (headersTimeout checks, closeIdleConnections) on 'listening'.
        this.http.emit('listening');
        this.net.on('error', (e) =>
          process.stderr.write(stderrLine('ALERT', process.pid, `listener ${this.key}: ${e.message}`)),
        );
        resolve();
      };
      if (b.path) this.net.listen({ path: b.path }, done);
      else {
        const host = b.host === '' || b.host === '*' ? '0.0.0.0' : b.host;
        this.net.listen({ host, port: b.port, ipv6Only: b.options.v6only === true, backlog: 1024 }, done);
      }
    });
  }

  /** The bound address (for port 0 binds in tests). */
  address(): { host: string; port: number; path?: string } {
    const a = this.net.address();
    if (a === null) return { host: '', port: 0 };
    if (typeof a === 'string') return { host: '', port: 0, path: a };
    return { host: a.address, port: a.port };
  }

  /** Stops accepting (existing connections continue). */
  close(): Promise<void> {
    // net.Server#close stops listening at once but calls back only when every connection has
    // ended; connections are drained by the caller, so do not wait for them here.
    if (this.net.listening) this.net.close(() => {});
    return Promise.resolve();
  }

  /** Releases the http server's timers once every connection is gone. */
  dispose(): void {
    this.http.close(() => {});
  }

  admitted(s: Socket): void {
    this.sockets.add(s);
    this.http.emit('connection', s);
    s.resume();
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const stream = new Stream(this.ctx, this.fe, req, res);
    (req.socket as TrackedSocket)[SOCKET_STREAM] = stream;
    if (this.ctx.stopping) res.shouldKeepAlive = false;
    try {
      stream.run();
    } catch (e) {
      stream.internalError(e);
    }
  };

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    handleUpgrade(this.ctx, this.fe, req, socket as Socket, head);
  };

  private readonly onTimeout = (socket: Socket): void => {
    const s = (socket as TrackedSocket)[SOCKET_STREAM];
    if (s && !s.done) {
      s.clientTimeout();
      return;
    }
    socket.destroy();
  };

  /** llhttp refused the request (or the header timeout hit): HAProxy's 400/408, then close. */
  private readonly onClientError = (err: Error & { code?: string }, socket: Duplex): void => {
    const fe = this.fe;
    if (!socket.writable || (socket as Socket).destroyed) {
      socket.destroy();
      return;
    }
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (err.code === 'ECONNRESET' || err.code === 'HPE_CLOSED_CONNECTION') {
      socket.destroy();
      return;
    }
    const page = fe.errorPages.get(timeout ? 408 : 400) as CannedResponse;
    fe.counters.ereq++;
    fe.counters.reqTot++;
    socket.end(rawResponse(page));
    this.gate.logBadRequest(this, socket as Socket, page.status, timeout ? 'cR--' : 'PR--');
  };
}

/** The bytes of a canned response with `connection: close`. */
export function rawResponse(c: CannedResponse): Buffer {
  let head = `HTTP/1.1 ${c.status} ${c.reason}\r\n`;
  for (const [k, v] of c.headers) head += `${k}: ${v}\r\n`;
  head += 'connection: close\r\n\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), c.body]);
}

/** `host:port` / `unix:path` of a bind. */
export function bindKey(b: BindModel): string {
  if (b.path) return `unix:${b.path}`;
  const host = b.host === '' || b.host === '*' ? '0.0.0.0' : b.host;
  return `${host}:${b.port}${b.ssl ? ':ssl' : ''}`;
}

/**
 * Global and per-frontend `maxconn`: connections beyond the limit stay paused (accepted by the
 * kernel, not read) until another connection closes.
 */
export class ConnectionGate {
  private readonly waiting: Array<[Listener, Socket]> = [];

  constructor(
    private readonly ctx: DatapathContext,
    private readonly onLogBadRequest: (l: Listener, s: Socket, status: number, term: string) => void,
  ) {}

  arrive(l: Listener, s: Socket): void {
    if (this.ctx.stopping) {
      s.destroy();
      return;
    }
    if (this.full(l.fe)) {
      this.waiting.push([l, s]);
      s.once('close', () => {
        const i = this.waiting.findIndex((w) => w[1] === s);
        if (i >= 0) this.waiting.splice(i, 1);
      });
      return;
    }
    this.admit(l, s);
  }

  private full(fe: FrontendPlan): boolean {
    const g = this.ctx.runtime.maxconn;
    return (g > 0 && this.ctx.actconn >= g) || (fe.maxconn > 0 && fe.conns >= fe.maxconn);
  }

  private admit(l: Listener, s: Socket): void {
    const fe = l.fe;
    this.ctx.actconn++;
    fe.conns++;
    fe.counters.connTot++;
    countSessionStart(fe.counters, Date.now());
    s.once('close', () => {
      this.ctx.actconn--;
      fe.conns--;
      fe.counters.scur--;
      l.sockets.delete(s);
      this.pump();
    });
    l.admitted(s);
  }

  private pump(): void {
    for (let i = 0; i < this.waiting.length; i++) {
      const [l, s] = this.waiting[i];
      if (this.full(l.fe)) continue;
      this.waiting.splice(i, 1);
      this.admit(l, s);
      return;
    }
  }

  /** Sockets still waiting for a slot (closed on stop). */
  pending(): Socket[] {
    return this.waiting.map((w) => w[1]);
  }

  logBadRequest(l: Listener, s: Socket, status: number, term: string): void {
    this.onLogBadRequest(l, s, status, term);
  }
}
