/**
 * `show info`: process-wide information in HAProxy 2.6's field order (`Name: value` lines,
 * `typed` and `json` variants). Fields HAProxy has but Switchyard does not measure (pipes, SSL
 * key rates, zlib, pools, peers) are kept in place so positional parsers still work: they are
 * truly zero here (no splicing, compression or peers) or documented in packages/admin/README.md.
 */
import { hostname } from 'node:os';
import type { ProxyRuntime } from '@switchyard/proxy';
import { currentRate } from '@switchyard/proxy';

export interface ProcessInfo {
  /** Product version shown as `Version`. */
  version: string;
  /** Release date, `YYYY/MM/DD`. */
  releaseDate: string;
  pid: number;
}

type InfoType = 'str' | 'u32' | 's32' | 'u64';
type InfoField = readonly [name: string, tags: string, type: InfoType, value: string | number];

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
  return [
    ['Name', 'POS', 'str', 'Switchyard'],
    ['Version', 'POS', 'str', p.version],
    ['Release_date', 'POS', 'str', p.releaseDate],
    ['Nbthread', 'CGS', 'u32', 1],
    ['Nbproc', 'CGS', 'u32', 1],
    ['Process_num', 'KGP', 'u32', 1],
    ['Pid', 'SGP', 'u32', p.pid],
    ['Uptime', 'MDP', 'str', uptimeText(up)],
    ['Uptime_sec', 'MDP', 'u32', up],
    ['Memmax_MB', 'CLP', 'u32', 0],
    ['PoolAlloc_MB', 'MGP', 'u32', Math.floor(mem.heapTotal / 1048576)],
    ['PoolUsed_MB', 'MGP', 'u32', Math.floor(mem.heapUsed / 1048576)],
    ['PoolFailed', 'MCP', 'u32', 0],
    ['Ulimit-n', 'CGP', 'u32', 0],
    ['Maxsock', 'CGP', 'u32', 0],
    ['Maxconn', 'CGP', 'u32', maxconn],
    ['Hard_maxconn', 'CGP', 'u32', maxconn],
    ['CurrConns', 'MGP', 'u32', cur],
    ['CumConns', 'MCP', 'u32', cumConns],
    ['CumReq', 'MCP', 'u32', cumReq],
    ['MaxSslConns', 'CGP', 'u32', 0],
    ['CurrSslConns', 'MGP', 'u32', 0],
    ['CumSslConns', 'MCP', 'u32', 0],
    ['Maxpipes', 'CGP', 'u32', 0],
    ['PipesUsed', 'MGP', 'u32', 0],
    ['PipesFree', 'MGP', 'u32', 0],
    ['ConnRate', 'MRP', 'u32', rate],
    ['ConnRateLimit', 'CLP', 'u32', 0],
    ['MaxConnRate', 'MMP', 'u32', rateMax],
    ['SessRate', 'MRP', 'u32', rate],
    ['SessRateLimit', 'CLP', 'u32', 0],
    ['MaxSessRate', 'MMP', 'u32', rateMax],
    ['SslRate', 'MRP', 'u32', 0],
    ['SslRateLimit', 'CLP', 'u32', 0],
    ['MaxSslRate', 'MMP', 'u32', 0],
    ['SslFrontendKeyRate', 'MRP', 'u32', 0],
    ['SslFrontendMaxKeyRate', 'MMP', 'u32', 0],
    ['SslFrontendSessionReuse_pct', 'MaP', 'u32', 0],
    ['SslBackendKeyRate', 'MRP', 'u32', 0],
    ['SslBackendMaxKeyRate', 'MMP', 'u32', 0],
    ['SslCacheLookups', 'MCP', 'u32', 0],
    ['SslCacheMisses', 'MCP', 'u32', 0],
    ['CompressBpsIn', 'MRP', 'u32', 0],
    ['CompressBpsOut', 'MRP', 'u32', 0],
    ['CompressBpsRateLim', 'CLP', 'u32', 0],
    ['Tasks', 'MGP', 'u32', 0],
    ['Run_queue', 'MGP', 'u32', 0],
    ['Idle_pct', 'MaP', 'u32', 100],
    ['node', 'COS', 'str', node],
    ['Stopping', 'SGP', 'u32', 0],
    ['Jobs', 'MGP', 'u32', cur + listeners],
    ['Unstoppable Jobs', 'MGP', 'u32', 0],
    ['Listeners', 'MGP', 'u32', listeners],
    ['ActivePeers', 'MGP', 'u32', 0],
    ['ConnectedPeers', 'MGP', 'u32', 0],
    ['DroppedLogs', 'MCP', 'u32', 0],
    ['BusyPolling', 'SGP', 'u32', 0],
    ['FailedResolutions', 'MCP', 'u32', 0],
    ['TotalBytesOut', 'MCP', 'u64', bytesOut],
    ['TotalSplicdedBytesOut', 'MCP', 'u64', 0],
    ['BytesOutRate', 'MRP', 'u64', 0],
    ['DebugCommandsIssued', 'MCP', 'u32', 0],
    ['CumRecvLogs', 'MCP', 'u64', 0],
    ['Build info', 'POS', 'str', p.version],
    ['Memmax_bytes', 'CLP', 'u64', 0],
    ['PoolAlloc_bytes', 'MGP', 'u64', mem.heapTotal],
    ['PoolUsed_bytes', 'MGP', 'u64', mem.heapUsed],
    ['Start_time_sec', 'MDP', 'u32', Math.floor(rt.startedAt / 1000)],
    ['Tainted', 'SGP', 'u32', 0],
  ];
}

const ORIGIN: Record<string, string> = { M: 'Metric', S: 'Status', K: 'Key', C: 'Config', P: 'Product' };
const NATURE: Record<string, string> = {
  G: 'Gauge',
  L: 'Limit',
  M: 'Max',
  R: 'Rate',
  C: 'Counter',
  D: 'Duration',
  a: 'Avg',
  O: 'Output',
};
const SCOPE: Record<string, string> = { P: 'Process', S: 'Service' };

/** `show info [typed|json]` text. */
export function renderInfo(fields: readonly InfoField[], format: 'text' | 'typed' | 'json'): string {
  if (format === 'json') {
    const out = fields.map((f, i) => ({
      field: { pos: i, name: f[0] },
      processNum: 1,
      tags: { origin: ORIGIN[f[1][0]], nature: NATURE[f[1][1]], scope: SCOPE[f[1][2]] },
      value: { type: f[2], value: f[3] },
    }));
    return `${JSON.stringify(out)}\n`;
  }
  if (format === 'typed') return `${fields.map((f, i) => `${i}.${f[0]}.1:${f[1]}:${f[2]}:${f[3]}`).join('\n')}\n`;
  return `${fields.map((f) => `${f[0]}: ${f[3]}`).join('\n')}\n`;
}
