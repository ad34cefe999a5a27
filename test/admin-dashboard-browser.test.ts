/**
 * The live dashboard (`STATS_URI;dashboard`) in real headless Chromium (Debian's
 * /usr/bin/chromium via playwright-core), against the real `switchyard` process and loopback
 * servers: traffic shows in the charts, a killed server's band turns DOWN with the check's reason
 * on hover, the VRRP state reported on the runtime socket shows in the header, the page polls
 * about once a second and fetches nothing from elsewhere. Screenshot: test-artifacts/dashboard.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import {
  freePort,
  type ProxyProcess,
  ROOT,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  until,
  writeFile,
} from './helpers/proxy.ts';
import { findBinary, needs } from './helpers/system.ts';

const skip = needs('chromium');
const ARTIFACTS = join(ROOT, 'test-artifacts');

/** Answers after a few ms (so latency is not all in the first bucket); `/err` answers 503. */
function slowish(name: string) {
  return startUpstream(name, (req, res) => {
    req.resume();
    const delay = 2 + Math.floor(Math.random() * 25);
    setTimeout(() => {
      res.writeHead(req.url === '/err' ? 503 : 200, { 'content-type': 'text/plain' });
      res.end(`${name}\n`);
    }, delay);
  });
}

describe('live dashboard in headless Chromium', { skip }, () => {
  const tmp = tempDir();
  const sock = join(tmp.dir, 'admin.sock');
  let s1: Upstream;
  let s2: Upstream;
  let s3: Upstream;
  let proxy: ProxyProcess;
  let cfg = '';
  let browser: Browser;
  let page: Page;
  let web = 0;
  let stats = 0;
  const requested: string[] = [];
  let traffic: Promise<void> | undefined;
  let driving = false;

  before(async () => {
    s1 = await slowish('s1');
    s2 = await slowish('s2');
    s3 = await slowish('s3');
    [web, stats] = [await freePort(), await freePort()];
    cfg = writeFile(
      tmp.dir,
      'dash.cfg',
      `global
  node lab-node-1
  stats socket ${sock} level admin

defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  retries 2
  option redispatch

frontend web
  bind 127.0.0.1:${web}
  default_backend app

backend app
  balance roundrobin
  option httpchk GET /
  server s1 127.0.0.1:${s1.port} check inter 300 fall 2 rise 2
  server s2 127.0.0.1:${s2.port} check inter 300 fall 2 rise 2
  server s3 127.0.0.1:${s3.port}

listen stats
  bind 127.0.0.1:${stats}
  stats enable
  stats uri /stats
  stats auth ops:pw
`,
    );
    proxy = await startProxy(['-f', cfg]);
    browser = await chromium.launch({
      executablePath: findBinary('chromium'),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    // a fresh profile: playwright gives each context its own temporary user data
    const ctx = await browser.newContext({
      httpCredentials: { username: 'ops', password: 'pw' },
      viewport: { width: 1400, height: 1000 },
    });
    page = await ctx.newPage();
    page.on('request', (r) => requested.push(r.url()));
  });

  after(async () => {
    driving = false;
    await traffic;
    await browser?.close();
    await proxy?.stop();
    await s1?.close().catch(() => {});
    await s2?.close();
    await s3?.close();
    tmp.cleanup();
  });

  /** Sends requests (one in ten to /err) with 4 clients until `driving` is cleared. */
  function drive(): Promise<void> {
    driving = true;
    const client = async (i: number) => {
      for (let n = 0; driving; n++) {
        const path = (n + i) % 10 === 0 ? '/err' : '/';
        await fetch(`http://127.0.0.1:${web}${path}`)
          .then((r) => r.arrayBuffer())
          .catch(() => {});
      }
    };
    return Promise.all([0, 1, 2, 3].map(client)).then(() => {});
  }

  const card = (kind: string, name: string) => `section.card[data-kind="${kind}"][data-proxy="${name}"]`;
  const figure = (sel: string, metric: string) =>
    page.$eval(`${sel} .fig[data-metric="${metric}"]`, (e) =>
      Number((e as unknown as { dataset: { value: string } }).dataset.value || 'NaN'),
    );
  const seriesMax = (sel: string, metric: string) =>
    page.$eval(`${sel} path[data-series="${metric}"]`, (e) => Number(e.getAttribute('data-max')));

  test('the page loads from the stats listener, behind its auth, with nothing fetched elsewhere', async () => {
    const unauth = await fetch(`http://127.0.0.1:${stats}/stats;dashboard`);
    assert.equal(unauth.status, 401);
    const r = await page.goto(`http://127.0.0.1:${stats}/stats;dashboard`);
    assert.equal(r?.status(), 200);
    await page.waitForSelector(`${card('backend', 'app')} .srv[data-server="s1"][data-state="UP"]`);
    assert.match((await page.textContent('#node')) ?? '', /lab-node-1/);
    assert.match((await page.textContent('#vrrp')) ?? '', /no sidecar has reported/);
    for (const u of requested) assert.ok(u.startsWith(`http://127.0.0.1:${stats}/stats`), u);
  });

  test('traffic shows as request rate, percentiles and 5xx in the charts', async () => {
    traffic = drive();
    const be = card('backend', 'app');
    const fe = card('frontend', 'web');
    await until(
      async () => (await figure(be, 'req')) > 0 && (await figure(be, 'p99')) > 0,
      20_000,
      'backend rate and p99',
    );
    await until(async () => (await seriesMax(be, 'r5xx')) > 0, 20_000, '5xx in the chart');
    assert.ok((await figure(fe, 'req')) > 0, 'frontend request rate');
    assert.ok((await figure(fe, 'p50')) > 0, 'frontend p50');
    const p50 = await figure(be, 'p50');
    const p99 = await figure(be, 'p99');
    assert.ok(p50 > 0 && p99 >= p50, `p50 ${p50} <= p99 ${p99}`);
    // a line needs two samples: the first poll may have drawn only one point ('M x yh0.01')
    const points = () => page.getAttribute(`${be} path[data-series="req"]`, 'data-points').then(Number);
    await until(async () => (await points()) >= 2, 10_000, 'two samples in the request-rate chart');
    const d = await page.getAttribute(`${be} path[data-series="req"]`, 'd');
    assert.match(d ?? '', /^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+/);
  });

  test('VRRP state reported on the runtime socket shows in the header', async () => {
    assert.equal(await cliQuery({ path: sock }, 'set vrrp state VI_1 MASTER'), '\n');
    await page.waitForSelector('#vrrp .vrrp[data-state="MASTER"]');
    assert.match((await page.textContent('#vrrp')) ?? '', /VI_1 MASTER since \d\d:\d\d:\d\d/);
  });

  test('a killed server turns DOWN on its timeline with the check reason on hover', async () => {
    await s1.close();
    const row = `${card('backend', 'app')} .srv[data-server="s1"]`;
    await page.waitForSelector(`${row}[data-state="DOWN"]`, { timeout: 20_000 });
    const band = `${row} .band[data-state="DOWN"]`;
    const reason = (await page.getAttribute(band, 'data-reason')) ?? '';
    assert.match(reason, /health check: Layer4 connection problem, info: "Connection refused"/);
    // the band before it is UP; s2's timeline stays UP only
    assert.equal(
      await page.$$eval(`${row} .band`, (bs) => bs.map((b) => b.getAttribute('data-state')).join(',')),
      'UP,DOWN',
    );
    assert.equal(await page.textContent(`${row} .status`), 'DOWN');
    assert.equal(await page.$$eval(`${card('backend', 'app')} .srv[data-server="s2"] .band`, (bs) => bs.length), 1);
    // requests sent to s1 before the checks noticed were retried or redispatched
    const be = card('backend', 'app');
    await until(
      async () => (await seriesMax(be, 'retry')) + (await seriesMax(be, 'redisp')) + (await seriesMax(be, 'err')) > 0,
      10_000,
      'retries or errors in the chart',
    );
    // a server put in maintenance through the runtime API: a MAINT band saying so
    assert.equal(await cliQuery({ path: sock }, 'disable server app/s3'), '\n');
    const s3Row = `${card('backend', 'app')} .srv[data-server="s3"]`;
    await page.waitForSelector(`${s3Row}[data-state="MAINT"]`);
    assert.equal(
      await page.getAttribute(`${s3Row} .band[data-state="MAINT"]`, 'data-reason'),
      'MAINT set by runtime API',
    );
    // the 1 min range: charts and timelines span the last minute
    await page.click('#range button[data-range="60000"]');
    assert.equal(await page.textContent(`${card('backend', 'app')} .timeline-axis span`), '−60 s');
    await page.waitForTimeout(1200);
    await page.hover(band);
    await until(
      async () => (await page.isVisible('#tip')) && /Connection refused/.test((await page.textContent('#tip')) ?? ''),
      5000,
      'tooltip',
    );
    assert.match((await page.textContent('#tip')) ?? '', /^DOWN from \d\d:\d\d:\d\d \(now\)/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  });

  test('one data request a second, each asking only for newer samples', async () => {
    const from = requested.length;
    await new Promise((r) => setTimeout(r, 3000));
    const data = requested.slice(from).filter((u) => u.includes(';dashboard;data'));
    assert.ok(data.length >= 1 && data.length <= 5, `${data.length} data requests in 3 s`);
    for (const u of data) assert.match(u, /;since=\d{13}$/);
    driving = false;
    await traffic;
  });

  test('the proxy gone: the page says so and keeps what it had', async () => {
    await proxy.stop();
    await page.waitForSelector('#status:not([hidden])', { timeout: 10_000 });
    assert.match((await page.textContent('#status')) ?? '', /No data from the proxy .*retrying every second/);
    assert.ok(await page.isVisible(`${card('backend', 'app')} .srv[data-server="s1"][data-state="DOWN"]`));
  });

  test('a new process on the same listener: the page starts over with its data', async () => {
    const before = Number(await page.getAttribute('body', 'data-samples'));
    assert.ok(before >= 10, `${before} samples before the restart`);
    proxy = await startProxy(['-f', cfg]);
    await page.waitForSelector('#status[hidden]', { state: 'attached', timeout: 15_000 });
    // the new process's history only (a few samples), not the old one's merged with it
    await until(
      async () => {
        const n = Number(await page.getAttribute('body', 'data-samples'));
        return n >= 1 && n < before;
      },
      10_000,
      'the new process samples',
    );
    // s1 is still gone: the new process's checks take it DOWN again
    const row = `${card('backend', 'app')} .srv[data-server="s1"]`;
    await page.waitForSelector(`${row}[data-state="DOWN"]`, { timeout: 20_000 });
    assert.match(
      (await page.getAttribute(`${row} .band[data-state="DOWN"]`, 'data-reason')) ?? '',
      /Connection refused/,
    );
    assert.equal(await page.$$eval(`${card('backend', 'app')} .srv[data-server="s2"] .band`, (bs) => bs.length), 1);
  });
});
