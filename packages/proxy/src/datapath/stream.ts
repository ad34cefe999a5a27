/**
 * One HTTP request through the proxy (the HTTP side of a stream; stream-core.ts holds what it
 * shares with tcp sessions), in pingora's phases: request_filter (http-request rules,
 * redirects, stats, services), upstream_peer (backend, persistence, balancer, queue),
 * upstream_request_filter (headers), response_filter (http-response rules, hooks),
 * fail_to_connect (retries, redispatch) and logging. The Stream is its own upstream dispatch
 * handler (h1-client.ts), so a request costs one object plus node's own.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { CompressionAlgo } from '@switchyard/config';
import type { HttpTxnResponse } from '../acl/types.ts';
import { pruneReqVars } from '../acl/vars.ts';
import { compressible, Encoder, rewriteHead, selectEncoding } from '../filters/compression.ts';
import { countSessionStart } from '../model/counters.ts';
import type { ServerState } from '../model/server-state.ts';
import { existingSessionVars, type HttpTxn, makeTxn, nextRequestCounter, uniqueId } from '../model/txn.ts';
import type { BackendPlan, CannedResponse, FrontendPlan } from '../runtime/plan.ts';
import { serverSni } from '../tls/tls.ts';
import { encodeProxyHeader } from '../wire/proxy-protocol.ts';
import { countFinished } from './accounting.ts';
import { BodyStream, REQUEST_BUFFER, ReplayBody } from './body-stream.ts';
import { captureCookie, captureHeaders, openCaptures } from './capture.ts';
import { socketAddresses } from './client-address.ts';
import type { ClientRequest, ClientResponse } from './client-side.ts';
import type { DatapathContext } from './context.ts';
import { recordResponseError } from './error-snapshots.ts';
import { findHeader, forwardableHeaders, getHeader, headersFromObject, headersObject } from './headers.ts';
import { logRequest } from './log-request.ts';
import { Phase } from './phase.ts';
import { isStatsRequest, redirect, reply, requestFilter, serveStats } from './request-filter.ts';
import { applyAfterResponseRules, applyResponseRules, hasAfterResponseRules } from './response-filter.ts';
import { type KillCode, StreamCore } from './stream-core.ts';
import { runTcpRules } from './tcp-rules.ts';
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
/** An HTTP/2 server refused the stream (REFUSED_STREAM, above a GOAWAY's last id): not processed. */
const REFUSED = 'ERR_H2_REFUSED';
/** An HTTP/2 server reset the stream (RST_STREAM): a server abort, never replayed. */
const SERVER_RESET = 'ERR_H2_RST';

/** HAProxy's names for its built-in applets, as its logs write them in the server field. */
export type Applet = '<STATS>' | '<PROMEX>';

export class Stream extends StreamCore {
  readonly req: ClientRequest;
  readonly res: ClientResponse;
  /** The applet that answered (stats page, exporter), logged where a server's name goes. */
  applet?: Applet;
  /** Upstream request was handed a connection (onConnect): not a connect failure. */
  private connected = false;
  private abortUpstream?: (err: Error) => void;
  /** The proxy aborted the upstream request itself: the resulting error is expected. */
  private upstreamCut = false;
  private resume?: () => void;
  private body?: BodyStream | ReplayBody;
  /** The request body kept for `retry-on` once it was sent (HAProxy's l7_buffer). */
  private replay?: Buffer[];
  /** `http-request disable-l7-retry` ran (HAProxy's TX_D_L7_RETRY). */
  l7RetryDisabled = false;
  /** The current attempt went over an idle connection of the pool. */
  private reusedConn = false;
  private clientGone = false;
  /** Set for `Upgrade` requests: bytes the client sent after the request head. */
  upgradeHead?: Buffer;
  /** The tunnel is established: the response object no longer owns the socket. */
  tunnelling = false;
  private tunnel?: [Duplex, Duplex];
  private killedTerm?: string;
  /** The algorithm the request's Accept-Encoding chose (`compression algo`), if any. */
  private compAlgo?: CompressionAlgo;
  /** The response body's compressor, when the response is compressed. */
  private enc?: Encoder;

