/**
 * The one place a server's state changes: health checks, agents, passive checks, the runtime API,
 * the stats page and shared state all call these functions. Each one updates the bookkeeping
 * (lastChange, downtime, chkdown), tells the backend's selector, emits 'server-state' /
 * 'server-weight' on rt.events, and logs the line HAProxy 2.6 logs for the same transition
 * (words checked against the real haproxy; see packages/proxy/README.md, "Health checks").
 */
import { isIP } from 'node:net';
import type { ServerModel } from '@switchyard/config';
import { formatCheckReason } from '../model/check-status.ts';
import type { ServerCode } from '../model/codes.ts';
import type { SyslogLevel } from '../model/log-types.ts';
import {
  type AdminState,
  type CheckResult,
  isUsable,
  newServerState,
  type OpState,
  type ServerState,
} from '../model/server-state.ts';
import type { BackendRuntime, ProxyRuntime, ServerStateEvent, ServerWeightEvent } from '../model/types.ts';
import { createSelector } from '../selection/index.ts';

/** Who asked for a change: 'check', 'agent', 'observe', 'api', 'stats', 'shared', 'config'. */
export type ChangeOrigin = string;

/** Why the operational state changed: a check result (logged as `reason: ...`) or a free text. */
export type OpReason = CheckResult | string;

/** Thrown for values no server can take (bad weight). Stable code for the admin side. */
export class ServerControlError extends Error {
  readonly code: ServerCode;
  constructor(code: ServerCode, message: string) {
    super(message);
    this.name = 'ServerControlError';
    this.code = code;
  }
}

/** Highest weight HAProxy accepts on a server. */
export const MAX_WEIGHT = 256;

/**
 * Sets the operational state (UP/DOWN) of `s`. Returns false when it already was `op`.
 * Going UP starts the `slowstart` warm-up and clears NOLB; going DOWN counts chkdown.
 */
export function setServerOp(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  op: OpState,
  origin: ChangeOrigin,
  reason?: OpReason,
  now = Date.now(),
): boolean {
  if (s.op === op) return false;
  const before = snapshot(be, s);
  s.op = op;
  if (op === 'DOWN') {
    s.counters.chkdown++;
    s.stopping = false;
    s.warmupSince = undefined;
  } else {
    s.stopping = false;
    startWarmup(s, now);
  }
  recalcEffectiveWeight(s, now);
  s.lastChange = now;
  const why = reason === undefined ? '' : typeof reason === 'string' ? `, ${reason}` : `, ${formatCheckReason(reason)}`;
  if (op === 'DOWN') log(rt, be, 'alert', `${bk(s)}Server ${s.backendName}/${s.name} is DOWN${why}${downTail(be, s)}`);
  else log(rt, be, 'notice', `${bk(s)}Server ${s.backendName}/${s.name} is UP${why}${upTail(be)}`);
  finish(rt, be, s, before, origin, typeof reason === 'string' ? reason : reason?.status, now);
  return true;
}

/**
 * Sets or clears HAProxy's NOLB ("stopping") on an UP server: `http-check disable-on-404` got a 404.
 * Logs `Server B/S is stopping, reason: ...` like HAProxy. Returns false when nothing changed.
 */
export function setServerStopping(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  stopping: boolean,
  origin: ChangeOrigin,
  reason?: OpReason,
  now = Date.now(),
): boolean {
  if ((s.stopping === true) === stopping || s.op !== 'UP') return false;
  const before = snapshot(be, s);
  s.stopping = stopping;
  const why = reason === undefined ? '' : typeof reason === 'string' ? `, ${reason}` : `, ${formatCheckReason(reason)}`;
  if (stopping) log(rt, be, 'notice', `${bk(s)}Server ${s.backendName}/${s.name} is stopping${why}${upTail(be)}`);
  else log(rt, be, 'notice', `${bk(s)}Server ${s.backendName}/${s.name} is UP${why}${upTail(be)}`);
  finish(rt, be, s, before, origin, stopping ? 'stopping' : 'running', now);
  return true;
}

/**
 * Sets the administrative state: READY, DRAIN (no new non-persistent traffic) or MAINT (no traffic,
 * health checks suspended). Leaving MAINT, a checked server comes back UP with its health at
 * `rise` (one failed check takes it down again) unless `opAfterMaint` says otherwise (an agent
 * that reported it down). Returns false when it already was `admin`.
 */
