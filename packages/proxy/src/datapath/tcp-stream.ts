/**
 * One `mode tcp` session (HAProxy's stream over mux_pt): `tcp-request content` inspection of the
 * first bytes (within `inspect-delay`), `use_backend`/`default_backend`, then the shared
 * upstream_peer phase of stream-core.ts (use-server, persistence, balancing, queues, retries),
 * the server connection (optionally behind a PROXY header or TLS), and the relay (relay.ts)
 * until both sides are done, the server's first bytes held for the backend's `tcp-response
 * content` rules when it has some; then counters and the tcplog line.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { INSPECT_MAX } from '../acl/payload-fetches.ts';
import { formatDefaultLog, formatJsonLog } from '../log/request-line.ts';
import { countSessionStart } from '../model/counters.ts';
import type { ServerState } from '../model/server-state.ts';
import { existingSessionVars, makeTxn, nextRequestCounter } from '../model/txn.ts';
import type { BackendPlan, FrontendPlan } from '../runtime/plan.ts';
import { serverSni, serverTlsOptions } from '../tls/tls.ts';
import { encodeProxyHeader, type ProxiedAddresses } from '../wire/proxy-protocol.ts';
import { countFinished } from './accounting.ts';
import { openCaptures } from './capture.ts';
import type { DatapathContext } from './context.ts';
import { streamLogFields } from './log-request.ts';
import { Phase } from './phase.ts';
import { Relay } from './relay.ts';
import { type KillCode, StreamCore } from './stream-core.ts';
import { runTcpRules, type TcpRulesState } from './tcp-rules.ts';

const CONNECT_TIMEOUT = 'ETIMEDOUT';

export class TcpStream extends StreamCore {
  readonly client: Socket;
  private upstream?: Socket;
  private relay?: Relay;
  /** Client bytes read during inspection, written to the server first. */
  private head: Buffer;
  private inspectTimer?: NodeJS.Timeout;
  private connectTimer?: NodeJS.Timeout;
  private readonly rules: TcpRulesState = { expectProxy: false };
  /** `tcp-response content`: where the backend's list stopped, and its inspect-delay timer. */
  private resRules?: TcpRulesState;
  private resInspectTimer?: NodeJS.Timeout;
  /** Server bytes a `tcp-response content reject` dropped (counted as sent, as HAProxy's %B). */
  private droppedResponse = 0;
  private clientEnded = false;
  private killedTerm?: string;
  /** The relay has started writing client bytes to a server (no retry after that). */
  private sent = false;

  /** Hands the connection to the HTTP engine (a tcp frontend switching to an http backend). */
  private readonly toHttp: (be: BackendPlan, head: Buffer) => void;

  constructor(
    ctx: DatapathContext,
    fe: FrontendPlan,
    client: Socket,
    addrs: ProxiedAddresses,
    head: Buffer,
    toHttp: (be: BackendPlan, head: Buffer) => void,
  ) {
    super(ctx, fe);
    this.toHttp = toHttp;
    this.client = client;
    this.head = head;
    this.txn = makeTxn({
      method: '',
      url: '/',
      httpVersion: '',
      rawHeaders: [],
      srcIp: addrs.src,
      srcPort: addrs.srcPort,
      dstIp: addrs.dst,
      dstPort: addrs.dstPort,
      ssl: (client as { encrypted?: boolean }).encrypted === true,
      tls: (client as { encrypted?: boolean }).encrypted === true ? (client as TLSSocket) : undefined,
      frontend: fe.name,
      payload: head,
      sessVars: existingSessionVars(client),
      sessConn: client,
      counter: nextRequestCounter(),
      uniqueIdFormat: fe.uniqueIdFormat,
    });
    openCaptures(this.txn, fe.captures);
  }

  /** Entry point: inspection (if any content rules), then routing. */
  run(): void {
    const c = this.client;
    c.on('error', this.onClientError);
    c.on('close', this.onClientClose);
    const t = this.fe.timeouts.client;
    if (t) c.setTimeout(t, this.onInspectClientTimeout);
    if (this.fe.tcpContent.length === 0) {
      c.pause();
      this.route();
      return;
    }
    c.on('data', this.onInspectData);
    c.on('end', this.onInspectEnd);
    if (this.fe.inspectDelay > 0) this.inspectTimer = setTimeout(this.onInspectTimeout, this.fe.inspectDelay);
    this.inspect(this.fe.inspectDelay === 0 || this.head.length >= INSPECT_MAX);
    if (!this.done && this.phase === Phase.Request) c.resume();
  }

  // ---- tcp-request content ----------------------------------------------------------------

  private readonly onInspectData = (d: Buffer): void => {
    this.head = this.head.length === 0 ? d : Buffer.concat([this.head, d]);
    this.txn.payload = this.head;
    this.txn.cache = {};
    this.inspect(this.head.length >= INSPECT_MAX);
  };

  private readonly onInspectEnd = (): void => {
    this.clientEnded = true;
    this.inspect(true);
  };

  private readonly onInspectTimeout = (): void => {
    this.inspectTimer = undefined;
    this.inspect(true);
  };

  private readonly onInspectClientTimeout = (): void => {
    if (this.phase !== Phase.Request && this.phase !== Phase.Queue && this.phase !== Phase.Connect) return;
    this.fe.counters.ereq++;
    this.close(`c${this.phase}`);
  };

  private inspect(final: boolean): void {
    if (this.done || this.phase !== Phase.Request) return;
    const verdict = runTcpRules(this.fe.tcpContent, this.txn, this.ctx.hooks, this.fe.name, this.rules, final);
    if (verdict === 'wait') return;
    this.endInspection();
    if (verdict === 'reject') {
      this.fe.counters.dreq++;
      this.close('PR');
      return;
    }
    this.route();
  }

  private endInspection(): void {
    const c = this.client;
    c.off('data', this.onInspectData);
    c.off('end', this.onInspectEnd);
    c.pause();
    if (this.inspectTimer) clearTimeout(this.inspectTimer);
    this.inspectTimer = undefined;
  }

  // ---- backend switch and server choice ---------------------------------------------------

  private route(): void {
    const fe = this.fe;
    const txn = this.txn;
    const be = this.switchBackend();
    if (!be) {
      this.close('SC');
      return;
    }
    if (be.mode === 'http') {
      // HAProxy's implicit upgrade: from here on the connection is HTTP/1 to that backend, each
      // request a stream of its own (accounted and logged as such); this session ends unseen
      const c = this.client;
      c.off('error', this.onClientError);
      c.off('close', this.onClientClose);
      c.setTimeout(0);
      c.removeListener('timeout', this.onInspectClientTimeout);
      this.markDone();
      this.toHttp(be, this.head);
      return;
    }
    this.be = be;
    txn.backend = be.name;
    be.conns++;
    countSessionStart(be.counters, this.start);
    if (be.model !== fe.model && be.tcpContent.length > 0) {
      const state: TcpRulesState = { expectProxy: false };
      if (runTcpRules(be.tcpContent, txn, this.ctx.hooks, be.name, state, true) === 'reject') {
        be.counters.dreq++;
        this.close('PR');
        return;
      }
    }
    this.upstreamPeer();
  }

  protected noServer(term: 'SC' | 'sQ'): void {
    this.close(term);
  }

  protected sentToServer(): boolean {
    return this.sent;
  }

  // ---- server connection ------------------------------------------------------------------

  protected connect(server: ServerState): void {
    const be = this.be as BackendPlan;
    this.phase = Phase.Connect;
    this.tConnect = Date.now();
    const m = server.model;
    const sock = m.ssl
      ? tlsConnect({
          ...serverTlsOptions(
            m,
            m.sni !== undefined ? serverSni(m, this.txn) : isIP(server.host) ? undefined : server.host,
          ),
          host: server.host,
          port: server.port,
        })
      : netConnect({ host: server.host, port: server.port, noDelay: true, allowHalfOpen: true });
    this.upstream = sock;
    be.counters.connect++;
    server.counters.connect++;
    sock.once(m.ssl ? 'secureConnect' : 'connect', this.onServerConnect);
    sock.on('error', this.onServerConnectError);
    const t = be.timeouts.connect;
    if (t) this.connectTimer = setTimeout(this.onConnectTimeout, t);
  }

  private readonly onConnectTimeout = (): void => {
    this.connectTimer = undefined;
    const err = Object.assign(new Error('connect timeout'), { code: CONNECT_TIMEOUT });
    this.upstream?.destroy();
    this.onServerConnectError(err);
  };

  private readonly onServerConnectError = (err: Error & { code?: string }): void => {
    if (this.done || this.phase !== Phase.Connect) return;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    const up = this.upstream;
    this.upstream = undefined;
    if (up) {
      up.off('error', this.onServerConnectError);
      up.on('error', noop);
      up.destroy();
    }
    const be = this.be as BackendPlan;
    const server = this.server as ServerState;
    const timedOut = err.code === CONNECT_TIMEOUT;
    this.ctx.observer?.observe(be, server, timedOut ? 'l4-timeout' : 'l4-error');
    this.tc = -1;
    // as HAProxy (and the HTTP side): a pause of min(timeout connect, 1s) after a refusal
    if (this.retry(timedOut ? 0 : Math.min(be.timeouts.connect ?? 1000, 1000))) return;
    // econ counts the connection that failed for good, not each retried attempt (haproxy 2.6)
    be.counters.econ++;
    server.counters.econ++;
    this.close(timedOut ? 'sC' : 'SC');
  };

  private readonly onServerConnect = (): void => {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    const up = this.upstream as Socket;
    if (this.done) {
      up.destroy();
      return;
    }
    up.off('error', this.onServerConnectError);
    const be = this.be as BackendPlan;
    const server = this.server as ServerState;
    this.tc = Date.now() - this.tConnect;
    this.ctx.observer?.observe(be, server, 'ok');
    this.phase = Phase.Data;
    this.sent = true;
    const c = this.client;
    c.setTimeout(0);
    c.off('error', this.onClientError);
    c.off('close', this.onClientClose);
    const sendProxy = server.model.sendProxy;
    const first: Buffer[] = [];
    if (sendProxy) {
      const t = this.txn;
      first.push(
        encodeProxyHeader(sendProxy, {
          local: false,
          src: t.srcIp,
          srcPort: t.srcPort,
          dst: t.dstIp,
          dstPort: t.dstPort,
        }),
      );
    }
    if (this.head.length > 0) first.push(this.head);
    this.head = EMPTY;
    this.txn.payload = undefined;
    const fe = this.fe;
    // in tcp mode `timeout tunnel`, when set, takes over both sides once connected (HAProxy)
    const tunnel = be.timeouts.tunnel;
    const inspecting = be.tcpResponse.length > 0;
    if (inspecting) {
      this.resRules = { expectProxy: false };
      this.txn.resPayload = EMPTY;
      if (be.resInspectDelay > 0) this.resInspectTimer = setTimeout(this.onResInspectTimeout, be.resInspectDelay);
    }
    this.relay = new Relay(c, up, {
      clientTimeout: tunnel ?? fe.timeouts.client ?? 0,
      serverTimeout: tunnel ?? be.timeouts.server ?? 0,
      clientFin: fe.timeouts.clientFin,
      serverFin: be.timeouts.serverFin,
      clientEnded: this.clientEnded,
      first,
      hold: inspecting ? { inspect: this.onResInspectData, holdMax: INSPECT_MAX } : undefined,
      done: (term) => this.relayDone(term),
    });
    // as HAProxy, the rules first run once connected, on no data yet (final without a delay)
    if (inspecting) this.inspectResponse(EMPTY, be.resInspectDelay === 0);
  };

  // ---- tcp-response content ---------------------------------------------------------------

  private readonly onResInspectData = (held: Buffer, serverEnded: boolean): void => {
    this.inspectResponse(held, serverEnded || held.length >= INSPECT_MAX);
  };

  private readonly onResInspectTimeout = (): void => {
    this.resInspectTimer = undefined;
    this.inspectResponse(this.txn.resPayload ?? EMPTY, true);
  };

  private inspectResponse(held: Buffer, final: boolean): void {
    const state = this.resRules;
    const relay = this.relay;
    if (!state || !relay || this.done) return;
    const be = this.be as BackendPlan;
    const txn = this.txn;
    if (txn.resPayload !== held) {
      txn.resPayload = held;
      txn.cache = {};
    }
    const verdict = runTcpRules(be.tcpResponse, txn, this.ctx.hooks, be.name, state, final);
    if (verdict === 'wait') return;
    this.resRules = undefined;
    txn.resPayload = undefined;
    if (this.resInspectTimer) clearTimeout(this.resInspectTimer);
    this.resInspectTimer = undefined;
    if (verdict === 'reject') {
      // counted on the frontend, backend and server; PD as HAProxy's SF_ERR_PRXCOND + SF_FINST_D
      this.fe.counters.dresp++;
      be.counters.dresp++;
      if (this.server) this.server.counters.dresp++;
      this.droppedResponse = relay.heldBytes();
      this.killedTerm = 'PD';
      relay.reject();
      return;
    }
    relay.release(verdict === 'close');
  }

  private relayDone(term: string): void {
    const be = this.be as BackendPlan;
    const server = this.server as ServerState;
    if (this.killedTerm) term = this.killedTerm;
    else if (term[0] === 'C' || term[0] === 'c') {
      be.counters.cliAbrt++;
      server.counters.cliAbrt++;
    } else if (term[0] === 'S' || term[0] === 's') {
      be.counters.srvAbrt++;
      server.counters.srvAbrt++;
    }
    this.termState = `${term}--`;
    this.finish();
  }

  // ---- ends -------------------------------------------------------------------------------

  private readonly onClientError = (): void => {
    // before the relay: the client reset (the close event ends the stream)
  };

  private readonly onClientClose = (): void => {
    if (this.done || this.relay) return;
    const be = this.be;
    if (be) {
      be.counters.cliAbrt++;
      if (this.server) this.server.counters.cliAbrt++;
    }
    if (this.phase === Phase.Queue && be) this.ctx.queues.remove(this, this.server, be);
    this.upstream?.destroy();
    this.termState = `C${this.phase}--`;
    this.finish();
  };

  /** Ends the session before or instead of the relay, with termination flags `term`. */
  private close(term: string): void {
    if (this.done) return;
    this.termState = `${term}--`;
    this.endInspection();
    this.upstream?.destroy();
    this.client.destroy();
    this.finish();
  }

  kill(code: KillCode): void {
    if (this.done) return;
    if (this.relay) {
      this.killedTerm = `${code}D`;
      this.relay.destroy();
      return;
    }
    this.close(`${code}${this.phase}`);
  }

  private finish(): void {
    if (!this.markDone()) return;
    if (this.inspectTimer) clearTimeout(this.inspectTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.resInspectTimer) clearTimeout(this.resInspectTimer);
    const now = Date.now();
    const bin = this.client.bytesRead;
    const bout = this.client.bytesWritten + this.droppedResponse;
    countFinished(this, now, bin, bout);
    if (this.be) this.releaseSlot();
    this.ctx.hooks.requestEnded?.(this.txn, this.fe, 0, bin, bout);
    const fe = this.fe;
    if (fe.logTargets.length === 0 || !this.ctx.log) return;
    if (fe.dontlognull && bin === 0) return;
    if (fe.dontlogNormal && this.termState === '----' && this.retries === 0) return;
    const f = streamLogFields(this, now, bout, bin, -1, this.client.closed ? 1 : 0);
    const line = this.ctx.jsonLog ? formatJsonLog(f) : fe.logFormat ? fe.logFormat(f, this.txn) : formatDefaultLog(f);
    this.ctx.log.send(fe.logTargets, 'info', line);
  }
}

const EMPTY = Buffer.alloc(0);

function noop(): void {}
