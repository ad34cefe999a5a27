/**
 * Compiles what the state layer does per request from a runtime: `stick` rules and `cookie` per
 * backend, `http-request track-sc` rules per proxy (by rule index, as the datapath reports them).
 * Rebuilt whole on reload; tables live in the TableDirectory.
 */
import type {
  ConditionModel,
  Diagnostic,
  HttpRuleModel,
  ProxyModel,
  SourceLoc,
  TcpRuleModel,
} from '@switchyard/config';
import {
  type CompiledCondition,
  type FetchFn,
  type ProxyRuntime,
  type ServerState,
  TCP_RULE_INDEX,
} from '@switchyard/proxy';

/** A rule that may track a stick counter. */
type TrackSource = HttpRuleModel | TcpRuleModel;

import { type CookieRule, compileCookie } from './cookie.ts';
import type { StateErrorCode } from './errors.ts';
import { compileResponseKeyFetch, type ResponseFetchFn } from './key-fetch.ts';
import type { StickTable } from './stick-table.ts';
import type { TableDirectory } from './tables.ts';

/**
 * How sample expressions and conditions are compiled: the ACL package's compilers (acl-bridge.ts)
 * in production; tests may pass their own. Problems go to `diags`; `cond` applies `if`/`unless`.
 */
export interface StateCompiler {
  /** Compiles a fetch expression in sample context; undefined (with a diagnostic) on error. */
  fetch(expr: string, loc: SourceLoc, diags: Diagnostic[]): FetchFn | undefined;
  /** Compiles the condition of a rule written in `proxy`. */
  cond(c: ConditionModel, proxy: ProxyModel, diags: Diagnostic[]): CompiledCondition;
}

export interface StickRule {
  match: boolean;
  store: boolean;
  table: StickTable;
  key?: FetchFn;
  /** store-response: key read from the response headers. */
  resKey?: ResponseFetchFn;
  cond?: CompiledCondition;
}

export interface TrackRule {
  slot: number;
  table: StickTable;
  key: FetchFn;
}

export interface BackendPlan {
  cookie?: CookieRule;
  stick: StickRule[];
  /** Servers by numeric id (server_id stored in tables). */
  byId: Map<number, ServerState>;
  persist: boolean;
  hasStoreResponse: boolean;
}

export interface StatePlan {
  backends: Map<string, BackendPlan>;
  /** Proxy name -> http-request rule index -> track rule. */
  track: Map<string, Map<number, TrackRule>>;
}

/** Compiles the plan for `rt`; problems go to `diags` (FILE:LINE through `loc`). */
export function compilePlan(
  rt: ProxyRuntime,
  dir: TableDirectory,
  compiler: StateCompiler,
  diags: Diagnostic[],
): StatePlan {
  const backends = new Map<string, BackendPlan>();
  const track = new Map<string, Map<number, TrackRule>>();
  const error = (code: StateErrorCode, message: string, loc: SourceLoc) =>
    diags.push({ severity: 'error', code, message, loc });
  /** The table a rule uses; HAProxy's words when it is missing ("what" names the rule). */
  const tableFor = (name: string | undefined, p: ProxyModel, loc: SourceLoc, what?: string): StickTable | undefined => {
    const t = dir.get(name ?? p.name);
    if (!t) {
      const target = name ?? p.name;
      error(
        'STATE_UNKNOWN_TABLE',
        what
          ? `${p.kind} '${p.name}': unable to find table '${target}' referenced by ${what}`
          : `${p.kind} '${p.name}': unable to find stick-table '${target}'`,
        loc,
      );
    }
    return t;
  };
  const fetch = (expr: string, loc: SourceLoc): FetchFn | undefined => compiler.fetch(expr, loc, diags);
  const cond = (c: ConditionModel | undefined, p: ProxyModel): CompiledCondition | undefined =>
    c ? compiler.cond(c, p, diags) : undefined;

  const seen = new Set<string>();
  for (const p of rt.config.proxies) {
    if (p.disabled || seen.has(p.name)) continue;
    seen.add(p.name);
    const rules = new Map<number, TrackRule>();
    const tracking: Array<[TrackSource, number]> = [
      ...p.httpRequest.map((r, i): [TrackSource, number] => [r, i]),
      ...p.tcpRequestConnection.map((r, i): [TrackSource, number] => [r, TCP_RULE_INDEX.connection + i]),
      ...p.tcpRequestSession.map((r, i): [TrackSource, number] => [r, TCP_RULE_INDEX.session + i]),
      ...p.tcpRequestContent.map((r, i): [TrackSource, number] => [r, TCP_RULE_INDEX.content + i]),
    ];
    for (const [r, index] of tracking) {
      if (r.action !== 'track-sc') continue;
      if (r.slot < 0 || r.slot > 2) {
        error('STATE_BAD_TRACK', `track-sc${r.slot}: only track-sc0, track-sc1 and track-sc2 exist`, r.loc);
        continue;
      }
      const table = tableFor(r.table, p, r.loc, `track-sc${r.slot}`);
      const key = fetch(r.key, r.loc);
      if (table && key) rules.set(index, { slot: r.slot, table, key });
    }
    if (rules.size > 0) track.set(p.name, rules);
  }

  for (const be of rt.backends.values()) {
    const p = be.model;
    const stick: StickRule[] = [];
    let hasStoreResponse = false;
    for (const r of p.stickRules) {
      const table = tableFor(r.table, p, r.loc);
      if (!table) continue;
      const c = cond(r.cond, p);
      if (r.kind === 'store-response') {
        const resKey = compileResponseKeyFetch(r.key);
        if (typeof resKey === 'string') error('STATE_BAD_KEY_FETCH', resKey, r.loc);
        else stick.push({ match: false, store: true, table, resKey, cond: c });
        hasStoreResponse = true;
        continue;
      }
      const key = fetch(r.key, r.loc);
      if (!key) continue;
      stick.push({ match: r.kind !== 'store-request', store: r.kind !== 'match', table, key, cond: c });
    }
    const byId = new Map<number, ServerState>();
    for (const s of be.servers) byId.set(s.id, s);
    const cookie = compileCookie(be);
    if (cookie || stick.length > 0) {
      backends.set(be.name, { cookie, stick, byId, persist: p.options.persist, hasStoreResponse });
    }
  }
  return { backends, track };
}
