/**
 * buildRuntime: compiles a ConfigModel into the runtime the datapath serves. Everything that can
 * be decided at load time is decided here (ACLs, conditions, rules, log formats, backends of
 * `use_backend`, TLS contexts, error pages); every problem is collected with FILE:LINE so a bad
 * configuration is reported whole and nothing is bound.
 */

import { EventEmitter } from 'node:events';
import { BlockList, isIPv6 } from 'node:net';
import type {
  Code,
  ConfigModel,
  Diagnostic,
  ForwardForModel,
  ProxyModel,
  ServerModel,
  SourceLoc,
  TcpRuleModel,
} from '@switchyard/config';
import { unixSockMissing } from '@switchyard/unixsock';
import { setCompilingUserlists } from '../acl/auth-fetches.ts';
import { compileTriCondition, type TriCondition } from '../acl/condition.ts';
import {
  compileAcls,
  compileCondition,
  compileFetch,
  compileLogFormat,
  type RulePhase,
  registerBuiltinFetches,
} from '../acl/index.ts';
import type { AclTable, CompiledCondition } from '../acl/types.ts';
import { validateHealthChecks } from '../health/validate.ts';
import { CLF_LOG_FORMAT, compileLogLine, HTTPLOG_FORMAT, type LogLineFn } from '../log/log-format.ts';
import { CertStore } from '../model/cert-store.ts';
import type { ProxyDiagnosticCode } from '../model/codes.ts';
import { newBackendCounters, newFrontendCounters } from '../model/counters.ts';
import { HttpCache } from '../model/http-cache.ts';
import type { ProxyLogger } from '../model/log-types.ts';
import { finishPatRefs, setCompilingPatRefs } from '../model/pattern-refs.ts';
import { newServerState, type ServerState } from '../model/server-state.ts';
import { createSelector } from '../selection/index.ts';
import { loadTls, prepareServerTls } from '../tls/tls.ts';
import { defaultErrorPages, ErrorFileError, parseErrorFile } from './error-pages.ts';
import type {
  BackendPlan,
  CannedResponse,
  CompiledForwardFor,
  CompiledRedirect,
  CompiledRequestRule,
  CompiledResponseRule,
  CompiledRuntime,
  CompiledTcpRule,
  FrontendPlan,
  H2Tune,
  ProxyBehaviour,
  TlsPlan,
  ValueFn,
} from './plan.ts';
import { TCP_RULE_INDEX } from './plan.ts';
import {
  compileCaptureRule,
  compileRedirect,
  compileRequestRule,
  compileResponseRule,
  compileVarRule,
} from './rules.ts';

export interface BuildOptions {
  /** Logger the runtime exposes (events, request lines). */
  logger: ProxyLogger;
  /** The runtime being replaced on reload: same-named servers at the same address keep their state. */
  previous?: CompiledRuntime;
  /** Process start time (kept across reloads). */
  startedAt?: number;
  /**
   * Load-time checks of packages layered above the proxy (the state layer's tables and redis-url),
   * run here so one list holds every diagnostic of a configuration.
   */
  checks?: ReadonlyArray<(model: ConfigModel) => Diagnostic[]>;
}

export interface BuildResult {
  runtime: CompiledRuntime;
  diagnostics: Diagnostic[];
}

/** Shared helpers handed to the rule compilers of one proxy. */
export interface CompileContext {
  diags: Diagnostic[];
  acls: AclTable;
  /** Compiles a condition; `phase` 'response' allows response fetches (`status`, `res.hdr`). */
  cond(c: ProxyModel['useBackends'][number]['cond'], phase?: RulePhase): CompiledCondition | undefined;
  /** The same, three-valued, for tcp content rules (they wait while a condition is MISS). */
  triCond(c: ProxyModel['useBackends'][number]['cond'], phase?: RulePhase): TriCondition | undefined;
  logFormat(fmt: string, loc: SourceLoc, phase?: RulePhase): ValueFn;
  errorPages: Map<number, CannedResponse>;
  /** The pages the proxy sets itself (errorfile, errorfiles, errorloc, http-error). */
  ownErrorPages: Map<number, CannedResponse>;
  /** The proxy whose rules are compiled (default realm of `http-request auth`). */
  proxyName: string;
  /** The `cache` sections' stores (`cache-use`, `cache-store`). */
  caches: Map<string, HttpCache>;
}

