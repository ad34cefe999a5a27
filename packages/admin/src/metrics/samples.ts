/**
 * Building blocks of the exporter: label sets built once per runtime (prom-client caches the
 * formatted text of a `sharedLabels` object by identity), sample arrays reused between scrapes,
 * and the custom-metric objects prom-client's registry renders.
 */
import type { BackendRuntime, FrontendRuntime, ProxyRuntime, ServerState } from '@switchyard/proxy';
import { HAPROXY_METRICS } from './haproxy-help.ts';
import { type Histogram, LATENCY_BUCKETS } from './latency.ts';

export type Labels = Record<string, string | number>;
export interface Sample {
  value: number;
  labels: Labels;
  /** prom-client caches the formatted text of a sharedLabels object by identity: reused across scrapes. */
  sharedLabels?: Labels;
  metricName?: string;
}

export interface CustomMetric {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'histogram';
  aggregator: 'sum';
  get(): { name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' };
}

export const NO_LABELS: Labels = Object.freeze({}) as Labels;

interface FeEntry {
  f: FrontendRuntime;
  base: Labels;
  state: Labels[];
  codes: Labels[];
}
interface BeEntry {
  b: BackendRuntime;
  base: Labels;
  state: Labels[];
  codes: Labels[];
  le: Labels[];
}
export interface SvEntry {
  b: BackendRuntime;
  s: ServerState;
  base: Labels;
  state: Labels[];
  codes: Labels[];
  chk: Labels[];
  le: Labels[];
}
interface Snapshot {
  fes: FeEntry[];
  bes: BeEntry[];
  svs: SvEntry[];
}

/**
 * Label sets of every frontend, backend and server of a runtime, built once per runtime and
 * rebuilt when a backend's server list changed (`add server` / `del server`). prom-client caches
 * the formatted text of a `sharedLabels` object by identity, so reusing these objects makes a
 * scrape of a large farm cost little more than reading the counters.
 */
const snapshots = new WeakMap<ProxyRuntime, Snapshot>();

/** The snapshot's servers are still the backends' servers, in order (no server added or deleted). */
function sameServers(rt: ProxyRuntime, sn: Snapshot): boolean {
  let i = 0;
  for (const b of rt.backends.values()) for (const s of b.servers) if (sn.svs[i++]?.s !== s) return false;
  return i === sn.svs.length;
}

export function snapshot(rt: ProxyRuntime): Snapshot {
  let sn = snapshots.get(rt);
  if (sn && sameServers(rt, sn)) return sn;
  const states = (base: Labels, list: readonly string[]) => list.map((state) => ({ ...base, state }));
  const codes = (base: Labels) => CODES.map((code) => ({ ...base, code }));
  const les = (base: Labels) => [...LATENCY_BUCKETS.map(String), '+Inf'].map((le) => ({ ...base, le }));
  sn = { fes: [], bes: [], svs: [] };
  for (const f of rt.frontends.values()) {
    const base = { proxy: f.name };
    sn.fes.push({ f, base, state: states(base, ['DOWN', 'UP']), codes: codes(base) });
  }
  for (const b of rt.backends.values()) {
    const base = { proxy: b.name };
    sn.bes.push({ b, base, state: states(base, ['DOWN', 'UP']), codes: codes(base), le: les(base) });
    for (const s of b.servers) {
      const sb = { proxy: b.name, server: s.name };
      sn.svs.push({
        b,
        s,
        base: sb,
        state: states(sb, SERVER_STATES),
        codes: codes(sb),
        chk: states(sb, CHECK_STATES),
        le: les(sb),
      });
    }
  }
  snapshots.set(rt, sn);
  return sn;
}

/**
 * The samples of one metric, reused from scrape to scrape (only values change), so a scrape of a
 * large farm allocates almost nothing on our side.
 */
export class Out {
  readonly values: Sample[] = [];
  n = 0;
  /** Adds a sample with the (cached) label set `labels`; `metricName` for histogram series. */
  add(value: number, labels: Labels, metricName?: string): void {
    const s = this.values[this.n];
    if (s) {
      s.value = value;
      s.sharedLabels = labels;
      s.metricName = metricName;
    } else this.values.push({ value, labels: NO_LABELS, sharedLabels: labels, metricName });
    this.n++;
  }
}

export const SEC = 1000;
export const CODES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;
export const SERVER_STATES = ['DOWN', 'UP', 'MAINT', 'DRAIN', 'NOLB'] as const;
export const CHECK_STATES = [
  'HANA',
  'SOCKERR',
  'L4OK',
  'L4TOUT',
  'L4CON',
  'L6OK',
  'L6TOUT',
  'L6RSP',
  'L7TOUT',
  'L7RSP',
  'L7OK',
  'L7OKC',
  'L7STS',
  'PROCERR',
  'PROCTOUT',
  'PROCOK',
] as const;

export function metric(
  name: string,
  collect: (out: Out) => void,
  override?: { type: CustomMetric['type']; help: string },
): CustomMetric {
  const def = HAPROXY_METRICS[name];
  const type = override?.type ?? def?.[0];
  const help = override?.help ?? def?.[1];
  if (!type || !help) throw new Error(`metric ${name} has no HAProxy definition`);
  const out = new Out();
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get() {
      out.n = 0;
      collect(out);
      out.values.length = out.n;
      return { name, help, type, values: out.values, aggregator: 'sum' };
    },
  };
}

export function pushHistogram(o: Out, name: string, h: Histogram, e: { base: Labels; le: Labels[] }): void {
  let acc = 0;
  const bucket = `${name}_bucket`;
  for (let i = 0; i <= LATENCY_BUCKETS.length; i++) {
    acc += h.counts[i];
    o.add(acc, e.le[i], bucket);
  }
  o.add(h.sum, e.base, `${name}_sum`);
  o.add(h.count, e.base, `${name}_count`);
}
