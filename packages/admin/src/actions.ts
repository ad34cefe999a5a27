/**
 * Server changes the admin side may make (stats page admin form, runtime API), with HAProxy's
 * argument checks and messages. State changes go through ServerControl (implemented by
 * packages/proxy/src/control/server-control.ts): the admin side never mutates ServerState.
 */
import type { ServerModel } from '@switchyard/config';
import type { AdminState, BackendRuntime, FrontendRuntime, ProxyRuntime, ServerState } from '@switchyard/proxy';
import type { AdminCode } from './codes.ts';
import type { PatternOp } from './runtime-api/maps.ts';
import type { SslCertOp } from './runtime-api/ssl-certs.ts';

/** The one place server state changes (packages/proxy control/server-control.ts). */
export interface ServerControl {
  /** Sets the administrative state (READY / DRAIN / MAINT); emits 'server-state'. */
  setServerAdmin(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, admin: AdminState, origin: string): void;
  /** Sets the user weight (0..256); emits 'server-weight'. */
  setServerWeight(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, weight: number, origin: string): void;
  /** Sets the server's maxconn (0 = unlimited); optional: without it the admin side sets `s.maxconn`. */
  setServerMaxconn?(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, maxconn: number, origin: string): void;
  /** Records a VRRP instance state (`set vrrp state`); optional: without it rt.vrrp is set here. */
  setVrrpState?(rt: ProxyRuntime, instance: string, state: string): void;
  /** `add server`: adds the parsed server to the backend (packages/proxy addServer); `args`: the command's address and keywords. */
  addServer?(rt: ProxyRuntime, be: BackendRuntime, model: ServerModel, args: string[]): void;
  /** `del server`: removes a server in maintenance (packages/proxy removeServer). */
  removeServer?(rt: ProxyRuntime, be: BackendRuntime, s: ServerState): void;
  /** `set server B/S health up|stopping|down` (packages/proxy setServerHealth); absent under --workers. */
  setServerHealth?(
    rt: ProxyRuntime,
    be: BackendRuntime,
    s: ServerState,
    health: 'up' | 'stopping' | 'down',
    origin: string,
  ): void;
  /** `set server B/S agent up|down` (packages/proxy setServerAgentHealth); absent under --workers. */
  setServerAgent?(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, up: boolean, origin: string): void;
  /** `enable|disable health B/S` on a server with `check`; absent under --workers. */
  setServerChecks?(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, enabled: boolean, origin: string): void;
  /** `enable|disable agent B/S` on a server with `agent-check`; absent under --workers. */
  setServerAgentChecks?(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, enabled: boolean, origin: string): void;
  /** `set server B/S addr A [port P]` (packages/proxy setServerAddrPort); absent under --workers. */
  setServerAddr?(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, host: string, port: number): void;
  /** `set server B/S fqdn NAME` on a server with `resolvers` (packages/proxy Discovery.setFqdn). */
  setServerFqdn?(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, name: string): void;
  /** `set server B/S check-port P` (packages/proxy setServerCheckPort); absent under --workers. */
  setServerCheckPort?(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, port: number): void;
  /** `shutdown sessions server B/S` (packages/proxy killServerStreams); absent under --workers. */
  shutdownServerSessions?(rt: ProxyRuntime, be: BackendRuntime, s: ServerState): void;
  /** `enable|disable|shutdown frontend F` (packages/proxy setFrontendState); absent under --workers. */
  setFrontendState?(rt: ProxyRuntime, fe: FrontendRuntime, state: 'ready' | 'paused' | 'stopped'): void;
  /** `clear counters [all]`; optional: without it the admin side clears this process's counters. */
  clearCounters?(rt: ProxyRuntime, all: boolean): void;
  /** Under --workers: sends a certificate change (`set|commit|abort|new ssl cert`, applied here already) to the other workers. */
  shareSslCert?(op: SslCertOp): void;
  /** Under --workers: sends a map or ACL change (`add|del|set|clear|prepare|commit map|acl`, applied here already) to the other workers. */
  sharePatternOp?(op: PatternOp): void;
}

