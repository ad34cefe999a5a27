/**
 * Prometheus scrape cost: renders the exporter over 100 backends x 10 servers (with latency
 * histograms for every server) and prints the median and p95 render time, the output size and
 * the number of samples. Also times the `;csv` export and `show stat` rows for the same farm.
 *
 *   node --import tsx bench/metrics-render.ts [--backends 100] [--servers 10] [--runs 50]
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createAdmin } from '../packages/admin/src/index.ts';
import { renderCsv } from '../packages/admin/src/stats/csv.ts';
import { collectRows } from '../packages/admin/src/stats/rows.ts';
import { buildRuntime, proxyModel, serverModel, testControl } from '../packages/admin/test/helpers/runtime.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const BACKENDS = opt('backends', 100);
const SERVERS = opt('servers', 10);
const RUNS = opt('runs', 50);

const proxies = [proxyModel('frontend', 'fe', 1)];
for (let b = 0; b < BACKENDS; b++) {
  const servers = Array.from({ length: SERVERS }, (_, i) => serverModel(`srv${i}`, i + 1, { check: i % 2 === 0 }));
  proxies.push(proxyModel('backend', `be${b}`, b + 2, { servers }));
}
const rt = buildRuntime(proxies);
const admin = await createAdmin(rt, { version: 'bench', pid: process.pid, control: testControl });
for (const be of rt.backends.values()) {
  for (const s of be.servers) {
    s.counters.stot = 1000;
    s.counters.hrsp[1] = 990;
    s.counters.bin = 123456;
    for (let k = 0; k < 5; k++) admin.observeLatency(be.name, s.name, 0.001 * (k + 1) * (s.id + 1));
  }
}

function time(fn: () => unknown | Promise<unknown>) {
  return async () => {
    const t: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await fn();
      const c = process.cpuUsage(c0);
      t.push(performance.now() - t0);
      cpu.push((c.user + c.system) / 1000);
    }
    t.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const mid = Math.floor(t.length / 2);
    return { median: t[mid], p95: t[Math.floor(t.length * 0.95)], cpu: cpu[mid] };
  };
}

// warm up the JIT before measuring
for (let i = 0; i < 5; i++) await admin.renderMetrics();
const text = await admin.renderMetrics();
const samples = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
const prom = await time(() => admin.renderMetrics())();
// our share: the collectors reading the counters (prom-client's text formatting is the rest)
const { createExporterRegistries } = await import('../packages/admin/src/metrics/exporter.ts');
const { LatencyHistograms } = await import('../packages/admin/src/metrics/latency.ts');
const lat = new LatencyHistograms();
for (const be of rt.backends.values()) for (const s of be.servers) lat.observe(be.name, s.name, 0.01);
const collectors = createExporterRegistries({
  runtime: () => rt,
  version: 'bench',
  latency: lat,
}).all.getMetricsAsArray() as unknown as Array<{ get(): unknown }>;
const collect = await time(() => {
  for (const m of collectors) m.get();
})();
const csv = await time(() => renderCsv(collectRows(rt)))();
console.log(`farm: ${BACKENDS} backends x ${SERVERS} servers, ${RUNS} runs, node ${process.version}`);
console.log(
  `prometheus render: median ${prom.median.toFixed(1)} ms wall (${prom.cpu.toFixed(1)} ms CPU), p95 ${prom.p95.toFixed(1)} ms, ${samples} samples, ${(text.length / 1024).toFixed(0)} KiB`,
);
console.log(`  of which collectors: median ${collect.median.toFixed(1)} ms wall (${collect.cpu.toFixed(1)} ms CPU)`);
console.log(
  `csv export:        median ${csv.median.toFixed(1)} ms wall (${csv.cpu.toFixed(1)} ms CPU), p95 ${csv.p95.toFixed(1)} ms`,
);
// hot path: one observeLatency() per request
const N = 2_000_000;
const names = [...rt.backends.values()].slice(0, 10).flatMap((b) => b.servers.map((s) => [b.name, s.name] as const));
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const [b, s] = names[i % names.length];
  admin.observeLatency(b, s, (i % 1000) / 10_000);
}
const ns = ((performance.now() - t0) * 1e6) / N;
console.log(`observeLatency:    ${ns.toFixed(0)} ns per call (${N} calls over ${names.length} servers)`);
console.log(
  `load average during the run: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on ${cpus().length} CPUs`,
);
await admin.stop();