/** Compiles `model` into a runtime; check `diagnostics` for errors before serving it. */
export function buildRuntime(model: ConfigModel, opts: BuildOptions): BuildResult {
  registerBuiltinFetches();
  const diags: Diagnostic[] = [];
  const backends = new Map<string, BackendPlan>();
  const frontends = new Map<string, FrontendPlan>();
  const previous = opts.previous;
  checkLogTargets(model, diags);
  setCompilingUserlists(model.userlists);
  const patterns = setCompilingPatRefs();
  // a reload starts its caches empty (HAProxy's new process does too)
  const caches = new Map<string, HttpCache>();
  for (const c of model.caches ?? []) caches.set(c.name, new HttpCache(c));

  for (const p of model.proxies) {
    if (p.disabled || p.kind === 'frontend') continue;
    const ctx = contextFor(p, diags, caches);
    const behaviour = compileBehaviour(p, ctx);
    const prevBackend = previous?.backends.get(p.name);
    const servers: ServerState[] = [];
    const serversByName = new Map<string, ServerState>();
    for (const s of p.servers) {
      if (serversByName.has(s.name)) {
        diags.push(err('CFG_DUPLICATE_SERVER', `backend '${p.name}' has two servers named '${s.name}'`, s.loc));
        continue;
      }
      const old = prevBackend?.serversByName.get(s.name);
      // a server the DNS moved keeps its state while its line is unchanged
      const same =
        old &&
        ((old.host === s.host && old.port === s.port) ||
          (s.resolvers !== undefined && old.model.host === s.host && old.model.port === s.port));
      prepareServerTls(s, diags, model.global);
      const state = old && same ? refreshServer(old, s) : newServerState(p.name, s);
      servers.push(state);
      serversByName.set(s.name, state);
    }
    const redispatch = p.options.redispatch;
    const backend = {
      name: p.name,
      id: p.id,
      model: p,
      servers,
      serversByName,
      counters: prevBackend?.counters ?? newBackendCounters(),
      selector: undefined as unknown as BackendPlan['selector'],
      lastChange: prevBackend?.lastChange ?? Date.now(),
      downtimeMs: prevBackend?.downtimeMs ?? 0,
      downSince: prevBackend?.downSince,
      ...behaviour,
      retries: p.retries,
      retryOn: new Set(p.retryOn),
      l7Retry: p.mode === 'http' && p.retryOn.some((k) => k !== 'conn-failure'),
      redispatch: redispatch ? (redispatch.interval === 0 ? undefined : redispatch.interval) : undefined,
      useServers: p.useServers.flatMap((u) => {
        const server = serversByName.get(u.server);
        return server ? [{ server, cond: ctx.cond(u.cond) }] : [];
      }),
      conns: 0,
    } satisfies BackendPlan;
    // The selector reads the backend it balances, so it is attached once the backend exists.
    (backend as { selector: BackendPlan['selector'] }).selector = createSelector(backend, { diags });
    backends.set(p.name, backend);
  }

  const bindKeys = new Map<string, SourceLoc>();
  const certificates = new CertStore();
  for (const p of model.proxies) {
    if (p.disabled || p.kind === 'backend') continue;
    const ctx = contextFor(p, diags, caches);
    const behaviour = compileBehaviour(p, ctx);
    const tls = new Map<number, TlsPlan>();
    p.binds.forEach((b, i) => {
      const key = b.fd !== undefined ? `fd@${b.fd}` : b.path ? `unix:${b.path}` : `${b.host || '*'}:${b.port}`;
      const seen = bindKeys.get(key);
      if (seen)
        diags.push(err('CFG_DUPLICATE_BIND', `address '${key}' is already bound at ${seen.file}:${seen.line}`, b.loc));
      else bindKeys.set(key, b.loc);
      if (b.options.proto !== undefined && p.mode === 'tcp')
        diags.push(
          err(
            'CFG_BAD_PROTO',
            `bind: MUX protocol '${b.options.proto}' is not usable on a 'mode tcp' frontend ('${p.name}')`,
            b.loc,
          ),
        );
      if (b.ssl) {
        const plan = loadTls(b, diags, model.global);
        if (plan) {
          tls.set(i, plan);
          certificates.register(plan);
        }
      }
    });
    const useBackends: FrontendPlan['useBackends'] = [];
    for (const u of p.useBackends) {
      if (u.backend.includes('%[')) {
        const name = ctx.logFormat(u.backend, u.loc);
        useBackends.push({ dynamic: (txn) => backends.get(name(txn)), cond: ctx.cond(u.cond) });
        continue;
      }
      const be = resolveBackend(u.backend, u.loc, backends, model, diags);
      const cond = ctx.cond(u.cond);
      if (be) useBackends.push({ backend: be, cond });
    }
    let defaultBackend: BackendPlan | undefined;
    if (p.defaultBackend) {
      defaultBackend = resolveBackend(p.defaultBackend, p.loc, backends, model, diags);
    } else if (p.kind === 'listen') defaultBackend = backends.get(p.name);
    const redirects: CompiledRedirect[] = [];
    const redirectConds: Array<CompiledCondition | undefined> = [];
    for (const r of p.redirects) {
      redirects.push(compileRedirect(r, ctx));
      redirectConds.push(ctx.cond(r.cond));
    }
    const prevFrontend = previous?.frontends.get(p.name);
    frontends.set(p.name, {
      name: p.name,
      id: p.id,
      model: p,
      counters: prevFrontend?.counters ?? newFrontendCounters(),
      listening: false,
      ...behaviour,
      binds: p.binds,
      tls,
      maxconn: p.maxconn ?? 0,
      redirects,
      redirectConds,
      useBackends,
      defaultBackend,
      stats: p.stats?.enabled ? p.stats : undefined,
      monitorUri: p.monitorUri,
      captures: p.captures.request.length + p.captures.response.length > 0 ? p.captures : undefined,
      captureCookie: p.captureCookie,
      // rendered as header values are (HAProxy's LOG_OPT_HTTP): an absent sample is empty, not '-'
      uniqueIdFormat: p.uniqueIdFormat
        ? compileLogFormat(p.uniqueIdFormat.format, p.uniqueIdFormat.loc, ctx.diags, {
            phase: 'request',
            mergeSpaces: true,
          })
        : undefined,
      uniqueIdHeader: p.uniqueIdFormat ? p.uniqueIdHeader : undefined,
      tcpConnection: compileTcpRules(p.tcpRequestConnection, 'connection', ctx),
      tcpSession: compileTcpRules(p.tcpRequestSession, 'session', ctx),
      conns: 0,
    });
  }

  const runtime: CompiledRuntime = {
    config: model,
    frontends,
    backends,
    events: previous?.events ?? new EventEmitter(),
    startedAt: opts.startedAt ?? previous?.startedAt ?? Date.now(),
    vrrp: previous?.vrrp ?? new Map(),
    logger: opts.logger,
    maxconn: model.global.maxconn ?? 0,
    h2: h2Tune(model.global.tune),
    compLevel: Number(model.global.tune['tune.comp.maxlevel'] ?? 1),
    caches,
    patterns,
    certificates,
  };
  finishPatRefs(
    patterns,
    model.proxies.map((p) => p.loc.file),
  );
  // health checks are compiled where they run (health/engine.ts); what would stop or weaken them
  // is reported with the rest
  diags.push(...validateHealthChecks(model));
  for (const check of opts.checks ?? []) diags.push(...check(model));
  return { runtime, diagnostics: diags };
}