export function setServerAdmin(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  admin: AdminState,
  origin: ChangeOrigin,
  opts: { opAfterMaint?: OpState; now?: number } = {},
): boolean {
  const from = s.admin;
  if (from === admin) {
    // forcing MAINT on a server in resolution MAINT: it stays MAINT when its name resolves again
    if (admin === 'MAINT' && s.dnsMaint) s.maintBeforeDns = undefined;
    return false;
  }
  const now = opts.now ?? Date.now();
  if (from === 'MAINT' && s.dnsMaint) {
    s.maintBeforeDns = admin;
    log(
      rt,
      be,
      'notice',
      `${bk(s)}Server ${s.backendName}/${s.name} is leaving forced maintenance but remains in maintenance`,
    );
    return false;
  }
  const before = snapshot(be, s);
  s.admin = admin;
  s.lastChange = now;
  if (admin === 'MAINT') {
    s.health = 0; // as haproxy (show servers state), checked or not
    if (s.op === 'UP') {
      s.counters.chkdown++;
      log(
        rt,
        be,
        'notice',
        `${bk(s)}Server ${s.backendName}/${s.name} is going DOWN for maintenance${downTail(be, s)}`,
      );
    } else log(rt, be, 'notice', `${bk(s)}Server ${s.backendName}/${s.name} was DOWN and now enters maintenance.`);
  } else if (from === 'MAINT') {
    if (s.checked) {
      s.health = s.model.rise;
      s.op = opts.opAfterMaint ?? 'UP';
    } else if (opts.opAfterMaint) s.op = opts.opAfterMaint;
    // as haproxy, a server without checks (nor an agent that said down) is UP again
    else if (!s.agentDown) s.op = 'UP';
    s.stopping = false;
    if (s.op === 'UP') startWarmup(s, now);
    recalcEffectiveWeight(s, now);
    log(
      rt,
      be,
      'notice',
      `${bk(s)}Server ${s.backendName}/${s.name} is ${s.op}/${admin} (leaving forced maintenance).`,
    );
  } else if (admin === 'DRAIN') {
    log(
      rt,
      be,
      'notice',
      `${bk(s)}Server ${s.backendName}/${s.name} enters drain state${s.op === 'UP' ? upTail(be) : downTail(be, s)}`,
    );
  } else {
    log(rt, be, 'notice', `${bk(s)}Server ${s.backendName}/${s.name} is ${s.op} (leaving forced drain).`);
  }
  finish(rt, be, s, before, origin, undefined, now);
  return true;
}

/**
 * Sets the user weight (0..256) of `s`, as `set server B/S weight N` does; the effective weight
 * follows (slowstart ramp applied). Throws ServerControlError (SRV_BAD_WEIGHT) when out of range.
 */
export function setServerWeight(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  weight: number,
  origin: ChangeOrigin,
  now = Date.now(),
): boolean {
  if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
    throw new ServerControlError(
      'SRV_BAD_WEIGHT',
      `weight must be an integer between 0 and ${MAX_WEIGHT}, got '${weight}'`,
    );
  }
  if (s.weight === weight) return false;
  const before = snapshot(be, s);
  const from = s.weight;
  s.weight = weight;
  recalcEffectiveWeight(s, now);
  be.selector.update();
  const ev: ServerWeightEvent = { server: s, backend: be, from, to: weight, origin };
  rt.events.emit('server-weight', ev);
  backendAvailability(rt, be, before.anyUsable, now);
  return true;
}

/** Reason haproxy logs for state forced from the runtime API. */
const FROM_CLI = 'changed from CLI';

/**
 * `set server B/S health up|stopping|down` (runtime API): forces the health-check verdict (the
 * health counter goes to its top or to 0) and logs `Server B/S is DOWN, changed from CLI. ...` as
 * haproxy does. The agent's verdict still applies (a server its agent declared down stays DOWN).
 */
export function setServerHealth(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  health: 'up' | 'stopping' | 'down',
  origin: ChangeOrigin,
  now = Date.now(),
): boolean {
  if (health === 'down') {
    s.health = 0;
    return setServerOp(rt, be, s, 'DOWN', origin, FROM_CLI, now);
  }
  s.health = s.model.rise + s.model.fall - 1;
  if (s.agentDown) return false;
  if (s.op === 'UP') return setServerStopping(rt, be, s, health === 'stopping', origin, FROM_CLI, now);
  if (health === 'up') return setServerOp(rt, be, s, 'UP', origin, FROM_CLI, now);
  // DOWN -> NOLB in one step, logged once as haproxy does.
  const before = snapshot(be, s);
  s.op = 'UP';
  s.stopping = true;
  startWarmup(s, now);
  recalcEffectiveWeight(s, now);
  s.lastChange = now;
  log(rt, be, 'notice', `${bk(s)}Server ${s.backendName}/${s.name} is stopping, ${FROM_CLI}${upTail(be)}`);
  finish(rt, be, s, before, origin, 'stopping', now);
  return true;
}

