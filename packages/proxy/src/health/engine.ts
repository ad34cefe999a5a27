/**
 * The check engine: schedules active checks and agent checks for every server with `check` /
 * `agent-check`, turns their results into state changes through runtime/server-control.ts, and
 * takes passive results from the datapath (TrafficObserver: `observe layer4|layer7`).
 */

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import {
  advanceWarmup,
  MAX_WEIGHT,
  setServerAdmin,
  setServerOp,
  setServerStopping,
  setServerWeight,
} from '../control/server-control.ts';
import { stderrLine } from '../log/logger.ts';
import { formatCheckReason, isPassed } from '../model/check-status.ts';
import type { TrafficObserver, TrafficOutcome } from '../model/hooks.ts';
import type { CheckResult, OpState, ServerState } from '../model/server-state.ts';
import type { BackendRuntime, ProxyRuntime, ServerStateEvent } from '../model/types.ts';
import { serverTlsOptions } from '../tls/tls.ts';
import { agentInfo, parseAgentReply } from './agent-reply.ts';
import { checkInterval, healthStatusText, nextHealth } from './health-counter.ts';
import { type CompiledHttpCheck, compileHttpCheck, HealthConfigError } from './http-check.ts';
import { defaultCheckTransport } from './native-probe.ts';
import { classifyOutcome, hanaDescription } from './passive.ts';
import type { AgentOutcome, CancelProbe, ProbeSpec } from './probe.ts';
import { type CompiledTcpCheck, compileTcpCheck } from './tcp-check.ts';
import { runTcpCheck, type TcpCheckSpec } from './tcp-check-run.ts';

