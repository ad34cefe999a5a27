/**
 * The `--workers` primary's side of the node: it holds a runtime of its own (no listeners) on
 * which it runs the health checks once for the node and applies every admin change, logging each
 * transition once; it sends the resulting server states to the workers, and answers stats reads
 * with the workers' counters summed (a worker that does not answer in time is left out and
 * reported). Nothing here runs per request.
 */
import cluster, { type Worker } from 'node:cluster';
import { applyPatternOp } from '@switchyard/admin';
import {
  allStateSnaps,
  applyRuleEdit,
  type BackendRuntime,
  backendStateSnap,
  type CompiledRuntime,
  type CounterSnapshot,
  createDiscovery,
  createHealthEngine,
  type Discovery,
  type HealthEngine,
  type NodeFigures,
  onWorkerMessage,
  type ProxyRuntime,
  patRefStates,
  type ServerState,
  type ServerStateEvent,
  type ServerWeightEvent,
  serverStateSnap,
  setServerAddrPort,
  setServerAdmin,
  setServerAgentChecks,
  setServerAgentHealth,
  setServerCheckPort,
  setServerChecks,
  setServerHealth,
  setServerMaxconn,
  setServerWeight,
  sumCounterSnapshots,
} from '@switchyard/proxy';
import { applyServerAdd, applyServerDel } from './dynamic-servers.ts';
import {
  type AddServerValue,
  type ChangeMessage,
  CLUSTER_MESSAGE,
  type ClusterMessage,
  COUNTERS_TIMEOUT_MS,
  isClusterMessage,
} from './protocol.ts';

export class PrimaryHub {
  private rt: CompiledRuntime;
  private health: HealthEngine;
  /** The node's service discovery: the primary resolves, the workers mirror the servers it moves. */
  private discovery: Discovery;
  private nextId = 1;
  /** Workers whose link has started (said hello): the ones asked for counters. */
  private linked = new Set<number>();
  /** Certificate changes made through workers since the last load, replayed to a worker that starts. */
  private sslCerts: ClusterMessage[] = [];
  /** `add|del server` made through workers since the last load, replayed to a worker that starts. */
  private dynamicServers: ClusterMessage[] = [];
  private readonly onExit = (w: Worker) => this.linked.delete(w.id);
  private waiting = new Map<number, { got: CounterSnapshot[]; left: Set<number>; done: () => void }>();
  private unsubscribe?: () => void;
  /** The worker whose change is being applied (its own mirror keeps the change's origin). */
  private changeBy: number | undefined;
  private readonly onState = (ev: ServerStateEvent) => this.broadcastServer(ev.server, ev.backend.name, ev.origin);
  private readonly onWeight = (ev: ServerWeightEvent) => this.broadcastServer(ev.server, ev.backend.name, ev.origin);

  constructor(
    rt: CompiledRuntime,
    private readonly warn: (msg: string) => void,
  ) {
    this.rt = rt;
    this.health = createHealthEngine(rt);
    this.discovery = this.newDiscovery(rt);
  }

  private newDiscovery(rt: CompiledRuntime): Discovery {
    return createDiscovery(rt, {
      onChange: (be, servers) => {
        for (const s of servers) this.broadcastServer(s, be.name);
      },
    });
  }

  /** Starts the node's health checks and answers the workers. */
  start(): void {
    this.unsubscribe = onWorkerMessage(CLUSTER_MESSAGE, (w, m) => this.handle(w, m));
    cluster.on('exit', this.onExit);
    this.listen(this.rt);
    this.health.start();
    this.discovery.start();
  }

  stop(): void {
    this.unsubscribe?.();
    cluster.off('exit', this.onExit);
    this.unlisten(this.rt);
    this.health.stop();
    this.discovery.stop();
    for (const w of this.waiting.values()) w.done();
  }

  /** After a reload: the new runtime's servers are checked (states kept by the runtime builder). */
  swap(next: CompiledRuntime): void {
    this.health.stop();
    this.unlisten(this.rt);
    this.rt = next;
    // a reload reads the certificate files again (as haproxy's): earlier runtime changes are gone
    this.sslCerts = [];
    // and dynamic servers go, as haproxy's
    this.dynamicServers = [];
    this.listen(next);
    this.health = createHealthEngine(next);
    this.health.start();
    this.discovery.stop();
    this.discovery = this.newDiscovery(next);
    this.discovery.start();
    this.broadcast(this.statesMessage());
  }

  private listen(rt: ProxyRuntime): void {
    rt.events.on('server-state', this.onState);
    rt.events.on('server-weight', this.onWeight);
  }

  private unlisten(rt: ProxyRuntime): void {
    rt.events.off('server-state', this.onState);
    rt.events.off('server-weight', this.onWeight);
  }

