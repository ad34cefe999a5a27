import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { renderCsv } from '../src/stats/csv.ts';
import { collectRows } from '../src/stats/rows.ts';
import { startFront } from './helpers/http.ts';
import { buildRuntime, proxyModel, sampleRuntime, serverModel, socketModel, statsModel } from './helpers/runtime.ts';
import { cliQuery } from './helpers/socket.ts';

const loc = { file: 'test.cfg', line: 9 };

describe('stats options', () => {
  test('stats scope limits the proxies shown, and what the admin form may change', async () => {
    const rt = sampleRuntime({ scope: ['app'], admin: { polarity: 'if', terms: ['TRUE'], loc } });
    const f = await startFront(rt);
    try {
      const csv = await (await fetch(`${f.url('web')}/admin?stats;csv`)).text();
      const names = csv
        .split('\n')
        .slice(1, -1)
        .map((l) => l.split(',').slice(0, 2).join(','));
      assert.deepEqual(names, ['app,s1', 'app,s2', 'app,s3', 'app,BACKEND']);
      const r = await fetch(`${f.url('web')}/admin?stats`, {
        method: 'POST',
        body: 's=s1&action=maint&b=stats',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        redirect: 'manual',
      });
      assert.equal(r.headers.get('location'), '/admin?stats;st=DENY', 'backend out of scope');
    } finally {
      await f.close();
    }
  });

  test('hide-version, show-node, show-legends, refresh, description', async () => {
    const rt = sampleRuntime({ hideVersion: true, showNode: 'lb-1', showLegends: true, refresh: 10_000 });
    rt.config.global.description = 'Paris web farm';
    const f = await startFront(rt);
    try {
      const html = await (await fetch(`${f.url('web')}/admin?stats`)).text();
      assert.doesNotMatch(html, /0\.1\.0-test/);
      assert.match(html, /on lb-1/);
      assert.match(html, /<b>description = <\/b> Paris web farm/);
      assert.match(html, /<div class=tips>addr: 127\.0\.0\.1:1<br>id: 1<\/div>/);
      assert.match(html, /http-equiv="refresh" content="10"/);
      const plain = await startFront(sampleRuntime());
      try {
        const h2 = await (await fetch(`${plain.url('web')}/admin?stats`)).text();
        assert.match(h2, /Switchyard version 0\.1\.0-test/);
        assert.doesNotMatch(h2, /class=tips/);
        assert.doesNotMatch(h2, /http-equiv="refresh"/);
      } finally {
        await plain.close();
      }
    } finally {
      await f.close();
    }
  });

  test('stats admin unless COND', async () => {
    const rt = sampleRuntime({
      admin: { polarity: 'unless', terms: ['{', 'req.hdr(x-readonly)', '-m', 'found', '}'], loc },
    });
    const f = await startFront(rt);
    try {
      const post = (h: Record<string, string>) =>
        fetch(`${f.url('web')}/admin?stats`, {
          method: 'POST',
          body: 's=s2&action=drain&b=app',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...h },
          redirect: 'manual',
        });
      assert.equal((await post({ 'x-readonly': '1' })).headers.get('location'), '/admin?stats;st=DENY');
      assert.equal(rt.backends.get('app')?.serversByName.get('s2')?.admin, 'READY');
      assert.equal((await post({})).headers.get('location'), '/admin?stats;st=DONE');
      assert.equal(rt.backends.get('app')?.serversByName.get('s2')?.admin, 'DRAIN');
    } finally {
      await f.close();
    }
  });

  test('a proxy with stats admin and no condition compiler is refused, not ignored', async () => {
    const { createAdmin, AdminConfigError } = await import('../src/index.ts');
    const rt = sampleRuntime({ admin: { polarity: 'if', terms: ['TRUE'], loc } });
    await assert.rejects(
      createAdmin(rt, { version: 'x', pid: 1, control: { setServerAdmin() {}, setServerWeight() {} } }),
      (e: unknown) => e instanceof AdminConfigError && /test\.cfg:9: 'stats admin' in 'web'/.test(e.message),
    );
  });

  test('CSV quoting of odd values', () => {
    const app = proxyModel('backend', 'app', 3, { servers: [serverModel('s1', 1, { cookie: 'a,"b"' })] });
    const rt = buildRuntime([app]);
    const line = renderCsv(collectRows(rt)).split('\n')[1];
    assert.ok(line.includes(',"a,""b""",'), line);
  });

  test('no stats or exporter configured: the HTTP side is built at the first request handed over', async () => {
    const { servesHttp } = await import('../src/index.ts');
    // e.g. a reload adds an exporter: the datapath serves it before admin.swapRuntime has run
    const rt = buildRuntime([
      proxyModel('frontend', 'web', 2, { defaultBackend: 'app' }),
      proxyModel('backend', 'app', 3, { servers: [serverModel('s1', 1)] }),
    ]);
    assert.equal(servesHttp(rt), false);
    assert.equal(servesHttp(sampleRuntime()), true);
    const f = await startFront(rt);
    try {
      const r = await fetch(`${f.url('web')}/metrics`);
      assert.equal(r.status, 200);
      assert.match(await r.text(), /haproxy_backend_status\{proxy="app",state="UP"\} 1/);
    } finally {
      await f.close();
    }
  });

  test('swapRuntime: sockets follow the new config, histograms of removed servers dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-swap-'));
    const { createAdmin } = await import('../src/index.ts');
    const { testControl } = await import('./helpers/runtime.ts');
    const a = socketModel({ path: join(dir, 'a.sock') });
    const b = socketModel({ path: join(dir, 'b.sock') });
    const rt1 = sampleRuntime({}, [a]);
    const admin = await createAdmin(rt1, { version: 'x', pid: 1, control: testControl });
    try {
      await admin.startSockets();
      admin.observeLatency('app', 's3', 0.1);
      assert.equal(await cliQuery({ path: a.path as string }, 'show backend'), '# name\napp\nstats\n\n');
      const app2 = proxyModel('backend', 'app', 3, { servers: [serverModel('s1', 1)] });
      const fe = proxyModel('frontend', 'web', 2, { stats: statsModel(), defaultBackend: 'app' });
      const rt2 = buildRuntime([fe, app2], [b]);
      await admin.swapRuntime(rt2);
      assert.equal(await cliQuery({ path: b.path as string }, 'show backend'), '# name\napp\n\n');
      await assert.rejects(cliQuery({ path: a.path as string }, 'show backend'));
      assert.doesNotMatch(await admin.renderMetrics(), /server="s3"/);
    } finally {
      await admin.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('clear counters: max values (operator), all counters (admin)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-clr-'));
    const { createAdmin } = await import('../src/index.ts');
    const { testControl } = await import('./helpers/runtime.ts');
    const sock = socketModel({ path: join(dir, 'o.sock'), level: 'operator' });
    const rt = sampleRuntime({}, [sock]);
    const c = rt.frontends.get('web')?.counters;
    if (!c) throw new Error('no web');
    c.stot = 10;
    c.smax = 7;
    const admin = await createAdmin(rt, { version: 'x', pid: 1, control: testControl });
    try {
      await admin.startSockets();
      assert.equal(await cliQuery({ path: sock.path as string }, 'clear counters'), '\n');
      assert.equal(c.smax, 0);
      assert.equal(c.stot, 10);
      assert.equal(await cliQuery({ path: sock.path as string }, 'clear counters all'), 'Permission denied\n\n');
      assert.equal(c.stot, 10);
    } finally {
      await admin.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
