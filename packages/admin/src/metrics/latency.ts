/**
 * Request latency histograms per backend and per server (beyond HAProxy: its exporter has only
 * averages). The datapath calls observeLatency() once per request; that costs two Map lookups
 * and a short bucket scan, and allocates only the first time a backend/server is seen.
 * Rendered at scrape time as `haproxy_backend_http_request_duration_seconds` and
 * `haproxy_server_http_request_duration_seconds`; the per-frontend ones (no HAProxy metric has
 * them) feed the dashboard's percentiles only.
 */

/** Upper bounds (seconds) of the buckets; +Inf is implied. */
export const LATENCY_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Histogram {
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export function newHistogram(): Histogram {
  return { counts: new Float64Array(LATENCY_BUCKETS.length + 1), sum: 0, count: 0 };
}

function observe(h: Histogram, seconds: number): void {
  let i = 0;
  const n = LATENCY_BUCKETS.length;
  while (i < n && seconds > LATENCY_BUCKETS[i]) i++;
  h.counts[i]++;
  h.sum += seconds;
  h.count++;
}

/** The histogram of `key` in `map`, created on first sight. */
function histogramOf(map: Map<string, Histogram>, key: string): Histogram {
  let h = map.get(key);
  if (!h) {
    h = newHistogram();
    map.set(key, h);
  }
  return h;
}

interface BackendEntry {
  all: Histogram;
  servers: Map<string, Histogram>;
}

/** Histograms keyed by backend then server name. */
export class LatencyHistograms {
  readonly backends = new Map<string, BackendEntry>();
  /** Per frontend, for requests that reached a backend. */
  readonly frontends = new Map<string, Histogram>();

  /** Records one request's duration (seconds) for `backend`, its `server` and its `frontend` when given. */
  observe(backend: string, server: string | undefined, seconds: number, frontend?: string): void {
    if (!(seconds >= 0)) return; // NaN or negative: a clock glitch, not a sample
    if (frontend !== undefined) observe(histogramOf(this.frontends, frontend), seconds);
    let b = this.backends.get(backend);
    if (!b) {
      b = { all: newHistogram(), servers: new Map() };
      this.backends.set(backend, b);
    }
    observe(b.all, seconds);
    if (server !== undefined) observe(histogramOf(b.servers, server), seconds);
  }

  /** Drops histograms of frontends, backends and servers that no longer exist (after a reload). */
  prune(
    exists: (backend: string, server?: string) => boolean,
    frontendExists: (name: string) => boolean = () => true,
  ): void {
    for (const name of this.frontends.keys()) if (!frontendExists(name)) this.frontends.delete(name);
    for (const [bn, b] of this.backends) {
      if (!exists(bn)) {
        this.backends.delete(bn);
        continue;
      }
      for (const sn of b.servers.keys()) if (!exists(bn, sn)) b.servers.delete(sn);
    }
  }
}