/** HAProxy 2.6's `tune.h2.*` defaults: 4096, 65535, 100, 16384. */
function h2Tune(t: Record<string, string>): H2Tune {
  const n = (k: string, d: number) => (t[k] === undefined ? d : Number(t[k]));
  return {
    headerTableSize: n('tune.h2.header-table-size', 4096),
    initialWindowSize: n('tune.h2.initial-window-size', 65535),
    maxConcurrentStreams: n('tune.h2.max-concurrent-streams', 100),
    maxFrameSize: n('tune.h2.max-frame-size', 16384),
    connectProtocol: t['h2-workaround-bogus-websocket-clients'] === undefined,
  };
}

function err(code: Code | ProxyDiagnosticCode, message: string, loc: SourceLoc): Diagnostic {
  return { severity: 'error', code, message, loc };
}

function resolveBackend(
  name: string,
  loc: SourceLoc,
  backends: Map<string, BackendPlan>,
  model: ConfigModel,
  diags: Diagnostic[],
): BackendPlan | undefined {
  const be = backends.get(name);
  if (be) return be;
  const p = model.proxies.find((x) => x.name === name);
  if (p?.kind === 'frontend') diags.push(err('CFG_NOT_A_BACKEND', `'${name}' is a frontend, not a backend`, loc));
  else if (p?.disabled) diags.push(err('CFG_BACKEND_DISABLED', `backend '${name}' is disabled`, loc));
  else diags.push(err('CFG_UNKNOWN_BACKEND', `unable to find required backend '${name}'`, loc));
  return undefined;
}

