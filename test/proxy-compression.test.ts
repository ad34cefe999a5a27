/**
 * `compression` through the real proxy and Debian's haproxy 2.6 on the same config: for each
 * request (Accept-Encoding forms, HTTP/1.0, HEAD, old user agents) and each kind of server
 * response (types listed or not, already encoded, no-transform, 204/304/404/206, empty, chunked,
 * strong/weak/invalid/repeated ETags, multipart, no Content-Type, backends with their own
 * `compression` lines, `offload`, `identity`), both give the same Content-Encoding, Vary, ETag,
 * Content-Length / Transfer-Encoding, the same Accept-Encoding forwarded to the server and the
 * same body once decoded. The compressed bytes differ (libslz and zlib) and are not compared.
 * `res.comp` / `res.comp_algo` in an http-response rule read the same. Then the frontend's comp_in / comp_byp / comp_rsp counters of the stats CSV are the same.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { startPair } from './helpers/peer-pair.ts';
import { startUpstream } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

const TEXT = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(400);

/** What the upstream answers for a path (after the backend prefix). */
function answer(path: string): { status: number; headers: Record<string, string | string[]>; body: string } {
  const h = (more: Record<string, string | string[]>) => ({ 'content-type': 'text/html', ...more });
  switch (path) {
    case '/json':
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ t: TEXT }) };
    case '/img':
      return { status: 200, headers: { 'content-type': 'image/png' }, body: TEXT };
    case '/enc':
      return { status: 200, headers: h({ 'content-encoding': 'br' }), body: TEXT };
    case '/nt':
      return { status: 200, headers: h({ 'cache-control': 'public, no-transform' }), body: TEXT };
    case '/201':
      return { status: 201, headers: h({}), body: TEXT };
    case '/204':
      return { status: 204, headers: {}, body: '' };
    case '/304':
      return { status: 304, headers: { etag: '"v1"' }, body: '' };
    case '/404':
      return { status: 404, headers: h({}), body: TEXT };
    case '/206':
      return { status: 206, headers: h({ 'content-range': 'bytes 0-9/100' }), body: TEXT.slice(0, 10) };
    case '/empty':
      return { status: 200, headers: h({}), body: '' };
    case '/small':
      return { status: 200, headers: h({}), body: 'hi' };
    case '/weak':
      return { status: 200, headers: h({ etag: 'W/"w1"' }), body: TEXT };
    case '/badetag':
      return { status: 200, headers: h({ etag: 'v1' }), body: TEXT };
    case '/etags':
      return { status: 200, headers: h({ etag: ['"a"', '"b"'] }), body: TEXT };
    case '/multipart':
      return { status: 200, headers: { 'content-type': 'multipart/mixed; boundary=x' }, body: TEXT };
    case '/noct':
      return { status: 200, headers: {}, body: TEXT };
    case '/upper':
      return { status: 200, headers: { 'content-type': 'TEXT/HTML; charset=utf-8' }, body: TEXT };
    default:
      return { status: 200, headers: h({ etag: '"s1"', vary: 'Cookie' }), body: TEXT };
  }
}

const BODY = (up: number) => `frontend fe
  bind 127.0.0.1:@PORT@
  stats uri /stats
  compression algo gzip deflate
  compression type text/html text/plain application/json
  http-response set-header x-comp "%[res.comp] %[res.comp_algo]"
  use_backend be_off if { path_beg /off/ }
  use_backend be_raw if { path_beg /raw/ }
  use_backend be_id if { path_beg /id/ }
  use_backend be_types if { path_beg /types/ }
  use_backend be_def if { path_beg /def/ }
  default_backend be
backend be
  server s 127.0.0.1:${up}
backend be_off
  compression offload
  server s 127.0.0.1:${up}
backend be_raw
  compression algo raw-deflate
  server s 127.0.0.1:${up}
backend be_id
  compression algo identity
  server s 127.0.0.1:${up}
backend be_types
  compression type image/
  server s 127.0.0.1:${up}
defaults d2
  mode http
  timeout connect 5s
  timeout client 20s
  timeout server 20s
  compression algo gzip
  compression type text/plain
  compression offload
backend be_def from d2
  compression algo deflate
  compression type text/html
  server s 127.0.0.1:${up}
`;

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(port: number, path: string, headers: Record<string, string>, method = 'GET', v10 = false): Promise<Got> {
  return new Promise((resolve, reject) => {
    const r = request({
      host: '127.0.0.1',
      port,
      path,
      method,
      headers: { ...headers, connection: 'close' },
      agent: false,
    });
    if (v10) (r as unknown as { useChunkedEncodingByDefault: boolean }).useChunkedEncodingByDefault = false;
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end();
  });
}

function decode(enc: string | undefined, body: Buffer): string {
  if (enc === 'gzip') return zlib.gunzipSync(body).toString();
  if (enc === 'deflate') {
    // HAProxy's `deflate` is zlib-wrapped, `raw-deflate` is not (both say `deflate`)
    return (body[0] === 0x78 ? zlib.inflateSync(body) : zlib.inflateRawSync(body)).toString();
  }
  return body.toString();
}