  constructor(ctx: DatapathContext, fe: FrontendPlan, req: ClientRequest, res: ClientResponse) {
    super(ctx, fe);
    this.req = req;
    this.res = res;
    res.markTraffic();
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
    const addrs = socketAddresses(sock);
    this.txn = makeTxn({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      srcIp: addrs.src,
      srcPort: addrs.srcPort,
      dstIp: addrs.dst,
      dstPort: addrs.dstPort,
      ssl: (sock as { encrypted?: boolean }).encrypted === true,
      tls: (sock as { encrypted?: boolean }).encrypted === true ? (sock as TLSSocket) : undefined,
      frontend: fe.name,
      sessVars: existingSessionVars(sock),
      sessConn: sock,
      counter: nextRequestCounter(),
      uniqueIdFormat: fe.uniqueIdFormat,
    });
    openCaptures(this.txn, fe.captures);
    const bad = invalidRequestReason(req.rawHeaders, req.httpVersion);
    if (bad !== undefined) {
      fe.counters.ereq++;
      this.respond(this.errorPage(400), 'PR', true, true);
      return;
    }
    // http_wait_for_request: the headers as received, before any rule
    if (this.txn.reqCap) captureHeaders(this.txn, 'request', req.rawHeaders);
    if (fe.tcpContent.length > 0 && !this.tcpContentAccepts(fe)) return;
    if (fe.monitorUri !== undefined && this.txn.path === fe.monitorUri) {
      this.respond(this.errorPage(200), 'LR', false);
      return;
    }
    if (fe.model.options.httpBufferRequest && this.gatherBody(() => this.frontendRules())) return;
    this.frontendRules();
  }

  /**
   * `option http-buffer-request` (HAProxy's http_wait_for_request_body): the body is read ahead,
   * up to a buffer, before the rules run; true when `next` will be called once it is.
   */
  private gatherBody(next: () => void): boolean {
    const req = this.req;
    if (!req.hasBody || req.complete || this.upgradeHead) return false;
    // the backend may not be known yet: what is gathered is kept for a retry in any case
    const body = this.bodyStream(true);
    body.gather(REQUEST_BUFFER, () => {
      if (this.done) return;
      try {
        next();
      } catch (e) {
        this.internalError(e);
      }
    });
    return true;
  }

  /** The request body toward the server; `keep`: copies are kept to replay it (`retry-on`). */
  private bodyStream(keep: boolean): BodyStream {
    const b = new BodyStream(this.req);
    if (keep) b.keep(REQUEST_BUFFER);
    this.body = b;
    return b;
  }

  /** The frontend's http-request rules, redirects, stats and backend switching. */
  private frontendRules(): void {
    const fe = this.fe;
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
    const be = this.switchBackend();
    if (!be) {
      this.respond(this.errorPage(503), 'SC', false);
      return;
    }
    this.be = be;
    this.txn.backend = be.name;
    be.conns++;
    countSessionStart(be.counters, this.start);
    be.counters.reqTot++;
    if (
      be.model !== fe.model &&
      be.model.options.httpBufferRequest &&
      !this.body &&
      this.gatherBody(() => this.backendRules())
    )
      return;
    this.backendRules();
  }

  /** The backend's rules (when it is not the frontend), then the server. */
  private backendRules(): void {
    const fe = this.fe;
    const be = this.be as BackendPlan;
    if (be.model !== fe.model) {
      if (be.tcpContent.length > 0 && !this.tcpContentAccepts(be)) return;
      if (!requestFilter(this, be)) return;
      if (be.model.stats?.enabled && isStatsRequest(this.txn, be.model.stats.uri)) {
        serveStats(this, be.model.stats);
        return;
      }
    }
    if (fe.captureCookie) this.txn.cliCookie = captureCookie(this.txn.rawHeaders, 'cookie', fe.captureCookie);
    // HAProxy's http_process_request: the id is made once the rules of both proxies ran
    const id = uniqueId(this.txn);
    if (id !== undefined && fe.uniqueIdHeader) this.txn.rawHeaders.push(fe.uniqueIdHeader, id);
    // the compression filter reads the request as the rules left it (HAProxy's http_headers callback)
    if (fe.model.compression || be.model.compression)
      this.compAlgo = selectEncoding(fe.model.compression, be.model.compression, this.txn.rawHeaders);
    this.upstreamPeer();
  }

