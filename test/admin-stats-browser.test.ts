/**
 * The stats page in real headless Chromium (Debian's /usr/bin/chromium via playwright-core):
 * rows present, colours as computed by the browser, the admin form driven by clicks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setServerAdmin, setServerOp } from '@switchyard/proxy';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type Front, startFront } from '../packages/admin/test/helpers/http.ts';
import { buildRuntime, proxyModel, serverModel, statsModel } from '../packages/admin/test/helpers/runtime.ts';
import { findBinary, needs } from './helpers/system.ts';

const chromiumPath = findBinary('chromium');
const skip = needs('chromium');
const loc = { file: 'test.cfg', line: 3 };
/** What the page functions use from the browser (this file is type-checked without the DOM lib). */
type BrowserGlobals = { getComputedStyle(el: unknown): { backgroundColor: string } };

function farm() {
  const stats = statsModel({
    uri: '/admin?stats',
    auth: [{ user: 'ops', password: 'pw' }],
    refresh: 30_000,
    showLegends: true,
    admin: { polarity: 'if', terms: ['TRUE'], loc },
  });
  const web = proxyModel('frontend', 'web', 2, { stats, defaultBackend: 'app' });
  const app = proxyModel('backend', 'app', 3, {
    servers: [
      serverModel('up1', 1, { check: true }),
      serverModel('drain2', 2, { weight: 50 }),
      serverModel('maint3', 3, { backup: true, disabled: true }),
      serverModel('down4', 4, { check: true }),
      serverModel('goingdown5', 5, { check: true }),
      serverModel('nocheck6', 6),
    ],
  });
  const rt = buildRuntime([web, app]);
  const be = rt.backends.get('app');
  if (!be) throw new Error('no app');
  const s = (n: string) => be.serversByName.get(n) as NonNullable<ReturnType<typeof be.serversByName.get>>;
  s('up1').health = 4;
  s('up1').lastCheck = { status: 'L7OK', code: 200, durationMs: 1 };
  setServerAdmin(rt, be, s('drain2'), 'DRAIN', 'config');
  setServerOp(rt, be, s('down4'), 'DOWN', 'check', { status: 'L4CON', durationMs: 0, info: 'Connection refused' });
  s('down4').health = 0;
  s('down4').lastCheck = { status: 'L4CON', durationMs: 0 };
  s('goingdown5').health = 2; // rise 2, fall 3: UP 1/3, going down
  s('goingdown5').lastCheck = { status: 'L7STS', code: 500, durationMs: 2 };
  rt.vrrp.set('VI_1', 'MASTER');
  return rt;
}

describe('stats page in headless Chromium', { skip }, () => {
  const rt = farm();
  let f: Front;
  let browser: Browser;
  let page: Page;
  before(async () => {
    f = await startFront(rt);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const ctx = await browser.newContext({
      httpCredentials: { username: 'ops', password: 'pw' },
      viewport: { width: 1600, height: 900 },
    });
    page = await ctx.newPage();
  });
  after(async () => {
    await browser?.close();
    await f?.close();
  });

  const bg = (row: string) =>
    page.$eval(
      `table[data-proxy="app"] tr[data-row="${row}"]`,
      (el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).backgroundColor,
    );

  test('renders one table per proxy with FRONTEND, server and BACKEND rows', async () => {
    const r = await page.goto(`${f.url('web')}/admin?stats`);
    assert.equal(r?.status(), 200);
    assert.deepEqual(await page.$$eval('table[data-proxy]', (ts) => ts.map((t) => t.getAttribute('data-proxy'))), [
      'web',
      'app',
    ]);
    const rows = await page.$$eval('table[data-proxy="app"] tr[data-row]', (trs) =>
      trs.map((t) => t.getAttribute('data-row')),
    );
    assert.deepEqual(rows, ['up1', 'drain2', 'maint3', 'down4', 'goingdown5', 'nocheck6', 'BACKEND']);
    const webRows = await page.$$eval('table[data-proxy="web"] tr[data-row]', (trs) =>
      trs.map((t) => t.getAttribute('data-row')),
    );
    assert.deepEqual(webRows, ['FRONTEND']);
    const status = await page.$eval('tr[data-row="goingdown5"]', (tr) => tr.textContent ?? '');
    assert.match(status, /UP 1\/3/);
    assert.match(await page.$eval('tr[data-row="up1"]', (tr) => tr.textContent ?? ''), /L7OK\/200 in 1ms/);
    assert.match((await page.textContent('body')) ?? '', /VRRP VI_1: MASTER/);
  });

  test('rows are coloured by state (computed by the browser)', async () => {
    assert.equal(await bg('up1'), 'rgb(192, 255, 192)');
    assert.equal(await bg('drain2'), 'rgb(32, 160, 255)');
    assert.equal(await bg('maint3'), 'rgb(192, 120, 32)');
    assert.equal(await bg('down4'), 'rgb(255, 144, 144)');
    assert.equal(await bg('goingdown5'), 'rgb(255, 255, 160)');
    assert.equal(await bg('nocheck6'), 'rgb(224, 224, 224)');
    await page.screenshot({ path: '/tmp/switchyard-stats.png', fullPage: true });
  });

  test('admin form: tick a server, choose MAINT, Apply', async () => {
    await page.check('table[data-proxy="app"] tr[data-row="nocheck6"] input[name="s"]');
    await page.selectOption('select[name="action"]', 'maint');
    await Promise.all([page.waitForURL(/;st=DONE/), page.click('input[type="submit"][value="Apply"]')]);
    assert.match((await page.textContent('#status-msg')) ?? '', /Action processed successfully\./);
    assert.equal(rt.backends.get('app')?.serversByName.get('nocheck6')?.admin, 'MAINT');
    assert.equal(await bg('nocheck6'), 'rgb(192, 120, 32)');
  });

  test('admin form: select-all checkbox and READY', async () => {
    await page.goto(`${f.url('web')}/admin?stats`);
    await page.check('table[data-proxy="app"] input.toggle-all');
    const checked = await page.$$eval(
      'table[data-proxy="app"] input[name="s"]',
      (xs) => xs.filter((x) => (x as unknown as { checked: boolean }).checked).length,
    );
    assert.equal(checked, 6);
    await page.selectOption('select[name="action"]', 'ready');
    await Promise.all([page.waitForURL(/;st=DONE/), page.click('input[type="submit"][value="Apply"]')]);
    for (const s of rt.backends.get('app')?.servers ?? []) assert.equal(s.admin, 'READY', s.name);
    assert.equal(await bg('drain2'), 'rgb(224, 224, 224)');
    await page.screenshot({ path: '/tmp/switchyard-stats-after.png', fullPage: true });
  });
});
