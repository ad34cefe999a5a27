/**
 * The cache beside haproxy 2.6 through the runtime API: `show cache` lists the same entries (the
 * same `hash:` values, from the URL's sha1) in HAProxy's line format; an object over
 * max-object-size is not stored (on both); with `compression` a hit is compressed as the stored
 * response was not (the cache keeps the server's bytes, as HAProxy's filter order does); a hit is
 * logged with `<CACHE>` as its server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { httpGet } from './helpers/http-get.ts';
import { freePort, startUpstream, tempDir, until } from './helpers/proxy.ts';
import { startSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

const BIG = 'x'.repeat(5000);
/** The same Host on both sides: it is part of the key. */
const HOST = { host: 'www.example.com' };

test('show cache, max-object-size, compression of hits, <CACHE> in logs', { skip: needs('haproxy') }, async (t) => {
  const up = await startUpstream('o', (q, res) => {
    q.resume();
    const body = q.url === '/big' ? BIG : `body of ${q.url}\n`.repeat(20);
    res.writeHead(200, { 'content-type': 'text/plain', etag: '"e"', 'content-length': String(body.length) });
    res.end(body);
  });
  t.after(() => up.close());
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const ports = { sy: await freePort(), hx: await freePort() };
  const pair = await startSideBySide(
    tmp.dir,
    (side) => `global
  stats socket ${tmp.dir}/${side}.sock level admin
defaults
  mode http
  timeout connect 5s
  timeout client 10s
  timeout server 10s
cache c
  total-max-size 1
  max-object-size 4096
  max-age 120
frontend fe
  bind 127.0.0.1:${ports[side]}
  log stdout format raw local0
  log-format "srv=%s st=%ST %HU"
  http-request cache-use c
  http-response cache-store c
  compression algo gzip
  default_backend be
backend be
  server s 127.0.0.1:${up.port}
`,
  );
  t.after(() => pair.stop());
  for (const side of ['sy', 'hx'] as const) {
    for (const path of ['/a', '/b', '/big', '/c?q=1']) await httpGet(ports[side], path, HOST);
  }
  const show = async (side: 'sy' | 'hx') => {
    const out = await cliQuery({ path: `${tmp.dir}/${side}.sock` }, 'show cache');
    const lines = out.trim().split('\n');
    assert.match(lines[0], /^0x[0-9a-f]+: c \(shctx:0x[0-9a-f]+, available blocks:\d+\)$/, out);
    for (const l of lines.slice(1))
      assert.match(l, /^0x[0-9a-f]+ hash:\d+ vary:0x0{16} size:\d+ \(\d+ blocks\), refcount:0, expire:\d+$/, out);
    return lines.slice(1).map((l) => /hash:(\d+)/.exec(l)?.[1]);
  };
  const [sy, hx] = [await show('sy'), await show('hx')];
  // /big is over max-object-size: three entries, the same hashes in the same order
  assert.equal(hx.length, 3);
  assert.deepEqual(sy, hx);
  // a hit with Accept-Encoding: compressed from the stored plain bytes, on both
  for (const side of ['sy', 'hx'] as const) {
    const g = await httpGet(ports[side], '/a', { ...HOST, 'accept-encoding': 'gzip' });
    assert.equal(g.headers['content-encoding'], 'gzip', side);
    assert.ok(g.headers.age !== undefined, `${side}: a hit`);
    assert.equal(zlib.gunzipSync(g.body).toString(), 'body of /a\n'.repeat(20));
  }
  await until(() => /srv=<CACHE> st=200 \/a/.test(pair.sy.stdout()), 10000, `the hit logged: ${pair.sy.stdout()}`);
});