  /**
   * `tcp-request content` rules of an HTTP proxy, run for each request before the http-request
   * rules (as HAProxy does); a reject closes the connection without a response.
   */
  private tcpContentAccepts(p: FrontendPlan | BackendPlan): boolean {
    const state = { expectProxy: false };
    if (runTcpRules(p.tcpContent, this.txn, this.ctx.hooks, p.name, state, true) !== 'reject') return true;
    this.reject(p);
    return false;
  }

  /** `tcp-request content reject` / `http-request reject`: the connection closes without a response. */
  reject(p: { counters: { dreq: number } }): void {
    p.counters.dreq++;
    this.termState = 'PR--';
    this.res.destroy();
    this.finish();
  }

  /**
   * An applet owns the response (`<STATS>` for the stats page, `<PROMEX>` for the Prometheus
   * exporter): logged in the server field as HAProxy does, with no queue or connect time (Tw and
   * Tc 0) and Tr until the applet finished; accounted and logged when it is done.
   */
  serveBy(applet: Applet): void {
    this.applet = applet;
    this.termState = 'LR--';
    this.tw = 0;
    this.tc = 0;
    this.tConnect = Date.now();
    this.res.once('finish', () => {
      this.status = this.res.statusCode;
      this.tr = Date.now() - this.tConnect;
      this.finish();
    });
  }

  // ---- upstream_request_filter + dispatch -----------------------------------------------

  protected noServer(term: 'SC' | 'sQ'): void {
    this.respond(this.errorPage(503), term, false);
  }

  protected sentToServer(): boolean {
    return this.body?.started === true;
  }

