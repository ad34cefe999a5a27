/**
 * A `--workers` worker's side of the node: it runs no health checks (the primary does, once per
 * node) and mirrors the server states the primary sends; admin changes made through it go to the
 * primary, which applies them once and sends the result to every worker; passive-check errors go
 * to the primary's check engine; stats reads ask the primary for node-wide figures.
 */
import cluster from 'node:cluster';
import type { ServerControl } from '@switchyard/admin';
import { applyPatternOp, applySslCertOp, clearCounters } from '@switchyard/admin';
import {
  addServer,
  applyRuleEdit,
  type BackendRuntime,
  classifyOutcome,
  killServerStreams,
  mirrorBackendState,
  mirrorServerState,
  type NodeFigures,
  nodeView,
  onPrimaryMessage,
  onRuleEdit,
  PRIMARY_ORIGIN,
  type ProxyRuntime,
  removeServer,
  restorePatRefs,
  type ServerState,
  setFrontendState,
  type TrafficObserver,
  type TrafficOutcome,
  takeCounterSnapshot,
} from '@switchyard/proxy';
import { applyServerAdd, applyServerDel } from './dynamic-servers.ts';
import {
  type AddServerValue,
  type ChangeMessage,
  CLUSTER_MESSAGE,
  type ClusterMessage,
  FIGURES_TIMEOUT_MS,
  isClusterMessage,
} from './protocol.ts';

export class WorkerLink {
  private nextId = 1;
  private pending = new Map<number, (f: NodeFigures | undefined) => void>();
  /** Servers whose last forwarded passive outcome was an error (a success after it is forwarded too). */
  private failing = new WeakSet<ServerState>();
  private unsubscribe?: () => void;

  /** `runtime` returns this worker's current runtime (it changes on reload). */
  constructor(private readonly runtime: () => ProxyRuntime) {}

  /** Listens to the primary and asks it for the current states. */
  start(): void {
    this.unsubscribe = onPrimaryMessage(CLUSTER_MESSAGE, (m) => this.handle(m));
    // a rule's map/ACL edit reaches the other workers through the primary
    onRuleEdit((file, action, key, value) =>
      this.send({ type: CLUSTER_MESSAGE, op: 'pattern-rule', file, action, key, value }),
    );
    this.send({ type: CLUSTER_MESSAGE, op: 'hello' });
  }

  /** After a reload: the primary's states for the new server set (it may have checked them first). */
  resync(): void {
    this.send({ type: CLUSTER_MESSAGE, op: 'hello' });
  }

  stop(): void {
    this.unsubscribe?.();
    onRuleEdit(undefined);
    for (const done of this.pending.values()) done(undefined);
    this.pending.clear();
  }

  /** Admin changes go to the primary; its answer (the new state) reaches every worker. */
  readonly control: ServerControl = {
    setServerAdmin: (_rt, be, s, admin, origin) => this.change('admin', be.name, s.name, admin, origin),
    setServerWeight: (_rt, be, s, weight, origin) => this.change('weight', be.name, s.name, weight, origin),
    setServerMaxconn: (_rt, be, s, maxconn, origin) => this.change('maxconn', be.name, s.name, maxconn, origin),
    setVrrpState: (_rt, instance, state) => this.change('vrrp', instance, '', state, 'api'),
    clearCounters: (_rt, all) => this.change('clear-counters', '', '', all, 'api'),
    shareSslCert: (cert) => this.send({ type: CLUSTER_MESSAGE, op: 'ssl-cert', cert }),
    sharePatternOp: (pat) => this.send({ type: CLUSTER_MESSAGE, op: 'pattern', pat }),
    setServerHealth: (_rt, be, s, health, origin) => this.change('health', be.name, s.name, health, origin),
    setServerAgent: (_rt, be, s, up, origin) => this.change('agent', be.name, s.name, up, origin),
    setServerChecks: (_rt, be, s, on, origin) => this.change('checks', be.name, s.name, on, origin),
    setServerAgentChecks: (_rt, be, s, on, origin) => this.change('agent-checks', be.name, s.name, on, origin),
    setServerAddr: (_rt, be, s, host, port) => this.change('addr', be.name, s.name, `${host} ${port}`, 'api'),
    setServerCheckPort: (_rt, be, s, port) => this.change('check-port', be.name, s.name, port, 'api'),
    setServerFqdn: (_rt, be, s, name) => this.change('fqdn', be.name, s.name, name, 'api'),
    // here at once (the reply and the next command see it), the primary and the others after
    addServer: (_rt, be, model, args) => {
      const s = addServer(be, model);
      const v: AddServerValue = { args, id: s.id };
      this.change('add-server', be.name, s.name, JSON.stringify(v), 'api');
    },
    removeServer: (_rt, be, s) => {
      removeServer(be, s);
      this.change('del-server', be.name, s.name, '', 'api');
    },
    // each worker has its own sessions and listeners: here at once, the others through the primary
    shutdownServerSessions: (_rt, be, s) => {
      killServerStreams(s, 'K');
      this.change('kill-sessions', be.name, s.name, '', 'api');
    },
    setFrontendState: (rt, fe, state) => {
      setFrontendState(rt, fe, state);
      this.change('frontend', fe.name, '', state, 'api');
    },
  };

