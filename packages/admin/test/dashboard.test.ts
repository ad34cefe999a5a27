/**
 * The dashboard's recorder with a test clock (tick(now) called by the test): rates and
 * percentiles per second, bounded rings and series counts, server timelines fed by the real
 * server-control transitions, `since` and `stats scope`. The real-time side (the 1 s timer, the
 * page in Chromium) is test/admin-dashboard-browser.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setServerAdmin, setServerOp } from '@switchyard/proxy';
import { type DashboardData, DashboardRecorder } from '../src/dashboard/recorder.ts';
import { bucketQuantile, METRICS } from '../src/dashboard/series.ts';
import { LatencyHistograms } from '../src/metrics/latency.ts';
import { buildRuntime, proxyModel, sampleRuntime, serverModel } from './helpers/runtime.ts';

const T0 = 1_800_000_000_000;
const col = (m: (typeof METRICS)[number]) => METRICS.indexOf(m);

/** The test clock: events are stamped with it, tick() and data() default to it. */
let clock = T0;

function recorder(rt = sampleRuntime(), limits = {}) {
  const latency = new LatencyHistograms();
  const rec = new DashboardRecorder({ runtime: () => rt, latency, now: () => clock }, limits);
  return { rt, latency, rec };
}

test('bucketQuantile interpolates inside the bucket like histogram_quantile', () => {
  // 12 slots: 11 bounds (5 ms .. 10 s) and +Inf
  const counts = new Array(12).fill(0);
  assert.ok(Number.isNaN(bucketQuantile(0.5, counts)));
  counts[0] = 10; // all in [0, 5 ms]
  assert.equal(bucketQuantile(0.5, counts), 0.0025);
  counts[0] = 0;
  counts[2] = 4; // (10 ms, 25 ms]
  assert.equal(bucketQuantile(0.5, counts), 0.0175);
  counts[11] = 4; // half of them above 10 s: the highest finite bound answers
  assert.equal(bucketQuantile(0.99, counts), 10);
  assert.equal(bucketQuantile(0.25, counts), 0.0175);
});

test('rates, percentiles and queue per second, per frontend and backend', async () => {
  const { rt, latency, rec } = recorder();
  const fe = rt.frontends.get('web');
  const be = rt.backends.get('app');
  assert.ok(fe && be);
  await rec.tick(T0);
  fe.counters.reqTot += 20;
  be.counters.reqTot += 20;
  be.counters.hrsp[4] += 2;
  be.counters.wretr += 3;
  be.counters.econ += 1;
  be.counters.qcur = 4;
  const s1 = be.serversByName.get('s1');
  if (s1) s1.queued = 1;
  for (let i = 0; i < 20; i++) latency.observe('app', 's1', 0.02, 'web'); // (10 ms, 25 ms]
  await rec.tick(T0 + 2000); // two seconds later: counts over 2 s
  const d = rec.data(0, [], T0 + 2000);
  assert.deepEqual(d.times, [T0, T0 + 2000]);
  const app = d.proxies.find((p) => p.kind === 'backend' && p.name === 'app');
  const web = d.proxies.find((p) => p.kind === 'frontend' && p.name === 'web');
  assert.ok(app && web);
  assert.deepEqual(app.series[col('req')], [null, 10]);
  assert.deepEqual(app.series[col('r5xx')], [null, 1]);
  assert.deepEqual(app.series[col('retry')], [null, 1.5]);
  assert.deepEqual(app.series[col('err')], [null, 0.5]);
  assert.deepEqual(app.series[col('queue')], [0, 5]);
  assert.deepEqual(app.series[col('p50')], [null, 17.5]);
  assert.equal(app.series[col('p99')][1], 24.85);
  assert.deepEqual(web.series[col('req')], [null, 10]);
  assert.deepEqual(web.series[col('p50')], [null, 17.5]);
  // a quiet second: rate 0, no percentile
  await rec.tick(T0 + 3000);
  const quiet = rec.data(T0 + 2000, [], T0 + 3000).proxies.find((p) => p.name === 'app' && p.kind === 'backend');
  assert.deepEqual(quiet?.series[col('req')], [0]);
  assert.deepEqual(quiet?.series[col('p50')], [null]);
  // `clear counters`: no negative rate, a gap
  be.counters.reqTot = 0;
  await rec.tick(T0 + 4000);
  const cleared = rec.data(T0 + 3000, [], T0 + 4000).proxies.find((p) => p.name === 'app' && p.kind === 'backend');
  assert.deepEqual(cleared?.series[col('req')], [null]);
});