  private statesMessage(): ClusterMessage {
    return { type: CLUSTER_MESSAGE, op: 'states', ...allStateSnaps(this.rt), vrrp: [...this.rt.vrrp] };
  }

  private broadcastServer(s: ServerState, backend: string, origin?: string): void {
    const be = this.rt.backends.get(backend);
    this.broadcast({
      type: CLUSTER_MESSAGE,
      op: 'states',
      servers: [serverStateSnap(s)],
      backends: be ? [backendStateSnap(be)] : [],
      by: this.changeBy,
      origin,
    });
  }

  private broadcast(m: ClusterMessage): void {
    for (const w of Object.values(cluster.workers ?? {})) if (w?.isConnected()) w.send(m);
  }

  private handle(w: Worker, m: unknown): void {
    if (!isClusterMessage(m)) return;
    try {
      this.dispatch(w, m);
    } catch (e) {
      // a bug here must not stop the node: the primary keeps the workers running
      this.warn(`internal error handling a worker message (${m.op}): ${(e as Error).stack ?? String(e)}`);
    }
  }

  private dispatch(w: Worker, m: ClusterMessage): void {
    switch (m.op) {
      case 'hello':
        this.linked.add(w.id);
        if (w.isConnected()) {
          // the servers first, so that their states find them
          for (const d of this.dynamicServers) w.send(d);
          w.send(this.statesMessage());
          // a worker started since (respawned) gets the certificate changes made since the last load
          for (const c of this.sslCerts) w.send(c);
          // and the maps and ACLs as edited since (the primary applies every edit to its copy)
          const states = this.rt.patterns ? patRefStates(this.rt.patterns) : [];
          if (states.length > 0) w.send({ type: CLUSTER_MESSAGE, op: 'pattern-states', states });
        }
        return;
      case 'pattern':
        applyPatternOp(this.rt, m.pat);
        this.toOthers(w, m);
        return;
      case 'pattern-rule': {
        const ref = this.rt.patterns?.byFile.get(m.file);
        if (ref) applyRuleEdit(ref, m.action, m.key, m.value);
        this.toOthers(w, m);
        return;
      }
      case 'ssl-cert':
        this.sslCerts.push(m);
        for (const o of Object.values(cluster.workers ?? {})) if (o && o !== w && o.isConnected()) o.send(m);
        return;
      case 'change':
        this.changeBy = w.id;
        try {
          if (m.kind === 'frontend' || m.kind === 'kill-sessions') this.passOn(w, m);
          else if (m.kind === 'add-server' || m.kind === 'del-server') this.dynamicServer(w, m);
          else this.applyChange(m);
        } finally {
          this.changeBy = undefined;
        }
        return;
      case 'observe': {
        const be = this.rt.backends.get(m.backend);
        const s = be?.serversByName.get(m.server);
        if (be && s) this.health.observe(be, s, m.outcome);
        return;
      }
      case 'figures?':
        void this.figures().then((figures) => {
          if (w.isConnected()) w.send({ type: CLUSTER_MESSAGE, op: 'figures', id: m.id, figures });
        });
        return;
      case 'counters': {
        const wait = this.waiting.get(m.id);
        if (!wait?.left.delete(w.id)) return;
        wait.got.push(m.snap);
        if (wait.left.size === 0) wait.done();
        return;
      }
      default:
        return;
    }
  }

  /** Sends `m` to every connected worker but `from`. */
  private toOthers(from: Worker, m: ClusterMessage): void {
    for (const o of Object.values(cluster.workers ?? {})) if (o && o !== from && o.isConnected()) o.send(m);
  }

  /** A change each worker makes on its own traffic: the one it was made through did it already. */
  private passOn(from: Worker, m: ChangeMessage): void {
    const out: ClusterMessage =
      m.kind === 'frontend'
        ? {
            type: CLUSTER_MESSAGE,
            op: 'frontend',
            frontend: m.backend,
            state: m.value as 'ready' | 'paused' | 'stopped',
          }
        : { type: CLUSTER_MESSAGE, op: 'kill-sessions', backend: m.backend, server: m.server };
    for (const w of Object.values(cluster.workers ?? {})) if (w && w !== from && w.isConnected()) w.send(out);
  }

