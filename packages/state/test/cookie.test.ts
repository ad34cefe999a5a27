import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import type { CookieModel } from '@switchyard/config';
import type { ServerState } from '@switchyard/proxy';
import { aclCompiler } from '../src/acl-bridge.ts';
import { cacheable } from '../src/cookie.ts';
import { decodeCookieDate, encodeCookieDate, s30tob64 } from '../src/cookie-date.ts';
import { compilePlan } from '../src/plan.ts';
import { createRequestHooks } from '../src/request-hooks.ts';
import { TableDirectory } from '../src/tables.ts';
import { config, cookie, proxy, request, runtime, server } from './fixtures.ts';

/** One backend `be` with s1 (cookie A), s2 (cookie B), s3 (no cookie); hooks over it. */
function setup(c: CookieModel, persist = false) {
  const be = proxy('backend', 'be', 1, {
    cookie: c,
    servers: [server('s1', 1, { cookie: 'A' }), server('s2', 2, { cookie: 'B' }), server('s3', 3)],
  });
  be.options.persist = persist;
  const rt = runtime(config([be]));
  const dir = new TableDirectory();
  dir.load(rt.config);
  const diags: never[] = [];
  const plan = compilePlan(rt, dir, aclCompiler(), diags);
  const hooks = createRequestHooks(() => plan);
  const backend = rt.backends.get('be')!;
  const [s1, s2, s3] = backend.servers;
  /** Runs the request through the hooks like the datapath: returns the server, the request headers forwarded, the response headers. */
  const exchange = (reqHeaders: string[], resHeaders: IncomingHttpHeaders = {}, method = 'GET') => {
    const txn = request('10.0.0.1', reqHeaders, method);
    const persistent = hooks.persistentServer!(txn, backend);
    const chosen: ServerState = persistent ?? backend.selector.pick(txn)!;
    hooks.serverChosen!(txn, backend, chosen);
    const res = { ...resHeaders };
    hooks.responseHeaders!(txn, backend, chosen, 200, res);
    return { persistent, chosen, forwarded: txn.rawHeaders, res };
  };
  return { exchange, s1, s2, s3 };
}

test('cookie insert: new client gets Set-Cookie, returning client goes direct without one', () => {
  const { exchange, s1, s2 } = setup(cookie('insert'));
  const first = exchange([]);
  assert.equal(first.persistent, undefined);
  assert.equal(first.chosen, s1);
  assert.deepEqual(first.res['set-cookie'], ['SRV=A; path=/']);
  const again = exchange(['Cookie', 'SRV=B; x=1']);
  assert.equal(again.persistent, s2);
  assert.equal(again.res['set-cookie'], undefined, 'direct: no new cookie');
  assert.deepEqual(again.forwarded, ['Cookie', 'SRV=B; x=1'], 'without indirect the cookie reaches the server');
});

test('cookie insert indirect nocache httponly secure: removed from the request, attributes on the response', () => {
  const { exchange } = setup(
    cookie('insert', { indirect: true, nocache: true, httponly: true, secure: true, domain: ['.example.com'] }),
  );
  const first = exchange(['Cookie', 'SRV=zz'], { etag: '"v1"' });
  assert.deepEqual(first.res['set-cookie'], ['SRV=A; path=/; domain=.example.com; HttpOnly; Secure']);
  assert.equal(first.res['cache-control'], 'private', 'cacheable response (validator): made private');
  const uncacheable = exchange([], {});
  assert.equal(uncacheable.res['cache-control'], undefined, 'no freshness nor validator: left alone, as haproxy');
  assert.deepEqual(first.forwarded, [], 'the only cookie was removed: the whole header goes');
  const again = exchange(['Cookie', 'a=1; SRV=B; b=2']);
  assert.deepEqual(again.forwarded, ['Cookie', 'a=1; b=2']);
  assert.equal(again.res['set-cookie'], undefined);
  assert.equal(again.res['cache-control'], undefined);
});