  protected connect(server: ServerState): void {
    const be = this.be as BackendPlan;
    const fe = this.fe;
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
    let body: BodyStream | ReplayBody | null = null;
    if (this.upgradeHead) {
      // the client sends Connection/Upgrade itself for upgrades.
    } else if (req.hasBody) {
      // after an L7 retry the kept body goes again (a fresh copy for each attempt that sent it)
      if (this.replay !== undefined) {
        if (!this.body || this.body.started) this.body = new ReplayBody(this.replay);
      } else if (!this.body) this.bodyStream(be.l7Retry);
      body = this.body as BodyStream | ReplayBody;
    }
    const timeout = be.timeouts.server ?? 0;
    let path = txn.url;
    if (path.charCodeAt(0) !== 47 && path !== '*') path = txn.query ? `${txn.path}?${txn.query}` : txn.path;
    try {
      const sp = server.model.sendProxy;
      const pool = sp
        ? this.ctx.pools.forClient(server, be, req.socket, encodeProxyHeader(sp, socketAddresses(req.socket)))
        : this.ctx.pools.get(server, be, server.model.sni === undefined ? '' : serverSni(server.model, txn));
      const reused = pool.dispatch(
        {
          path,
          method: txn.method,
          headers,
          body,
          reset: close,
          timeout,
          upgrade: this.upgradeHead ? (getHeader(req.rawHeaders, 'upgrade') ?? 'websocket') : undefined,
          client: req.socket,
          notFirst: req.notFirst,
          teTrailers: /\btrailers\b/i.test(getHeader(req.rawHeaders, 'te') ?? ''),
          trailers: body === null ? undefined : () => req.trailers,
        },
        this,
      );
      this.reusedConn = reused;
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
      this.respond(this.errorPage(400), 'PR', true);
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
    // `retry-on 503`...: the answer is dropped before any analysis, the request sent again
    if ((this.be as BackendPlan).l7Retry && this.retryL7(String(statusCode))) return false;
    const now = Date.now();
    this.tr = now - this.tConnect - Math.max(this.tc, 0);
    this.resume = resume;
    this.phase = Phase.Data;
    const be = this.be as BackendPlan;
    const server = this.server as ServerState;
    let headers = forwardableHeaders(rawHeaders);
    // the compression filter decides on the server's head, before the http-response rules
    const algo = this.compAlgo !== undefined && this.compressible(statusCode, rawHeaders) ? this.compAlgo : undefined;
    if (algo !== undefined) (this.txn as HttpTxn & HttpTxnResponse).resComp = algo;
    let status = statusCode;
    let reason = statusText;
    // the request's `req.` variables end with the request analysis (HAProxy's vars_reqres)
    pruneReqVars(this.txn);
    if (this.txn.resCap) captureHeaders(this.txn, 'response', rawHeaders);
    const rs1 = applyResponseRules(this, be.responseRules, headers, status);
    if (rs1 !== undefined) [status, reason] = rs1;
    if (be.model !== this.fe.model) {
      const rs2 = applyResponseRules(this, this.fe.responseRules, headers, status);
      if (rs2 !== undefined) [status, reason] = rs2;
    }
    if (this.done) return false;
    if (this.fe.captureCookie) this.txn.srvCookie = captureCookie(headers, 'set-cookie', this.fe.captureCookie);
    if (hasAfterResponseRules(this)) {
      const rs3 = applyAfterResponseRules(this, headers, status);
      if (rs3 !== undefined) [status, reason] = rs3;
    }
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
    if (algo !== undefined) {
      rewriteHead(algo, headers);
      this.enc = new Encoder(
        algo,
        this.ctx.runtime.compLevel,
        findHeader(rawHeaders, 'transfer-encoding') >= 0,
        res,
        [this.fe.counters, be.counters],
        () => this.drained(),
        (e) => this.compressionFailed(e),
      );
    }
    try {
      res.writeHead(status, reason || undefined, headers);
    } catch {
      // node refused a header the server sent (invalid characters): an invalid response
      this.phase = Phase.Headers;
      be.counters.eresp++;
      server.counters.eresp++;
      this.cutUpstream('invalid response header');
      this.respond(this.errorPage(502), 'PH', false);
      return false;
    }
    res.on('drain', onResponseDrain);
    return true;
  }

  /** Whether the server's response is compressed (HAProxy's select_compression_response_header). */
  private compressible(status: number, rawHeaders: string[]): boolean {
    const be = this.be as BackendPlan;
    // without a length or chunked framing an HTTP/1 body ends with the close: not compressed
    const framed =
      this.server?.model.proto === 'h2' ||
      findHeader(rawHeaders, 'content-length') >= 0 ||
      findHeader(rawHeaders, 'transfer-encoding') >= 0;
    return compressible(this.fe.model.compression, be.model.compression, {
      status,
      method: this.txn.method,
      httpVersion: this.req.httpVersion,
      headers: rawHeaders,
      framed,
    });
  }

  /**
   * The compressor failed mid-body: as HAProxy's return_bad_res once a filter failed, the
   * response is cut (`PD--`) and counted as a response error.
   */
  private compressionFailed(e: Error): void {
    if (this.done) return;
    this.ctx.runtime.logger.log(undefined, 'err', `compression failed on frontend '${this.fe.name}': ${e.message}`);
    const be = this.be as BackendPlan;
    be.counters.eresp++;
    if (this.server) this.server.counters.eresp++;
    this.termState = 'PD--';
    this.cutUpstream('compression failed');
    this.res.destroy();
    this.finish();
  }

  /** The client (or the compressor) can take more: read from the server again. */
  drained(): void {
    const e = this.enc;
    if (e) {
      e.sinkDrained();
      if (e.busy) return;
    }
    const r = this.resume;
    if (r) r();
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return false;
    const e = this.enc;
    return e ? e.write(chunk) : this.res.write(chunk);
  }

  onComplete(trailers: string[] | null): void {
    if (this.done) return;
    this.phase = Phase.Done;
    const e = this.enc;
    if (e) {
      // the compressed stream's end goes out first
      e.end(() => {
        if (this.done) return;
        this.res.end(undefined, trailers ?? undefined);
        this.finish();
      });
      return;
    }
    this.res.end(undefined, trailers ?? undefined);
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
      // econ counts the connection that failed for good, not each retried attempt (haproxy 2.6)
      be.counters.econ++;
      server.counters.econ++;
      this.respond(this.errorPage(503), code === 'UND_ERR_CONNECT_TIMEOUT' ? 'sC' : 'SC', false);
      return;
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      if (this.retryL7('response-timeout')) return;
      be.counters.eresp++;
      server.counters.eresp++;
      this.ctx.observer?.observe(be, server, 'l7-timeout');
      this.respond(this.errorPage(504), 'sH', false);
      return;
    }
    // Refused by an HTTP/2 server (not processed): replayed on another connection.
    if (code === REFUSED && !this.body?.started && this.retry(0)) return;
    const closed = CONNECT_ERRORS.has(code);
    const junk = !closed && code !== SERVER_RESET && code !== REFUSED;
    // haproxy 2.6 counts a reset and a junk answer at each attempt (a close without an answer only
    // once the request failed), and a reset once more then
    if (code === 'ECONNRESET' || junk) {
      be.counters.eresp++;
      server.counters.eresp++;
    }
    const snap = (err as { snapshot?: { buf: Buffer; errorAt: number } }).snapshot;
    if (snap)
      recordResponseError(be, this.fe, server, snap.buf, snap.errorAt, code, {
        ip: this.txn.srcIp,
        port: this.txn.srcPort,
      });
    if ((closed || junk) && this.retryL7(closed ? 'empty-response' : 'junk-response')) return;
    // An idle connection of the pool the server closed as it was reused (a race haproxy sees
    // before it sends): an idempotent request whose body was not sent goes on another one.
    const replayable = this.reusedConn && closed && IDEMPOTENT.has(this.txn.method) && !this.body?.started;
    if (replayable && this.retry(0)) return;
    if (!junk) {
      be.counters.eresp++;
      server.counters.eresp++;
    }
    this.ctx.observer?.observe(be, server, 'l7-error');
    this.respond(
      this.errorPage(502),
      CONNECT_ERRORS.has(code) || code === SERVER_RESET || code === REFUSED ? 'SH' : 'PH',
      false,
    );
  }

