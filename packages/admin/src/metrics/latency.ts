/**
 * Request latency histograms per backend and per server (beyond HAProxy: its exporter has only
 * averages). The datapath calls observeLatency() once per request; that costs two Map lookups
 * and a short bucket scan, and allocates only the first time a backend/server is seen.
 * Rendered at scrape time as `haproxy_backend_http_request_duration_seconds` and
 * `haproxy_server_http_request_duration_seconds`.
 */

/** Upper bounds (seconds) of the buckets; +Inf is implied. */
export const LATENCY_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface Histogram {
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

function newHistogram(): Histogram {
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

interface BackendEntry {
  all: Histogram;
  servers: Map<string, Histogram>;
}

/** Histograms keyed by backend then server name. */
export class LatencyHistograms {
  readonly backends = new Map<string, BackendEntry>();

  /** Records one request's duration (seconds) for `backend` and, if given, its `server`. */
  observe(backend: string, server: string | undefined, seconds: number): void {
    if (!(seconds >= 0)) return; // NaN or negative: a clock glitch, not a sample
    let b = this.backends.get(backend);
    if (!b) {
      b = { all: newHistogram(), servers: new Map() };
      this.backends.set(backend, b);
    }
    observe(b.all, seconds);
    if (server !== undefined) {
      let h = b.servers.get(server);
      if (!h) {
        h = newHistogram();
        b.servers.set(server, h);
      }
      observe(h, seconds);
    }
  }

  /** Drops histograms of backends/servers that no longer exist (after a reload). */
  prune(exists: (backend: string, server?: string) => boolean): void {
    for (const [bn, b] of this.backends) {
      if (!exists(bn)) {
        this.backends.delete(bn);
        continue;
      }
      for (const sn of b.servers.keys()) if (!exists(bn, sn)) b.servers.delete(sn);
    }
  }
}
