/**
 * One client request through the proxy, in pingora's phases: request_filter (http-request rules,
 * redirects, stats, services), upstream_peer (backend, persistence, balancer, queue),
 * upstream_request_filter (headers), response_filter (http-response rules, hooks),
 * fail_to_connect (retries, redispatch) and logging. The Stream is its own upstream dispatch
 * handler (h1-client.ts), so a request costs one object plus node's own.
 */
import type { Socket } from 'node:net';
import { countSessionStart } from '../runtime/counters.ts';
import type { BackendPlan, CannedResponse, FrontendPlan } from '../runtime/plan.ts';
import { isUsable, type ServerState } from '../runtime/server-state.ts';
import { type HttpTxn, makeTxn } from '../txn.ts';
import { countFinished } from './accounting.ts';
import { BodyStream } from './body-stream.ts';
import type { DatapathContext } from './context.ts';
import type { FrontRequest, FrontResponse } from './front.ts';
import { findHeader, forwardableHeaders, getHeader, headersFromObject, headersObject } from './headers.ts';
import { logRequest } from './log-request.ts';
import { Phase } from './phase.ts';
import type { Queued } from './queue.ts';
import { isStatsRequest, redirect, requestFilter, serveStats } from './request-filter.ts';
import { applyResponseRules } from './response-filter.ts';
import { joinTunnel } from './tunnel.ts';
import { invalidRequestReason } from './validate.ts';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

export class Stream implements Queued {
  readonly ctx: DatapathContext;
  readonly fe: FrontendPlan;
  readonly req: FrontRequest;
  readonly res: FrontResponse;
  txn!: HttpTxn;
  be?: BackendPlan;
  server?: ServerState;
  /** Timers (epoch ms): request start, queue entry, connect start, response headers. */
  readonly start: number;
  tQueue = -1;
  tConnect = -1;
  tw = -1;
  tc = -1;
  tr = -1;
  status = 0;
  termState = '----';
  retries = 0;
  redispatched = false;
  phase: Phase = Phase.Request;
  done = false;
  /** Upstream request was handed a connection (onConnect): not a connect failure. */
  private connected = false;
  private abortUpstream?: (err: Error) => void;
  /** The proxy aborted the upstream request itself: the resulting error is expected. */
  private upstreamCut = false;
  private resume?: () => void;
  private body?: BodyStream;
  private queueTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  /** This request holds one of its server's connection slots (server.cur). */
  holdsSlot = false;
  /** Position in its server's list of attached streams (-1: none). */
  slotIndex = -1;
  private readonly bytesIn0: number;
  private readonly bytesOut0: number;
  private clientGone = false;
  /** Set for `Upgrade` requests: bytes the client sent after the request head. */
  upgradeHead?: Buffer;
  /** The tunnel is established: the response object no longer owns the socket. */
  tunnelling = false;
  private tunnel?: [Socket, Socket];
  private killedTerm?: string;

  constructor(ctx: DatapathContext, fe: FrontendPlan, req: FrontRequest, res: FrontResponse) {
    this.ctx = ctx;
    this.fe = fe;
    this.req = req;
    this.res = res;
    this.start = Date.now();
    // Request bytes arrive before the request is handed to us (often the whole request in one
    // read), so the count starts where the previous request on this connection ended.
    const sock = req.socket as CountedSocket;
    this.bytesIn0 = sock[READ_MARK] ?? 0;
    this.bytesOut0 = sock.bytesWritten;
    res.sendDate = false;
    (res as StreamResponse)[STREAM] = this;
    res.on('close', onResponseClose);
  }