/** Timer functions the engine uses; tests pass a fake clock. */
export interface HealthClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * How checks reach the network. The default is the native transport (native-probe.ts, sockets on
 * the netprobe addon's thread), or the JS probe (probe.ts) when the addon is not built.
 */
export interface CheckTransport {
  check(spec: ProbeSpec, http: CompiledHttpCheck | undefined, done: (r: CheckResult) => void): CancelProbe;
  agent(spec: ProbeSpec, send: string | undefined, done: (o: AgentOutcome) => void): CancelProbe;
  /**
   * Optional: the same check repeated on the transport's own schedule (the native thread's), so
   * a server in steady state costs no timer and no call out per check; `done` gets each result.
   * Undefined when this check cannot be run that way (the engine then runs single checks).
   */
  recurring?(
    spec: ProbeSpec,
    http: CompiledHttpCheck | undefined,
    when: CheckSchedule,
    done: (r: CheckResult) => void,
  ): RecurringCheck | undefined;
}

/** When a recurring check runs: after `firstDelayMs`, then `intervalMs` (+/- `spreadPct` %) after each result. */
export interface CheckSchedule {
  firstDelayMs: number;
  intervalMs: number;
  spreadPct: number;
}

/** A check the transport repeats by itself (see CheckTransport.recurring). */
export interface RecurringCheck {
  /** New interval; if no check is running, the next one starts in `delayMs`. */
  retime(intervalMs: number, delayMs: number): void;
  /** No check after the one running, whose result still comes. */
  drain(): void;
  /** Stops now: a running check is closed and reports nothing. */
  cancel(): void;
}

export interface HealthEngineOptions {
  clock?: HealthClock;
  transport?: CheckTransport;
  /** Random source in [0,1) for `spread-checks` (tests pin it). */
  random?: () => number;
}

export interface HealthEngine extends TrafficObserver {
  /** Starts checking every checked server, first checks spread evenly over each one's `inter`. */
  start(): void;
  /** Stops: clears every timer and closes every check socket. */
  stop(): void;
  /** Applies one health-check result to `s` (what a probe reports). */
  handleCheckResult(be: BackendRuntime, s: ServerState, r: CheckResult): void;
  /** Applies one agent exchange to `s`. */
  handleAgentOutcome(be: BackendRuntime, s: ServerState, o: AgentOutcome): void;
  /** Number of servers with an active check / an agent check. */
  readonly checkedCount: number;
}

interface Entry {
  be: BackendRuntime;
  s: ServerState;
  http?: CompiledHttpCheck;
  /** `option tcp-check` or a protocol check (mysql, redis, smtp, ...): run by tcp-check-run.ts. */
  tcp?: CompiledTcpCheck;
  /** TLS options of checks (`ssl` / `check-ssl`), or the reason they cannot run (bad ca-file). */
  tls?: ConnectionOptions | string;
  /** HTTP checks over HTTP/2: always (`check-proto h2`, a `proto h2` server) or when ALPN picks h2. */
  h2?: 'always' | 'alpn';
  checkTimer?: unknown;
  checkCancel?: CancelProbe;
  /** The check the transport repeats by itself while checks run normally (not MAINT, not disabled). */
  recurring?: RecurringCheck;
  /** The interval `recurring` waits now (before spread-checks jitter). */
  recurringInter?: number;
  /** The transport cannot repeat this check (a host name, TLS, a body to read): single checks. */
  singleChecks?: boolean;
  agentTimer?: unknown;
  agentCancel?: CancelProbe;
  warmTimer?: unknown;
  consecutiveErrors: number;
  lastStatus?: string;
  lastAgentStatus?: string;
}

/**
 * Timer slack of the check schedule: due times are rounded to the nearest multiple of this many
 * ms, so the timers of a thousand servers spread over `inter` fire in about 1000/SLACK wake-ups a
 * second instead of one each (the wake-ups, not the checks, were most of the CPU). Shorter delays
 * are rounded less, so a timer moves by at most an eighth of its delay.
 */
const TIMER_SLACK_MS = 8;

const realClock: HealthClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const slack = Math.min(TIMER_SLACK_MS, Math.floor(ms / 8));
    if (slack > 1) {
      const now = performance.now();
      ms = Math.max(1, Math.round((now + ms) / slack) * slack - now);
    }
    const t = setTimeout(fn, ms);
    // Checks must not keep a finished process (or a test) alive by themselves.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

let warnedJsFallback = false;

/** Says once per process that checks fall back to the JS probe, and why. */
function warnJsFallback(reason: string | undefined): void {
  if (warnedJsFallback) return;
  warnedJsFallback = true;
  const msg = `health checks use the JavaScript probe (more CPU per check): ${reason ?? 'native transport unavailable'}`;
  process.stderr.write(stderrLine('WARNING', process.pid, msg));
}

const caCache = new Map<string, Buffer | string>();

/**
 * The PROXY header version health checks of a server start with, as HAProxy decides: always with
 * `check-send-proxy` (v2 when the traffic uses send-proxy-v2), else the server's own
 * `send-proxy*` unless the check has its own `port` or `addr` (`no-check-send-proxy` only cancels
 * a `check-send-proxy` from default-server: haproxy still adds the traffic's protocol).
 */
function checkSendProxy(m: ServerState['model']): 1 | 2 | undefined {
  if (m.checkSendProxy) return m.sendProxy ?? 1;
  return m.checkPort === undefined && m.checkAddr === undefined ? m.sendProxy : undefined;
}

/** `status: 1/1 UP` / `0/1 DOWN` of agent lines (the agent's health is 0 or 1). */
function agentStatusText(s: ServerState): string {
  return s.agentDown ? '0/1 DOWN' : '1/1 UP';
}

/**
 * TLS options of a server's health checks: `check-ssl` (implied by `ssl`), `check-sni` (else
 * `sni`), `verify`, `ca-file`. A string is why they cannot run (unreadable ca-file).
 */
function checkTls(s: ServerState): ConnectionOptions | string | undefined {
  const m = s.model;
  if (!(m.checkSsl ?? m.ssl)) return undefined;
  const t = tlsSettings(s);
  if (typeof t !== 'string' && m.checkAlpn) t.ALPNProtocols = m.checkAlpn;
  return t;
}

/**
 * The protocol of a server's HTTP checks, as HAProxy 2.6 picks the check's mux: `check-proto`,
 * else the server's `proto h2`, else by ALPN when `check-alpn` offers h2 over TLS.
 */
function checkH2(s: ServerState): 'always' | 'alpn' | undefined {
  const m = s.model;
  const proto = m.checkProto ?? m.proto;
  if (proto === 'h2') return 'always';
  if (proto === undefined && (m.checkSsl ?? m.ssl) && m.checkAlpn?.includes('h2')) return 'alpn';
  return undefined;
}

/** The server's TLS verification settings (`verify`, `ca-file`, SNI), for checks that speak TLS. */
function tlsSettings(s: ServerState): ConnectionOptions | string {
  const m = s.model;
  // the same versions, ciphers, CAs and client certificate as the server's traffic
  // `sni` is a per-request expression: checks send `check-sni` only, as HAProxy's
  const opts: ConnectionOptions = serverTlsOptions(m, m.checkSni);
  if (m.caFile && opts.ca === undefined) {
    let ca = caCache.get(m.caFile);
    if (ca === undefined) {
      try {
        ca = readFileSync(m.caFile);
      } catch (err) {
        ca = `cannot read ca-file '${m.caFile}': ${(err as Error).message}`;
      }
      caCache.set(m.caFile, ca);
    }
    if (typeof ca === 'string') return ca;
    opts.ca = ca;
  }
  return opts;
}

/**
 * Creates the engine for `rt`. Settings that cannot work (an `http-check expect` pattern that does
 * not compile, `agent-check` without `agent-port`) are logged and those checks not run; call
 * validateHealthChecks() at load time to refuse such a configuration with FILE:LINE first.
 */
export function createHealthEngine(rt: ProxyRuntime, opts: HealthEngineOptions = {}): HealthEngine {
  const clock = opts.clock ?? realClock;
  // A transport passed in (tests, bench) is used as is; the default may warn at start.
  const chosen = opts.transport
    ? { native: true, transport: opts.transport, reason: undefined }
    : defaultCheckTransport();
  const transport = chosen.transport;
  // The transport's own schedule runs on real time: never with a fake clock.
  const recurring = clock === realClock ? transport.recurring : undefined;
  const random = opts.random ?? Math.random;
  const spread = Math.min(50, Math.max(0, rt.config.global.spreadChecks ?? 0));
  const entries = new Map<ServerState, Entry>();
  let running = false;

  /** Each backend's compiled checks (undefined: they do not compile and are not run). */
  const compiled = new Map<BackendRuntime, { http?: CompiledHttpCheck; tcp?: CompiledTcpCheck } | undefined>();
  const addEntry = (be: BackendRuntime, s: ServerState): Entry | undefined => {
    const c = compiled.get(be);
    if (!c) return undefined;
    const e: Entry = {
      be,
      s,
      http: c.http,
      tcp: c.tcp,
      tls: checkTls(s),
      h2: c.http ? checkH2(s) : undefined,
      consecutiveErrors: 0,
    };
    entries.set(s, e);
    return e;
  };
  for (const be of rt.backends.values()) {
    let http: CompiledHttpCheck | undefined;
    const tcpModel = be.model.options.tcpCheck;
    let tcp: CompiledTcpCheck | undefined;
    try {
      tcp = tcpModel ? compileTcpCheck(tcpModel) : undefined;
      http = be.model.options.httpchk ? compileHttpCheck(be.model.options.httpchk) : undefined;
    } catch (err) {
      if (!(err instanceof HealthConfigError)) throw err;
      // validateHealthChecks() refuses such a configuration at load; never crash if it was skipped.
      const where = `${err.loc.file}:${err.loc.line}`;
      rt.logger.log(be.model, 'alert', `backend ${be.name}: ${where}: ${err.message}; its health checks are not run.`);
      compiled.set(be, undefined);
      continue;
    }
    compiled.set(be, { http, tcp });
    for (const s of be.servers) {
      if (!s.model.check && !s.model.agentCheck) continue;
      addEntry(be, s);
    }
  }

  /** A server deleted at runtime (`del server`): its checks end with it. */
  const gone = (e: Entry): boolean => {
    if (e.be.serversByName.get(e.s.name) === e.s) return false;
    entries.delete(e.s);
    return true;
  };

  const jitter = (ms: number): number =>
    spread === 0 ? ms : Math.max(1, Math.round(ms * (1 + ((random() * 2 - 1) * spread) / 100)));

  const specFor = (e: Entry, host: string, port: number, inter: number): ProbeSpec => {
    const t = e.be.model.timeouts;
    const connectMs = Math.max(1, Math.min(t.connect ?? inter, inter));
    return { host, port, connectMs, readMs: t.check ?? inter };
  };

  const scheduleCheck = (e: Entry, ms: number): void => {
    if (!running) return;
    if (e.checkTimer !== undefined) clock.clearTimeout(e.checkTimer);
    e.checkTimer = clock.setTimeout(() => runCheck(e), ms);
  };

  /** The interval before the next check, as its health stands (before spread-checks jitter). */
  const currentInterval = (e: Entry): number => {
    const m = e.s.model;
    return checkInterval(e.s.health, m.rise, m.fall, e.s.op === 'DOWN', m);
  };

  const nextCheckDelay = (e: Entry): number => jitter(currentInterval(e));

  /** Checks suspended (MAINT, disabled): the running check still reports, single checks take over. */
  const pauseRecurring = (e: Entry): void => {
    e.recurring?.drain();
    e.recurring = undefined;
    // Looks again every inter, as runCheck does for a suspended server.
    if (e.checkTimer === undefined) scheduleCheck(e, e.s.model.inter);
  };

  /** Each result of a recurring check: applied, then the interval changed if the health state asks. */
  const onRecurringResult = (e: Entry, h: RecurringCheck | undefined, r: CheckResult): void => {
    if (!running) return;
    applyCheck(e, r);
    if (e.recurring !== h || h === undefined) {
      // A check that was running when checks were suspended: single checks go on from here.
      if (e.recurring === undefined) scheduleCheck(e, nextCheckDelay(e));
      return;
    }
    const inter = currentInterval(e);
    if (inter !== e.recurringInter) {
      e.recurringInter = inter;
      h.retime(inter, jitter(inter));
    }
  };

  /** Hands the schedule of `e` to the transport; false when it cannot (the check then runs once here). */
  const startRecurring = (e: Entry, spec: ProbeSpec): boolean => {
    if (!recurring || e.tls || e.h2 || e.singleChecks) return false;
    const s = e.s;
    // Judged as the server stands when each result comes (a single check takes it at its start).
    Object.defineProperty(spec, 'serverDown', { get: () => s.op === 'DOWN', enumerable: true });
    const inter = currentInterval(e);
    let h: RecurringCheck | undefined;
    h = recurring(spec, e.http, { firstDelayMs: 0, intervalMs: inter, spreadPct: spread }, (r) =>
      onRecurringResult(e, h, r),
    );
    if (!h) {
      e.singleChecks = true;
      return false;
    }
    e.recurring = h;
    e.recurringInter = inter;
    return true;
  };

  const runCheck = (e: Entry): void => {
    e.checkTimer = undefined;
    if (!running || gone(e)) return;
    // HAProxy suspends health checks while a server is in maintenance or they are disabled (API).
    if (e.s.admin === 'MAINT' || !e.s.checked) {
      scheduleCheck(e, e.s.model.inter);
      return;
    }
    if (e.recurring) return; // the transport runs this server's checks
    const m = e.s.model;
    const spec = specFor(e, m.checkAddr ?? e.s.host, e.s.checkPort ?? m.checkPort ?? e.s.port, m.inter);
    const pp = checkSendProxy(m);
    if (pp) spec.sendProxy = pp;
    if (typeof e.tls === 'string') {
      applyCheck(e, { status: 'SOCKERR', info: e.tls, durationMs: 0 });
      scheduleCheck(e, nextCheckDelay(e));
      return;
    }
    if (e.tcp) {
      runTcp(e, spec);
      return;
    }
    if (e.h2) spec.h2 = e.h2;
    if (startRecurring(e, spec)) return;
    if (e.tls) spec.tls = e.tls;
    if (e.s.op === 'DOWN') spec.serverDown = true;
    e.checkCancel = transport.check(spec, e.http, (r) => {
      e.checkCancel = undefined;
      if (!running) return;
      applyCheck(e, r);
      scheduleCheck(e, nextCheckDelay(e));
    });
  };

  /** A tcp-check ruleset, always through the JS runner (the native transport runs one exchange only). */
  const runTcp = (e: Entry, spec: ProbeSpec): void => {
    const base = tlsSettings(e.s);
    if (typeof base === 'string') {
      applyCheck(e, { status: 'SOCKERR', info: base, durationMs: 0 });
      scheduleCheck(e, nextCheckDelay(e));
      return;
    }
    const tspec: TcpCheckSpec = {
      ...spec,
      tlsBase: base,
      disableOn404: e.be.model.options.httpchk?.disableOn404,
      proxyVersion: e.s.model.sendProxy,
    };
    if (e.tls && typeof e.tls !== 'string') tspec.tls = e.tls;
    e.checkCancel = runTcpCheck(tspec, e.tcp as CompiledTcpCheck, (r) => {
      e.checkCancel = undefined;
      if (!running) return;
      applyCheck(e, r);
      scheduleCheck(e, nextCheckDelay(e));
    });
  };

  const scheduleAgent = (e: Entry, ms: number): void => {
    if (!running) return;
    if (e.agentTimer !== undefined) clock.clearTimeout(e.agentTimer);
    e.agentTimer = clock.setTimeout(() => runAgent(e), ms);
  };

  const agentInter = (e: Entry): number => e.s.model.agent?.inter ?? e.s.model.inter;

  const runAgent = (e: Entry): void => {
    e.agentTimer = undefined;
    if (!running || gone(e)) return;
    // `disable agent` (runtime API): no agent exchange until `enable agent`
    if (e.s.agentPaused) {
      scheduleAgent(e, agentInter(e));
      return;
    }
    const a = e.s.model.agent ?? {};
    const port = a.port;
    if (port === undefined) {
      // validateHealthChecks() refuses this at load; say it once here if that was skipped.
      rt.logger.log(
        e.be.model,
        'alert',
        `Server ${e.s.backendName}/${e.s.name}: 'agent-check' without 'agent-port': agent checks are not run.`,
      );
      return;
    }
    const spec = specFor(e, a.addr ?? e.s.model.checkAddr ?? e.s.host, port, agentInter(e));
    e.agentCancel = transport.agent(spec, a.send, (o) => {
      e.agentCancel = undefined;
      if (!running) return;
      applyAgent(e, o);
      scheduleAgent(e, jitter(agentInter(e)));
    });
  };

  /** The operational state both checks agree on: UP only if the health check and the agent say so. */
  const wantedOp = (e: Entry): OpState => {
    const checkUp = !e.s.checked || e.s.health >= e.s.model.rise;
    // ServerState.agentDown outlives a reload (same ServerState, new engine) and the runtime API sets it too.
    return checkUp && !e.s.agentDown ? 'UP' : 'DOWN';
  };

  const logCheck = (e: Entry, kind: 'Health' | 'Agent', r: CheckResult, status: string): void => {
    if (!e.be.model.options.logHealthChecks) return;
    const s = e.s;
    const verdict = r.status === 'L7OKC' ? 'conditionally succeeded' : isPassed(r.status) ? 'succeeded' : 'failed';
    const reason = formatCheckReason(r.logInfo === undefined ? r : { ...r, info: r.logInfo });
    const msg = `${kind} check for ${s.backup ? 'backup ' : ''}server ${s.backendName}/${s.name} ${verdict}, ${reason}, status: ${status}.`;
    // log-health-checks lines go to the log targets only (send_log without ha_warning).
    rt.logger.log(e.be.model, 'notice', msg, { stderr: false });
  };

  const applyCheck = (e: Entry, input: CheckResult): void => {
    const s = e.s;
    const m = s.model;
    // As haproxy: disable-on-404 applies to servers that are not DOWN; for a DOWN one a 404 fails.
    const r: CheckResult = input.status === 'L7OKC' && s.op === 'DOWN' ? { ...input, status: 'L7STS' } : input;
    s.lastCheck = r;
    const passed = isPassed(r.status);
    const prevHealth = s.health;
    const n = nextHealth(s.health, m.rise, m.fall, passed);
    if (n.counted && !passed) s.counters.chkfail++;
    s.health = n.health;
    if (passed && m.observe) e.consecutiveErrors = 0;
    if (r.status !== e.lastStatus || s.health !== prevHealth) {
      logCheck(e, 'Health', r, healthStatusText(s.health, m.rise, m.fall, s.weight));
    }
    e.lastStatus = r.status;
    // With log-health-checks the reason is on the check line, so haproxy leaves it off the state line.
    const why = e.be.model.options.logHealthChecks ? undefined : r;
    // a result that comes in after MAINT began changes nothing (checks are suspended there)
    if (s.admin === 'MAINT') return;
    const want = wantedOp(e);
    if (want !== s.op) {
      setServerOp(rt, e.be, s, want, 'check', why, clock.now());
      if (want === 'UP' && r.status === 'L7OKC') setServerStopping(rt, e.be, s, true, 'check', why, clock.now());
      return;
    }
    if (s.op !== 'UP') return;
    if (r.status === 'L7OKC') setServerStopping(rt, e.be, s, true, 'check', why, clock.now());
    else if (passed && s.stopping) setServerStopping(rt, e.be, s, false, 'check', why, clock.now());
  };

  const applyAgent = (e: Entry, o: AgentOutcome): void => {
    const s = e.s;
    const now = clock.now();
    if (!o.ok) {
      // An unreachable agent is not an error: connectivity is the health check's job.
      s.lastAgentCheck = o.result;
      s.counters.agentFail++;
      if (o.result.status !== e.lastAgentStatus) logCheck(e, 'Agent', o.result, agentStatusText(s));
      e.lastAgentStatus = o.result.status;
      return;
    }
    const parsed = parseAgentReply(o.line);
    if (!parsed.ok) {
      s.lastAgentCheck = { status: 'L7RSP', info: parsed.error, durationMs: o.durationMs };
      s.counters.agentFail++;
      logCheck(e, 'Agent', s.lastAgentCheck, agentStatusText(s));
      e.lastAgentStatus = 'L7RSP';
      return;
    }
    const rep = parsed.reply;
    const failed = rep.state === 'down' || rep.state === 'fail' || rep.state === 'stopped';
    const result: CheckResult = {
      status: failed ? 'L7STS' : 'L7OK',
      code: 0,
      info: agentInfo(rep),
      durationMs: o.durationMs,
    };
    s.lastAgentCheck = result;
    if (failed) s.counters.agentFail++;
    if (rep.weightPct !== undefined) {
      const w = Math.min(MAX_WEIGHT, Math.floor((s.initialWeight * rep.weightPct) / 100));
      setServerWeight(rt, e.be, s, w, 'agent', now);
    }
    if (rep.maxconn !== undefined) s.maxconn = rep.maxconn === 0 ? undefined : rep.maxconn;
    if (rep.state) s.agentDown = rep.state !== 'up';
    if (rep.state || result.status !== e.lastAgentStatus) logCheck(e, 'Agent', result, agentStatusText(s));
    e.lastAgentStatus = result.status;
    if (rep.admin) {
      const to = rep.admin === 'ready' ? 'READY' : rep.admin === 'drain' ? 'DRAIN' : 'MAINT';
      // leaving MAINT a checked server comes back UP at `rise` (its health was zeroed in MAINT),
      // unless the agent itself says down
      setServerAdmin(rt, e.be, s, to, 'agent', { opAfterMaint: s.agentDown ? 'DOWN' : undefined, now });
    }
    // in MAINT the operational state waits (its health is zeroed there, checks are suspended)
    const want = wantedOp(e);
    if (want !== s.op && s.admin !== 'MAINT')
      setServerOp(rt, e.be, s, want, 'agent', e.be.model.options.logHealthChecks ? undefined : result, now);
  };

  const scheduleWarmup = (e: Entry): void => {
    if (e.warmTimer !== undefined || !running) return;
    const step = Math.max(1000, Math.floor((e.s.model.slowstart ?? 0) / 20));
    const tick = (): void => {
      e.warmTimer = undefined;
      if (!running) return;
      if (advanceWarmup(rt, e.be, e.s, clock.now())) e.warmTimer = clock.setTimeout(tick, step);
    };
    e.warmTimer = clock.setTimeout(tick, step);
  };

  const onServerState = (ev: ServerStateEvent): void => {
    let e = entries.get(ev.server);
    // a server added at runtime (`add server ... check`): its checks start on `enable health|agent`
    const enabled = ev.reason === 'health-enabled' || ev.reason === 'agent-enabled';
    if (!e && enabled && rt.backends.get(ev.backend.name) === ev.backend) e = addEntry(ev.backend, ev.server);
    if (!e) return;
    if (ev.reason === 'agent-enabled' && e.agentTimer === undefined && e.agentCancel === undefined) scheduleAgent(e, 0);
    // a new check port (runtime API): the next check is planned again with it
    if (e.recurring && (e.s.admin === 'MAINT' || !e.s.checked || ev.reason === 'check-port')) pauseRecurring(e);
    const resumed = (ev.fromAdmin === 'MAINT' && ev.toAdmin !== 'MAINT') || ev.reason === 'health-enabled';
    if (resumed && e.s.checked) scheduleCheck(e, 0);
    if (e.s.warmupSince !== undefined) scheduleWarmup(e);
  };

  const engine: HealthEngine = {
    get checkedCount() {
      return entries.size;
    },
    start() {
      if (running) return;
      running = true;
      if (!chosen.native && entries.size > 0) warnJsFallback(chosen.reason);
      rt.events.on('server-state', onServerState);
      const all = [...entries.values()];
      const checks = all.filter((e) => e.s.model.check);
      // Until the first result, the stats show haproxy's INI ("Initializing").
      for (const e of checks) e.s.lastCheck ??= { status: 'INI' };
      for (const e of all) if (e.s.model.agentCheck) e.s.lastAgentCheck ??= { status: 'INI' };
      const agents = all.filter((e) => e.s.model.agentCheck);
      // Evenly spread first checks over each server's interval: no thundering herd at start.
      checks.forEach((e, i) => {
        scheduleCheck(e, Math.floor((e.s.model.inter * i) / checks.length));
      });
      agents.forEach((e, i) => {
        scheduleAgent(e, Math.floor((agentInter(e) * (i + 0.5)) / agents.length));
      });
    },
    stop() {
      if (!running) return;
      running = false;
      rt.events.off('server-state', onServerState);
      for (const e of entries.values()) {
        for (const t of [e.checkTimer, e.agentTimer, e.warmTimer]) if (t !== undefined) clock.clearTimeout(t);
        e.checkTimer = e.agentTimer = e.warmTimer = undefined;
        e.checkCancel?.();
        e.agentCancel?.();
        e.recurring?.cancel();
        e.checkCancel = e.agentCancel = e.recurring = undefined;
      }
    },
    handleCheckResult(be, s, r) {
      const e = entries.get(s);
      if (e && e.be === be) applyCheck(e, r);
    },
    handleAgentOutcome(be, s, o) {
      const e = entries.get(s);
      if (e && e.be === be) applyAgent(e, o);
    },
    observe(_be: BackendRuntime, s: ServerState, outcome: TrafficOutcome) {
      const mode = s.model.observe;
      if (mode === undefined) return;
      const e = entries.get(s);
      if (!e || !s.checked) return;
      const verdict = classifyOutcome(mode, outcome);
      if (verdict === 'ignore') return;
      if (verdict === 'good') {
        e.consecutiveErrors = 0;
        return;
      }
      e.consecutiveErrors++;
      if (e.consecutiveErrors < s.model.errorLimit) return;
      const info = `Detected ${e.consecutiveErrors} consecutive errors, last one was: ${hanaDescription(outcome)}`;
      e.consecutiveErrors = 0;
      const m = s.model;
      const onError = m.onError;
      if (onError === 'sudden-death' && s.health > m.rise) s.health = m.rise + 1;
      if (onError === 'mark-down') s.health = m.rise;
      if (onError !== 'fastinter') applyCheck(e, { status: 'HANA', info });
      // Every mode re-checks at fastinter, sooner than the regular schedule.
      if (m.fastinter === undefined) return;
      if (e.recurring) {
        // The transport ignores the delay while a check runs, as the timer below is not set then.
        e.recurringInter = currentInterval(e);
        e.recurring.retime(e.recurringInter, m.fastinter);
      } else if (e.checkCancel === undefined) scheduleCheck(e, m.fastinter);
    },
  };
  return engine;
}
