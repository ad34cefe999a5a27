import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CSV_HEADER } from '../src/stats/fields.ts';
import { type Front, startFront } from './helpers/http.ts';
import { sampleRuntime } from './helpers/runtime.ts';

const loc = { file: 'test.cfg', line: 7 };
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('stats page over HTTP', () => {
  const rt = sampleRuntime({
    realm: 'Ops Team',
    auth: [
      { user: 'admin', password: 'secret' },
      { user: 'viewer', password: 'v' },
    ],
    refresh: 5000,
    admin: { polarity: 'if', terms: ['{', 'req.hdr(x-user)', '-m', 'str', 'admin', '}'], loc },
  });
  let f: Front;
  const auth = { authorization: basic('admin', 'secret') };
  const adminHdrs = { ...auth, 'x-user': 'admin', 'content-type': 'application/x-www-form-urlencoded' };
  before(async () => {
    f = await startFront(rt);
  });
  after(() => f.close());

  test('no credentials / wrong password / unknown user: 401 with the realm', async () => {
    const variants: Array<Record<string, string>> = [
      {},
      { authorization: basic('admin', 'nope') },
      { authorization: basic('eve', 'secret') },
      { authorization: 'Basic !!!' },
      { authorization: 'Bearer x' },
    ];
    for (const h of variants) {
      const r = await fetch(`${f.url('web')}/admin?stats`, { headers: h });
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), 'Basic realm="Ops Team"');
      assert.match(await r.text(), /401 Unauthorized/);
    }
  });

  test('several users may log in', async () => {
    for (const [u, p] of [
      ['admin', 'secret'],
      ['viewer', 'v'],
    ]) {
      const r = await fetch(`${f.url('web')}/admin?stats`, { headers: { authorization: basic(u, p) } });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      const html = await r.text();
      assert.match(html, /<meta http-equiv="refresh" content="5">/);
      assert.match(html, /data-proxy="app"/);
    }
  });

  test(";csv gives HAProxy's header and one line per row; ;json parses", async () => {
    const r = await fetch(`${f.url('web')}/admin?stats;csv`, { headers: auth });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('refresh'), '5');
    const lines = (await r.text()).split('\n');
    assert.equal(lines[0], CSV_HEADER);
    assert.deepEqual(
      lines.slice(1, -1).map((l) => l.split(',').slice(0, 2).join(',')),
      ['web,FRONTEND', 'app,s1', 'app,s2', 'app,s3', 'app,BACKEND', 'stats,FRONTEND', 'stats,BACKEND'],
    );
    const j = await fetch(`${f.url('web')}/admin?stats;json;norefresh`, { headers: auth });
    assert.equal(j.headers.get('refresh'), null);
    assert.equal(((await j.json()) as unknown[]).length, 7);
  });

  test(';norefresh drops the refresh; ;up hides DOWN and MAINT servers', async () => {
    const html = await (await fetch(`${f.url('web')}/admin?stats;norefresh;up`, { headers: auth })).text();
    assert.doesNotMatch(html, /http-equiv="refresh"/);
    assert.doesNotMatch(html, /data-row="s3"/, 's3 is in MAINT');
    assert.match(html, /data-row="s1"/);
  });

  test('admin form: drain then ready, 303 to ;st=DONE, state changed at once', async () => {
    const s2 = rt.backends.get('app')?.serversByName.get('s2');
    const r = await fetch(`${f.url('web')}/admin?stats`, {
      method: 'POST',
      headers: adminHdrs,
      body: 's=s2&action=drain&b=%233',
      redirect: 'manual',
    });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/admin?stats;st=DONE');
    assert.equal(s2?.admin, 'DRAIN');
    const r2 = await fetch(`${f.url('web')}/admin?stats;up;norefresh`, {
      method: 'POST',
      headers: adminHdrs,
      body: 's=s2&s=s1&action=ready&b=app',
      redirect: 'manual',
    });
    assert.equal(r2.headers.get('location'), '/admin?stats;st=DONE;up;norefresh');
    assert.equal(s2?.admin, 'READY');
    const html = await (await fetch(`${f.url('web')}/admin?stats;st=DONE`, { headers: auth })).text();
    assert.match(html, /Action processed successfully\./);
  });

  test('admin form: weight (Switchyard extension)', async () => {
    const s2 = rt.backends.get('app')?.serversByName.get('s2');
    const r = await fetch(`${f.url('web')}/admin?stats`, {
      method: 'POST',
      headers: adminHdrs,
      body: 's=s2&action=weight&w=10&b=app',
      redirect: 'manual',
    });
    assert.equal(r.headers.get('location'), '/admin?stats;st=DONE');
    assert.equal(s2?.weight, 10);
    const bad = await fetch(`${f.url('web')}/admin?stats`, {
      method: 'POST',
      headers: adminHdrs,
      body: 's=s2&action=weight&w=999&b=app',
      redirect: 'manual',
    });
    assert.equal(bad.headers.get('location'), '/admin?stats;st=ERRP');
    assert.equal(s2?.weight, 10);
  });

  test('malformed admin POSTs: HAProxy statuses, no state change', async () => {
    const before = [...(rt.backends.get('app')?.servers ?? [])].map((s) => `${s.admin}/${s.weight}`);
    const cases: Array<[string, string]> = [
      ['s=nope&action=drain&b=app', 'ERRP'],
      ['action=drain&b=app', 'NONE'],
      ['s=s2&action=bogus&b=app', 'ERRP'],
      ['s=s2&action=shutdown&b=app', 'ERRP'],
      ['s=s2&action=drain&b=nope', 'ERRP'],
      ['s=s2&action=maint&b=%23', 'ERRP'],
      ['s=s2&action=maint&b=%2399', 'ERRP'],
      ['s=s2&action=&b=app', 'NONE'],
      ['garbage', 'NONE'],
      ['', 'NONE'],
      [`s=${'x'.repeat(20000)}&action=drain&b=app`, 'EXCD'],
    ];
    for (const [body, st] of cases) {
      const r = await fetch(`${f.url('web')}/admin?stats`, {
        method: 'POST',
        headers: adminHdrs,
        body,
        redirect: 'manual',
      });
      assert.equal(r.status, 303, body);
      assert.equal(r.headers.get('location'), `/admin?stats;st=${st}`, body.slice(0, 40));
    }
    const after = [...(rt.backends.get('app')?.servers ?? [])].map((s) => `${s.admin}/${s.weight}`);
    assert.deepEqual(after, before);
  });

  test('partial success: PART', async () => {
    const r = await fetch(`${f.url('web')}/admin?stats`, {
      method: 'POST',
      headers: adminHdrs,
      body: 's=s2&s=nope&action=drain&b=app',
      redirect: 'manual',
    });
    assert.equal(r.headers.get('location'), '/admin?stats;st=PART');
    assert.equal(rt.backends.get('app')?.serversByName.get('s2')?.admin, 'DRAIN');
    await fetch(`${f.url('web')}/admin?stats`, {
      method: 'POST',
      headers: adminHdrs,
      body: 's=s2&action=ready&b=app',
      redirect: 'manual',
    });
  });

  test('stats admin condition false: DENY, no change, no admin form', async () => {
    const r = await fetch(`${f.url('web')}/admin?stats`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 's=s2&action=maint&b=app',
      redirect: 'manual',
    });
    assert.equal(r.headers.get('location'), '/admin?stats;st=DENY');
    assert.equal(rt.backends.get('app')?.serversByName.get('s2')?.admin, 'READY');
    const html = await (await fetch(`${f.url('web')}/admin?stats`, { headers: auth })).text();
    assert.doesNotMatch(html, /<form method="post">/);
    const adminHtml = await (
      await fetch(`${f.url('web')}/admin?stats`, { headers: { ...auth, 'x-user': 'admin' } })
    ).text();
    assert.match(adminHtml, /<form method="post">/);
  });

  test('HEAD answers like GET without a body', async () => {
    const r = await fetch(`${f.url('web')}/admin?stats;csv`, { method: 'HEAD', headers: auth });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await r.text(), '');
  });

  test('a cross-site browser POST is refused (Origin of another host), same-origin accepted', async () => {
    const host = new URL(f.url('web')).host;
    const post = (origin: string) =>
      fetch(`${f.url('web')}/admin?stats`, {
        method: 'POST',
        headers: { ...adminHdrs, origin },
        body: 's=s2&action=maint&b=app',
        redirect: 'manual',
      });
    assert.equal((await post('http://evil.example')).headers.get('location'), '/admin?stats;st=DENY');
    assert.equal((await post('null')).headers.get('location'), '/admin?stats;st=DENY');
    assert.equal(rt.backends.get('app')?.serversByName.get('s2')?.admin, 'READY');
    assert.equal((await post(`http://${host}`)).headers.get('location'), '/admin?stats;st=DONE');
    assert.equal(rt.backends.get('app')?.serversByName.get('s2')?.admin, 'MAINT');
    await fetch(`${f.url('web')}/admin?stats`, {
      method: 'POST',
      headers: adminHdrs,
      body: 's=s2&action=ready&b=app',
      redirect: 'manual',
    });
  });

  test('other methods: 303 ;st=IVAL', async () => {
    const r = await fetch(`${f.url('web')}/admin?stats`, {
      method: 'PUT',
      headers: adminHdrs,
      body: 'x',
      redirect: 'manual',
    });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/admin?stats;st=IVAL');
  });

  test('/metrics on a stats listener and use-service prometheus-exporter', async () => {
    assert.equal((await fetch(`${f.url('stats')}/metrics`)).status, 401, 'stats auth protects /metrics too');
    const r = await fetch(`${f.url('stats')}/metrics`, { headers: auth });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await r.text();
    assert.match(text, /^haproxy_server_status\{proxy="app",server="s1",state="UP"\} 1$/m);
    const p = await fetch(`${f.url('web')}/metrics?scope=backend`);
    const pt = await p.text();
    assert.match(pt, /^haproxy_backend_status\{proxy="app",state="UP"\} 1$/m);
    assert.doesNotMatch(pt, /haproxy_server_/);
    const nm = await (await fetch(`${f.url('web')}/metrics?scope=server&no-maint`)).text();
    assert.match(nm, /server="s1"/);
    assert.doesNotMatch(nm, /server="s3"/, 's3 is in MAINT');
    assert.match(await (await fetch(`${f.url('web')}/metrics?scope=server`)).text(), /server="s3"/);
    const bad = await fetch(`${f.url('web')}/metrics?scope=nope`);
    assert.equal(bad.status, 400);
    assert.equal(await bad.text(), "Unsupported scope 'nope'.\n");
  });
});