  /** Entry point: runs the request through every phase. */
  run(): void {
    const req = this.req;
    const fe = this.fe;
    const sock = req.socket;
    fe.counters.reqTot++;
    this.txn = makeTxn({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      srcIp: sock.remoteAddress ?? '',
      srcPort: sock.remotePort ?? 0,
      dstIp: sock.localAddress ?? '',
      dstPort: sock.localPort ?? 0,
      ssl: (sock as { encrypted?: boolean }).encrypted === true,
      sni: (sock as { servername?: string | false }).servername || undefined,
      frontend: fe.name,
    });
    const bad = invalidRequestReason(req.rawHeaders, req.httpVersion);
    if (bad !== undefined) {
      fe.counters.ereq++;
      this.respond(fe.errorPages.get(400) as CannedResponse, 'PR', true);
      return;
    }
    if (fe.monitorUri !== undefined && this.txn.path === fe.monitorUri) {
      this.respond(fe.errorPages.get(200) as CannedResponse, 'LR', false);
      return;
    }
    if (!requestFilter(this, fe)) return;
    for (let i = 0; i < fe.redirects.length; i++) {
      const c = fe.redirectConds[i];
      if (c === undefined || c(this.txn)) {
        redirect(this, fe.redirects[i]);
        return;
      }
    }
    if (fe.stats && isStatsRequest(this.txn, fe.stats.uri)) {
      serveStats(this, fe.stats);
      return;
    }
    let be: BackendPlan | undefined;
    const ub = fe.useBackends;
    for (let i = 0; i < ub.length; i++) {
      const c = ub[i].cond;
      if (c === undefined || c(this.txn)) {
        be = ub[i].backend;
        break;
      }
    }
    if (!be) be = fe.defaultBackend;
    if (!be) {
      this.respond(fe.errorPages.get(503) as CannedResponse, 'SC', false);
      return;
    }
    this.be = be;
    this.txn.backend = be.name;
    be.conns++;
    countSessionStart(be.counters, this.start);
    be.counters.reqTot++;
    if (be.model !== fe.model) {
      if (!requestFilter(this, be)) return;
      if (be.model.stats?.enabled && isStatsRequest(this.txn, be.model.stats.uri)) {
        serveStats(this, be.model.stats);
        return;
      }
    }
    this.upstreamPeer();
  }

  /** A service owns the response: account and log when it is done. */
  finishWhenServed(): void {
    this.res.once('finish', () => {
      this.status = this.res.statusCode;
      this.finish();
    });
  }

  // ---- upstream_peer --------------------------------------------------------------------

  private upstreamPeer(): void {
    const be = this.be as BackendPlan;
    const hooks = this.ctx.hooks;
    let server = hooks.persistentServer?.(this.txn, be);
    if (!server) {
      server = be.selector.pick(this.txn) ?? undefined;
      if (server) {
        be.counters.lbtot++;
        server.counters.lbtot++;
      }
    }
    if (!server) {
      if (anyUsable(be)) {
        this.enqueue(undefined);
        return;
      }
      this.respond(be.errorPages.get(503) as CannedResponse, 'SC', false);
      return;
    }
    hooks.serverChosen?.(this.txn, be, server);
    this.assign(server);
  }

  private assign(server: ServerState): void {
    if (server.maxconn && server.cur >= server.maxconn) {
      this.enqueue(server);
      return;
    }
    this.connect(server);
  }

  private enqueue(server: ServerState | undefined): void {
    const be = this.be as BackendPlan;
    this.phase = Phase.Queue;
    this.tQueue = Date.now();
    this.server = server;
    if (server) this.ctx.queues.onServer(this, server, be);
    else this.ctx.queues.onBackend(this, be);
    const t = be.timeouts.queue ?? be.timeouts.connect;
    if (t) this.queueTimer = setTimeout(this.onQueueTimeout, t);
  }

  private readonly onQueueTimeout = (): void => {
    const be = this.be as BackendPlan;
    if (!this.ctx.queues.remove(this, this.server, be)) return;
    this.tw = Date.now() - this.tQueue;
    this.respond(be.errorPages.get(503) as CannedResponse, 'sQ', false);
  };

  /** Queued: a slot of `server` is ours now. */
  dequeued(server: ServerState): void {
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    this.tw = Date.now() - this.tQueue;
    if (this.done) {
      // ended meanwhile (client gone, timeout): the slot goes to the next waiting request
      this.ctx.queues.release(server, this.be as BackendPlan);
      return;
    }
    this.connect(server);
  }

  // ---- upstream_request_filter + dispatch -----------------------------------------------