  /**
   * `add|del server` made through worker `from` (done there already): applied here, passed to
   * the other workers, kept for the workers that start later.
   */
  private dynamicServer(from: Worker, m: ChangeMessage): void {
    let out: ClusterMessage;
    if (m.kind === 'add-server') {
      const v = JSON.parse(String(m.value)) as AddServerValue;
      const s = applyServerAdd(this.rt, m.backend, m.server, v.args, v.id);
      if (!s) return;
      out = { type: CLUSTER_MESSAGE, op: 'server-add', backend: m.backend, server: m.server, args: v.args, id: s.id };
      this.dynamicServers.push(out);
    } else {
      if (!applyServerDel(this.rt, m.backend, m.server)) return;
      out = { type: CLUSTER_MESSAGE, op: 'server-del', backend: m.backend, server: m.server };
      // an added server deleted since: neither is replayed
      const i = this.dynamicServers.findIndex(
        (d) => d.op === 'server-add' && d.backend === m.backend && d.server === m.server,
      );
      if (i >= 0) this.dynamicServers.splice(i, 1);
      else this.dynamicServers.push(out);
    }
    for (const w of Object.values(cluster.workers ?? {})) if (w && w !== from && w.isConnected()) w.send(out);
  }

  /** Applies a change made through a worker, once, here; the state events carry it to every worker. */
  private applyChange(m: ChangeMessage): void {
    const rt = this.rt;
    if (m.kind === 'vrrp') {
      rt.vrrp.set(m.backend, String(m.value));
      rt.events.emit('vrrp-state', { instance: m.backend, state: String(m.value) });
      this.broadcast({ type: CLUSTER_MESSAGE, op: 'states', servers: [], backends: [], vrrp: [...rt.vrrp] });
      return;
    }
    if (m.kind === 'clear-counters') {
      this.broadcast({ type: CLUSTER_MESSAGE, op: 'clear-counters', all: m.value === true });
      return;
    }
    const be = rt.backends.get(m.backend);
    const s = be?.serversByName.get(m.server);
    // a worker still on the previous configuration may name a server this one does not have
    if (!be || !s) return;
    try {
      if (m.kind === 'admin') setServerAdmin(rt, be, s, m.value as ServerState['admin'], m.origin);
      else if (m.kind === 'weight') setServerWeight(rt, be, s, Number(m.value), m.origin);
      else if (m.kind !== 'maxconn') {
        this.applyCheckChange(be, s, m);
        // a verdict that changes no state (health counter, agent pause, address) emits no event
        this.broadcastServer(s, be.name);
      } else {
        setServerMaxconn(rt, be, s, Number(m.value), m.origin);
        // maxconn emits no event: send the new state explicitly
        this.broadcastServer(s, be.name);
      }
    } catch (e) {
      // the worker validated the value (HAProxy's checks) before sending it: a refusal here is a bug
      this.warn(`change of ${m.backend}/${m.server} (${m.kind} ${m.value}) refused: ${(e as Error).message}`);
    }
  }

  /** The runtime API's health, agent and address changes, applied where the checks run. */
  private applyCheckChange(be: BackendRuntime, s: ServerState, m: ChangeMessage): void {
    const rt = this.rt;
    const v = m.value;
    if (m.kind === 'health') setServerHealth(rt, be, s, v as 'up' | 'stopping' | 'down', m.origin);
    else if (m.kind === 'agent') setServerAgentHealth(rt, be, s, v === true, m.origin);
    else if (m.kind === 'checks') setServerChecks(rt, be, s, v === true, m.origin);
    else if (m.kind === 'agent-checks') setServerAgentChecks(rt, be, s, v === true);
    else if (m.kind === 'check-port') setServerCheckPort(rt, be, s, Number(v));
    else if (m.kind === 'fqdn') this.discovery.setFqdn(be, s, String(v));
    else if (m.kind === 'addr') {
      const [host, port] = String(v).split(' ');
      setServerAddrPort(rt, be, s, host, Number(port));
    }
  }

  /** Collects every worker's counters (waiting at most COUNTERS_TIMEOUT_MS) and sums them. */
  private figures(): Promise<NodeFigures> {
    // a worker still starting (no hello yet) has no counters to give
    const workers = Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => !!w?.isConnected() && this.linked.has(w.id),
    );
    const id = this.nextId++;
    return new Promise<NodeFigures>((resolve) => {
      const got: CounterSnapshot[] = [];
      const left = new Set(workers.map((w) => w.id));
      const timer = setTimeout(() => done(), COUNTERS_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
        if (left.size > 0)
          this.warn(`${left.size} worker(s) did not report their counters in time: figures leave them out.`);
        resolve({
          counters: sumCounterSnapshots(got),
          ...allStateSnaps(this.rt),
          vrrp: [...this.rt.vrrp],
          resolvers: this.rt.resolverCounters?.() ?? {},
          startedAt: this.rt.startedAt,
          answered: got.length,
          asked: workers.length,
        });
      };
      this.waiting.set(id, { got, left, done });
      for (const w of workers) w.send({ type: CLUSTER_MESSAGE, op: 'counters?', id });
      if (workers.length === 0) done();
    });
  }
}
