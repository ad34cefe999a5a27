/**
 * Counters of one worker process as plain data (they cross node:cluster IPC), and their sum over
 * the workers of a node: what the stats page, CSV, Prometheus and the runtime API show under
 * `--workers N`. Taken only when someone reads the stats: nothing here runs per request.
 *
 * Summing rules (a "max of the sum" is not knowable from per-worker maxima):
 * - totals and current values (stot, scur, bin, bout, hrsp_*, req_tot, econ, wretr, lbtot, qcur,
 *   ...) are summed;
 * - maxima (smax, qmax, rate_max) are the sum of the workers' maxima: an upper bound of the node's
 *   true maximum, exact when the peaks coincide;
 * - the session rate is the sum of each worker's rate over the current second; lastsess is the
 *   latest of the workers'.
 */
import type { BackendCounters, BaseCounters, FrontendCounters, ServerCounters } from '../model/counters.ts';
import { currentRate, newBackendCounters, newFrontendCounters, newServerCounters } from '../model/counters.ts';
import type { ProxyRuntime } from '../model/types.ts';

/** Counters as sent over IPC: hrspByCode as [code, count] pairs. */
export type PlainCounters<C extends BaseCounters> = Omit<C, 'hrspByCode'> & { hrspByCode: Array<[number, number]> };

/** One server's traffic figures in one worker. */
export interface ServerTraffic {
  counters: PlainCounters<ServerCounters>;
  cur: number;
  queued: number;
}

/** Every counter of one worker, by proxy and server name. */
export interface CounterSnapshot {
  frontends: Record<string, PlainCounters<FrontendCounters>>;
  backends: Record<string, { counters: PlainCounters<BackendCounters>; servers: Record<string, ServerTraffic> }>;
}

function plain<C extends BaseCounters>(c: C, now: number): PlainCounters<C> {
  // the rate as of now, so that summing does not mix seconds
  return { ...c, rateCur: currentRate(c, now), rateSecond: Math.floor(now / 1000), hrspByCode: [...c.hrspByCode] };
}

/** This process's counters, as plain data. */
export function takeCounterSnapshot(rt: ProxyRuntime, now = Date.now()): CounterSnapshot {
  const snap: CounterSnapshot = { frontends: {}, backends: {} };
  for (const fe of rt.frontends.values()) snap.frontends[fe.name] = plain(fe.counters, now);
  for (const be of rt.backends.values()) {
    const servers: Record<string, ServerTraffic> = {};
    for (const s of be.servers) servers[s.name] = { counters: plain(s.counters, now), cur: s.cur, queued: s.queued };
    snap.backends[be.name] = { counters: plain(be.counters, now), servers };
  }
  return snap;
}

const LATEST_FIELDS = new Set(['lastSess', 'rateSecond']);

/** Adds `add` into `into` field by field: numbers summed (maxima too, see above), latest times kept. */
function addInto<C extends BaseCounters>(into: PlainCounters<C>, add: PlainCounters<C>): void {
  const a = add as unknown as Record<string, unknown>;
  const t = into as unknown as Record<string, unknown>;
  for (const k of Object.keys(a)) {
    const v = a[k];
    if (typeof v === 'number') {
      const cur = typeof t[k] === 'number' ? (t[k] as number) : 0;
      t[k] = LATEST_FIELDS.has(k) ? Math.max(cur, v) : cur + v;
    }
  }
  into.hrsp = into.hrsp.map((n, i) => n + (add.hrsp[i] ?? 0)) as C['hrsp'];
  const codes = new Map(into.hrspByCode);
  for (const [code, n] of add.hrspByCode) codes.set(code, (codes.get(code) ?? 0) + n);
  into.hrspByCode = [...codes];
}

function zero<C extends BaseCounters>(c: C): PlainCounters<C> {
  return { ...c, hrspByCode: [] };
}

/** The node-wide sum of several workers' snapshots. */
export function sumCounterSnapshots(snaps: readonly CounterSnapshot[]): CounterSnapshot {
  const out: CounterSnapshot = { frontends: {}, backends: {} };
  for (const snap of snaps) {
    for (const [name, c] of Object.entries(snap.frontends)) {
      out.frontends[name] ??= zero(newFrontendCounters());
      addInto(out.frontends[name], c);
    }
    for (const [name, b] of Object.entries(snap.backends)) {
      out.backends[name] ??= { counters: zero(newBackendCounters()), servers: {} };
      const ob = out.backends[name];
      addInto(ob.counters, b.counters);
      for (const [sname, s] of Object.entries(b.servers)) {
        ob.servers[sname] ??= { counters: zero(newServerCounters()), cur: 0, queued: 0 };
        const os = ob.servers[sname];
        addInto(os.counters, s.counters);
        os.cur += s.cur;
        os.queued += s.queued;
      }
    }
  }
  return out;
}

/** Counters back in the runtime's shape (hrspByCode a Map again). */
export function fromPlain<C extends BaseCounters>(p: PlainCounters<C>): C {
  return { ...p, hrspByCode: new Map(p.hrspByCode) } as unknown as C;
}