/** A lookup or argument error, with the exact text HAProxy answers. */
export class AdminError extends Error {
  constructor(
    readonly code: AdminCode,
    message: string,
    /** HAProxy prints a few parse errors without the final newline; keep that. */
    readonly bare = false,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export const MSG = {
  requireBackendServer: "Require 'backend/server'.",
  noSuchBackend: 'No such backend.',
  noSuchServer: 'No such server.',
  requireWeight: 'Require <weight> or <weight%>.',
  absWeightRange: 'Absolute weight can only be between 0 and 256 inclusive.',
  relWeightPositive: 'Relative weight must be positive.',
  weightGarbage: 'Empty weight string empty or preceded by garbage',
  weightTrailing: 'Trailing garbage in weight string',
  staticWeights: "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.",
  permissionDenied: 'Permission denied',
} as const;

/** Finds `BACKEND/SERVER` (HAProxy's lookup and messages); throws AdminError. */
export function findServer(rt: ProxyRuntime, arg: string | undefined): { be: BackendRuntime; s: ServerState } {
  const slash = arg ? arg.indexOf('/') : -1;
  if (!arg || slash < 0) throw new AdminError('ADM_REQUIRE_BE_SRV', MSG.requireBackendServer);
  const be = rt.backends.get(arg.slice(0, slash));
  if (!be) throw new AdminError('ADM_NO_BACKEND', MSG.noSuchBackend);
  const s = be.serversByName.get(arg.slice(slash + 1));
  if (!s) throw new AdminError('ADM_NO_SERVER', MSG.noSuchServer);
  return { be, s };
}

/** True for algorithms whose weights are fixed at load (static-rr, map-based hashing). */
export function staticAlgo(be: BackendRuntime): boolean {
  const a = be.model.balance.algo;
  if (a === 'static-rr') return true;
  const hashed = a === 'source' || a === 'uri' || a === 'url_param' || a === 'hdr' || a === 'rdp-cookie';
  return hashed && be.model.hashType.method === 'map-based';
}

/**
 * Parses a weight change like HAProxy's `set weight` / `set server ... weight`: `N` (0..256) or
 * `N%` of the initial weight. Returns the new absolute weight; throws AdminError.
 */
export function parseWeight(be: BackendRuntime, s: ServerState, arg: string | undefined): number {
  if (arg === undefined || arg === '') throw new AdminError('ADM_REQUIRE_WEIGHT', MSG.requireWeight);
  const m = /^(-?)(\d*)(.*)$/.exec(arg) as RegExpExecArray;
  if (m[2] === '') throw new AdminError('ADM_BAD_WEIGHT', MSG.weightGarbage, true);
  const rel = m[3] === '%';
  if (m[3] !== '' && !rel) throw new AdminError('ADM_BAD_WEIGHT', MSG.weightTrailing, true);
  const n = Number(m[1] + m[2]);
  let w: number;
  if (rel) {
    if (n < 0) throw new AdminError('ADM_BAD_WEIGHT', MSG.relWeightPositive);
    // HAProxy caps relative weights at 256 (and the percentage at 25600 against overflow)
    w = Math.min(256, Math.floor((s.initialWeight * Math.min(n, 25600)) / 100));
  } else {
    if (n < 0 || n > 256) throw new AdminError('ADM_BAD_WEIGHT', MSG.absWeightRange);
    w = n;
  }
  if (staticAlgo(be) && w !== 0 && w !== s.initialWeight) throw new AdminError('ADM_STATIC_WEIGHT', MSG.staticWeights);
  return w;
}

/** Applies a maxconn change through the control when it offers one (0 = no limit). */
export function applyMaxconn(
  control: ServerControl,
  rt: ProxyRuntime,
  be: BackendRuntime,
  s: ServerState,
  n: number,
  origin: string,
): void {
  if (control.setServerMaxconn) control.setServerMaxconn(rt, be, s, n, origin);
  else {
    // maxconn is a limit read by selection, not a state transition: no event to emit
    s.maxconn = n === 0 ? undefined : n;
    be.selector.update();
  }
}