/** What must be the same on both sides. */
function view(g: Got): string {
  const h = g.headers;
  const enc = h['content-encoding'] as string | undefined;
  const wrapped = enc === 'deflate' ? (g.body[0] === 0x78 ? 'zlib' : 'raw') : '';
  return JSON.stringify({
    status: g.status,
    enc,
    wrapped,
    vary: h.vary,
    etag: h.etag,
    length: h['content-length'] !== undefined,
    chunked: h['transfer-encoding'],
    ae: h['x-ae'],
    comp: h['x-comp'],
    body: decode(enc, g.body),
  });
}

/** Accept-Encoding forms sent for `/`. */
const ACCEPT = [
  'deflate',
  'GZIP',
  'gzip;q=0.5, deflate;q=0.8',
  'deflate;q=0.5, gzip',
  'gzip, deflate',
  'deflate, gzip',
  '*',
  'gzip;q=0',
  'gzip;q=0, *;q=0.1',
  'br',
  'identity',
  'gzip ; level=1 ; q=0.3, deflate;q=0.2',
  'gzip/x;q=0',
  'deflate;q=0.9, gzip;q=abc',
  'deflate;q=0.999, gzip;q=7',
  'deflate;q=0.5, gzip;q=0.5',
];

const CASES: Array<[string, Record<string, string>, string?]> = [
  ...ACCEPT.map((ae): [string, Record<string, string>] => ['/', { 'accept-encoding': ae }]),
  ['/', {}],
  ['/', { 'accept-encoding': 'gzip', 'user-agent': 'Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)' }],
  ['/', { 'accept-encoding': 'gzip', 'user-agent': 'Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)' }],
  ...'/ /json /img /enc /nt /201 /204 /304 /404 /empty /small /chunked /weak /badetag /etags /multipart /noct /upper /off/ /off/img /raw/ /id/ /types/img /types/ /types/noct'
    .split(' ')
    .map((p): [string, Record<string, string>] => [p, { 'accept-encoding': 'gzip' }]),
  ['/', { 'accept-encoding': 'gzip' }, 'HEAD'],
  ['/', { 'accept-encoding': 'gzip' }, 'HTTP/1.0'],
  ['/206', { 'accept-encoding': 'gzip', range: 'bytes=0-9' }],
  ['/off/', { 'accept-encoding': 'compress' }],
  ['/raw/', { 'accept-encoding': 'deflate' }],
  ['/id/', {}],
  // a backend's own words before those of its defaults; offload not inherited
  ['/def/', { 'accept-encoding': '*' }],
  ['/def/', { 'accept-encoding': 'gzip' }],
  ['/def/chunked', { 'accept-encoding': 'gzip' }],
  ['/def/json', { 'accept-encoding': 'gzip' }],
];

test('compression: same headers and decoded bodies as haproxy 2.6, same counters', {
  skip: needs('haproxy'),
}, async (t) => {
  const up = await startUpstream('o', (q, res) => {
    q.resume();
    const path = (q.url ?? '/').replace(/^\/(off|raw|id|types|def)\//, '/');
    const ae = q.headers['accept-encoding'] ?? '-';
    if (path === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-ae': ae });
      res.write(TEXT.slice(0, 1000));
      setTimeout(() => res.end(TEXT.slice(1000)), 20);
      return;
    }
    const a = answer(path);
    res.writeHead(a.status, {
      ...a.headers,
      'x-ae': ae,
      ...(a.status === 204 || a.status === 304 ? {} : { 'content-length': String(Buffer.byteLength(a.body)) }),
    });
    res.end(q.method === 'HEAD' ? undefined : a.body);
  });
  t.after(() => up.close());
  const { theirs, ours } = await startPair(t, BODY(up.port));
  for (const [path, headers, how] of CASES) {
    const method = how === 'HEAD' ? 'HEAD' : 'GET';
    const [h, s] = await Promise.all([
      get(theirs, path, headers, method, how === 'HTTP/1.0'),
      get(ours, path, headers, method, how === 'HTTP/1.0'),
    ]);
    assert.equal(view(s), view(h), `${how ?? 'GET'} ${path} ${JSON.stringify(headers)}`);
    if (path === '/raw/' && headers['accept-encoding'] === 'deflate')
      assert.equal(s.headers['x-comp'], '1 raw-deflate');
    if (path === '/img') assert.equal(s.headers['x-comp'], '0');
  }
  // the counters: bytes given to the compressor and passed through identity, responses filtered
  const csv = async (port: number) => {
    const r = await get(port, '/stats;csv', {});
    const lines = r.body.toString().split('\n');
    const names = lines[0].replace(/^# /, '').split(',');
    const row = lines.find((l) => l.startsWith('fe,FRONTEND,'))?.split(',') ?? [];
    return Object.fromEntries(['comp_in', 'comp_byp', 'comp_rsp'].map((n) => [n, row[names.indexOf(n)]]));
  };
  const [hc, sc] = await Promise.all([csv(theirs), csv(ours)]);
  assert.ok(Number(hc.comp_rsp) > 10, JSON.stringify(hc));
  assert.deepEqual(sc, hc);
});