test('the rings stay bounded: points, proxies, servers and bands', async () => {
  const servers = Array.from({ length: 5 }, (_, i) => serverModel(`s${i}`, i + 1, { check: true }));
  const proxies = [
    proxyModel('frontend', 'f1', 1, { defaultBackend: 'b1' }),
    proxyModel('backend', 'b1', 2, { servers }),
    proxyModel('backend', 'b2', 3, { servers: [serverModel('x', 1)] }),
  ];
  const rt = buildRuntime(proxies);
  const { rec } = recorder(rt, { points: 10, maxProxies: 2, maxServers: 3, maxBands: 4 });
  const be = rt.backends.get('b1');
  const s0 = be?.serversByName.get('s0');
  assert.ok(be && s0);
  for (let i = 0; i < 25; i++) {
    clock = T0 + i * 1000 - 1;
    if (i > 0) setServerOp(rt, be, s0, i % 2 ? 'DOWN' : 'UP', 'check', undefined, clock);
    await rec.tick(T0 + i * 1000);
  }
  const d = rec.data(0, [], T0 + 24_000);
  assert.equal(d.times.length, 10);
  assert.equal(d.times[0], T0 + 15_000);
  assert.equal(d.times[9], T0 + 24_000);
  assert.equal(d.proxies.filter((p) => p.series[0].some((v) => v !== null)).length, 2);
  assert.deepEqual(d.omitted, { proxies: 1, servers: 3 });
  for (const p of d.proxies) for (const a of p.series) assert.equal(a.length, 10);
  const b1 = d.proxies.find((p) => p.name === 'b1');
  assert.equal(b1?.servers?.length, 3);
  const bands = b1?.servers?.find((s) => s.name === 's0')?.bands ?? [];
  assert.equal(bands.length, 4);
  assert.deepEqual(
    bands.map((b) => b.state),
    ['DOWN', 'UP', 'DOWN', 'UP'],
  );
  assert.equal(bands[3].from, T0 + 24_000 - 1);
});

