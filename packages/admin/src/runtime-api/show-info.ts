/**
 * `show info`: process-wide information in HAProxy 2.6's field order (`Name: value` lines,
 * `typed` and `json` variants). Fields HAProxy has but Switchyard does not measure (pipes, SSL
 * key rates, zlib, pools, peers) are kept in place so positional parsers still work: they are
 * truly zero here (no splicing, compression or peers) or documented in packages/admin/README.md.
 */
import { hostname } from 'node:os';
import type { ProxyRuntime } from '@switchyard/proxy';
import { currentRate } from '@switchyard/proxy';
import { jsonTags } from '../stats/fields.ts';

export interface ProcessInfo {
  /** Product version shown as `Version`. */
  version: string;
  /** Release date, `YYYY/MM/DD`. */
  releaseDate: string;
  pid: number;
}

type InfoType = 'str' | 'u32' | 's32' | 'u64';
/** [name, tags, type, value, position] as `show info typed` prints them. */
type InfoField = readonly [name: string, tags: string, type: InfoType, value: string | number, pos: number];

/** HAProxy 2.6's `show info` fields: position (with its gaps), name, tags, type. */
const INFO_SPEC: ReadonlyArray<readonly [number, string, string, InfoType]> = [
  [0, 'Name', 'POS', 'str'],
  [1, 'Version', 'POS', 'str'],
  [2, 'Release_date', 'POS', 'str'],
  [3, 'Nbthread', 'CGS', 'u32'],
  [4, 'Nbproc', 'CGS', 'u32'],
  [5, 'Process_num', 'KGP', 'u32'],
  [6, 'Pid', 'SGP', 'u32'],
  [7, 'Uptime', 'MDP', 'str'],
  [8, 'Uptime_sec', 'MDP', 'u32'],
  [9, 'Memmax_MB', 'CLP', 'u32'],
  [10, 'PoolAlloc_MB', 'MGP', 'u32'],
  [11, 'PoolUsed_MB', 'MGP', 'u32'],
  [12, 'PoolFailed', 'MCP', 'u32'],
  [13, 'Ulimit-n', 'CLP', 'u32'],
  [14, 'Maxsock', 'CLP', 'u32'],
  [15, 'Maxconn', 'CLP', 'u32'],
  [16, 'Hard_maxconn', 'CLP', 'u32'],
  [17, 'CurrConns', 'MGP', 'u32'],
  [18, 'CumConns', 'MCP', 'u32'],
  [19, 'CumReq', 'MCP', 'u32'],
  [20, 'MaxSslConns', 'MMP', 'u32'],
  [21, 'CurrSslConns', 'MGP', 'u32'],
  [22, 'CumSslConns', 'MCP', 'u32'],
  [23, 'Maxpipes', 'CLP', 'u32'],
  [24, 'PipesUsed', 'MGP', 'u32'],
  [25, 'PipesFree', 'MGP', 'u32'],
  [26, 'ConnRate', 'MRP', 'u32'],
  [27, 'ConnRateLimit', 'CLP', 'u32'],
  [28, 'MaxConnRate', 'MMP', 'u32'],
  [29, 'SessRate', 'MRP', 'u32'],
  [30, 'SessRateLimit', 'CLP', 'u32'],
  [31, 'MaxSessRate', 'MRP', 'u32'],
  [32, 'SslRate', 'MRP', 'u32'],
  [33, 'SslRateLimit', 'CLP', 'u32'],
  [34, 'MaxSslRate', 'MMP', 'u32'],
  [35, 'SslFrontendKeyRate', 'MGP', 'u32'],
  [36, 'SslFrontendMaxKeyRate', 'MMP', 'u32'],
  [37, 'SslFrontendSessionReuse_pct', 'MGP', 'u32'],
  [38, 'SslBackendKeyRate', 'MRP', 'u32'],
  [39, 'SslBackendMaxKeyRate', 'MMP', 'u32'],
  [40, 'SslCacheLookups', 'MCP', 'u32'],
  [41, 'SslCacheMisses', 'MCP', 'u32'],
  [42, 'CompressBpsIn', 'MRP', 'u32'],
  [43, 'CompressBpsOut', 'MRP', 'u32'],
  [44, 'CompressBpsRateLim', 'CLP', 'u32'],
  [47, 'Tasks', 'MGP', 'u32'],
  [48, 'Run_queue', 'MGP', 'u32'],
  [49, 'Idle_pct', 'MaP', 'u32'],
  [50, 'node', 'COS', 'str'],
  [52, 'Stopping', 'MGP', 'u32'],
  [53, 'Jobs', 'MGP', 'u32'],
  [54, 'Unstoppable Jobs', 'MGP', 'u32'],
  [55, 'Listeners', 'MGP', 'u32'],
  [56, 'ActivePeers', 'MGP', 'u32'],
  [57, 'ConnectedPeers', 'MGP', 'u32'],
  [58, 'DroppedLogs', 'MGP', 'u32'],
  [59, 'BusyPolling', 'MGP', 'u32'],
  [60, 'FailedResolutions', 'MGP', 'u32'],
  [61, 'TotalBytesOut', 'MGP', 'u64'],
  [62, 'TotalSplicdedBytesOut', 'MGP', 'u64'],
  [63, 'BytesOutRate', 'MRP', 'u64'],
  [64, 'DebugCommandsIssued', 'MGP', 'u32'],
  [65, 'CumRecvLogs', 'MCP', 'u32'],
  [66, 'Build info', 'POS', 'str'],
  [67, 'Memmax_bytes', 'CLP', 'u32'],
  [68, 'PoolAlloc_bytes', 'MGP', 'u64'],
  [69, 'PoolUsed_bytes', 'MGP', 'u64'],
  [70, 'Start_time_sec', 'MDP', 'u32'],
  [71, 'Tainted', 'SGP', 'str'],
];

