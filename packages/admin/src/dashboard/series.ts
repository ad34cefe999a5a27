/**
 * Per-second series of the dashboard, in fixed-size rings: one ring of sample times shared by
 * all series, and per frontend/backend one Float32Array per metric (NaN where a proxy did not
 * exist yet or a rate has no previous sample). 900 points (15 min at 1 s) of 9 metrics are 32 KiB
 * per proxy; the number of proxies charted is capped, so memory is bounded whatever the config.
 */
import type { BackendCounters, BaseCounters, FrontendCounters } from '@switchyard/proxy';
import { type Histogram, LATENCY_BUCKETS } from '../metrics/latency.ts';

/** The metrics of a series, in the order of the JSON's `series` arrays. */
export const METRICS = ['req', 'r5xx', 'err', 'retry', 'redisp', 'p50', 'p95', 'p99', 'queue'] as const;
export type Metric = (typeof METRICS)[number];

/** Counters whose per-second delta is charted (the first five metrics). */
const RATE_COUNT = 5;

export type ProxyKind = 'frontend' | 'backend';

export interface ProxySeries {
  kind: ProxyKind;
  name: string;
  data: Float32Array[];
  /** Counter values at the previous sample (for deltas), and when. */
  prev: Float64Array;
  prevAt: number;
  /** The latency histogram's bucket counts at the previous sample. */
  prevHist: Float64Array;
  seen: boolean;
}

/**
 * The value of quantile `q` of the requests counted in `counts` (non-cumulative, last slot +Inf)
 * by linear interpolation inside the bucket, as Prometheus's histogram_quantile() estimates it;
 * the +Inf bucket answers the highest finite bound. NaN when there is no request.
 */
export function bucketQuantile(q: number, counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c > 0 && acc + c >= rank) {
      if (i >= LATENCY_BUCKETS.length) return LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1];
      const lower = i === 0 ? 0 : LATENCY_BUCKETS[i - 1];
      return lower + (LATENCY_BUCKETS[i] - lower) * ((rank - acc) / c);
    }
    acc += c;
  }
  return LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1];
}

/** The counters charted as rates, in METRICS order: requests, 5xx, errors, retries, redispatches. */
function rateCounters(kind: ProxyKind, c: BaseCounters, http: boolean, out: Float64Array): void {
  out[0] = http ? c.reqTot : c.stot;
  out[1] = c.hrsp[4];
  if (kind === 'frontend') {
    out[2] = (c as FrontendCounters).ereq;
    out[3] = 0;
    out[4] = 0;
  } else {
    const b = c as BackendCounters;
    out[2] = b.econ + b.eresp;
    out[3] = b.wretr;
    out[4] = b.wredis;
  }
}

/** Rings of per-second samples for a bounded set of proxies. */
export class SeriesRing {
  readonly times: Float64Array;
  /** Next slot to write, and how many slots hold a sample. */
  head = 0;
  count = 0;
  /** Samples taken so far (begin() calls). */
  taken = 0;
  private readonly byKey = new Map<string, ProxySeries>();
  private readonly scratch = new Float64Array(RATE_COUNT);
  private readonly delta = new Float64Array(LATENCY_BUCKETS.length + 1);
  /** Proxies left out because of maxProxies at the last sample. */
  omitted = 0;

  constructor(
    readonly points: number,
    private readonly maxProxies: number,
  ) {
    this.times = new Float64Array(points);
  }

  /** Starts a sample at `now`: the slot every series writes to until the next begin(). */
  begin(now: number): number {
    const slot = this.head;
    this.times[slot] = now;
    this.head = (slot + 1) % this.points;
    if (this.count < this.points) this.count++;
    this.taken++;
    for (const s of this.byKey.values()) s.seen = false;
    this.omitted = 0;
    return slot;
  }

  /** Records one proxy's figures in `slot`. `queue` is the queue depth (backend) or current sessions (frontend). */
  record(
    slot: number,
    now: number,
    kind: ProxyKind,
    name: string,
    c: BaseCounters,
    http: boolean,
    queue: number,
    hist: Histogram | undefined,
  ): void {
    const key = `${kind}/${name}`;
    let s = this.byKey.get(key);
    if (!s) {
      if (this.byKey.size >= this.maxProxies) {
        this.omitted++;
        return;
      }
      s = {
        kind,
        name,
        data: METRICS.map(() => new Float32Array(this.points).fill(Number.NaN)),
        prev: new Float64Array(RATE_COUNT),
        prevAt: 0,
        prevHist: new Float64Array(LATENCY_BUCKETS.length + 1),
        seen: true,
      };
      this.byKey.set(key, s);
    }
    s.seen = true;
    const cur = this.scratch;
    rateCounters(kind, c, http, cur);
    const dt = (now - s.prevAt) / 1000;
    for (let m = 0; m < RATE_COUNT; m++) {
      // a counter lower than before was cleared (`clear counters`): no rate for this second
      const d = cur[m] - s.prev[m];
      s.data[m][slot] = s.prevAt > 0 && dt > 0 && d >= 0 ? d / dt : Number.NaN;
      s.prev[m] = cur[m];
    }
    const first = s.prevAt === 0;
    s.prevAt = now;
    const delta = this.delta;
    let requests = 0;
    for (let i = 0; i < delta.length; i++) {
      const v = hist ? hist.counts[i] : 0;
      delta[i] = first ? 0 : Math.max(0, v - s.prevHist[i]);
      requests += delta[i];
      s.prevHist[i] = v;
    }
    const q = (p: number) => (requests > 0 ? bucketQuantile(p, delta) * 1000 : Number.NaN);
    s.data[5][slot] = q(0.5);
    s.data[6][slot] = q(0.95);
    s.data[7][slot] = q(0.99);
    s.data[8][slot] = queue;
  }

  /** Ends a sample: series of proxies not recorded in it (gone after a reload) are dropped. */
  end(): void {
    for (const [k, s] of this.byKey) if (!s.seen) this.byKey.delete(k);
  }

  /** Slots holding samples taken after `since` (epoch ms), oldest first. */
  slotsSince(since: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head - this.count + i + this.points) % this.points;
      if (this.times[slot] > since) out.push(slot);
    }
    return out;
  }

  /** The series of `kind/name`, if charted. */
  get(kind: ProxyKind, name: string): ProxySeries | undefined {
    return this.byKey.get(`${kind}/${name}`);
  }

  get size(): number {
    return this.byKey.size;
  }
}