function contextFor(p: ProxyModel, diags: Diagnostic[], caches: Map<string, HttpCache>): CompileContext {
  const acls = compileAcls(p.acls, diags);
  const errorPages = defaultErrorPages();
  const ownErrorPages = new Map<number, CannedResponse>();
  for (const [code, raw] of Object.entries(p.errorFiles)) {
    try {
      const page = parseErrorFile(raw);
      errorPages.set(Number(code), page);
      ownErrorPages.set(Number(code), page);
    } catch (e) {
      if (!(e instanceof ErrorFileError)) throw e;
      diags.push(err(e.code, `errorfile ${code}: ${e.message}`, p.loc));
    }
  }
  // `http-error ... lf-string|lf-file`: the body is rendered per reply
  for (const [code, { format, loc }] of Object.entries(p.errorFormats ?? {})) {
    const page = ownErrorPages.get(Number(code));
    if (page) page.bodyFn = compileLogFormat(format, loc, diags, { phase: 'request' });
  }
  return {
    diags,
    acls,
    cond: (c, phase = 'request') => (c ? compileCondition(c, acls, diags, phase) : undefined),
    triCond: (c, phase = 'request') => (c ? compileTriCondition(c, acls, diags, phase) : undefined),
    logFormat: (fmt, loc, phase = 'request') => compileLogFormat(fmt, loc, diags, { phase }),
    errorPages,
    ownErrorPages,
    proxyName: p.name,
    caches,
  };
}

function compileBehaviour(p: ProxyModel, ctx: CompileContext): ProxyBehaviour {
  const requestRules: CompiledRequestRule[] = [];
  p.httpRequest.forEach((r, i) => {
    const c = compileRequestRule(r, i, ctx);
    if (c) requestRules.push(c);
  });
  const responseRules: CompiledResponseRule[] = [];
  for (const r of p.httpResponse) {
    const c = compileResponseRule(r, ctx);
    if (c) responseRules.push(c);
  }
  const afterResponseRules: CompiledResponseRule[] = [];
  for (const r of p.httpAfterResponse) {
    const c = compileResponseRule(r, ctx);
    if (c) afterResponseRules.push(c);
  }
  return {
    mode: p.mode,
    tcpContent: compileTcpRules(p.tcpRequestContent, 'content', ctx),
    inspectDelay: p.inspectDelay ?? 0,
    tcpResponse: compileTcpRules(p.tcpResponseContent, 'response', ctx),
    resInspectDelay: p.resInspectDelay ?? 0,
    tcplog: p.options.tcplog,
    timeouts: p.timeouts,
    connMode: p.options.connMode,
    forwardFor: p.options.forwardfor ? compileForwardFor(p.options.forwardfor, p.loc, ctx.diags) : undefined,
    requestRules,
    responseRules,
    afterResponseRules,
    errorPages: ctx.errorPages,
    ownErrorPages: ctx.ownErrorPages,
    logTargets: p.logs,
    httplog: p.options.httplog,
    httplogClf: p.options.httplogClf,
    dontlognull: p.options.dontlognull,
    dontlogNormal: p.options.dontlogNormal,
    logFormat: logLine(p, ctx),
  };
}

/**
 * The proxy's compiled log line: its `log-format`, or HAProxy's httplog/CLF format when captures
 * add `{...}` fields to it (without captures the built-in formatters write those lines).
 */
function logLine(p: ProxyModel, ctx: CompileContext): LogLineFn | undefined {
  if (p.logFormat) return compileLogLine(p.logFormat, p.loc, ctx.diags);
  if (p.mode !== 'http' || !p.options.httplog || p.captures.request.length + p.captures.response.length === 0)
    return undefined;
  return compileLogLine(p.options.httplogClf ? CLF_LOG_FORMAT : HTTPLOG_FORMAT, p.loc, ctx.diags);
}