test('timelines: bands from real transitions, with the check reason or who set the state', async () => {
  const { rt, rec } = recorder();
  const be = rt.backends.get('app');
  const s1 = be?.serversByName.get('s1');
  const s2 = be?.serversByName.get('s2');
  assert.ok(be && s1 && s2);
  // no timer here: a tick attaches to rt.events and records the initial states
  clock = T0;
  await rec.tick();
  clock = T0 + 30_000;
  s1.lastCheck = { status: 'L4CON', durationMs: 0, info: 'Connection refused' };
  setServerOp(rt, be, s1, 'DOWN', 'check', s1.lastCheck);
  setServerAdmin(rt, be, s2, 'MAINT', 'api');
  await rec.tick(T0 + 60_000);
  const app = rec.data(0).proxies.find((p) => p.kind === 'backend' && p.name === 'app');
  const sv = (n: string) => app?.servers?.find((s) => s.name === n);
  assert.deepEqual(
    sv('s1')?.bands?.map((b) => b.state),
    ['UP', 'DOWN'],
  );
  assert.equal(
    sv('s1')?.bands?.[1].reason,
    'health check: Layer4 connection problem, info: "Connection refused", check duration: 0ms',
  );
  assert.equal(sv('s1')?.status, 'DOWN');
  assert.equal(sv('s2')?.bands?.[1].reason, 'MAINT set by runtime API');
  assert.equal(sv('s3')?.bands?.[0].state, 'MAINT'); // `disabled` in the configuration
  // a state changed without an event is caught by the next tick
  s2.admin = 'DRAIN';
  await rec.tick(T0 + 61_000);
  const again = rec.data(0).proxies.find((p) => p.kind === 'backend' && p.name === 'app');
  const last = again?.servers?.find((s) => s.name === 's2')?.bands?.at(-1);
  assert.deepEqual({ state: last?.state, from: last?.from }, { state: 'DRAIN', from: T0 + 61_000 });
  // bands that ended before the 15 min window are dropped; the one running at its start stays
  await rec.tick(T0 + 61_000 + 900_000);
  const late = rec.data(0).proxies.find((p) => p.kind === 'backend' && p.name === 'app');
  assert.deepEqual(
    late?.servers?.find((s) => s.name === 's2')?.bands?.map((b) => b.state),
    ['DRAIN'],
  );
  // with `since`, a server's bands come only when they changed after it (the page keeps its own)
  await rec.tick(T0 + 62_000 + 900_000);
  const steady = rec.data(T0 + 61_000 + 900_000).proxies.find((p) => p.kind === 'backend' && p.name === 'app');
  assert.deepEqual(
    steady?.servers?.map((x) => [x.name, x.status, x.bands?.length]),
    [
      ['s1', 'DOWN', undefined],
      ['s2', 'DRAIN', undefined],
      ['s3', 'MAINT', undefined],
    ],
  );
  clock = T0 + 62_500 + 900_000;
  setServerOp(rt, be, s1, 'UP', 'check');
  const changed = rec.data(T0 + 61_000 + 900_000).proxies.find((p) => p.kind === 'backend' && p.name === 'app');
  assert.deepEqual(
    changed?.servers?.map((x) => x.bands?.map((b) => b.state).join(',')),
    ['DOWN,UP', undefined, undefined],
  );
  rec.stop();
});

test('json() is data() as text, and a sample taken while it yields reads null in overwritten slots', async () => {
  const { rt, rec } = recorder(sampleRuntime(), { points: 3 });
  const be = rt.backends.get('app');
  assert.ok(be);
  for (let i = 0; i < 3; i++) {
    be.counters.qcur = i + 1;
    await rec.tick(T0 + i * 1000);
  }
  assert.equal(await rec.json(0, [], T0 + 2000), JSON.stringify(rec.data(0, [], T0 + 2000)));
  // a tick between the view and its entries (as when json() yields on a large farm)
  const view = (
    rec as unknown as {
      view(s: number, sc: string[], n: number): { entries(): Iterable<DashboardData['proxies'][number]> };
    }
  ).view(0, ['app'], T0 + 2000);
  be.counters.qcur = 9;
  await rec.tick(T0 + 3000); // overwrites the slot of T0
  const [app] = [...view.entries()];
  assert.deepEqual(app.series[col('queue')], [null, 2, 3]);
});

test('since, stats scope and the VRRP state', async () => {
  const { rt, rec } = recorder();
  await rec.tick(T0);
  await rec.tick(T0 + 1000);
  assert.deepEqual(rec.data(T0).times, [T0 + 1000]);
  assert.deepEqual(rec.data(T0 + 1000).times, []);
  const names = rec.data(0, ['app']).proxies.map((p) => `${p.kind}/${p.name}`);
  assert.deepEqual(names, ['backend/app']);
  // the listen that only serves stats has no backend card
  assert.ok(!rec.data(0).proxies.some((p) => p.kind === 'backend' && p.name === 'stats'));
  assert.deepEqual(rec.data(0).vrrp, []);
  rt.vrrp.set('VI_1', 'BACKUP');
  rt.events.emit('vrrp-state', { instance: 'VI_1', state: 'BACKUP' });
  const v = rec.data(0).vrrp;
  assert.equal(v[0].instance, 'VI_1');
  assert.equal(v[0].state, 'BACKUP');
  assert.equal(typeof v[0].since, 'number');
  assert.equal(rec.data(0).sampling, 'always');
});

