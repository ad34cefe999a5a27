/**
 * The datapath: binds every frontend's addresses and serves requests from a compiled runtime.
 * `reload` swaps in a new runtime whole (same addresses keep their sockets, new ones are bound,
 * removed ones closed); `stop` stops accepting and lets in-flight requests finish.
 */
import type { Socket } from 'node:net';
import { setBackendLookup } from '../acl/index.ts';
import { formatHttpLog, formatJsonLog, type RequestLogFields } from '../log/request-line.ts';
import { DatapathCode } from '../model/codes.ts';
import type { RequestHooks, ServiceHandlers, TrafficObserver } from '../model/hooks.ts';
import type { FrontendStateEvent, ServerStateEvent } from '../model/types.ts';
import type { CompiledRuntime, FrontendPlan, TlsPlan } from '../runtime/plan.ts';
import { socketAddresses } from './client-address.ts';
import type { DatapathContext, RequestLogSink } from './context.ts';
import type { InheritedSockets } from './inherited.ts';
import { bindKey, ConnectionGate, Listener } from './listeners.ts';
import { servePools, UpstreamPools } from './pools.ts';
import { Queues } from './queue.ts';
import { killServerStreams } from './stream-core.ts';

export type { RequestLogSink } from './context.ts';
export {
  type ErrorSnapshot,
  errorEvents,
  type ResponseSnapshot,
  requestError,
  responseError,
  SNAPSHOT_BUFSIZE,
} from './error-snapshots.ts';
export {
  closeKeepingPath,
  type InheritedSocket,
  InheritedSockets,
  serverFd,
  wantedKey,
} from './inherited.ts';
export { findStream, liveStreams, streamPointer } from './live-streams.ts';
export { serverConnections } from './pools.ts';
export { killServerStreams, type StreamCore } from './stream-core.ts';

export interface DatapathOptions {
  /** Persistence, stick counters (packages/state). */
  hooks?: RequestHooks;
  /** Passive health checks (packages/proxy/src/health). */
  observer?: TrafficObserver;
  /** Stats page and Prometheus exporter (packages/admin). */
  services?: ServiceHandlers;
  /** Where request log lines go (frontends with `log` targets only). */
  log?: RequestLogSink;
  /** `--log-format json`. */
  jsonLog?: boolean;
  /** Per-request latency observer (admin's Prometheus histograms). */
  latency?: (backend: string, server: string | undefined, seconds: number, frontend?: string) => void;
  /** Listening sockets received at start (`-x`, a master's hand-over): binds at their address adopt them. */
  inherited?: InheritedSockets;
}

/** One bound address, as reported by `addresses()`. */
export interface BoundAddress {
  frontend: string;
  host: string;
  port: number;
  path?: string;
  ssl: boolean;
}

/**
 * On a stop, a keep-alive connection is closed once idle this long: a client sending request
 * after request gets `connection: close` on its next response instead (no request of its meets
 * the close). HAProxy closes idle connections at once (a client reusing one at that moment sees
 * it closed: test/restart-handover.test.ts counts those against haproxy).
 */
const STOP_IDLE_MS = 200;