/** `tcp-request connection|content` rules. */
function compileTcpRules(
  rules: TcpRuleModel[],
  kind: 'connection' | 'content' | 'session' | 'response',
  ctx: CompileContext,
): CompiledTcpRule[] {
  const base = kind === 'response' ? 0 : TCP_RULE_INDEX[kind];
  const phase = kind === 'response' ? 'response' : 'request';
  return rules.flatMap((r, i) =>
    compileTcpRule(r, base + i, phase, ctx).map((c) => (r.fromDefaults ? { ...c, fromDefaults: true } : c)),
  );
}

function compileTcpRule(r: TcpRuleModel, index: number, phase: RulePhase, ctx: CompileContext): CompiledTcpRule[] {
  const cond = ctx.triCond(r.cond, phase);
  switch (r.action) {
    case 'track-sc':
      return [{ action: 'track-sc', index, cond }];
    case 'set-src': {
      const value = compileFetch(r.expr, r.loc, ctx.diags);
      return value ? [{ action: 'set-src', value, cond }] : [];
    }
    case 'set-var':
    case 'set-var-fmt':
    case 'unset-var': {
      const v = compileVarRule(r, ctx, phase, cond);
      return v ? [v] : [];
    }
    case 'capture': {
      const c = compileCaptureRule(r, ctx, phase, cond);
      return c ? [c] : [];
    }
    default:
      return [{ action: r.action, cond }];
  }
}

/** `option forwardfor [except NET] [header NAME] [if-none]`. */
function compileForwardFor(f: ForwardForModel, loc: SourceLoc, diags: Diagnostic[]): CompiledForwardFor {
  const out: CompiledForwardFor = { header: f.header, lheader: f.header.toLowerCase(), ifNone: f.ifNone };
  if (f.except) {
    const [net, bitsText] = f.except.split('/');
    const v6 = isIPv6(net);
    const bits = bitsText === undefined ? (v6 ? 128 : 32) : Number(bitsText);
    const list = new BlockList();
    try {
      list.addSubnet(net, bits, v6 ? 'ipv6' : 'ipv4');
      out.except = (ip) => {
        if (ip.startsWith('::ffff:') && !v6) return list.check(ip.slice(7), 'ipv4');
        return list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
      };
    } catch (e) {
      diags.push(err('CFG_BAD_NETWORK', `option forwardfor except '${f.except}': ${(e as Error).message}`, loc));
    }
  }
  return out;
}

/** Unix-socket log targets need the unixsock addon; without it their lines would be lost, so say so once per line. */
function checkLogTargets(model: ConfigModel, diags: Diagnostic[]): void {
  const missing = unixSockMissing();
  if (!missing) return;
  const seen = new Set<string>();
  for (const t of [...model.global.logs, ...model.proxies.flatMap((p) => p.logs)]) {
    const key = `${t.loc.file}:${t.loc.line}`;
    if (t.kind !== 'unix' || seen.has(key)) continue;
    seen.add(key);
    diags.push({
      severity: 'warning',
      code: 'CFG_LOG_UNIX_UNAVAILABLE',
      message: `log target '${t.path}': ${missing}; these log lines are dropped`,
      loc: t.loc,
    });
  }
}

/**
 * A server kept across a reload (same name and address) keeps its live state (UP/DOWN, admin
 * state, counters, active requests) but takes the new line's settings: check parameters, backup,
 * maxconn; a weight changed in the file replaces the runtime weight, and a `disabled` added or
 * removed in the file sets MAINT/READY. Mutated in place because in-flight requests hold it.
 */
function refreshServer(state: ServerState, s: ServerModel): ServerState {
  const prev = state.model;
  if (prev === s) return state;
  const m = state as { -readonly [K in keyof ServerState]: ServerState[K] };
  m.model = s;
  m.backup = s.backup;
  m.maxconn = s.maxconn;
  if (prev.weight !== s.weight) {
    m.initialWeight = s.weight;
    m.weight = s.weight;
    m.effectiveWeight = s.weight;
  }
  if (prev.disabled !== s.disabled) m.admin = s.disabled ? 'MAINT' : 'READY';
  if (prev.check !== s.check || prev.rise !== s.rise || prev.fall !== s.fall) {
    m.checked = s.check;
    // restart the health counter inside the new rise/fall range, keeping the current verdict
    m.health = !s.check ? (state.admin === 'MAINT' ? 0 : s.rise) : state.op === 'UP' ? s.rise + s.fall - 1 : 0;
    if (!s.check && state.op === 'DOWN') m.op = 'UP';
  }
  return state;
}