test('cookie insert: the server own cookie of that name is deleted; preserve keeps it and inserts nothing', () => {
  const ins = setup(cookie('insert'));
  const r = ins.exchange([], { 'set-cookie': ['SRV=mine; path=/', 'other=1'] });
  assert.deepEqual(r.res['set-cookie'], ['other=1', 'SRV=A; path=/']);
  const keep = setup(cookie('insert', { preserve: true }));
  const k = keep.exchange([], { 'set-cookie': ['SRV=mine; path=/'] });
  assert.deepEqual(k.res['set-cookie'], ['SRV=mine; path=/']);
});

test('cookie insert postonly: only POST responses get the cookie', () => {
  const { exchange } = setup(cookie('insert', { postonly: true }));
  assert.equal(exchange([]).res['set-cookie'], undefined);
  assert.deepEqual(exchange([], {}, 'POST').res['set-cookie'], ['SRV=A; path=/']);
});

test('cookie pointing to a DOWN or MAINT server: rebalanced and a new cookie inserted; DRAIN still sticks', () => {
  const { exchange, s1, s2 } = setup(cookie('insert'));
  s2.op = 'DOWN';
  const down = exchange(['Cookie', 'SRV=B']);
  assert.equal(down.persistent, undefined);
  assert.equal(down.chosen, s1);
  assert.deepEqual(down.res['set-cookie'], ['SRV=A; path=/']);
  s2.op = 'UP';
  s2.admin = 'MAINT';
  assert.equal(exchange(['Cookie', 'SRV=B']).persistent, undefined);
  s2.admin = 'DRAIN';
  assert.equal(exchange(['Cookie', 'SRV=B']).persistent, s2);
});

test('option persist: a DOWN server still gets its cookie traffic (never a MAINT one)', () => {
  const { exchange, s2 } = setup(cookie('insert'), true);
  s2.op = 'DOWN';
  assert.equal(exchange(['Cookie', 'SRV=B']).persistent, s2);
  s2.admin = 'MAINT';
  assert.equal(exchange(['Cookie', 'SRV=B']).persistent, undefined);
});

test('cookie insert: a server without a cookie value gets a removal cookie', () => {
  const { exchange, s1, s2 } = setup(cookie('insert'));
  s1.admin = 'MAINT';
  s2.admin = 'MAINT';
  const r = exchange(['Cookie', 'SRV=A']);
  assert.equal(r.chosen.name, 's3');
  assert.deepEqual(r.res['set-cookie'], ['SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/']);
});

test('cookie rewrite: the server cookie value is replaced by the server id', () => {
  const { exchange } = setup(cookie('rewrite'));
  const r = exchange([], { 'set-cookie': ['SRV=session123; path=/; HttpOnly'] });
  assert.deepEqual(r.res['set-cookie'], ['SRV=A; path=/; HttpOnly']);
  const direct = exchange(['Cookie', 'SRV=B']);
  assert.equal(direct.persistent?.name, 's2');
  assert.deepEqual(direct.forwarded, ['Cookie', 'SRV=B']);
  // rewrite never inserts a cookie the server did not set
  assert.equal(exchange([]).res['set-cookie'], undefined);
});

test('a single Set-Cookie arrives as a string (node header objects): handled, not split into characters', () => {
  const { exchange } = setup(cookie('rewrite'));
  const r = exchange([], { 'set-cookie': 'SRV=abc; path=/' as unknown as string[], 'cache-control': 'no-store' });
  assert.deepEqual(r.res['set-cookie'], ['SRV=A; path=/']);
  const ins = setup(cookie('insert', { nocache: true }));
  const i = ins.exchange([], { 'set-cookie': 'other=1' as unknown as string[], 'cache-control': 'no-store' });
  assert.deepEqual(i.res['set-cookie'], ['other=1', 'SRV=A; path=/']);
  assert.equal(i.res['cache-control'], 'no-store', 'not cacheable: unchanged');
  const j = ins.exchange([], { 'cache-control': 'max-age=60' });
  assert.deepEqual(j.res['cache-control'], ['max-age=60', 'private'], 'a second Cache-Control line, as haproxy');
});

