/**
 * Server state as the node's primary holds it, sent to the workers under `--workers N`: the
 * primary runs the health checks and applies admin changes (logging each transition once, as
 * HAProxy does); workers mirror the result so their balancers skip what the primary took out.
 * Mirroring does not log and does not count chkdown again (the primary's figures are shown).
 */
import type { AdminState, CheckResult, OpState, ServerState } from '../model/server-state.ts';
import type { BackendRuntime, ProxyRuntime, ServerStateEvent, ServerWeightEvent } from '../model/types.ts';

/** Origin of the 'server-state' / 'server-weight' events a mirrored change emits in a worker. */
export const PRIMARY_ORIGIN = 'primary';

/** Everything about one server the primary decides (checks, agent, admin changes). */
export interface ServerStateSnap {
  backend: string;
  server: string;
  op: OpState;
  admin: AdminState;
  health: number;
  stopping: boolean;
  weight: number;
  effectiveWeight: number;
  warmupSince?: number;
  maxconn?: number;
  lastCheck?: CheckResult;
  lastAgentCheck?: CheckResult;
  lastChange: number;
  downtimeMs: number;
  downSince?: number;
  chkfail: number;
  chkdown: number;
  agentFail: number;
  /** Address, check and agent settings the runtime API changes (`set server addr|check-port`, `disable health|agent`, `set server agent`). */
  host: string;
  port: number;
  checked: boolean;
  agentPaused?: boolean;
  agentDown?: boolean;
  checkPort?: number;
  /** What the primary's service discovery changes (the address and port above too). */
  addressKnown?: boolean;
  dnsMaint?: string;
  maintBeforeDns?: AdminState;
  fqdn?: string;
}

/** A backend's availability bookkeeping, kept by the primary. */
export interface BackendStateSnap {
  backend: string;
  lastChange: number;
  downtimeMs: number;
  downSince?: number;
  chkdown: number;
}

/** The primary's view of one server. */
export function serverStateSnap(s: ServerState): ServerStateSnap {
  return {
    backend: s.backendName,
    server: s.name,
    op: s.op,
    admin: s.admin,
    health: s.health,
    stopping: s.stopping === true,
    weight: s.weight,
    effectiveWeight: s.effectiveWeight,
    warmupSince: s.warmupSince,
    maxconn: s.maxconn,
    lastCheck: s.lastCheck,
    lastAgentCheck: s.lastAgentCheck,
    lastChange: s.lastChange,
    downtimeMs: s.downtimeMs,
    downSince: s.downSince,
    chkfail: s.counters.chkfail,
    chkdown: s.counters.chkdown,
    agentFail: s.counters.agentFail,
    host: s.host,
    port: s.port,
    checked: s.checked,
    agentPaused: s.agentPaused,
    agentDown: s.agentDown,
    checkPort: s.checkPort,
    addressKnown: s.addressKnown,
    dnsMaint: s.dnsMaint,
    maintBeforeDns: s.maintBeforeDns,
    fqdn: s.fqdn,
  };
}

/** The primary's view of one backend's availability. */
export function backendStateSnap(be: BackendRuntime): BackendStateSnap {
  return {
    backend: be.name,
    lastChange: be.lastChange,
    downtimeMs: be.downtimeMs,
    downSince: be.downSince,
    chkdown: be.counters.chkdown,
  };
}

/** Every server and backend of `rt`, as the primary sends them to a worker that starts. */
export function allStateSnaps(rt: ProxyRuntime): { servers: ServerStateSnap[]; backends: BackendStateSnap[] } {
  const servers: ServerStateSnap[] = [];
  const backends: BackendStateSnap[] = [];
  for (const be of rt.backends.values()) {
    backends.push(backendStateSnap(be));
    for (const s of be.servers) servers.push(serverStateSnap(s));
  }
  return { servers, backends };
}

/**
 * In a worker: takes the primary's state for one server (no log line, no chkdown counted here).
 * Returns false when this worker's configuration has no such server (mid-reload). `origin` is
 * that of the events emitted (the change's own origin in the worker it was made through, so
 * shared-state replication sees it there once).
 */
export function mirrorServerState(rt: ProxyRuntime, snap: ServerStateSnap, origin = PRIMARY_ORIGIN): boolean {
  const be = rt.backends.get(snap.backend);
  const s = be?.serversByName.get(snap.server);
  if (!be || !s) return false;
  const fromOp = s.op;
  const fromAdmin = s.admin;
  const fromWeight = s.weight;
  const selection =
    s.op !== snap.op ||
    s.admin !== snap.admin ||
    (s.stopping === true) !== snap.stopping ||
    s.effectiveWeight !== snap.effectiveWeight ||
    s.maxconn !== snap.maxconn;
  s.op = snap.op;
  s.admin = snap.admin;
  s.health = snap.health;
  s.stopping = snap.stopping;
  s.weight = snap.weight;
  s.effectiveWeight = snap.effectiveWeight;
  s.warmupSince = snap.warmupSince;
  s.maxconn = snap.maxconn;
  s.lastCheck = snap.lastCheck;
  s.lastAgentCheck = snap.lastAgentCheck;
  s.lastChange = snap.lastChange;
  s.downtimeMs = snap.downtimeMs;
  s.downSince = snap.downSince;
  Object.assign(s, runtimeSettings(snap));
  if (selection) be.selector.update();
  if (fromOp !== s.op || fromAdmin !== s.admin) {
    const ev: ServerStateEvent = {
      server: s,
      backend: be,
      fromOp,
      toOp: s.op,
      fromAdmin,
      toAdmin: s.admin,
      origin,
    };
    rt.events.emit('server-state', ev);
  }
  if (fromWeight !== s.weight) {
    const ev: ServerWeightEvent = { server: s, backend: be, from: fromWeight, to: s.weight, origin };
    rt.events.emit('server-weight', ev);
  }
  return true;
}

/** The runtime API's settings of a snapshot, as ServerState fields (mirror and node view). */
export function runtimeSettings(snap: ServerStateSnap): Partial<ServerState> {
  return {
    host: snap.host,
    port: snap.port,
    checked: snap.checked,
    agentPaused: snap.agentPaused,
    agentDown: snap.agentDown,
    checkPort: snap.checkPort,
    addressKnown: snap.addressKnown,
    dnsMaint: snap.dnsMaint,
    maintBeforeDns: snap.maintBeforeDns,
    fqdn: snap.fqdn,
  };
}

/** In a worker: takes the primary's availability bookkeeping for one backend. */
export function mirrorBackendState(rt: ProxyRuntime, snap: BackendStateSnap): void {
  const be = rt.backends.get(snap.backend);
  if (!be) return;
  be.lastChange = snap.lastChange;
  be.downtimeMs = snap.downtimeMs;
  be.downSince = snap.downSince;
}
