/**
 * What an operator sees of the shared store: the status the replication reports, and the
 * runtime API's `show peers` built from it in the shape of HAProxy 2.6's (a head line for the
 * cluster, then one block per peer: here the Redis store, this node and the other nodes heard on
 * the channel, the store's block listing the shared tables).
 */
import { httpLogDate } from '@switchyard/proxy';
import type { TableDirectory } from './tables.ts';

export interface StoreStatus {
  /** `cluster-name`. */
  cluster: string;
  nodeId: string;
  /** `single`, `unix`, `sentinel` or `cluster` (the form of redis-url). */
  kind: string;
  /** redis-url without its password. */
  url: string;
  /** up: connected and writing; degraded: connected, writes failing; down: not connected. */
  state: 'up' | 'degraded' | 'down';
  /** host:port the commands go to now (the master, with Sentinel), '' while down. */
  endpoint: string;
  /** Epoch ms: connected since / outage since / last full sync / last error (0: never). */
  connectedSince: number;
  downSince: number;
  lastSync: number;
  lastErrorAt: number;
  lastError: string;
  /** Times the store became unreachable or started failing. */
  outages: number;
  /** Replication counters. */
  sync: {
    flushes: number;
    published: number;
    applied: number;
    loaded: number;
    writeErrors: number;
    resyncs: number;
    cleared: number;
  };
  /** Other nodes heard on the channel, most recent first. */
  peers: Array<{ id: string; lastSeenMs: number }>;
}

/** Peers not heard from for this long are shown `inactive` (they refresh every second). */
const ACTIVE_MS = 5000;

/** HAProxy's human_time for a past instant: `5s`, `2m3s`, `1h2m`, `<NEVER>`. */
function ago(at: number, now: number): string {
  if (at <= 0) return '<NEVER>';
  return duration(now - at);
}

function duration(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${d}d${h}h`;
  if (h) return `${h}h${m}m`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

/** HAProxy's date in `show peers`: `[07/Dec/2026:12:28:22]` (local time). */
const stamp = (now: number) => `[${httpLogDate(now).slice(0, -4)}]`;

/** A stable pseudo-pointer per name (HAProxy prints object addresses). */
function ptr(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return `0x7f10${h.toString(16).padStart(8, '0')}`;
}

/**
 * `show peers [NAME]`: without a shared store, nothing (as HAProxy without peers sections);
 * NAME other than the cluster name: HAProxy's `No such peers`.
 */
export function showPeers(dir: TableDirectory, args: string[], now = Date.now()): string {
  const st = dir.store?.();
  if (args[0] && (!st || args[0] !== st.cluster)) return 'No such peers\n';
  if (!st) return '';
  const up = st.state !== 'down';
  let out = `${ptr(st.cluster)}: ${stamp(now)} id=${st.cluster} disabled=0 flags=0x0 resync_timeout=<PAST> task_calls=${st.sync.flushes}\n`;
  out += `  ${ptr(`redis:${st.url}`)}: id=redis(store,${up ? 'active' : 'inactive'}) addr=${st.endpoint || '-'} last_status=${up ? 'ESTA' : 'CONN'} last_hdshk=${ago(st.lastSync, now)}\n`;
  out += `        kind=${st.kind} url=${st.url} state=${st.state} since=${ago(up ? st.connectedSince : st.downSince, now)} outages=${st.outages} last_error=${st.lastError ? JSON.stringify(st.lastError) : '<NONE>'} last_error_at=${ago(st.lastErrorAt, now)}\n`;
  const s = st.sync;
  out += `        flushes=${s.flushes} published=${s.published} applied=${s.applied} loaded=${s.loaded} write_errors=${s.writeErrors} resyncs=${s.resyncs} cleared=${s.cleared}\n`;
  out += '        shared tables:\n';
  for (const t of dir.all())
    out += `          table:${ptr(`table:${t.name}`)} id=${t.name} size=${t.spec.size} used=${t.count}\n`;
  out += `  ${ptr(`node:${st.nodeId}`)}: id=${st.nodeId}(local,active)\n`;
  for (const p of st.peers) {
    out += `  ${ptr(`node:${p.id}`)}: id=${p.id}(remote,${p.lastSeenMs < ACTIVE_MS ? 'active' : 'inactive'}) last_seen=${duration(p.lastSeenMs)}\n`;
  }
  return out;
}