  private connect(server: ServerState): void {
    const be = this.be as BackendPlan;
    const fe = this.fe;
    if (this.tw < 0) this.tw = 0;
    this.server = server;
    if (!this.holdsSlot) {
      this.holdsSlot = true;
      attach(server, this);
      server.cur++;
      countSessionStart(server.counters, Date.now());
      server.counters.reqTot++;
    }
    this.phase = Phase.Connect;
    this.connected = false;
    this.tConnect = Date.now();
    const txn = this.txn;
    const headers = forwardableHeaders(txn.rawHeaders);
    const ff = be.forwardFor ?? fe.forwardFor;
    if (ff && !(ff.except?.(txn.srcIp) ?? false) && !(ff.ifNone && findHeader(headers, ff.lheader) >= 0)) {
      headers.push(ff.header, txn.srcIp.startsWith('::ffff:') ? txn.srcIp.slice(7) : txn.srcIp);
    }
    // `option http-server-close` / `httpclose` in either the frontend or the backend close the
    // server connection after each response, as HAProxy combines them.
    const close = be.connMode !== 'keep-alive' || fe.connMode !== 'keep-alive';
    const req = this.req;
    let body: BodyStream | null = null;
    if (this.upgradeHead) {
      // the client sends Connection/Upgrade itself for upgrades.
    } else if (req.hasBody) {
      if (!this.body) this.body = new BodyStream(req);
      body = this.body;
    }
    const timeout = be.timeouts.server ?? 0;
    let path = txn.url;
    if (path.charCodeAt(0) !== 47 && path !== '*') path = txn.query ? `${txn.path}?${txn.query}` : txn.path;
    try {
      const reused = this.ctx.pools.get(server, be).dispatch(
        {
          path,
          method: txn.method,
          headers,
          body,
          reset: close,
          timeout,
          upgrade: this.upgradeHead ? (getHeader(req.rawHeaders, 'upgrade') ?? 'websocket') : undefined,
        },
        this,
      );
      if (reused) {
        be.counters.reuse++;
        server.counters.reuse++;
      } else {
        be.counters.connect++;
        server.counters.connect++;
      }
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code !== 'UND_ERR_INVALID_ARG') {
        // the pool closed under us (a reload dropped this address): a failed connection
        this.onError(err);
        return;
      }
      // the request cannot be framed (a rule produced CR/LF in a value, an invalid name...)
      this.fe.counters.ereq++;
      this.respond(fe.errorPages.get(400) as CannedResponse, 'PR', true);
    }
  }

  // ---- upstream handler (undici's legacy shape, no wrapper objects) -------------------------------

  onConnect(abort: (err?: Error) => void): void {
    if (this.done || this.clientGone) {
      abort(new Error('client aborted'));
      return;
    }
    this.connected = true;
    this.abortUpstream = abort;
    this.tc = Date.now() - this.tConnect;
    this.phase = Phase.Headers;
  }

  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    if (this.done) return false;
    const now = Date.now();
    this.tr = now - this.tConnect - Math.max(this.tc, 0);
    this.resume = resume;
    this.phase = Phase.Data;
    const be = this.be as BackendPlan;
    const server = this.server as ServerState;
    let headers = forwardableHeaders(rawHeaders);
    let status = statusCode;
    let reason = statusText;
    const rs1 = applyResponseRules(this, be.responseRules, headers, status);
    if (rs1 !== undefined) [status, reason] = rs1;
    if (be.model !== this.fe.model) {
      const rs2 = applyResponseRules(this, this.fe.responseRules, headers, status);
      if (rs2 !== undefined) [status, reason] = rs2;
    }
    if (this.done) return false;
    const hooks = this.ctx.hooks;
    const hook = hooks.responseHeaders;
    if (hook && (hooks.wantsResponseHeaders === undefined || hooks.wantsResponseHeaders(be))) {
      const obj = headersObject(headers);
      hook(this.txn, be, server, status, obj);
      headers = headersFromObject(obj);
    }
    if (status >= 500 && status !== 501 && status !== 505) this.ctx.observer?.observe(be, server, 'l7-5xx');
    else this.ctx.observer?.observe(be, server, 'ok');
    this.status = status;
    const res = this.res;
    // A response that comes before the whole request body (e.g. 413) keeps the connection, as
    // haproxy 2.6 does: the rest of the body still goes to the server (front.ts reads it to its
    // end before the next request).
    if (this.fe.connMode === 'close' || be.connMode === 'close' || this.ctx.stopping) res.shouldKeepAlive = false;
    try {
      res.writeHead(status, reason || undefined, headers);
    } catch {
      // node refused a header the server sent (invalid characters): an invalid response
      this.phase = Phase.Headers;
      be.counters.eresp++;
      server.counters.eresp++;
      this.cutUpstream('invalid response header');
      this.respond(be.errorPages.get(502) as CannedResponse, 'PH', false);
      return false;
    }
    res.on('drain', onResponseDrain);
    return true;
  }

  /** The client drained its socket: read from the server again. */
  drained(): void {
    const r = this.resume;
    if (r) r();
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return false;
    return this.res.write(chunk);
  }

  onComplete(_trailers: string[] | null): void {
    if (this.done) return;
    this.phase = Phase.Done;
    this.res.end();
    this.finish();
  }

  onError(err: Error & { code?: string }): void {
    if (this.done || this.upstreamCut) return;
    const be = this.be as BackendPlan;
    const server = this.server as ServerState;
    const code = err.code ?? '';
    if (this.clientGone) {
      this.finish();
      return;
    }
    if (this.phase === Phase.Data) {
      // The response already started: all we can do is cut the client connection.
      this.termState = code === 'UND_ERR_BODY_TIMEOUT' ? 'sD--' : 'SD--';
      be.counters.srvAbrt++;
      server.counters.srvAbrt++;
      this.ctx.observer?.observe(be, server, code === 'UND_ERR_BODY_TIMEOUT' ? 'l7-timeout' : 'l7-error');
      this.res.destroy();
      this.finish();
      return;
    }
    if (!this.connected) {
      // fail_to_connect
      be.counters.econ++;
      server.counters.econ++;
      this.ctx.observer?.observe(
        be,
        server,
        code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT' ? 'l4-timeout' : 'l4-error',
      );
      this.tc = -1;
      // HAProxy waits min(timeout connect, 1s) before retrying after a refused connection (a
      // restarting server would refuse again at once); not after a connect timeout.
      const timedOut = code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT';
      if (this.retry(timedOut ? 0 : Math.min(be.timeouts.connect ?? 1000, 1000))) return;
      this.respond(be.errorPages.get(503) as CannedResponse, code === 'UND_ERR_CONNECT_TIMEOUT' ? 'sC' : 'SC', false);
      return;
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      this.ctx.observer?.observe(be, server, 'l7-timeout');
      this.respond(be.errorPages.get(504) as CannedResponse, 'sH', false);
      return;
    }
    // Closed or reset before any response byte: safe to replay only idempotent requests
    // whose body was not sent.
    const replayable = CONNECT_ERRORS.has(code) && IDEMPOTENT.has(this.txn.method) && !this.body?.started;
    if (replayable && this.retry(0)) return;
    be.counters.eresp++;
    server.counters.eresp++;
    this.ctx.observer?.observe(be, server, 'l7-error');
    this.respond(be.errorPages.get(502) as CannedResponse, CONNECT_ERRORS.has(code) ? 'SH' : 'PH', false);
  }

  onUpgrade(statusCode: number, rawHeaders: string[] | null, upstream: Socket): void {
    if (this.done) {
      upstream.destroy();
      return;
    }
    this.tr = Date.now() - this.tConnect - Math.max(this.tc, 0);
    this.status = statusCode;
    this.phase = Phase.Data;
    const client = this.req.socket;
    let head = `HTTP/1.1 ${statusCode} Switching Protocols\r\n`;
    if (rawHeaders) for (let i = 0; i < rawHeaders.length; i += 2) head += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
    this.tunnelling = true;
    this.res.detachSocket(client);
    client.write(`${head}\r\n`);
    if (this.upgradeHead && this.upgradeHead.length > 0) upstream.write(this.upgradeHead);
    const be = this.be as BackendPlan;
    const t = be.timeouts.tunnel ?? be.timeouts.server ?? this.fe.timeouts.client ?? 0;
    this.ctx.observer?.observe(be, this.server as ServerState, 'ok');
    this.tunnel = [client, upstream];
    joinTunnel(client, upstream, t, (term) => {
      this.termState = this.killedTerm ?? term;
      this.finish();
    });
  }

  /**
   * Killed because its server went DOWN with `on-marked-down shutdown-sessions` (`D`) or, on a
   * backup server, because an active one came UP with `on-marked-up shutdown-backup-sessions`
   * (`U`). As haproxy 2.6: before the response a 502 page and `DH--`; during it the connection is
   * cut and `DD--`.
   */
  kill(code: 'D' | 'U'): void {
    if (this.done) return;
    if (this.tunnel) {
      this.killedTerm = `${code}D--`;
      for (const sock of this.tunnel) sock.destroy();
      return;
    }
    this.cutUpstream(code === 'D' ? 'server marked down' : 'active server marked up');
    if (this.phase === Phase.Data) {
      this.termState = `${code}D--`;
      this.res.destroy();
      this.finish();
      return;
    }
    this.respond(this.be?.errorPages.get(502) as CannedResponse, `${code}H`, false);
  }

  // ---- fail_to_connect ------------------------------------------------------------------

  /** Retries on the same server, or another when redispatch allows; false when out of retries. */
  private retry(delayMs: number): boolean {
    const be = this.be as BackendPlan;
    if (this.retries >= be.retries || this.body?.started) return false;
    this.retries++;
    be.counters.wretr++;
    const failed = this.server as ServerState;
    failed.counters.wretr++;
    this.releaseSlot();
    const rd = be.redispatch;
    // HAProxy: -1 (default of `option redispatch`) redispatches on the last retry; N every Nth.
    const redispatchNow = rd !== undefined && (rd < 0 ? this.retries === be.retries : this.retries % rd === 0);
    let next: ServerState | undefined = failed;
    if (redispatchNow) {
      const other = be.selector.pick(this.txn, failed);
      if (other && other !== failed) {
        next = other;
        this.redispatched = true;
        be.counters.wredis++;
        failed.counters.wredis++;
      }
    } else if (!isUsable(failed) && failed.admin === 'MAINT') next = undefined;
    if (!next) return false;
    if (delayMs <= 0) this.assign(next);
    else {
      const server = next;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (!this.done) this.assign(server);
      }, delayMs);
    }
    return true;
  }

  // ---- responses, end, logging -----------------------------------------------------------

  /** Sends a canned response (error page, redirect, return) and ends the request. */
  respond(c: CannedResponse, term: string, close: boolean): void {
    if (this.done) return;
    this.termState = `${term}--`;
    this.status = c.status;
    const res = this.res;
    if (res.headersSent) {
      res.destroy();
      this.finish();
      return;
    }
    if (
      close ||
      !this.req.complete ||
      this.ctx.stopping ||
      this.fe.connMode === 'close' ||
      this.be?.connMode === 'close'
    )
      res.shouldKeepAlive = false;
    const h = c.headers;
    const flat: string[] = [];
    for (let i = 0; i < h.length; i++) flat.push(h[i][0], h[i][1]);
    res.writeHead(c.status, c.reason, flat);
    res.end(c.body);
    this.finish();
  }

  /** The client connection closed (possibly before the response was complete). */
  clientClosed(): void {
    if (this.done) return;
    if (this.res.writableFinished || this.tunnelling) return;
    this.clientGone = true;
    const be = this.be;
    if (be) {
      be.counters.cliAbrt++;
      if (this.server) this.server.counters.cliAbrt++;
    }
    this.termState = `C${this.phase}--`;
    if (this.phase === Phase.Queue && be) {
      this.ctx.queues.remove(this, this.server, be);
      if (this.queueTimer) clearTimeout(this.queueTimer);
    }
    const abort = this.abortUpstream;
    this.abortUpstream = undefined;
    if (abort) abort(new Error('client closed the connection'));
    this.finish();
  }

  /** Aborts the upstream request on purpose (the caller answers or ends the request). */
  cutUpstream(reason: string): void {
    const abort = this.abortUpstream;
    if (!abort) return;
    this.abortUpstream = undefined;
    this.upstreamCut = true;
    abort(new Error(reason));
  }

  /** Client side timed out (`timeout client`) while this request was active. */
  clientTimeout(): void {
    if (this.done) return;
    const receiving =
      this.phase === Phase.Request || (this.phase !== Phase.Data && this.body !== undefined && !this.body.ended);
    if (receiving) {
      // the client stopped sending its request body
      this.cutUpstream('client timeout');
      this.fe.counters.ereq++;
      this.respond(this.fe.errorPages.get(408) as CannedResponse, 'cD', true);
      return;
    }
    if (this.phase === Phase.Data && this.res.writableNeedDrain) {
      // the client stopped reading the response
      this.termState = 'cD--';
      this.cutUpstream('client timeout');
      this.res.destroy();
      this.finish();
    }
    // Otherwise the client is waiting for the server: `timeout server` applies, not this one.
  }

  /** The request body was malformed (chunked framing): 400 if nothing was answered yet, else cut. */
  badRequestBody(): void {
    if (this.done) return;
    this.cutUpstream('invalid request body');
    this.fe.counters.ereq++;
    if (this.res.headersSent) {
      this.termState = 'PD--';
      this.res.destroy();
      this.finish();
      return;
    }
    this.respond(this.fe.errorPages.get(400) as CannedResponse, 'PD', true);
  }

  /** An exception escaped a rule, hook or service: 500 to the client, the process goes on. */
  internalError(e: unknown): void {
    this.ctx.runtime.logger.log(
      undefined,
      'err',
      `internal error while processing a request on frontend '${this.fe.name}': ${(e as Error)?.stack ?? String(e)}`,
    );
    if (this.done) return;
    this.cutUpstream('internal error');
    this.respond(this.fe.errorPages.get(500) as CannedResponse, 'IR', true);
  }

  private releaseSlot(): void {
    if (!this.holdsSlot) return;
    this.holdsSlot = false;
    const server = this.server as ServerState;
    detach(server, this);
    server.cur--;
    server.counters.scur--;
    this.ctx.queues.release(server, this.be as BackendPlan);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.queueTimer) clearTimeout(this.queueTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.phase === Phase.Queue && this.be) this.ctx.queues.remove(this, this.server, this.be);
    this.res.off('drain', onResponseDrain);
    const now = Date.now();
    const fe = this.fe;
    const be = this.be;
    const status = this.status;
    const sock = this.req.socket as CountedSocket & TrackedSocket;
    // an idle keep-alive connection must not keep its last request's objects alive
    if (sock[SOCKET_STREAM] === this) sock[SOCKET_STREAM] = undefined;
    const bin = sock.bytesRead - this.bytesIn0;
    sock[READ_MARK] = sock.bytesRead;
    const bout = sock.bytesWritten - this.bytesOut0;
    countFinished(this, now, bin, bout);
    if (be) this.releaseSlot();
    if (be && this.ctx.latency) this.ctx.latency(be.name, this.server?.name, (now - this.start) / 1000, fe.name);
    // txn is missing only when building it failed (internal error before any phase)
    if (this.txn === undefined) return;
    this.ctx.hooks.requestEnded?.(this.txn, fe, status, bin, bout);
    if (fe.logTargets.length > 0 && this.ctx.log) logRequest(this, now, bout);
  }
}

