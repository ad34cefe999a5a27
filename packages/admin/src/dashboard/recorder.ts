/**
 * What the live dashboard (`STATS_URI;dashboard`) shows, recorded once a second on the server so
 * the page has the last 15 minutes as soon as it opens: per frontend and backend the request,
 * 5xx, error, retry and redispatch rates, latency percentiles from the latency histograms, and
 * the queue depth; per server a state timeline; the node's VRRP state. Bounded: fixed rings
 * (series.ts), capped proxy and server counts, capped bands per server (timeline.ts).
 */
import { performance } from 'node:perf_hooks';
import type { ProxyRuntime, ServerState, ServerStateEvent } from '@switchyard/proxy';
import { statusWord } from '@switchyard/proxy';
import type { LatencyHistograms } from '../metrics/latency.ts';
import { METRICS, type ProxyKind, SeriesRing } from './series.ts';
import { type Band, Timelines } from './timeline.ts';

export interface RecorderLimits {
  /** Samples kept per series (one a second). */
  points: number;
  /** Frontends + backends charted. */
  maxProxies: number;
  /** Servers with a timeline. */
  maxServers: number;
  /** Bands kept per server (a flapping server keeps its latest ones). */
  maxBands: number;
  /** Milliseconds between samples. */
  intervalMs: number;
}

export const DEFAULT_LIMITS: RecorderLimits = {
  points: 900,
  maxProxies: 128,
  maxServers: 1024,
  maxBands: 64,
  intervalMs: 1000,
};

export interface RecorderSource {
  /** The live runtime (configuration, server states, events). */
  runtime(): ProxyRuntime;
  /** Under --workers: the node-wide counters (else the runtime's own are read). */
  nodeView?(): Promise<ProxyRuntime>;
  latency: LatencyHistograms;
  /** The clock (epoch ms); Date.now unless a test brings its own. */
  now?(): number;
}

/** Under --workers, samples are taken only while someone watched in the last this many ms. */
const WATCH_MS = 5 * 60_000;

/** The JSON of `;dashboard;data`: samples after `since`, every timeline, current figures. */
export interface DashboardData {
  now: number;
  intervalMs: number;
  windowMs: number;
  metrics: readonly string[];
  times: number[];
  vrrp: Array<{ instance: string; state: string; since?: number }>;
  proxies: Array<{
    kind: ProxyKind;
    name: string;
    mode: string;
    /** One array per METRICS entry, aligned with `times` (null: no value). */
    series: Array<Array<number | null>>;
    /** `bands` only when they changed after `since` (the page keeps the ones it has); `backup` only when true. */
    servers?: Array<{ name: string; status: string; backup?: true; bands?: Band[] }>;
  }>;
  omitted: { proxies: number; servers: number };
  /** Under --workers: samples are taken while the page is watched (see the README). */
  sampling: 'always' | 'while-watched';
  /** The process answering: a page that sees it change (restart, another worker) starts over. */
  pid: number;
}

/** Three significant decimals are plenty for a chart and keep the JSON short. */
function round(v: number): number | null {
  return Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null;
}

export class DashboardRecorder {
  readonly limits: RecorderLimits;
  private readonly ring: SeriesRing;
  private readonly timelines: Timelines;
  private timer: NodeJS.Timeout | undefined;
  private events: ProxyRuntime['events'] | undefined;
  private watchedUntil = 0;
  private ticking = false;
  private readonly vrrpSince = new Map<string, number>();
  private readonly clock: () => number;
  private readonly onServerState = (ev: ServerStateEvent) => this.timelines.onEvent(ev, this.clock());
  private readonly onVrrpState = (ev: { instance: string }) => this.vrrpSince.set(ev.instance, this.clock());

  constructor(
    private readonly src: RecorderSource,
    limits: Partial<RecorderLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.clock = src.now ?? Date.now;
    this.ring = new SeriesRing(this.limits.points, this.limits.maxProxies);
    this.timelines = new Timelines(
      this.limits.points * this.limits.intervalMs,
      this.limits.maxServers,
      this.limits.maxBands,
    );
  }

  /** Samples every intervalMs (the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    this.attach();
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.limits.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.events?.off('server-state', this.onServerState);
    this.events?.off('vrrp-state', this.onVrrpState);
    this.events = undefined;
  }

  /** Follows the runtime's event emitter (a reload keeps the same one, but an embedding may not). */
  private attach(): void {
    const ev = this.src.runtime().events;
    if (ev === this.events) return;
    this.events?.off('server-state', this.onServerState);
    this.events?.off('vrrp-state', this.onVrrpState);
    ev.on('server-state', this.onServerState);
    ev.on('vrrp-state', this.onVrrpState);
    this.events = ev;
  }

  /** A dashboard asked for data (under --workers, sampling runs while someone watches). */
  watched(now = this.clock()): void {
    this.watchedUntil = now + WATCH_MS;
  }