export class BindError extends Error {
  readonly code = DatapathCode.BIND_FAILED;
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export class Datapath {
  private readonly ctx: DatapathContext;
  private readonly gate: ConnectionGate;
  private listeners = new Map<string, Listener>();

  constructor(runtime: CompiledRuntime, opts: DatapathOptions = {}) {
    this.ctx = {
      runtime,
      pools: new UpstreamPools(),
      queues: new Queues(),
      hooks: opts.hooks ?? {},
      observer: opts.observer,
      services: opts.services ?? {},
      log: opts.log,
      latency: opts.latency,
      jsonLog: opts.jsonLog ?? false,
      actconn: 0,
      stopping: false,
      inherited: opts.inherited,
    };
    this.gate = new ConnectionGate(this.ctx, (l, s, status, term) => this.logBadRequest(l, s, status, term));
    // the emitter outlives reloads (runtime/build.ts passes it on)
    runtime.events.on('server-state', this.onServerState);
    runtime.events.on('frontend-state', this.onFrontendState);
    servePools(this.ctx.pools);
  }

  /**
   * `disable frontend` / `shutdown frontend` close the frontend's binds (new connections are
   * refused, open ones go on), `enable frontend` binds them again; a bind that cannot is logged
   * as haproxy does (`Port N busy while trying to enable frontend F.`).
   */
  private readonly onFrontendState = (ev: FrontendStateEvent): void => {
    const fe = ev.frontend;
    for (const l of this.listeners.values()) {
      if (l.fe.name !== fe.name) continue;
      if (ev.state !== 'ready') void l.close();
      else if (!l.net.listening) {
        l.listen().catch(() => {
          const msg = `Port ${l.bind.port} busy while trying to enable frontend ${fe.name}.`;
          this.ctx.runtime.logger.log(fe.model, 'warning', msg, { stderr: true, stderrLevel: 'warning' });
        });
      }
    }
    if (ev.state === 'stopped') fe.listening = false;
  };

  /** `on-marked-down shutdown-sessions` / `on-marked-up shutdown-backup-sessions`. */
  private readonly onServerState = (ev: ServerStateEvent): void => {
    const m = ev.server.model;
    const be = this.ctx.runtime.backends.get(ev.backend.name);
    const wasUsable = ev.fromOp === 'UP' && ev.fromAdmin !== 'MAINT';
    const usable = ev.toOp === 'UP' && ev.toAdmin !== 'MAINT';
    if (be && wasUsable && !usable) this.ctx.queues.redistribute(ev.server, be);
    else if (be && !wasUsable && usable) this.ctx.queues.fill(be);
    if (ev.toOp === 'DOWN' && ev.fromOp !== 'DOWN' && m.onMarkedDown === 'shutdown-sessions') {
      killServerStreams(ev.server, 'D');
    } else if (ev.toOp === 'UP' && ev.fromOp !== 'UP' && !m.backup && m.onMarkedUp === 'shutdown-backup-sessions') {
      for (const s of ev.backend.servers) if (s.model.backup) killServerStreams(s, 'U');
    }
  };

  /** The runtime currently served. */
  get runtime(): CompiledRuntime {
    return this.ctx.runtime;
  }

  /** Replaces hooks, observer and services (a reload rebuilt them for the new runtime). */
  setIntegrations(i: Pick<DatapathOptions, 'hooks' | 'observer' | 'services'>): void {
    if (i.hooks) this.ctx.hooks = i.hooks;
    if (i.observer) this.ctx.observer = i.observer;
    if (i.services) this.ctx.services = i.services;
  }

  /** Current client connections (actconn). */
  get connections(): number {
    return this.ctx.actconn;
  }

  /** Binds every frontend; on any failure closes what was bound and throws BindError. */
  async start(): Promise<void> {
    const created = this.plan(this.ctx.runtime);
    liveBackends(this.ctx.runtime);
    await this.bindAll(created);
    this.listeners = new Map(created.map((l) => [l.key, l]));
    for (const fe of this.ctx.runtime.frontends.values()) fe.listening = fe.binds.length > 0;
  }

  /**
   * Serves `next` from now on. New addresses are bound first; if one fails nothing changes and
   * BindError is thrown (the old runtime keeps running).
   */
  async reload(next: CompiledRuntime): Promise<void> {
    const wanted = new Map<string, { fe: FrontendPlan; bindIndex: number; tls?: TlsPlan }>();
    for (const fe of next.frontends.values()) {
      for (let i = 0; i < fe.binds.length; i++)
        wanted.set(bindKey(fe.binds[i]), { fe, bindIndex: i, tls: fe.tls.get(i) });
    }
    const fresh: Listener[] = [];
    for (const [key, w] of wanted) {
      if (!this.listeners.has(key)) fresh.push(new Listener(this.ctx, this.gate, w.fe, w.fe.binds[w.bindIndex], w.tls));
    }
    await this.bindAll(fresh);
    for (const [key, l] of this.listeners) {
      const w = wanted.get(key);
      if (w) l.update(w.fe, w.fe.binds[w.bindIndex], w.tls);
      else {
        this.listeners.delete(key);
        void l.close();
        this.drainAndDispose(l);
      }
    }
    for (const l of fresh) this.listeners.set(l.key, l);
    // a frontend disabled or shut down from the runtime API serves again after a reload, as haproxy's new process
    for (const l of this.listeners.values()) if (!l.net.listening) void l.listen().catch(() => {});
    this.ctx.runtime = next;
    liveBackends(next);
    for (const fe of next.frontends.values()) fe.listening = fe.binds.length > 0;
    void this.ctx.pools.prune(next.backends.values());
  }

  /** Addresses bound now (ports resolved for `:0` binds). */
  addresses(): BoundAddress[] {
    const out: BoundAddress[] = [];
    for (const l of this.listeners.values()) {
      const a = l.address();
      out.push({ frontend: l.fe.name, host: a.host, port: a.port, path: a.path, ssl: l.bind.ssl !== undefined });
    }
    return out;
  }

  /** Descriptors of the listening sockets, for `_getsocks` (the next process adopts them). */
  listeningFds(): number[] {
    const out: number[] = [];
    for (const l of this.listeners.values()) {
      const fd = l.fd();
      if (fd !== undefined) out.push(fd);
    }
    return out;
  }

  /**
   * Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes whatever is
   * left. Idle keep-alive connections are closed at once. `keepUnixPaths` (a soft stop after the
   * next process took the sockets): unix listeners leave their socket file in place.
   */
  async stop(graceMs: number, opts: { keepUnixPaths?: boolean } = {}): Promise<void> {
    this.ctx.stopping = true;
    this.ctx.keepUnixPaths = opts.keepUnixPaths === true;
    const all = [...this.listeners.values()];
    await Promise.all(all.map((l) => l.close()));
    for (const s of this.gate.pending()) s.destroy();
    const deadline = Date.now() + graceMs;
    while (this.ctx.actconn > 0 && Date.now() < deadline) {
      for (const l of all) l.closeIdleConnections(STOP_IDLE_MS);
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const l of all) l.destroyAll();
    for (const l of all) l.dispose();
    this.ctx.runtime.events.off('server-state', this.onServerState);
    this.ctx.runtime.events.off('frontend-state', this.onFrontendState);
    for (const fe of this.ctx.runtime.frontends.values()) fe.listening = false;
    await this.ctx.pools.destroy();
  }

  /** A listener removed by a reload: its open connections finish, then it is disposed. */
  private drainAndDispose(l: Listener): void {
    l.closeIdleConnections();
    const check = setInterval(() => {
      l.closeIdleConnections();
      if (l.openCount === 0) {
        clearInterval(check);
        l.dispose();
      }
    }, 100);
    check.unref();
  }

  private plan(rt: CompiledRuntime): Listener[] {
    const out: Listener[] = [];
    for (const fe of rt.frontends.values()) {
      for (let i = 0; i < fe.binds.length; i++)
        out.push(new Listener(this.ctx, this.gate, fe, fe.binds[i], fe.tls.get(i)));
    }
    return out;
  }

  private async bindAll(ls: Listener[]): Promise<void> {
    const results = await Promise.allSettled(ls.map((l) => l.listen()));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed < 0) return;
    await Promise.all(ls.map((l, i) => (results[i].status === 'fulfilled' ? l.close() : undefined)));
    const l = ls[failed];
    const reason = (results[failed] as PromiseRejectedResult).reason as Error & { code?: string };
    throw new BindError(
      `${l.fe.model.kind} '${l.fe.name}': cannot bind socket (${reason.code ?? reason.message}) for [${l.key}]`,
      l.bind.loc.file,
      l.bind.loc.line,
    );
  }

