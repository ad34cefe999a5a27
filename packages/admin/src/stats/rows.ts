/**
 * One stats row per FRONTEND, server and BACKEND, as HAProxy 2.6 fills them: the single source
 * the CSV, JSON, HTML page, runtime API and hatop read. A value left undefined is an empty CSV
 * field (and absent from JSON), exactly where HAProxy leaves it empty for that kind of row.
 */
import type { ProxyModel } from '@switchyard/config';
import type { BackendCounters, BackendRuntime, FrontendRuntime, ProxyRuntime, ServerState } from '@switchyard/proxy';
import { currentRate, describeStatus, isUsable, statusHasCode, statusWord } from '@switchyard/proxy';
import { BASE_FIELDS, FIELDS, POS } from './fields.ts';

export type StatValue = string | number | undefined;

/** HAProxy's object types: 0 frontend, 1 backend, 2 server (the `type` column). */
export type RowType = 0 | 1 | 2;

export interface StatRow {
  type: RowType;
  pxname: string;
  svname: string;
  /** Proxy id (iid) and server id (sid, 0 for FRONTEND/BACKEND). */
  iid: number;
  sid: number;
  values: StatValue[];
  /** The server for type 2 rows (status colours, admin checkboxes). */
  server?: ServerState;
  backend?: BackendRuntime;
  frontend?: FrontendRuntime;
}

/** Row selection like `show stat <iid> <type> <sid>` and `stats scope`. */
export interface RowFilter {
  /** Proxy id, -1 for all. */
  iid?: number;
  /** Bit field: 1 frontends, 2 backends, 4 servers; -1 for all. */
  types?: number;
  /** Server id, -1 for all. */
  sid?: number;
  /** Proxy names to show (`stats scope`); empty or undefined for all. */
  scope?: readonly string[];
  /** `;up` / `show stat up`: only servers that are UP (any admin state but MAINT). */
  upOnly?: boolean;
  /** `show stat no-maint`: hide servers in MAINT. */
  noMaint?: boolean;
}

const F = POS;
const H1XX = F.hrsp_1xx;
const MODULE_COUNT = FIELDS.length - BASE_FIELDS;

function secs(ms: number): number {
  return Math.max(0, Math.floor(ms / 1000));
}

function avg(sum: number, n: number): number {
  return n > 0 ? Math.round(sum / n) : 0;
}

/** Accumulated downtime of a server in seconds, including the current DOWN period. */
export function serverDowntime(s: ServerState, now: number): number {
  return secs(s.downtimeMs + (s.downSince !== undefined ? now - s.downSince : 0));
}

/** Accumulated downtime of a backend (no usable server) in seconds. */
export function backendDowntime(b: BackendRuntime, now: number): number {
  return secs(b.downtimeMs + (b.downSince !== undefined ? now - b.downSince : 0));
}

/** Frontend `slim`: its maxconn, else the global maxconn. */
function frontendLimit(rt: ProxyRuntime, m: ProxyModel): number | undefined {
  return m.maxconn ?? rt.config.global.maxconn;
}

/** Backend `slim`: fullconn, else (as HAProxy defaults it) a tenth of the global maxconn, rounded up. */
function backendLimit(rt: ProxyRuntime, m: ProxyModel): number | undefined {
  if (m.fullconn !== undefined) return m.fullconn;
  const g = rt.config.global.maxconn;
  return g !== undefined ? Math.ceil(g / 10) : undefined;
}

function fillHttp(v: StatValue[], c: BackendCounters | FrontendRuntime['counters']): void {
  for (let i = 0; i < 6; i++) v[H1XX + i] = c.hrsp[i];
}

function fillTimes(v: StatValue[], c: BackendCounters): void {
  v[F.qtime] = avg(c.qtimeSum, c.timeSamples);
  v[F.ctime] = avg(c.ctimeSum, c.timeSamples);
  v[F.rtime] = avg(c.rtimeSum, c.timeSamples);
  v[F.ttime] = avg(c.ttimeSum, c.timeSamples);
}