function uptimeText(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return `${d}d ${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
}

/** The `show info` fields for `rt` now. */
export function infoFields(rt: ProxyRuntime, p: ProcessInfo, now = Date.now()): InfoField[] {
  let cur = 0;
  let cumConns = 0;
  let cumReq = 0;
  let rate = 0;
  let rateMax = 0;
  let bytesOut = 0;
  for (const fe of rt.frontends.values()) {
    const c = fe.counters;
    cur += c.scur;
    cumConns += c.connTot;
    cumReq += c.reqTot;
    rate += currentRate(c, now);
    rateMax = Math.max(rateMax, c.rateMax);
    bytesOut += c.bout;
  }
  const up = Math.max(0, Math.floor((now - rt.startedAt) / 1000));
  const maxconn = rt.config.global.maxconn ?? 0;
  const mem = process.memoryUsage();
  let listeners = 0;
  for (const fe of rt.frontends.values()) if (fe.listening) listeners += fe.model.binds.length;
  const node = rt.config.global.node ?? hostname();
  const values = new Map<string, string | number>([
    ['Name', 'Switchyard'],
    ['Version', p.version],
    ['Release_date', p.releaseDate],
    // under --workers each worker is one of HAProxy's threads (node-wide view)
    ['Nbthread', rt.workers?.asked ?? 1],
    ['Nbproc', 1],
    ['Process_num', 1],
    ['Pid', p.pid],
    ['Uptime', uptimeText(up)],
    ['Uptime_sec', up],
    ['Memmax_MB', 0],
    ['PoolAlloc_MB', Math.floor(mem.heapTotal / 1048576)],
    ['PoolUsed_MB', Math.floor(mem.heapUsed / 1048576)],
    ['PoolFailed', 0],
    ['Ulimit-n', 0],
    ['Maxsock', 0],
    ['Maxconn', maxconn],
    ['Hard_maxconn', maxconn],
    ['CurrConns', cur],
    ['CumConns', cumConns],
    ['CumReq', cumReq],
    ['MaxSslConns', 0],
    ['CurrSslConns', 0],
    ['CumSslConns', 0],
    ['Maxpipes', 0],
    ['PipesUsed', 0],
    ['PipesFree', 0],
    ['ConnRate', rate],
    ['ConnRateLimit', 0],
    ['MaxConnRate', rateMax],
    ['SessRate', rate],
    ['SessRateLimit', 0],
    ['MaxSessRate', rateMax],
    ['SslRate', 0],
    ['SslRateLimit', 0],
    ['MaxSslRate', 0],
    ['SslFrontendKeyRate', 0],
    ['SslFrontendMaxKeyRate', 0],
    ['SslFrontendSessionReuse_pct', 0],
    ['SslBackendKeyRate', 0],
    ['SslBackendMaxKeyRate', 0],
    ['SslCacheLookups', 0],
    ['SslCacheMisses', 0],
    ['CompressBpsIn', 0],
    ['CompressBpsOut', 0],
    ['CompressBpsRateLim', 0],
    ['Tasks', 0],
    ['Run_queue', 0],
    ['Idle_pct', 100],
    ['node', node],
    ['Stopping', 0],
    ['Jobs', cur + listeners],
    ['Unstoppable Jobs', 0],
    ['Listeners', listeners],
    ['ActivePeers', 0],
    ['ConnectedPeers', 0],
    ['DroppedLogs', 0],
    ['BusyPolling', 0],
    ['FailedResolutions', 0],
    ['TotalBytesOut', bytesOut],
    ['TotalSplicdedBytesOut', 0],
    ['BytesOutRate', 0],
    ['DebugCommandsIssued', 0],
    ['CumRecvLogs', 0],
    ['Build info', p.version],
    ['Memmax_bytes', 0],
    ['PoolAlloc_bytes', mem.heapTotal],
    ['PoolUsed_bytes', mem.heapUsed],
    ['Start_time_sec', Math.floor(rt.startedAt / 1000)],
    ['Tainted', '0'],
  ]);
  return INFO_SPEC.map(([pos, name, tags, type]) => [name, tags, type, values.get(name) ?? 0, pos] as const);
}

/** `show info [typed|json]` text. */
export function renderInfo(fields: readonly InfoField[], format: 'text' | 'typed' | 'json'): string {
  if (format === 'json') {
    const out = fields.map((f) => ({
      field: { pos: f[4], name: f[0] },
      processNum: 1,
      tags: jsonTags(f[1]),
      value: { type: f[2], value: f[3] },
    }));
    return `${JSON.stringify(out)}\n`;
  }
  if (format === 'typed') return `${fields.map((f) => `${f[4]}.${f[0]}.1:${f[1]}:${f[2]}:${f[3]}`).join('\n')}\n`;
  return `${fields.map((f) => `${f[0]}: ${f[3]}`).join('\n')}\n`;
}