  private logBadRequest(l: Listener, s: Socket, status: number, term: string): void {
    const fe = l.fe;
    if (fe.logTargets.length === 0 || !this.ctx.log) return;
    // `option dontlognull`: a connection that sent nothing (a probe that timed out) is not logged
    if (fe.dontlognull && s.bytesRead === 0) return;
    const a = socketAddresses(s);
    const f: RequestLogFields = {
      clientIp: a.src,
      clientPort: a.srcPort,
      start: Date.now(),
      frontend: fe.name,
      backend: fe.name,
      server: '<NOSRV>',
      tR: -1,
      tw: -1,
      tc: -1,
      tr: -1,
      ta: 0,
      status,
      bytes: 0,
      bytesIn: s.bytesRead,
      termState: term,
      actconn: this.ctx.actconn,
      feconn: fe.conns,
      beconn: 0,
      srvconn: 0,
      retries: 0,
      redispatched: false,
      srvQueue: 0,
      backendQueue: 0,
      method: '',
      uri: '',
      httpVersion: '',
    };
    this.ctx.log.send(fe.logTargets, 'info', this.ctx.jsonLog ? formatJsonLog(f) : formatHttpLog(f));
  }
}

/** Backend fetches (`nbsrv`, `srv_is_up`, ...) read the configuration being served. */
function liveBackends(rt: CompiledRuntime): void {
  setBackendLookup((name) => rt.backends.get(name));
}
