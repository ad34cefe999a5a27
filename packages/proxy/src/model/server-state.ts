/**
 * The small mutable per-server state shared by health checks, selection, the datapath and the
 * admin side (stats, CSV, metrics, runtime API). Everything else in the runtime is rebuilt
 * whole on reload; this is the one place that changes while requests run.
 */
import type { ServerModel } from '@switchyard/config';
import { newServerCounters, type ServerCounters } from './counters.ts';

/** Operational state from checks (HAProxy's "running" state). */
export type OpState = 'UP' | 'DOWN';

/** Administrative state set by config (`disabled`), the runtime API, the stats page or an agent. */
export type AdminState = 'READY' | 'DRAIN' | 'MAINT';

/** Result of the last health check, in HAProxy's words (L4OK, L7STS, ...). */
export interface CheckResult {
  /** HAProxy check status: UNK, INI, SOCKERR, L4OK, L4TOUT, L4CON, L6OK, L6TOUT, L6RSP, L7OK, L7OKC, L7TOUT, L7RSP, L7STS. */
  status: string;
  /** HTTP status code for L7 checks. */
  code?: number;
  /** Duration of the check, ms. */
  durationMs?: number;
  /** Short text, e.g. the HTTP reason phrase or the error. */
  info?: string;
  /**
   * The info of the `Health check for server ...` line when it differs from what the stats keep:
   * HAProxy logs mysql-check's server version and ldap-check's "Success", then clears them.
   */
  logInfo?: string;
}

export interface ServerState {
  readonly model: ServerModel;
  readonly backendName: string;
  /** Stable numeric id (HAProxy's sid). */
  readonly id: number;
  readonly name: string;
  readonly backup: boolean;
  /** Address actually used for traffic. */
  host: string;
  port: number;
  /** Weight as configured (0..256). */
  initialWeight: number;
  /** Current user weight (runtime API / stats may change it). */
  weight: number;
  /** Effective weight after slowstart / agent percentage (what selection uses). */
  effectiveWeight: number;
  op: OpState;
  admin: AdminState;
  /**
   * HAProxy's NOLB ("stopping"): UP, but takes only persistent traffic. Set by
   * `http-check disable-on-404` when the check gets a 404; cleared by the next 2xx/3xx.
   */
  stopping?: boolean;
  /** Epoch ms when the current `slowstart` warm-up began (effectiveWeight ramps up); unset when done. */
  warmupSince?: number;
  /**
   * HAProxy's RMAINT: the server's name does not resolve (the cause, e.g. `DNS NX status`); admin
   * is MAINT meanwhile and `maintBeforeDns` says what it goes back to (undefined: forced MAINT too).
   */
  dnsMaint?: string;
  maintBeforeDns?: AdminState;
  /** False while a server waiting for the DNS has no address yet (`init-addr none`, an empty template slot). */
  addressKnown?: boolean;
  /** The name resolved for this server (its FQDN, or an SRV record's target) when it differs from the model's. */
  fqdn?: string;
  /** The agent (`agent-check`) or `set server B/S agent down` declared the server down. */
  agentDown?: boolean;
  /**
   * Check health counter: 0..rise+fall-1 as HAProxy keeps it; >= rise means UP. Servers without
   * checks keep one too, as haproxy (`show servers state`): `rise` at start, 0 in maintenance.
   */
  health: number;
  /** Whether checks are enabled for this server. */
  checked: boolean;
  /** `disable agent B/S` (runtime API) paused the agent checks (`enable agent` resumes them). */
  agentPaused?: boolean;
  /** `set server B/S check-port P` (runtime API): the port health checks use instead of the configured one. */
  checkPort?: number;
  lastCheck?: CheckResult;
  lastAgentCheck?: CheckResult;
  /** Epoch ms of the last UP/DOWN/MAINT transition (for lastchg). */
  lastChange: number;
  /** Accumulated DOWN time in ms, not counting the current DOWN period. */
  downtimeMs: number;
  /** Epoch ms when the current DOWN period started, if DOWN. */
  downSince?: number;
  /** Active requests being served right now (leastconn reads this). */
  cur: number;
  /** Requests waiting in this server's queue. */
  queued: number;
  maxconn?: number;
  counters: ServerCounters;
}

