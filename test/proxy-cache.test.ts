/**
 * The small-object cache through the real proxy and Debian's haproxy 2.6 on the same config: the
 * same sequence of requests gives the same hit/miss sequence (seen at the origin and by the Age
 * field), for what HAProxy 2.6 stores and what it does not (Cache-Control private / no-store /
 * max-age=0 / no-cache, Vary, Set-Cookie, no validator, non-200, Authorization, request no-cache,
 * POST invalidating, HEAD from a GET entry), the same 304 answers to If-None-Match /
 * If-Modified-Since, and the same cache_lookups / cache_hits counters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpGet } from './helpers/http-get.ts';
import { startPair } from './helpers/peer-pair.ts';
import { startUpstream } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

const BODY = (up: number) => `cache c
  total-max-size 4
  max-age 240
frontend fe
  bind 127.0.0.1:@PORT@
  stats uri /stats
  http-request cache-use c
  http-response cache-store c
  default_backend be
backend be
  server s 127.0.0.1:${up}
`;

/** Response headers by path (the origin counts how often each path reaches it). */
function headersFor(path: string): Record<string, string> {
  const base = { 'content-type': 'text/plain', etag: '"e1"', 'last-modified': 'Mon, 07 Dec 2026 10:00:00 GMT' };
  const p = path.replace(/\?.*$/, '');
  switch (p) {
    case '/private':
      return { ...base, 'cache-control': 'private' };
    case '/nostore':
      return { ...base, 'cache-control': 'no-store' };
    case '/maxage0':
      return { ...base, 'cache-control': 'max-age=0' };
    case '/maxage':
      return { 'content-type': 'text/plain', 'cache-control': 'max-age=100' };
    case '/vary':
      return { ...base, vary: 'accept-encoding' };
    case '/cookie':
      return { ...base, 'set-cookie': 'a=b' };
    case '/novalidator':
      return { 'content-type': 'text/plain' };
    case '/aged':
      return { ...base, 'cache-control': 'max-age=100', age: '30' };
    default:
      return base;
  }
}

async function send(port: number, method: string, path: string, headers: Record<string, string> = {}) {
  const g = await httpGet(port, path, headers, method);
  return { status: g.status, age: g.headers.age, body: g.body.toString() };
}

/** [method, path, request headers]: each run on both sides in order. */
const STEPS: Array<[string, string, Record<string, string>?]> = [
  ['GET', '/a'],
  ['GET', '/a'],
  ['HEAD', '/a'],
  ['GET', '/a', { 'if-none-match': '"e1"' }],
  ['GET', '/a', { 'if-none-match': '"zz"' }],
  ['GET', '/a', { 'if-modified-since': 'Mon, 07 Dec 2026 11:00:00 GMT' }],
  ['GET', '/a', { 'if-modified-since': 'Mon, 07 Dec 2026 09:00:00 GMT' }],
  ['GET', '/a', { 'cache-control': 'no-cache' }],
  ['GET', '/a', { pragma: 'no-cache' }],
  ['GET', '/a', { authorization: 'Basic eDp5' }],
  ['POST', '/a'],
  ['GET', '/a'],
  ['GET', '/a'],
  ['HEAD', '/h'],
  ['GET', '/h'],
  ['GET', '/h'],
  ['GET', '/private'],
  ['GET', '/private'],
  ['GET', '/nostore'],
  ['GET', '/nostore'],
  ['GET', '/maxage0'],
  ['GET', '/maxage0'],
  ['GET', '/maxage'],
  ['GET', '/maxage'],
  ['GET', '/vary'],
  ['GET', '/vary'],
  ['GET', '/cookie'],
  ['GET', '/cookie'],
  ['GET', '/novalidator'],
  ['GET', '/novalidator'],
  ['GET', '/aged'],
  ['GET', '/aged'],
  ['GET', '/404'],
  ['GET', '/404'],
  ['GET', '/q?x=1'],
  ['GET', '/q?x=2'],
  ['GET', '/q?x=1'],
];

test('cache: same hits, misses, Age, 304s and counters as haproxy 2.6', { skip: needs('haproxy') }, async (t) => {
  // origin hits per side, told apart by a header each proxy cannot add: the Host port
  const seen: string[] = [];
  const up = await startUpstream('o', (q, res) => {
    q.resume();
    seen.push(`${q.method} ${q.url}`);
    const status = q.url === '/404' ? 404 : 200;
    res.writeHead(status, headersFor(q.url ?? '/'));
    res.end(q.method === 'HEAD' ? undefined : `body of ${q.url}\n`);
  });
  t.after(() => up.close());
  const { theirs, ours } = await startPair(t, BODY(up.port));
  const run = async (port: number) => {
    seen.length = 0;
    const out: string[] = [];
    for (const [method, path, headers] of STEPS) {
      const before = seen.length;
      const g = await send(port, method, path, headers);
      // Age is 0 or small on both; whether it is there tells a hit
      out.push(
        `${method} ${path} ${JSON.stringify(headers ?? {})} -> ${g.status} ${seen.length > before ? 'origin' : 'cache'} age:${g.age === undefined ? '-' : Number(g.age) >= 30 ? '>=30' : 'set'} ${g.body}`,
      );
    }
    const csv = (await send(port, 'GET', '/stats;csv')).body.split('\n');
    const names = csv[0].replace(/^# /, '').split(',');
    const row = csv.find((l) => l.startsWith('fe,FRONTEND,'))?.split(',') ?? [];
    out.push(`lookups ${row[names.indexOf('cache_lookups')]} hits ${row[names.indexOf('cache_hits')]}`);
    return out;
  };
  const hx = await run(theirs);
  const sy = await run(ours);
  assert.ok(
    hx.some((l) => l.includes('-> 200 cache')),
    hx.join('\n'),
  );
  assert.deepEqual(sy, hx);
});