test('cacheability as haproxy 2.6 decides it for nocache', () => {
  const c = (method: string, status: number, h: Record<string, string>) => cacheable(method, status, h);
  assert.equal(c('GET', 200, { etag: 'x' }), true);
  assert.equal(c('HEAD', 200, { 'last-modified': 'x' }), true);
  assert.equal(c('GET', 200, { expires: 'x' }), true);
  assert.equal(c('GET', 200, { 'cache-control': 's-maxage=10' }), true);
  assert.equal(c('GET', 200, { 'cache-control': 'public' }), false, 'public alone is no freshness');
  assert.equal(c('GET', 200, {}), false);
  assert.equal(c('POST', 200, { etag: 'x' }), false);
  assert.equal(c('GET', 302, { etag: 'x' }), false);
  assert.equal(c('GET', 500, { etag: 'x' }), false);
  for (const s of [203, 204, 206, 300, 301, 404, 405, 410, 414, 501])
    assert.equal(c('GET', s, { etag: 'x' }), true, `${s}`);
  for (const cc of ['no-cache', 'no-store', 'max-age=0', 's-maxage=0', 'private', 'no-cache, max-age=60']) {
    assert.equal(c('GET', 200, { etag: 'x', 'cache-control': cc }), false, cc);
  }
  assert.equal(c('GET', 200, { etag: 'x', pragma: 'no-cache' }), false);
});

test('cookie rewrite indirect: a direct request loses the server Set-Cookie (client already has it)', () => {
  const { exchange } = setup(cookie('rewrite', { indirect: true }));
  const r = exchange(['Cookie', 'SRV=B'], { 'set-cookie': ['SRV=xyz; path=/'] });
  assert.equal(r.res['set-cookie'], undefined);
});

test('cookie prefix: VAL~ added to the server cookie and stripped from the request', () => {
  const { exchange, s2 } = setup(cookie('prefix'));
  const r = exchange([], { 'set-cookie': ['SRV=abc; path=/'] });
  assert.deepEqual(r.res['set-cookie'], ['SRV=A~abc; path=/']);
  const back = exchange(['Cookie', 'x=1; SRV=B~abc']);
  assert.equal(back.persistent, s2);
  assert.deepEqual(back.forwarded, ['Cookie', 'x=1; SRV=abc']);
});

test('cookie dates: HAProxy encoding round-trips (4 s resolution)', () => {
  assert.equal(s30tob64(0), 'AAAAA');
  assert.equal(s30tob64(1), 'AAAAB');
  assert.equal(s30tob64(64), 'AAABA');
  const now = 1_763_750_000;
  const d = decodeCookieDate(encodeCookieDate(now));
  assert.ok(d >= now && d <= now + 4, `${d} ~ ${now}`);
  assert.equal(decodeCookieDate('!!!!!'), -1);
});

test('cookie maxidle: dated cookie inserted; an idle one is ignored and replaced', () => {
  const { exchange, s1, s2 } = setup(cookie('insert', { maxidle: 60_000 }));
  const first = exchange([]);
  const sc = (first.res['set-cookie'] as string[])[0];
  assert.match(sc, /^SRV=A\|[A-Za-z0-9+/]{5}; path=\/$/);
  const nowSec = Math.floor(Date.now() / 1000);
  const fresh = `SRV=B|${encodeCookieDate(nowSec)}`;
  assert.equal(exchange(['Cookie', fresh]).persistent, s2);
  const idle = `SRV=B|${encodeCookieDate(nowSec - 3600)}`;
  const r = exchange(['Cookie', idle]);
  assert.equal(r.persistent, undefined);
  assert.equal(r.chosen, s1);
  assert.match((r.res['set-cookie'] as string[])[0], /^SRV=A\|/);
});

test('cookie maxlife: first date kept across refreshes, too old is expired', () => {
  const { exchange, s2 } = setup(cookie('insert', { maxlife: 3_600_000 }));
  const nowSec = Math.floor(Date.now() / 1000);
  const first = encodeCookieDate(nowSec - 600);
  const ok = exchange(['Cookie', `SRV=B|${encodeCookieDate(nowSec - 100)}|${first}`]);
  assert.equal(ok.persistent, s2);
  const set = (ok.res['set-cookie'] as string[] | undefined)?.[0];
  assert.ok(set, 'last date in the past: refreshed');
  assert.ok(set.startsWith('SRV=B|') && set.includes(`|${first};`), set);
  const old = exchange(['Cookie', `SRV=B|${encodeCookieDate(nowSec)}|${encodeCookieDate(nowSec - 7200)}`]);
  assert.equal(old.persistent, undefined);
});