  /** Takes one sample (the timer calls it; tests call it with their own clock). */
  async tick(now = this.clock()): Promise<void> {
    if (this.ticking) return; // a slow node view must not pile samples up
    this.ticking = true;
    try {
      this.attach();
      const live = this.src.runtime();
      this.timelines.reconcile(allServers(live), now);
      if (this.src.nodeView && now > this.watchedUntil) return;
      const rt = this.src.nodeView ? await this.src.nodeView().catch(() => live) : live;
      const slot = this.ring.begin(now);
      const lat = this.src.latency;
      for (const fe of rt.frontends.values()) {
        const http = fe.model.mode === 'http';
        this.ring.record(
          slot,
          now,
          'frontend',
          fe.name,
          fe.counters,
          http,
          fe.counters.scur,
          lat.frontends.get(fe.name),
        );
      }
      for (const be of rt.backends.values()) {
        const http = be.model.mode === 'http';
        let queued = be.counters.qcur;
        for (const s of be.servers) queued += s.queued;
        this.ring.record(slot, now, 'backend', be.name, be.counters, http, queued, lat.backends.get(be.name)?.all);
      }
      this.ring.end();
    } finally {
      this.ticking = false;
    }
  }

  /**
   * The page's data: samples taken after `since` (0: all), the timelines, the VRRP state; only
   * proxies named in `scope` when it is not empty (`stats scope`).
   */
  data(since: number, scope: readonly string[] = [], now = this.clock()): DashboardData {
    const { head, entries } = this.view(since, scope, now);
    return { ...head, proxies: [...entries()] };
  }

  /**
   * data() as JSON text, built one proxy at a time with a yield to the event loop whenever
   * building took over 2 ms, so the first request of a large farm (megabytes) does not hold
   * up the traffic. A sample taken meanwhile is handled (see view()).
   */
  async json(since: number, scope: readonly string[] = [], now = this.clock()): Promise<string> {
    const { head, entries } = this.view(since, scope, now);
    const parts: string[] = [];
    let t0 = performance.now();
    for (const e of entries()) {
      parts.push(JSON.stringify(e));
      if (performance.now() - t0 > 2) {
        await new Promise((r) => setImmediate(r));
        t0 = performance.now();
      }
    }
    const text = JSON.stringify(head);
    return `${text.slice(0, -1)},"proxies":[${parts.join(',')}]}`;
  }

  /** What data() and json() return: the header, and the proxies' entries one by one. */
  private view(since: number, scope: readonly string[], now: number) {
    const rt = this.src.runtime();
    const inScope = scope.length === 0 ? undefined : new Set(scope);
    const slots = this.ring.slotsSince(since);
    const taken = this.ring.taken;
    // slots still free when view() began: samples taken meanwhile go there first
    const free = this.ring.points - this.ring.count;
    const ring = this.ring;
    const timelines = this.timelines;
    const entry = (kind: ProxyKind, name: string, mode: string, servers?: ServerState[]) => {
      const s = ring.get(kind, name);
      // samples taken since view() began overwrote the oldest slots: those read null
      const stale = Math.min(slots.length, Math.max(0, ring.taken - taken - free));
      const e: DashboardData['proxies'][number] = {
        kind,
        name,
        mode,
        series: METRICS.map((_, m) => slots.map((slot, i) => (s && i >= stale ? round(s.data[m][slot]) : null))),
      };
      if (servers) {
        e.servers = [];
        for (const sv of servers) {
          const t = timelines.get(name, sv.name);
          if (!t) continue;
          const out: NonNullable<typeof e.servers>[number] = { name: sv.name, status: statusWord(sv) };
          if (sv.backup) out.backup = true;
          if (since === 0 || t.changed > since) out.bands = t.bands;
          e.servers.push(out);
        }
      }
      return e;
    };
    function* entries(): Generator<DashboardData['proxies'][number]> {
      for (const fe of rt.frontends.values()) {
        if (inScope && !inScope.has(fe.name)) continue;
        if (ring.get('frontend', fe.name)) yield entry('frontend', fe.name, fe.model.mode);
      }
      for (const be of rt.backends.values()) {
        if (inScope && !inScope.has(be.name)) continue;
        // the backend half of a `listen` that only serves the stats page has nothing to show
        if (be.servers.length === 0 && be.model.stats?.enabled) continue;
        yield entry('backend', be.name, be.model.mode, be.servers);
      }
    }
    const head: Omit<DashboardData, 'proxies'> = {
      now,
      intervalMs: this.limits.intervalMs,
      windowMs: this.limits.points * this.limits.intervalMs,
      metrics: METRICS,
      times: slots.map((slot) => ring.times[slot]),
      vrrp: [...rt.vrrp].map(([instance, state]) => ({ instance, state, since: this.vrrpSince.get(instance) })),
      omitted: { proxies: ring.omitted, servers: timelines.omitted },
      sampling: this.src.nodeView ? 'while-watched' : 'always',
      pid: process.pid,
    };
    return { head, entries };
  }
}

function* allServers(rt: ProxyRuntime): Iterable<ServerState> {
  for (const be of rt.backends.values()) yield* be.servers;
}