/** Builds the initial state of a server from its model (UP unless checked, MAINT if `disabled`). */
export function newServerState(backendName: string, model: ServerModel, now = Date.now()): ServerState {
  const init = initialAddress(model);
  const s: ServerState = {
    model,
    backendName,
    id: model.id,
    name: model.name,
    backup: model.backup,
    host: model.host,
    port: model.port,
    initialWeight: model.weight,
    weight: model.weight,
    effectiveWeight: model.weight,
    // HAProxy starts checked servers UP with health at `rise` (they go DOWN after `fall` failures).
    op: 'UP',
    admin: model.disabled ? 'MAINT' : 'READY',
    health: model.disabled ? 0 : model.rise,
    checked: model.check,
    lastChange: now,
    downtimeMs: 0,
    cur: 0,
    queued: 0,
    maxconn: model.maxconn,
    counters: newServerCounters(),
  };
  if (init === undefined) {
    // HAProxy's RMAINT from the start: an SRV slot, or `init-addr none` (no log while starting)
    s.maintBeforeDns = s.admin;
    s.admin = 'MAINT';
    s.dnsMaint = '';
    s.addressKnown = false;
  } else s.host = init;
  return s;
}

/**
 * The address a server starts with, from `init-addr` (default `last,libc`): `libc` keeps the
 * name (the OS resolves it on connect), an IP is used as is, `none` gives no address (undefined:
 * MAINT until the DNS answers); `last` (the state file) is skipped. SRV template slots wait for the DNS.
 */
function initialAddress(model: ServerModel): string | undefined {
  if (model.resolvers === undefined) return model.host;
  if (model.template?.fqdn.startsWith('_')) return undefined;
  for (const m of (model.initAddr ?? 'last,libc').split(',')) {
    if (m === 'libc') return model.host;
    if (m === 'none') return undefined;
    if (m !== 'last') return m;
  }
  return model.host;
}

/** A server can take new, non-persistent traffic: UP, READY and weight > 0. */
export function isUsable(s: ServerState): boolean {
  return s.op === 'UP' && s.admin === 'READY' && s.stopping !== true && s.effectiveWeight > 0;
}

/** A server can take persistent traffic (stickiness, cookie): UP and not MAINT (DRAIN allowed). */
export function acceptsPersistent(s: ServerState): boolean {
  return s.op === 'UP' && s.admin !== 'MAINT';
}

/** HAProxy's status column word: UP, DOWN, MAINT, DRAIN, NOLB, `UP 1/3`, `NOLB 1/3`, `DOWN 1/2`, `DOWN (agent)`, `no check`. */
export function statusWord(s: ServerState): string {
  if (s.admin === 'MAINT') return s.dnsMaint !== undefined ? 'MAINT (resolution)' : 'MAINT';
  const rise = s.model.rise;
  const fall = s.model.fall;
  if (s.admin === 'DRAIN' && s.op === 'UP') return 'DRAIN';
  if (s.op === 'DOWN' && s.agentDown) return 'DOWN (agent)';
  if (!s.checked) return s.op === 'UP' ? 'no check' : 'DOWN';
  if (s.op === 'UP') {
    const word = s.stopping ? 'NOLB' : 'UP';
    // health in [rise, rise+fall-1]; below rise+fall-1 it is going down
    const top = rise + fall - 1;
    if (s.health < top && s.health >= rise) return `${word} ${s.health - rise + 1}/${fall}`;
    return word;
  }
  if (s.health > 0 && s.health < rise) return `DOWN ${s.health}/${rise}`;
  return 'DOWN';
}
