/**
 * A read-only, node-wide picture of a `--workers N` node in the runtime's own shape, so the stats
 * page, CSV/JSON, Prometheus and the runtime API render it unchanged: this worker's configuration,
 * counters summed over the workers, server and backend states as the primary holds them.
 * Built per stats read; the live runtime is never touched.
 */
import type { BackendCounters, FrontendCounters, ResolversCounters, ServerCounters } from '../model/counters.ts';
import { newBackendCounters, newFrontendCounters, newServerCounters } from '../model/counters.ts';
import type { ServerState } from '../model/server-state.ts';
import type { BackendRuntime, FrontendRuntime, ProxyRuntime } from '../model/types.ts';
import { type CounterSnapshot, fromPlain } from './counter-snapshot.ts';
import { type BackendStateSnap, runtimeSettings, type ServerStateSnap } from './server-mirror.ts';

/** What the primary answers a worker asking for the node-wide figures. */
export interface NodeFigures {
  /** Counters summed over the workers that answered. */
  counters: CounterSnapshot;
  servers: ServerStateSnap[];
  backends: BackendStateSnap[];
  vrrp: Array<[string, string]>;
  /** The primary's DNS counters (it resolves for the node). */
  resolvers?: ResolversCounters;
  /** Epoch ms the node (its primary) started: the uptime shown. */
  startedAt: number;
  /** Workers that answered / that were asked. */
  answered: number;
  asked: number;
}

/** The node-wide view of `rt` (this worker's configuration) with `fig`'s figures. */
export function nodeView(rt: ProxyRuntime, fig: NodeFigures): ProxyRuntime {
  const states = new Map(fig.servers.map((s) => [`${s.backend}/${s.server}`, s]));
  const beStates = new Map(fig.backends.map((b) => [b.backend, b]));
  const frontends = new Map<string, FrontendRuntime>();
  for (const [name, fe] of rt.frontends) {
    const c = fig.counters.frontends[name];
    frontends.set(name, { ...fe, counters: c ? fromPlain<FrontendCounters>(c) : newFrontendCounters() });
  }
  const backends = new Map<string, BackendRuntime>();
  for (const [name, be] of rt.backends) {
    const sum = fig.counters.backends[name];
    const bs = beStates.get(name);
    const counters = sum ? fromPlain<BackendCounters>(sum.counters) : newBackendCounters();
    if (bs) counters.chkdown = bs.chkdown;
    const servers: ServerState[] = be.servers.map((s) => {
      const traffic = sum?.servers[s.name];
      const sc = traffic ? fromPlain<ServerCounters>(traffic.counters) : newServerCounters();
      const st = states.get(`${name}/${s.name}`);
      const view: ServerState = { ...s, counters: sc, cur: traffic?.cur ?? 0, queued: traffic?.queued ?? 0 };
      if (st) {
        Object.assign(view, {
          op: st.op,
          admin: st.admin,
          health: st.health,
          stopping: st.stopping,
          weight: st.weight,
          effectiveWeight: st.effectiveWeight,
          warmupSince: st.warmupSince,
          maxconn: st.maxconn,
          lastCheck: st.lastCheck,
          lastAgentCheck: st.lastAgentCheck,
          lastChange: st.lastChange,
          downtimeMs: st.downtimeMs,
          downSince: st.downSince,
          ...runtimeSettings(st),
        });
        // checks run in the primary only: its check counters are the node's
        sc.chkfail = st.chkfail;
        sc.chkdown = st.chkdown;
        sc.agentFail = st.agentFail;
      }
      return view;
    });
    const view: BackendRuntime = {
      ...be,
      servers,
      serversByName: new Map(servers.map((s) => [s.name, s])),
      counters,
      lastChange: bs?.lastChange ?? be.lastChange,
      downtimeMs: bs?.downtimeMs ?? be.downtimeMs,
      downSince: bs ? bs.downSince : be.downSince,
    };
    backends.set(name, view);
  }
  return {
    ...viewBase(rt),
    frontends,
    backends,
    vrrp: new Map(fig.vrrp),
    startedAt: fig.startedAt,
    workers: { answered: fig.answered, asked: fig.asked },
    resolverCounters: () => fig.resolvers ?? {},
  };
}

function viewBase(rt: ProxyRuntime): ProxyRuntime {
  // the compiled runtime carries more than ProxyRuntime (plans); renderers only read these
  return {
    config: rt.config,
    frontends: rt.frontends,
    backends: rt.backends,
    events: rt.events,
    startedAt: rt.startedAt,
    vrrp: rt.vrrp,
    logger: rt.logger,
  };
}
