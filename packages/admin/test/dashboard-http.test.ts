/**
 * `STATS_URI;dashboard` over HTTP: the page and its JSON under a `stats uri` with a query part,
 * behind `stats auth`, limited by `stats scope`, served by a recorder running on its own timer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Front, startFront } from './helpers/http.ts';
import { sampleRuntime } from './helpers/runtime.ts';

const auth = { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` };

describe('dashboard over HTTP', () => {
  const rt = sampleRuntime({ auth: [{ user: 'ops', password: 'pw' }], hideVersion: true });
  let f: Front;
  before(async () => {
    f = await startFront(rt);
  });
  after(() => f.close());

  test('the page: behind stats auth, assets inline, the data URL under the stats uri', async () => {
    assert.equal((await fetch(`${f.url('web')}/admin?stats;dashboard`)).status, 401);
    const r = await fetch(`${f.url('web')}/admin?stats;dashboard`, { headers: auth });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
    const html = await r.text();
    assert.match(html, /<script type="application\/json" id="dash-config">\{"data":"\/admin\?stats;dashboard;data"\}/);
    assert.match(html, /<style>[^<]*\.band \{/);
    assert.match(html, /async function poll\(\)/);
    assert.doesNotMatch(html, /<(script|link)[^>]+(src|href)="(https?:)?\/\//, 'nothing loaded from elsewhere');
    assert.doesNotMatch(html, /0\.1\.0-test/, 'stats hide-version');
    // the stats page itself is unchanged
    assert.match(await (await fetch(`${f.url('web')}/admin?stats`, { headers: auth })).text(), /<table/);
  });

  test('the JSON: recorded by the timer, since, scope', async () => {
    const get = async (suffix: string) => {
      const r = await fetch(`${f.url('web')}/admin?stats;dashboard;data${suffix}`, { headers: auth });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(r.headers.get('cache-control'), 'no-cache');
      return (await r.json()) as { times: number[]; proxies: Array<{ kind: string; name: string }> };
    };
    // the recorder samples once a second from createAdmin on
    const deadline = Date.now() + 10_000;
    let d = await get('');
    while (d.times.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      d = await get('');
    }
    assert.ok(d.times.length >= 2, `${d.times.length} samples`);
    assert.ok(d.times[1] - d.times[0] >= 900 && d.times[1] - d.times[0] <= 5000, 'about a second apart');
    assert.deepEqual(
      d.proxies.map((p) => `${p.kind}/${p.name}`),
      ['frontend/web', 'frontend/stats', 'backend/app'],
    );
    const last = d.times[d.times.length - 1];
    assert.deepEqual(
      (await get(`;since=${last}`)).times.filter((t) => t <= last),
      [],
    );
    assert.equal((await get(';since=garbage')).times.length >= d.times.length, true, 'a bad since means all');
  });
});

describe('dashboard with stats scope', () => {
  const rt = sampleRuntime({ scope: ['app'] });
  let f: Front;
  before(async () => {
    f = await startFront(rt);
  });
  after(() => f.close());

  test('only the proxies in scope', async () => {
    const d = (await (await fetch(`${f.url('web')}/admin?stats;dashboard;data`)).json()) as {
      proxies: Array<{ kind: string; name: string }>;
    };
    assert.deepEqual(
      d.proxies.map((p) => `${p.kind}/${p.name}`),
      ['backend/app'],
    );
  });
});