/**
 * `set server B/S agent up|down` (runtime API): forces the agent's verdict; the server is UP only
 * if its health check agrees. Logs `..., changed from CLI.` on a transition, as haproxy.
 */
export function setServerAgentHealth(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  up: boolean,
  origin: ChangeOrigin,
  now = Date.now(),
): boolean {
  s.agentDown = !up;
  const checkUp = !s.checked || s.health >= s.model.rise;
  return setServerOp(rt, be, s, checkUp && up ? 'UP' : 'DOWN', origin, FROM_CLI, now);
}

/**
 * `enable health` / `disable health B/S` (runtime API): turns the server's health checks on or
 * off without changing its state (the engine skips checks while `checked` is false). Throws
 * ServerControlError (SRV_NO_CHECK) for a server without `check` in the configuration.
 */
export function setServerChecks(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  enabled: boolean,
  origin: ChangeOrigin,
): boolean {
  if (!s.model.check) {
    throw new ServerControlError('SRV_NO_CHECK', 'Health checks are not configured on this server, cannot enable.');
  }
  if (s.checked === enabled) return false;
  s.checked = enabled;
  emitSettings(rt, be, s, enabled ? 'health-enabled' : 'health-disabled', origin);
  return true;
}

/**
 * `enable agent` / `disable agent B/S` (runtime API): resumes or pauses the agent checks; the
 * state the agent last reported stays. Returns false when nothing changed.
 */
export function setServerAgentChecks(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, enabled: boolean): boolean {
  if (!s.model.agentCheck || !s.agentPaused === enabled) return false;
  s.agentPaused = !enabled;
  emitSettings(rt, be, s, enabled ? 'agent-enabled' : 'agent-disabled');
  return true;
}

/** A 'server-state' event for a change of settings, not of state (the check engine follows it). */
function emitSettings(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, reason: string, origin = 'api'): void {
  const ev: ServerStateEvent = {
    server: s,
    backend: be,
    fromOp: s.op,
    toOp: s.op,
    fromAdmin: s.admin,
    toAdmin: s.admin,
    origin,
    reason,
  };
  rt.events.emit('server-state', ev);
}

/**
 * `set server B/S check-port P` (runtime API): health checks go to port `port` from the next one
 * on (the configured `port` until then); emits 'server-state' with reason 'check-port'.
 */
export function setServerCheckPort(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, port: number): void {
  s.checkPort = port;
  emitSettings(rt, be, s, 'check-port');
}

/** Sets the server's maxconn as `set maxconn server B/S N` does (0 = unlimited). */
export function setServerMaxconn(
  _rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  maxconn: number,
  _origin: ChangeOrigin,
): void {
  if (!Number.isInteger(maxconn) || maxconn < 0) {
    throw new ServerControlError('SRV_BAD_MAXCONN', `maxconn must be a non-negative integer, got '${maxconn}'`);
  }
  s.maxconn = maxconn === 0 ? undefined : maxconn;
  be.selector.update();
}

/**
 * Advances the `slowstart` ramp of `s` to `now`: recomputes effectiveWeight and, when the warm-up
 * is over, logs HAProxy's `Server B/S is UP. ...` line. Returns true while still warming up.
 */
export function advanceWarmup(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, now = Date.now()): boolean {
  if (s.warmupSince === undefined) return false;
  const prev = s.effectiveWeight;
  const before = anyUsable(be);
  recalcEffectiveWeight(s, now);
  const done = s.warmupSince !== undefined && now - s.warmupSince >= (s.model.slowstart ?? 0);
  if (done) {
    s.warmupSince = undefined;
    s.effectiveWeight = s.weight;
    if (s.op === 'UP' && s.admin !== 'MAINT')
      log(rt, be, 'notice', `${bk(s)}Server ${s.backendName}/${s.name} is UP${upTail(be)}`);
  }
  if (s.effectiveWeight !== prev) be.selector.update();
  backendAvailability(rt, be, before, now);
  return !done;
}

/** Recomputes effectiveWeight from the user weight and the slowstart ramp (HAProxy's eweight). */
export function recalcEffectiveWeight(s: ServerState, now = Date.now()): void {
  const ss = s.model.slowstart ?? 0;
  if (s.warmupSince !== undefined && ss > 0 && s.weight > 0) {
    const elapsed = Math.max(0, now - s.warmupSince);
    if (elapsed < ss) {
      s.effectiveWeight = Math.max(1, Math.ceil((s.weight * elapsed) / ss));
      return;
    }
  }
  s.effectiveWeight = s.weight;
}