/**
 * Streams holding a connection slot of each server (what `shutdown-sessions` ends), as an array
 * with swap-remove. A long-lived Set with an add and a delete per request measured far worse
 * here: scavenges 0.9 -> 4.8 ms and 25x more mark-compacts under load (p99 about 3x), for a
 * reason inside V8 not pinned down; the array shows none of it.
 */
const attached = new WeakMap<ServerState, Stream[]>();

function attach(server: ServerState, st: Stream): void {
  let list = attached.get(server);
  if (!list) {
    list = [];
    attached.set(server, list);
  }
  st.slotIndex = list.length;
  list.push(st);
}

function detach(server: ServerState, st: Stream): void {
  const list = attached.get(server);
  const i = st.slotIndex;
  st.slotIndex = -1;
  if (!list || i < 0 || list[i] !== st) return;
  const last = list.pop() as Stream;
  if (last !== st) {
    list[i] = last;
    last.slotIndex = i;
  }
}

/** Ends every stream attached to `server` (see Stream.kill); returns how many. */
export function killServerStreams(server: ServerState, code: 'D' | 'U'): number {
  const list = attached.get(server);
  if (!list || list.length === 0) return 0;
  const all = list.slice();
  for (const st of all) st.kill(code);
  return all.length;
}

const STREAM = Symbol('switchyard.stream');
/** The request in progress on a client connection (for `timeout client`), cleared when it ends. */
export const SOCKET_STREAM = Symbol('switchyard.socketStream');
export type TrackedSocket = Socket & { [SOCKET_STREAM]?: Stream };
/** Client bytes read up to the end of the previous request on a connection. */
const READ_MARK = Symbol('switchyard.readMark');
type CountedSocket = Socket & { [READ_MARK]?: number };
type StreamResponse = FrontResponse & { [STREAM]?: Stream };

// Shared listeners (no per-request closures): node calls them with the response as `this`.
function onResponseClose(this: StreamResponse): void {
  this[STREAM]?.clientClosed();
}

function onResponseDrain(this: StreamResponse): void {
  this[STREAM]?.drained();
}

function anyUsable(be: BackendPlan): boolean {
  const s = be.servers;
  for (let i = 0; i < s.length; i++) if (isUsable(s[i])) return true;
  return false;
}