  /**
   * HAProxy's do_l7_retry for the `retry-on` event `event` (a status code, `empty-response`,
   * `junk-response`, `response-timeout`): the server's answer (or its absence) is dropped and the
   * request sent again, when it had arrived whole before it was first sent (a body kept in memory,
   * see BodyStream.keep); false when it is not retried.
   */
  private retryL7(event: string): boolean {
    const be = this.be as BackendPlan;
    if (!be.l7Retry || this.l7RetryDisabled || !be.retryOn.has(event) || this.retries >= be.retries) return false;
    if (this.upgradeHead) return false;
    const body = this.body;
    if (body?.started) {
      const chunks = body instanceof BodyStream ? body.replayChunks() : this.replay;
      if (chunks === undefined) return false;
      this.replay = chunks;
    }
    this.cutUpstream(`retry-on ${event}`);
    this.upstreamCut = false;
    return this.retry(0, true);
  }

  onUpgrade(statusCode: number, rawHeaders: string[] | null, upstream: Duplex): void {
    if (this.done) {
      upstream.destroy();
      return;
    }
    this.tr = Date.now() - this.tConnect - Math.max(this.tc, 0);
    this.status = statusCode;
    this.phase = Phase.Data;
    const client = this.res.openTunnel(statusCode, rawHeaders ?? []);
    if (client === undefined) {
      // not the handshake the client's stream was promised (HTTP/2 extended CONNECT)
      upstream.destroy();
      const be = this.be as BackendPlan;
      be.counters.eresp++;
      (this.server as ServerState).counters.eresp++;
      this.phase = Phase.Headers;
      this.respond(this.errorPage(502), 'PH', false);
      return;
    }
    this.tunnelling = true;
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
  kill(code: KillCode): void {
    if (this.done) return;
    if (this.tunnel) {
      this.killedTerm = `${code}D--`;
      for (const sock of this.tunnel) sock.destroy();
      return;
    }
    this.cutUpstream(code === 'D' ? 'server marked down' : code === 'U' ? 'active server marked up' : 'killed');
    if (this.phase === Phase.Data) {
      this.termState = `${code}D--`;
      this.res.destroy();
      this.finish();
      return;
    }
    this.respond(this.errorPage(502), `${code}H`, false);
  }

  // ---- responses, end, logging -----------------------------------------------------------

  /** The proxy's page for `status`: the backend's own, else the frontend's (HAProxy's http_error_message). */
  errorPage(status: number): CannedResponse {
    const page = this.be?.ownErrorPages.get(status) ?? (this.fe.errorPages.get(status) as CannedResponse);
    return page.bodyFn ? reply(page, this.txn, page.bodyFn, undefined) : page;
  }

  /** Sends a canned response (error page, redirect, return) and ends the request. */
  /**
   * Writes the proxy's own response `c`. `http-after-response` rules apply to it unless `early`:
   * errors HAProxy's mux answers before any HTTP analysis (an unparsable request) skip them.
   */
  respond(c: CannedResponse, term: string, close: boolean, early = false): void {
    if (this.done) return;
    this.termState = `${term}--`;
    let status = c.status;
    let reason: string | undefined = c.reason;
    const h = c.headers;
    const flat: string[] = [];
    for (let i = 0; i < h.length; i++) flat.push(h[i][0], h[i][1]);
    if (!early && hasAfterResponseRules(this)) {
      pruneReqVars(this.txn);
      const o = applyAfterResponseRules(this, flat, status);
      if (o !== undefined) [status, reason] = [o[0], o[1] || undefined];
    }
    this.status = status;
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
    if (c.version10 || c.closeDelimited) {
      if (c.closeDelimited) res.shouldKeepAlive = false;
      res.framing?.(c.version10 === true, c.closeDelimited === true);
    }
    res.writeHead(status, reason, flat);
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
      this.respond(this.errorPage(408), 'cD', true);
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
    this.respond(this.errorPage(400), 'PD', true);
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
    this.respond(this.errorPage(500), 'IR', true);
  }

  private finish(): void {
    if (!this.markDone()) return;
    this.res.off('drain', onResponseDrain);
    this.enc?.destroy();
    const now = Date.now();
    const fe = this.fe;
    const be = this.be;
    const status = this.status;
    const sock = this.req.socket as TrackedSocket;
    // an idle keep-alive connection must not keep its last request's objects alive
    if (sock[SOCKET_STREAM] === this) sock[SOCKET_STREAM] = undefined;
    const [bin, bout] = this.res.traffic();
    countFinished(this, now, bin, bout);
    if (be) this.releaseSlot();
    if (be && this.ctx.latency) this.ctx.latency(be.name, this.server?.name, (now - this.start) / 1000, fe.name);
    // txn is missing only when building it failed (internal error before any phase)
    if (this.txn === undefined) return;
    this.ctx.hooks.requestEnded?.(this.txn, fe, status, bin, bout);
    if (fe.logTargets.length > 0 && this.ctx.log) logRequest(this, now, bout, bin);
  }
}

const STREAM = Symbol('switchyard.stream');
/** The request in progress on a client connection (for `timeout client`), cleared when it ends. */
export const SOCKET_STREAM = Symbol('switchyard.socketStream');
export type TrackedSocket = Socket & { [SOCKET_STREAM]?: Stream };
type StreamResponse = ClientResponse & { [STREAM]?: Stream };

// Shared listeners (no per-request closures): node calls them with the response as `this`.
function onResponseClose(this: StreamResponse): void {
  this[STREAM]?.clientClosed();
}

function onResponseDrain(this: StreamResponse): void {
  this[STREAM]?.drained();
}