test('under --workers (nodeView), figures are sampled only while a dashboard is watched', async () => {
  const rt = sampleRuntime();
  let views = 0;
  const rec = new DashboardRecorder({
    runtime: () => rt,
    latency: new LatencyHistograms(),
    nodeView: async () => {
      views++;
      return rt;
    },
  });
  await rec.tick(T0);
  assert.equal(views, 0);
  assert.deepEqual(rec.data(0).times, []);
  // timelines are recorded all the same (from this worker's mirrored server states)
  assert.ok(rec.data(0).proxies.find((p) => p.name === 'app')?.servers?.length);
  rec.watched(T0 + 500);
  await rec.tick(T0 + 1000);
  assert.equal(views, 1);
  assert.deepEqual(rec.data(0).times, [T0 + 1000]);
  assert.equal(rec.data(0).sampling, 'while-watched');
  await rec.tick(T0 + 500 + 5 * 60_000 + 1);
  assert.equal(views, 1);
});

test('a reload keeps the history of proxies and servers that still exist', async () => {
  let rt = sampleRuntime();
  const latency = new LatencyHistograms();
  const rec = new DashboardRecorder({ runtime: () => rt, latency, now: () => clock });
  clock = T0;
  await rec.tick();
  const be = rt.backends.get('app');
  const s1 = be?.serversByName.get('s1');
  assert.ok(be && s1);
  setServerOp(rt, be, s1, 'DOWN', 'check');
  // the new runtime: same events emitter (build.ts keeps it), `app` without s2, a new backend
  const next = buildRuntime([
    proxyModel('frontend', 'web', 2, { defaultBackend: 'app' }),
    proxyModel('backend', 'app', 3, { servers: [serverModel('s1', 1, { check: true })] }),
    proxyModel('backend', 'api', 5, { servers: [serverModel('a1', 1)] }),
  ]);
  Object.assign(next, { events: rt.events });
  const s1next = next.backends.get('app')?.serversByName.get('s1');
  if (s1next) s1next.op = 'DOWN'; // the server state carried over, as a reload does
  rt = next;
  clock = T0 + 1000;
  await rec.tick();
  const d = rec.data(0);
  const app = d.proxies.find((p) => p.kind === 'backend' && p.name === 'app');
  assert.deepEqual(d.times, [T0, T0 + 1000]);
  assert.equal(app?.series[col('queue')].length, 2);
  assert.equal(app?.series[col('queue')][0], 0, 'sample from before the reload kept');
  assert.deepEqual(
    app?.servers?.map((s) => `${s.name}:${s.bands?.map((b) => b.state).join(',')}`),
    ['s1:UP,DOWN'],
  );
  const api = d.proxies.find((p) => p.kind === 'backend' && p.name === 'api');
  assert.deepEqual(api?.series[col('queue')], [null, 0]);
  assert.ok(!d.proxies.some((p) => p.name === 'stats'), 'the listen removed by the reload is gone');
});

test('mode tcp proxies chart sessions per second (no HTTP requests to count)', async () => {
  const rt = buildRuntime([
    proxyModel('frontend', 'db', 1, { mode: 'tcp', defaultBackend: 'pg' }),
    proxyModel('backend', 'pg', 2, { mode: 'tcp', servers: [serverModel('p1', 1)] }),
  ]);
  const { rec } = recorder(rt);
  await rec.tick(T0);
  const fe = rt.frontends.get('db');
  const be = rt.backends.get('pg');
  assert.ok(fe && be);
  fe.counters.stot += 7;
  be.counters.stot += 7;
  await rec.tick(T0 + 1000);
  for (const p of rec.data(0).proxies) {
    assert.equal(p.mode, 'tcp');
    assert.deepEqual(p.series[col('req')], [null, 7], `${p.kind} ${p.name}`);
    assert.deepEqual(p.series[col('p50')], [null, null]);
  }
});