/** `Server B/S` or `Backup Server B/S`, as HAProxy starts its server lines. */
/**
 * `Backup ` before a backup server's name in HAProxy's sentences, which are written out whole in
 * this file (`Server ${backend}/${server} is DOWN`, ...) so each can be found by its words.
 */
function bk(s: ServerState): string {
  return s.backup ? 'Backup ' : '';
}

/** Usable active and backup servers of a backend (HAProxy's srv_act / srv_bck). */
export function countUsable(be: BackendRuntime): { active: number; backup: number } {
  let active = 0;
  let backup = 0;
  for (const x of be.servers) {
    if (!isUsable(x)) continue;
    if (x.backup) backup++;
    else active++;
  }
  return { active, backup };
}

function startWarmup(s: ServerState, now: number): void {
  if ((s.model.slowstart ?? 0) > 0) s.warmupSince = now;
}

function downTail(be: BackendRuntime, s: ServerState): string {
  const { active, backup } = countUsable(be);
  const rob = active === 0 && backup > 0 ? ' Running on backup.' : '';
  return `. ${active} active and ${backup} backup servers left.${rob} ${s.cur} sessions active, 0 requeued, ${s.queued} remaining in queue.`;
}

function upTail(be: BackendRuntime): string {
  const { active, backup } = countUsable(be);
  const rob = active === 0 && backup > 0 ? ' Running on backup.' : '';
  return `. ${active} active and ${backup} backup servers online.${rob} 0 sessions requeued, ${be.counters.qcur} total in queue.`;
}

/** Server lines print as `[WARNING]` on stderr whatever their syslog level (ha_warning), backend ones as `[ALERT]`. */
function log(rt: ProxyRuntime, be: BackendRuntime, level: SyslogLevel, msg: string): void {
  rt.logger.log(be.model, level, msg, { stderr: true, stderrLevel: level === 'emerg' ? 'alert' : 'warning' });
}

interface Before {
  op: OpState;
  admin: AdminState;
  down: boolean;
  anyUsable: boolean;
}

function isDownish(s: ServerState): boolean {
  return s.op === 'DOWN' || s.admin === 'MAINT';
}

function anyUsable(be: BackendRuntime): boolean {
  for (const x of be.servers) if (isUsable(x)) return true;
  return false;
}

function snapshot(be: BackendRuntime, s: ServerState): Before {
  return { op: s.op, admin: s.admin, down: isDownish(s), anyUsable: anyUsable(be) };
}

/** Common tail of every state change: downtime, selector, event, backend availability. */
function finish(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  before: Before,
  origin: ChangeOrigin,
  reason: string | undefined,
  now: number,
): void {
  const down = isDownish(s);
  if (!before.down && down) s.downSince = now;
  else if (before.down && !down) {
    if (s.downSince !== undefined) s.downtimeMs += now - s.downSince;
    s.downSince = undefined;
  }
  be.selector.update();
  const ev: ServerStateEvent = {
    server: s,
    backend: be,
    fromOp: before.op,
    toOp: s.op,
    fromAdmin: before.admin,
    toAdmin: s.admin,
    origin,
    reason,
  };
  rt.events.emit('server-state', ev);
  backendAvailability(rt, be, before.anyUsable, now);
}

/** Logs `backend B has no server available!` when the last usable server went away. */
function backendAvailability(rt: ProxyRuntime, be: BackendRuntime, before: boolean, now: number): void {
  const after = anyUsable(be);
  if (before === after) return;
  be.lastChange = now;
  if (!after) {
    be.counters.chkdown++;
    be.downSince = now;
    log(rt, be, 'emerg', `backend ${be.name} has no server available!`);
  } else {
    if (be.downSince !== undefined) be.downtimeMs += now - be.downSince;
    be.downSince = undefined;
  }
}

/**
 * Sets or clears HAProxy's resolution maintenance (RMAINT) on `s`: `cause` is what
 * srv_set_admin_flag() logs (`DNS NX status`, `No IP for server `, `entry removed from SRV
 * record`...), undefined when the name resolves again. Returns false when nothing changed.
 */
