/**
 * Counters the stats page, CSV, Prometheus exporter and runtime API read. Field names follow
 * HAProxy's CSV columns (doc/management.txt, "9.1. CSV format") so the admin side maps them 1:1.
 * Plain objects of numbers: the hot path only increments fields.
 */

/** Counters common to frontends, backends and servers. */
export interface BaseCounters {
  /** Current sessions (scur) and max seen (smax). */
  scur: number;
  smax: number;
  /** Total sessions (stot). */
  stot: number;
  /** Bytes in (from clients) / out (to clients). */
  bin: number;
  bout: number;
  /** Denied requests / responses. */
  dreq: number;
  dresp: number;
  /** Response errors (eresp). */
  eresp: number;
  /** HTTP responses by class: index 0 = 1xx ... 4 = 5xx, 5 = other. */
  hrsp: [number, number, number, number, number, number];
  /** HTTP responses by exact code (for Prometheus `code` label). */
  hrspByCode: Map<number, number>;
  /** Total HTTP requests (req_tot). */
  reqTot: number;
  /** Session rate bookkeeping: count in the current second, max per second seen. */
  rateCur: number;
  rateSecond: number;
  rateMax: number;
  /** Last session epoch ms (lastsess). */
  lastSess: number;
}

/** HTTP compression (HAProxy's comp_in, comp_out, comp_byp, comp_rsp) of a frontend or backend. */
export interface CompCounters {
  /** Body bytes given to the compressor / bytes it emitted / bytes passed through `identity`. */
  compIn: number;
  compOut: number;
  compByp: number;
  /** Responses that went through the compression filter. */
  compRsp: number;
}

export interface FrontendCounters extends BaseCounters, CompCounters {
  /** Request errors (ereq): malformed requests, client timeouts, ... */
  ereq: number;
  /** Requests intercepted (redirects, stats, returns). */
  intercepted: number;
  /** Connections accepted (conn_tot). */
  connTot: number;
  /** Connections refused by `tcp-request connection` rules (dcon). */
  dcon: number;
  /** Sessions refused by `tcp-request session` rules (dses). */
  dses: number;
}

export interface BackendCounters extends BaseCounters, CompCounters {
  /** Connection errors (econ), retries (wretr), redispatches (wredis). */
  econ: number;
  wretr: number;
  wredis: number;
  /** Times a server of this backend was picked by the balancer (lbtot). */
  lbtot: number;
  /** Queue current / max. */
  qcur: number;
  qmax: number;
  /** Number of transitions to "no server available" (chkdown for a backend) and downtime. */
  chkdown: number;
  /** Total response time samples for averages (ms). */
  ttimeSum: number;
  rtimeSum: number;
  ctimeSum: number;
  qtimeSum: number;
  timeSamples: number;
  /** Client / server aborts. */
  cliAbrt: number;
  srvAbrt: number;
  /** Requests sent on a new server connection (connect) / on a kept-alive one (reuse). */
  connect: number;
  reuse: number;
}

export interface ServerCounters extends BackendCounters {
  /** Failed checks (chkfail), UP->DOWN transitions (chkdown). */
  chkfail: number;
  /** Failed health checks of the agent. */
  agentFail: number;
}

function base(): BaseCounters {
  return {
    scur: 0,
    smax: 0,
    stot: 0,
    bin: 0,
    bout: 0,
    dreq: 0,
    dresp: 0,
    eresp: 0,
    hrsp: [0, 0, 0, 0, 0, 0],
    hrspByCode: new Map(),
    reqTot: 0,
    rateCur: 0,
    rateSecond: 0,
    rateMax: 0,
    lastSess: 0,
  };
}

function comp(): CompCounters {
  return { compIn: 0, compOut: 0, compByp: 0, compRsp: 0 };
}

export function newFrontendCounters(): FrontendCounters {
  return { ...base(), ...comp(), ereq: 0, intercepted: 0, connTot: 0, dcon: 0, dses: 0 };
}

export function newBackendCounters(): BackendCounters {
  return {
    ...base(),
    ...comp(),
    econ: 0,
    wretr: 0,
    wredis: 0,
    lbtot: 0,
    qcur: 0,
    qmax: 0,
    chkdown: 0,
    ttimeSum: 0,
    rtimeSum: 0,
    ctimeSum: 0,
    qtimeSum: 0,
    timeSamples: 0,
    cliAbrt: 0,
    srvAbrt: 0,
    connect: 0,
    reuse: 0,
  };
}

export function newServerCounters(): ServerCounters {
  return { ...newBackendCounters(), chkfail: 0, agentFail: 0 };
}

/** Counts one new session/request on `c` at time `now` (ms): stot, scur/smax, session rate. */
export function countSessionStart(c: BaseCounters, now: number): void {
  c.stot++;
  c.scur++;
  if (c.scur > c.smax) c.smax = c.scur;
  const sec = Math.floor(now / 1000);
  if (sec !== c.rateSecond) {
    c.rateSecond = sec;
    c.rateCur = 0;
  }
  c.rateCur++;
  if (c.rateCur > c.rateMax) c.rateMax = c.rateCur;
  c.lastSess = now;
}

/** Counts one HTTP response status on `c`. */
export function countStatus(c: BaseCounters, status: number): void {
  const cls = status >= 100 && status < 600 ? Math.floor(status / 100) - 1 : 5;
  c.hrsp[cls]++;
  c.hrspByCode.set(status, (c.hrspByCode.get(status) ?? 0) + 1);
}

/** Session rate over the last second, as HAProxy's `rate` column shows it. */
export function currentRate(c: BaseCounters, now = Date.now()): number {
  const sec = Math.floor(now / 1000);
  return sec === c.rateSecond || sec === c.rateSecond + 1 ? c.rateCur : 0;
}

/** Per-nameserver counters of a `resolvers` section, named as HAProxy's `show resolvers`. */
export interface NameserverCounters {
  sent: number;
  snd_error: number;
  valid: number;
  update: number;
  cname: number;
  cname_error: number;
  any_err: number;
  nx: number;
  timeout: number;
  refused: number;
  other: number;
  invalid: number;
  too_big: number;
  truncated: number;
  outdated: number;
}

/** The counters of every resolvers section in use, by section name then nameserver (plain data: crosses IPC). */
export type ResolversCounters = Record<string, Array<{ id: string; counters: NameserverCounters }>>;

/** Zeroed nameserver counters, in `show resolvers` order. */
export function newNameserverCounters(): NameserverCounters {
  return {
    sent: 0,
    snd_error: 0,
    valid: 0,
    update: 0,
    cname: 0,
    cname_error: 0,
    any_err: 0,
    nx: 0,
    timeout: 0,
    refused: 0,
    other: 0,
    invalid: 0,
    too_big: 0,
    truncated: 0,
    outdated: 0,
  };
}
