/**
 * Wires the other packages around the served runtime: health checks (TrafficObserver + check
 * engine, rebuilt per runtime), admin (stats page, Prometheus, runtime API sockets) and shared
 * state (request hooks), the last two swapped to each new runtime on reload.
 */

import { type Admin, createAdmin, type SocketHandover } from '@switchyard/admin';
import type { Diagnostic, StatsSocketModel } from '@switchyard/config';
import {
  addServer,
  type CompiledRuntime,
  compileAcls,
  compileCondition,
  createDiscovery,
  createHealthEngine,
  type Discovery,
  type HealthEngine,
  killServerStreams,
  type ProxyRuntime,
  removeServer,
  setFrontendState,
  setServerAddrPort,
  setServerAdmin,
  setServerAgentChecks,
  setServerAgentHealth,
  setServerCheckPort,
  setServerChecks,
  setServerHealth,
  setServerMaxconn,
  setServerWeight,
} from '@switchyard/proxy';
import { createStateLayer, type StateLayer } from '@switchyard/state';
import type { WorkerLink } from './cluster/worker-link.ts';
import { version } from './version.ts';

export class WiringError extends Error {
  readonly code = 'CLI_WIRING';
}

/** Everything around the datapath; one instance for the life of the process. */
export class Wiring {
  /** The check engine; none in a --workers worker (the primary checks for the node). */
  health: HealthEngine | undefined;
  /** Servers kept in step with their `resolvers` sections; none in a --workers worker (the primary resolves for the node). */
  discovery: Discovery | undefined;
  readonly admin: Admin;
  readonly state: StateLayer;
  private readonly link: WorkerLink | undefined;

  private constructor(rt: CompiledRuntime, admin: Admin, state: StateLayer, link: WorkerLink | undefined) {
    this.health = link ? undefined : createHealthEngine(rt);
    this.discovery = link ? undefined : createDiscovery(rt);
    this.admin = admin;
    this.state = state;
    this.link = link;
  }

  /**
   * Creates admin and state for `rt`; throws WiringError listing state config errors. In a
   * --workers worker, `link` (started here) replaces the checks, the server control and the stats view.
   */
  static async create(
    rt: CompiledRuntime,
    link?: WorkerLink,
    sockets: { handover?: SocketHandover; extraSockets?: StatsSocketModel[] } = {},
  ): Promise<Wiring> {
    // the admin side is built before the wiring that holds the discovery it reaches
    let wiring: Wiring | undefined;
    const state = createStateLayer(rt, { logger: rt.logger, serverControl: link?.stateControl });
    failOnErrors(state.diagnostics);
    const admin = await createAdmin(rt, {
      version: version(),
      pid: process.pid,
      control: link?.control ?? {
        setServerAdmin: (r, be, s, a, origin) => void setServerAdmin(r, be, s, a, origin),
        setServerWeight: (r, be, s, w, origin) => void setServerWeight(r, be, s, w, origin),
        setServerMaxconn: (r, be, s, m, origin) => void setServerMaxconn(r, be, s, m, origin),
        addServer: (_r, be, model) => void addServer(be, model),
        removeServer: (_r, be, s) => removeServer(be, s),
        setServerHealth: (r, be, s, h, origin) => void setServerHealth(r, be, s, h, origin),
        setServerAgent: (r, be, s, up, origin) => void setServerAgentHealth(r, be, s, up, origin),
        setServerChecks: (r, be, s, on, origin) => void setServerChecks(r, be, s, on, origin),
        setServerAgentChecks: (r, be, s, on) => void setServerAgentChecks(r, be, s, on),
        setServerAddr: (r, be, s, host, port) => setServerAddrPort(r, be, s, host, port),
        setServerCheckPort: (r, be, s, port) => setServerCheckPort(r, be, s, port),
        setServerFqdn: (_r, be, s, name) => void wiring?.discovery?.setFqdn(be, s, name),
        shutdownServerSessions: (_r, _be, s) => void killServerStreams(s, 'K'),
        setFrontendState: (r, fe, state) => setFrontendState(r, fe, state),
      },
      nodeView: link?.nodeView,
      handover: sockets.handover,
      extraSockets: sockets.extraSockets,
      tables: state.tables,
      compileAdmin: (stats, proxy) => {
        const diags: Diagnostic[] = [];
        const cond = stats.admin ? compileCondition(stats.admin, compileAcls(proxy.acls, diags), diags) : () => false;
        failOnErrors(diags);
        return cond;
      },
    });
    link?.start();
    wiring = new Wiring(rt, admin, state, link);
    return wiring;
  }

  /** Datapath integrations for the current runtime. */
  integrations() {
    return { hooks: this.state.hooks, observer: this.link?.observer ?? this.health, services: this.admin.handlers };
  }

  /** Starts checks, opens the `stats socket`s and waits for shared state. */
  async start(): Promise<void> {
    this.health?.start();
    this.discovery?.start();
    await this.admin.startSockets();
    await this.state.ready();
  }

  /**
   * Moves everything to `next` (reload): state rules recompiled (errors refuse the reload before
   * anything changes), admin swapped, a new health engine for the new server set.
   */
  async swap(next: ProxyRuntime & CompiledRuntime): Promise<void> {
    failOnErrors(this.state.swapRuntime(next));
    await this.admin.swapRuntime(next);
    if (this.link) {
      this.link.resync();
      return;
    }
    this.discovery?.stop();
    this.discovery = createDiscovery(next);
    this.discovery.start();
    this.health?.stop();
    this.health = createHealthEngine(next);
    this.health.start();
  }

  /** Latency observation for the Prometheus histograms and the dashboard. */
  readonly observeLatency = (backend: string, server: string | undefined, seconds: number, frontend?: string): void => {
    this.admin.observeLatency(backend, server, seconds, frontend);
  };

  /** `keepPaths`: after a hand-over the unix `stats socket` files stay for the new process. */
  async stop(opts: { keepPaths?: boolean } = {}): Promise<void> {
    this.health?.stop();
    this.discovery?.stop();
    this.link?.stop();
    await this.admin.stop(opts);
    await this.state.stop();
  }
}

function failOnErrors(diags: Diagnostic[]): void {
  const errors = diags.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new WiringError(errors.map((d) => `${d.loc.file}:${d.loc.line}: ${d.message}`).join('\n'));
  }
}