  /**
   * For packages/state (changes from other nodes through Redis, or a worker-sync hello): the same
   * path, so the primary applies them once. True when it is a change for this worker's state.
   */
  readonly stateControl = {
    setServerAdmin: (
      _rt: ProxyRuntime,
      be: BackendRuntime,
      s: ServerState,
      admin: ServerState['admin'],
      origin: string,
    ) => {
      if (s.admin === admin) return false;
      this.change('admin', be.name, s.name, admin, origin);
      return true;
    },
    setServerWeight: (_rt: ProxyRuntime, be: BackendRuntime, s: ServerState, weight: number, origin: string) => {
      if (s.weight === weight) return false;
      this.change('weight', be.name, s.name, weight, origin);
      return true;
    },
  };

  /**
   * Passive checks: only what can change a verdict crosses to the primary (an error, or the first
   * success after one); a healthy server's traffic sends nothing.
   */
  readonly observer: TrafficObserver = {
    observe: (be: BackendRuntime, s: ServerState, outcome: TrafficOutcome) => {
      const mode = s.model.observe;
      if (mode === undefined || !s.checked) return;
      const verdict = classifyOutcome(mode, outcome);
      if (verdict === 'ignore') return;
      if (verdict === 'good') {
        if (!this.failing.has(s)) return;
        this.failing.delete(s);
      } else this.failing.add(s);
      this.send({ type: CLUSTER_MESSAGE, op: 'observe', backend: be.name, server: s.name, outcome });
    },
  };

  /** The node-wide view for the stats page, exporter and runtime API (this worker's own figures if the primary does not answer). */
  readonly nodeView = (): Promise<ProxyRuntime> => {
    const id = this.nextId++;
    return new Promise<ProxyRuntime>((resolve) => {
      const timer = setTimeout(() => finish(undefined), FIGURES_TIMEOUT_MS);
      const finish = (f: NodeFigures | undefined) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(f ? nodeView(this.runtime(), f) : this.runtime());
      };
      this.pending.set(id, finish);
      if (!this.send({ type: CLUSTER_MESSAGE, op: 'figures?', id })) finish(undefined);
    });
  };

  private change(
    kind: ChangeMessage['kind'],
    backend: string,
    server: string,
    value: string | number | boolean,
    origin: string,
  ): void {
    this.send({ type: CLUSTER_MESSAGE, op: 'change', kind, backend, server, value, origin });
  }

  private send(m: ClusterMessage): boolean {
    if (!process.send || !process.connected) return false;
    process.send(m);
    return true;
  }

  private handle(m: unknown): void {
    if (!isClusterMessage(m)) return;
    const rt = this.runtime();
    switch (m.op) {
      case 'states':
        for (const b of m.backends) mirrorBackendState(rt, b);
        for (const s of m.servers) {
          // the worker a change was made through keeps its origin (api, stats, shared): shared
          // state (Redis, worker-sync) publishes it from there, once
          const mine = m.by !== undefined && m.by === cluster.worker?.id && m.origin !== undefined;
          mirrorServerState(rt, s, mine ? m.origin : PRIMARY_ORIGIN);
        }
        for (const [instance, state] of m.vrrp ?? []) {
          if (rt.vrrp.get(instance) === state) continue;
          rt.vrrp.set(instance, state);
          rt.events.emit('vrrp-state', { instance, state });
        }
        return;
      case 'counters?':
        this.send({ type: CLUSTER_MESSAGE, op: 'counters', id: m.id, snap: takeCounterSnapshot(rt) });
        return;
      case 'figures':
        this.pending.get(m.id)?.(m.figures);
        return;
      case 'clear-counters':
        clearCounters(rt, m.all);
        return;
      case 'ssl-cert':
        // the reply went to the client of the worker the change was made through
        applySslCertOp(rt, m.cert);
        return;
      case 'pattern':
        // the reply went to the client of the worker the change was made through
        applyPatternOp(rt, m.pat);
        return;
      case 'pattern-rule': {
        const ref = rt.patterns?.byFile.get(m.file);
        if (ref) applyRuleEdit(ref, m.action, m.key, m.value);
        return;
      }
      case 'pattern-states':
        if (rt.patterns) restorePatRefs(rt.patterns, m.states);
        return;
      case 'frontend': {
        const fe = rt.frontends.get(m.frontend);
        if (fe) setFrontendState(rt, fe, m.state);
        return;
      }
      case 'kill-sessions': {
        const s = rt.backends.get(m.backend)?.serversByName.get(m.server);
        if (s) killServerStreams(s, 'K');
        return;
      }
      case 'server-add':
        applyServerAdd(rt, m.backend, m.server, m.args, m.id);
        return;
      case 'server-del':
        applyServerDel(rt, m.backend, m.server);
        return;
      default:
        return;
    }
  }
}