function frontendRow(rt: ProxyRuntime, fe: FrontendRuntime, now: number): StatRow {
  const c = fe.counters;
  const v: StatValue[] = new Array(FIELDS.length);
  const slim = frontendLimit(rt, fe.model);
  v[F.pxname] = fe.name;
  v[F.svname] = 'FRONTEND';
  v[F.scur] = c.scur;
  v[F.smax] = c.smax;
  v[F.slim] = slim;
  v[F.stot] = c.stot;
  v[F.bin] = c.bin;
  v[F.bout] = c.bout;
  v[F.dreq] = c.dreq;
  v[F.dresp] = c.dresp;
  v[F.ereq] = c.ereq;
  v[F.status] = !fe.listening ? 'STOP' : slim !== undefined && c.scur >= slim ? 'FULL' : 'OPEN';
  v[F.pid] = 1;
  v[F.iid] = fe.id;
  v[F.sid] = 0;
  v[F.type] = 0;
  const rate = currentRate(c, now);
  v[F.rate] = rate;
  v[F.rate_lim] = 0;
  v[F.rate_max] = c.rateMax;
  fillHttp(v, c);
  v[F.req_rate] = rate;
  v[F.req_rate_max] = c.rateMax;
  v[F.req_tot] = c.reqTot;
  v[F.comp_in] = c.compIn;
  v[F.comp_out] = c.compOut;
  v[F.comp_byp] = c.compByp;
  v[F.comp_rsp] = c.compRsp;
  v[F.mode] = fe.model.mode;
  v[F.conn_rate] = rate;
  v[F.conn_rate_max] = c.rateMax;
  v[F.conn_tot] = c.connTot;
  v[F.intercepted] = c.intercepted;
  v[F.dcon] = c.dcon;
  v[F.dses] = c.dses;
  v[F.wrew] = 0;
  v[F.cache_lookups] = 0;
  v[F.cache_hits] = 0;
  v[F.eint] = 0;
  for (let i = 0; i < MODULE_COUNT; i++) v[BASE_FIELDS + i] = 0;
  return { type: 0, pxname: fe.name, svname: 'FRONTEND', iid: fe.id, sid: 0, values: v, frontend: fe };
}

/** Fields servers and backends share. */
function fillBackendLike(v: StatValue[], c: BackendCounters, now: number, mode: 'http' | 'tcp'): void {
  v[F.qcur] = c.qcur;
  v[F.qmax] = c.qmax;
  v[F.scur] = c.scur;
  v[F.smax] = c.smax;
  v[F.stot] = c.stot;
  v[F.bin] = c.bin;
  v[F.bout] = c.bout;
  v[F.dresp] = c.dresp;
  v[F.econ] = c.econ;
  v[F.eresp] = c.eresp;
  v[F.wretr] = c.wretr;
  v[F.wredis] = c.wredis;
  v[F.pid] = 1;
  v[F.lbtot] = c.lbtot;
  v[F.rate] = currentRate(c, now);
  v[F.rate_max] = c.rateMax;
  fillHttp(v, c);
  v[F.req_tot] = c.reqTot;
  v[F.cli_abrt] = c.cliAbrt;
  v[F.srv_abrt] = c.srvAbrt;
  v[F.lastsess] = c.lastSess > 0 ? secs(now - c.lastSess) : -1;
  fillTimes(v, c);
  v[F.mode] = mode;
  v[F.wrew] = 0;
  // requests sent on a new server connection / on a kept-alive one
  v[F.connect] = c.connect;
  v[F.reuse] = c.reuse;
  v[F.qtime_max] = 0;
  v[F.ctime_max] = 0;
  v[F.rtime_max] = 0;
  v[F.ttime_max] = 0;
  v[F.eint] = 0;
}

function serverRow(be: BackendRuntime, s: ServerState, now: number): StatRow {
  const c = s.counters;
  const v: StatValue[] = new Array(FIELDS.length);
  v[F.pxname] = be.name;
  v[F.svname] = s.name;
  fillBackendLike(v, c, now, be.model.mode);
  v[F.dreq] = undefined;
  v[F.slim] = s.maxconn;
  v[F.status] = statusWord(s);
  v[F.weight] = s.effectiveWeight;
  v[F.act] = s.backup ? 0 : 1;
  v[F.bck] = s.backup ? 1 : 0;
  v[F.lastchg] = secs(now - s.lastChange);
  v[F.qlimit] = s.model.maxqueue;
  v[F.iid] = be.id;
  v[F.sid] = s.id;
  if (s.model.slowstart && s.effectiveWeight < s.weight && s.weight > 0) {
    v[F.throttle] = Math.floor((s.effectiveWeight * 100) / s.weight);
  }
  v[F.type] = 2;
  if (s.checked) {
    v[F.chkfail] = c.chkfail;
    v[F.chkdown] = c.chkdown;
    v[F.downtime] = serverDowntime(s, now);
    const lc = s.lastCheck;
    if (lc) {
      v[F.check_status] = lc.status;
      // As HAProxy: a code only for statuses from L7OK on (HCHK_STATUS_L57DATA), not L7RSP/L7TOUT.
      if (statusHasCode(lc.status) && lc.code !== undefined) v[F.check_code] = lc.code;
      if (lc.durationMs !== undefined && lc.status !== 'INI' && lc.status !== 'UNK')
        v[F.check_duration] = lc.durationMs;
      v[F.check_desc] = describeStatus(lc.status);
      if (lc.info) v[F.last_chk] = lc.info;
    }
    v[F.check_rise] = s.model.rise;
    v[F.check_fall] = s.model.fall;
    v[F.check_health] = s.health;
  }
  if (s.model.agentCheck && s.lastAgentCheck) {
    const a = s.lastAgentCheck;
    v[F.agent_status] = a.status;
    if (a.code !== undefined) v[F.agent_code] = a.code;
    if (a.durationMs !== undefined) v[F.agent_duration] = a.durationMs;
    v[F.agent_desc] = describeStatus(a.status);
    if (a.info) v[F.last_agt] = a.info;
  }
  // a server waiting for the DNS has no address (haproxy: AF_UNSPEC, an empty field)
  if (s.addressKnown !== false) v[F.addr] = s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
  if (s.model.cookie !== undefined) v[F.cookie] = s.model.cookie;
  v[F.srv_icur] = 0;
  v[F.idle_conn_cur] = 0;
  v[F.safe_conn_cur] = 0;
  v[F.used_conn_cur] = 0;
  v[F.need_conn_est] = 0;
  v[F.uweight] = s.weight;
  // ssl module columns are filled for servers, h2/h1 ones are not (as HAProxy does)
  v[BASE_FIELDS] = 0;
  v[BASE_FIELDS + 1] = 0;
  v[BASE_FIELDS + 2] = 0;
  return { type: 2, pxname: be.name, svname: s.name, iid: be.id, sid: s.id, values: v, server: s, backend: be };
}

