/**
 * Cost of the live dashboard's recording and its JSON: one sample (tick) over a farm at the
 * recorder's limits (64 frontends + 64 backends x 16 servers = 128 proxies charted, 1,024 server
 * timelines), then the page's first request (`;dashboard;data`, the full 15 minutes) and a
 * steady-state one (`;since=` the previous sample), with their sizes, and for the first request
 * as served (json(), which yields to the event loop) the longest event-loop delay it caused.
 * Prints medians and p95.
 *
 *   node --expose-gc --import tsx bench/dashboard-cost.ts [--runs 200] [--frontends 64] [--backends 64] [--servers 16]
 *
 * With --expose-gc the heap figures are taken after a full collection: the recorder's share is
 * the heap after 15 minutes of samples less the heap before the recorder was created.
 */
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { DashboardRecorder } from '../packages/admin/src/dashboard/recorder.ts';
import { LatencyHistograms } from '../packages/admin/src/metrics/latency.ts';
import { buildRuntime, proxyModel, serverModel } from '../packages/admin/test/helpers/runtime.ts';

const argv = process.argv.slice(2);
/** `--NAME N`: a positive integer option (exit 2 with a message otherwise). */
function opt(name: string, def: number): number {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name}: a positive integer, not '${argv[i + 1] ?? ''}'\n`);
    process.exit(2);
  }
  return n;
}
const RUNS = opt('runs', 200);
const FRONTENDS = opt('frontends', 64);
const BACKENDS = opt('backends', 64);
const SERVERS = opt('servers', 16);

const proxies = [];
for (let f = 0; f < FRONTENDS; f++) proxies.push(proxyModel('frontend', `fe${f}`, f + 1));
for (let b = 0; b < BACKENDS; b++) {
  const servers = Array.from({ length: SERVERS }, (_, i) => serverModel(`srv${i}`, i + 1, { check: true }));
  proxies.push(proxyModel('backend', `be${b}`, FRONTENDS + b + 1, { servers }));
}
const rt = buildRuntime(proxies);
const latency = new LatencyHistograms();
let now = 1_800_000_000_000;
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const rec = new DashboardRecorder({ runtime: () => rt, latency, now: () => now });

/** Some traffic between two samples, so every series has values. */
function traffic() {
  for (const be of rt.backends.values()) {
    be.counters.reqTot += 100;
    for (let k = 0; k < 5; k++) latency.observe(be.name, 'srv0', 0.001 * (k + 1), `fe${be.id % FRONTENDS}`);
  }
  for (const fe of rt.frontends.values()) fe.counters.reqTot += 100;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.floor(s.length * 0.95)] };
};

// fill the 15 minutes (900 samples), which also warms the JIT
for (let i = 0; i < 900; i++) {
  traffic();
  now += 1000;
  await rec.tick();
}
const tick: number[] = [];
const cpu: number[] = [];
const full: number[] = [];
const step: number[] = [];
let fullBytes = 0;
let stepBytes = 0;
for (let i = 0; i < RUNS; i++) {
  traffic();
  const before = now;
  now += 1000;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await rec.tick();
  tick.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  if (i % 10 === 0) {
    const t1 = performance.now();
    fullBytes = JSON.stringify(rec.data(0)).length;
    full.push(performance.now() - t1);
  }
  const t2 = performance.now();
  stepBytes = JSON.stringify(rec.data(before)).length;
  step.push(performance.now() - t2);
}
// the first request as the stats listener serves it: json() yields while it builds. Its
// longest synchronous stretch (from its start or a resume to the next yield or its end) is
// measured by wrapping setImmediate; the event-loop delay is reported beside it, but on a loaded
// machine it mostly shows the scheduler.
const served: number[] = [];
const stretch: number[] = [];
const blocked: number[] = [];
const realSetImmediate = globalThis.setImmediate;
for (let i = 0; i < 10; i++) {
  let resumed = performance.now();
  let longest = 0;
  globalThis.setImmediate = ((fn: () => void) =>
    realSetImmediate(() => {
      resumed = performance.now();
      fn();
    })) as typeof setImmediate;
  const yieldAt = () => {
    longest = Math.max(longest, performance.now() - resumed);
  };
  const wrapped = globalThis.setImmediate;
  globalThis.setImmediate = ((fn: () => void) => {
    yieldAt();
    return wrapped(fn);
  }) as typeof setImmediate;
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  resumed = t0;
  await rec.json(0);
  yieldAt();
  served.push(performance.now() - t0);
  h.disable();
  globalThis.setImmediate = realSetImmediate;
  stretch.push(longest);
  blocked.push(h.max / 1e6);
}
const d = rec.data(0);
gc?.();
const mem = process.memoryUsage();
const out = {
  farm: `${FRONTENDS} frontends + ${BACKENDS} backends x ${SERVERS} servers`,
  charted: d.proxies.filter((p) => p.series[0].some((v) => v !== null)).length,
  timelines: d.proxies.reduce((n, p) => n + (p.servers?.length ?? 0), 0),
  tickMs: stats(tick),
  tickCpuMs: stats(cpu).median,
  firstRequest: { ms: stats(full), bytes: fullBytes },
  firstRequestServed: { ms: stats(served), longestStretchMs: stats(stretch), maxEventLoopDelayMs: stats(blocked) },
  perSecondRequest: { ms: stats(step), bytes: stepBytes },
  recorderHeapMiB: gc ? Math.round(((mem.heapUsed - heapBefore) / 1048576) * 10) / 10 : 'run with --expose-gc',
  arrayBuffersMiB: Math.round((mem.arrayBuffers / 1048576) * 10) / 10,
  cpus: cpus().length,
  loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