export function setServerResolution(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  cause: string | undefined,
  origin: ChangeOrigin,
  now = Date.now(),
): boolean {
  if ((s.dnsMaint !== undefined) === (cause !== undefined)) return false;
  if (cause !== undefined) {
    s.dnsMaint = cause;
    if (s.admin === 'MAINT') {
      s.maintBeforeDns = undefined;
      return true;
    }
    const before = snapshot(be, s);
    s.maintBeforeDns = s.admin;
    s.admin = 'MAINT';
    s.lastChange = now;
    if (s.op === 'UP') {
      s.counters.chkdown++;
      log(
        rt,
        be,
        'alert',
        `${bk(s)}Server ${s.backendName}/${s.name} is going DOWN for maintenance (${cause})${downTail(be, s)}`,
      );
    } else
      log(
        rt,
        be,
        'notice',
        `${bk(s)}Server ${s.backendName}/${s.name} was DOWN and now enters maintenance (${cause}).`,
      );
    finish(rt, be, s, before, origin, 'resolution', now);
    return true;
  }
  const back = s.maintBeforeDns;
  s.dnsMaint = undefined;
  s.maintBeforeDns = undefined;
  const host = s.fqdn ?? s.model.host;
  if (back === undefined) {
    log(
      rt,
      be,
      'notice',
      `${bk(s)}Server ${s.backendName}/${s.name} ('${host}') resolves again but remains in maintenance`,
    );
    return true;
  }
  const before = snapshot(be, s);
  s.admin = back;
  s.lastChange = now;
  if (s.checked) {
    s.health = s.model.rise;
    s.op = 'UP';
  }
  s.stopping = false;
  if (s.op === 'UP') startWarmup(s, now);
  recalcEffectiveWeight(s, now);
  log(rt, be, 'notice', `${bk(s)}Server ${s.backendName}/${s.name} ('${host}') is ${s.op}/${back} (resolves again)`);
  finish(rt, be, s, before, origin, 'resolution', now);
  return true;
}

/**
 * Moves `s` to a new address, as srv_update_addr(): logs `B/S changed its IP from OLD to NEW by
 * UPDATER` (UPDATER: `RESOLVERS/NAMESERVER`, `DNS additional record`). New connections and checks
 * go to the new address (the pools key connections by address); counters and state are kept.
 */
export function setServerAddress(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  host: string,
  port: number,
  updater: string,
): boolean {
  if (s.host === host && s.port === port && s.addressKnown !== false) return false;
  if (s.host !== host || s.addressKnown === false) {
    const old = s.addressKnown === false ? '(none)' : s.host;
    log(rt, be, 'notice', `${s.backendName}/${s.name} changed its IP from ${old} to ${host} by ${updater}.`);
  }
  s.host = host;
  s.port = port;
  s.addressKnown = true;
  return true;
}

/**
 * `set server B/S addr A [port P]` (runtime API, srv_update_addr_port()): new connections and
 * checks go to the new address, idle pooled ones to the old one are not reused (the pools key by
 * address); a server in resolution maintenance leaves it. haproxy logs nothing for it.
 */
export function setServerAddrPort(
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  host: string,
  port: number,
): void {
  s.host = host;
  s.port = port;
  s.addressKnown = true;
  setServerResolution(rt, be, s, undefined, 'api');
}

/**
 * `add server B/S ...` (runtime API): a new server at the end of the backend, in maintenance as
 * haproxy 2.6 starts dynamic servers (`enable server` puts it in the rotation), its checks not
 * running; the balancer is rebuilt over the new list. The id is the lowest one free (`id`: the
 * one another process of the node gave it). A host name is not resolved (haproxy 2.6 starts
 * dynamic servers with `init-addr none`): the server has no address, its connections go to
 * 0.0.0.0 as haproxy's do, until `set server B/S addr` gives it one.
 */
export function addServer(be: BackendRuntime, model: ServerModel, id?: number): ServerState {
  const used = new Set(be.servers.map((x) => x.id));
  if (!id) id = model.idForced ? model.id : 0;
  if (!id) for (id = 1; used.has(id); id++);
  const s = newServerState(be.name, { ...model, id });
  if (isIP(model.host) === 0) {
    s.fqdn = model.host;
    s.host = '0.0.0.0';
    s.addressKnown = false;
  }
  s.admin = 'MAINT';
  s.op = 'DOWN';
  s.health = 0;
  s.checked = false;
  // as haproxy's dynamic servers, the agent waits for `enable agent` too
  if (model.agentCheck) s.agentPaused = true;
  be.servers.push(s);
  be.serversByName.set(s.name, s);
  rebuildSelector(be);
  return s;
}

/** `del server B/S` (runtime API): the caller checked it is in maintenance and has no request. */
export function removeServer(be: BackendRuntime, s: ServerState): void {
  const i = be.servers.indexOf(s);
  if (i >= 0) be.servers.splice(i, 1);
  be.serversByName.delete(s.name);
  rebuildSelector(be);
}

function rebuildSelector(be: BackendRuntime): void {
  (be as { selector: BackendRuntime['selector'] }).selector = createSelector(be);
}