/** Backend aggregate: active/backup servers up, total effective weight of the servers in use. */
export function backendWeights(be: BackendRuntime): { act: number; bck: number; weight: number; uweight: number } {
  let act = 0;
  let bck = 0;
  let wAct = 0;
  let wBck = 0;
  let uAct = 0;
  let uBck = 0;
  for (const s of be.servers) {
    if (!isUsable(s)) continue;
    if (s.backup) {
      bck++;
      wBck += s.effectiveWeight;
      uBck += s.weight;
    } else {
      act++;
      wAct += s.effectiveWeight;
      uAct += s.weight;
    }
  }
  // HAProxy's tot_weight: active servers' weights, or the backups' when no active one is usable
  return act > 0 ? { act, bck, weight: wAct, uweight: uAct } : { act, bck, weight: wBck, uweight: uBck };
}

function backendRow(rt: ProxyRuntime, be: BackendRuntime, now: number): StatRow {
  const c = be.counters;
  const v: StatValue[] = new Array(FIELDS.length);
  v[F.pxname] = be.name;
  v[F.svname] = 'BACKEND';
  fillBackendLike(v, c, now, be.model.mode);
  v[F.dreq] = c.dreq;
  v[F.slim] = backendLimit(rt, be.model);
  const w = backendWeights(be);
  v[F.status] = w.weight > 0 || be.servers.length === 0 ? 'UP' : 'DOWN';
  v[F.weight] = w.weight;
  v[F.act] = w.act;
  v[F.bck] = w.bck;
  v[F.chkdown] = c.chkdown;
  v[F.lastchg] = secs(now - be.lastChange);
  if (be.servers.length > 0) v[F.downtime] = backendDowntime(be, now);
  v[F.iid] = be.id;
  v[F.sid] = 0;
  v[F.type] = 1;
  v[F.comp_in] = be.counters.compIn;
  v[F.comp_out] = be.counters.compOut;
  v[F.comp_byp] = be.counters.compByp;
  v[F.comp_rsp] = be.counters.compRsp;
  v[F.algo] = be.model.balance.algo;
  v[F.cache_lookups] = 0;
  v[F.cache_hits] = 0;
  v[F.uweight] = w.uweight;
  v[F.agg_server_status] = 0;
  v[F.agg_server_check_status] = 0;
  v[F.agg_check_status] = 0;
  for (let i = 0; i < MODULE_COUNT; i++) v[BASE_FIELDS + i] = 0;
  return { type: 1, pxname: be.name, svname: 'BACKEND', iid: be.id, sid: 0, values: v, backend: be };
}

function wanted(filter: RowFilter | undefined, type: RowType, iid: number, sid: number): boolean {
  if (!filter) return true;
  if (filter.iid !== undefined && filter.iid !== -1 && filter.iid !== iid) return false;
  if (filter.types !== undefined && filter.types !== -1 && (filter.types & (1 << type)) === 0) return false;
  if (type === 2 && filter.sid !== undefined && filter.sid !== -1 && filter.sid !== sid) return false;
  return true;
}

/** The stats rows of every proxy in configuration order: FRONTEND, servers, BACKEND. */
export function collectRows(rt: ProxyRuntime, filter?: RowFilter, now = Date.now()): StatRow[] {
  const rows: StatRow[] = [];
  const scope = filter?.scope && filter.scope.length > 0 ? new Set(filter.scope) : undefined;
  for (const p of rt.config.proxies) {
    if (scope && !scope.has(p.name)) continue;
    const fe = p.kind !== 'backend' ? rt.frontends.get(p.name) : undefined;
    const be = p.kind !== 'frontend' ? rt.backends.get(p.name) : undefined;
    if (fe && wanted(filter, 0, fe.id, 0)) rows.push(frontendRow(rt, fe, now));
    if (be) {
      for (const s of be.servers) {
        if (!wanted(filter, 2, be.id, s.id)) continue;
        if (filter?.upOnly && (s.op !== 'UP' || s.admin === 'MAINT')) continue;
        if (filter?.noMaint && s.admin === 'MAINT') continue;
        rows.push(serverRow(be, s, now));
      }
      if (wanted(filter, 1, be.id, 0)) rows.push(backendRow(rt, be, now));
    }
  }
  return rows;
}
