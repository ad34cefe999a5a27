/**
 * Routing, balancing, keep-alive reuse and request rewriting through the real `switchyard`
 * process, against real loopback servers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Client, request } from 'undici';
import {
  defaults,
  freePort,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  until,
  writeFile,
} from './helpers/proxy.ts';
import { seed } from './helpers/seeds.ts';

test('seed haproxy 1.4 config routes test.domain.com to cache_test and the rest to info_cache', async (t) => {
  const info = await startUpstream('info');
  const cache = await startUpstream('cache');
  const tmp = tempDir();
  const port = await freePort();
  t.after(async () => {
    await info.close();
    await cache.close();
    tmp.cleanup();
  });
  const text = readFileSync(seed('haproxy-1.4-seed.cfg'), 'utf8')
    .replace('192.168.1.187:8000', `127.0.0.1:${cache.port}`)
    .replace('192.168.1.187:80', `127.0.0.1:${info.port}`)
    .replace('bind :80', `bind 127.0.0.1:${port}`)
    .replace('/usr/local/haproxy/logs/haproxy.pid', `${tmp.dir}/haproxy.pid`);
  const cfg = writeFile(tmp.dir, 'seed.cfg', text);
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  const hit = async (host: string) => {
    const r = await request(`http://127.0.0.1:${port}/page`, { headers: { host } });
    const body = await r.body.text();
    return { status: r.statusCode, upstream: r.headers['x-upstream'], body };
  };
  for (const host of ['test.domain.com', 'www.test.domain.com', 'TEST.domain.com:8080', 'a.b.test.domain.com']) {
    assert.equal((await hit(host)).upstream, 'cache', host);
  }
  for (const host of ['domain.com', 'example.org', 'mytest.domain.com', 'test.domain.co']) {
    assert.equal((await hit(host)).upstream, 'info', host);
  }
  // option forwardfor from the defaults section
  const last = cache.requests.at(-1);
  assert.equal(last?.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(last?.headers.host, 'a.b.test.domain.com');
  // `stats uri /admin?stats` from the defaults: HAProxy matches it as a prefix of the URI
  const stats = await request(`http://127.0.0.1:${port}/admin?stats;csv`);
  const csv = await stats.body.text();
  assert.equal(stats.statusCode, 200);
  assert.match(csv, /^# pxname,svname,/);
  assert.match(csv, /\ninfo_cache,inst2,/);
  // pidfile from the global section
  assert.equal(readFileSync(`${tmp.dir}/haproxy.pid`, 'utf8').trim(), String(px.proc.pid));
  assert.equal(await px.stop(), 0);
});

test('roundrobin spreads requests evenly and upstream connections are reused (keep-alive)', async (t) => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const tmp = tempDir();
  const port = await freePort();
  t.after(async () => {
    await a.close();
    await b.close();
    tmp.cleanup();
  });
  const cfg = writeFile(
    tmp.dir,
    'rr.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  balance roundrobin
  server a 127.0.0.1:${a.port}
  server b 127.0.0.1:${b.port}
`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  const client = new Client(`http://127.0.0.1:${port}`);
  t.after(() => client.close());
  const seen: string[] = [];
  for (let i = 0; i < 40; i++) {
    const r = await client.request({ path: `/r${i}`, method: 'GET' });
    await r.body.text();
    seen.push(String(r.headers['x-upstream']));
  }
  assert.equal(seen.filter((s) => s === 'a').length, 20);
  assert.equal(seen.filter((s) => s === 'b').length, 20);
  for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], 'alternates');
  // 40 sequential requests: each upstream saw one connection, reused for all its requests.
  assert.equal(a.connections, 1);
  assert.equal(b.connections, 1);
  // one log line per request in option httplog shape
  await until(
    () =>
      px
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"GET /r')).length === 40,
    10000,
    'log lines',
  );
  const line =
    px
      .stdout()
      .split('\n')
      .find((l) => l.includes('"GET /r0 HTTP/1.1"')) ?? '';
  assert.match(
    line,
    /^127\.0\.0\.1:\d+ \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] fe be\/[ab] \d+\/\d+\/\d+\/\d+\/\d+ 200 \d+ - - ---- \d+\/\d+\/\d+\/\d+\/0 0\/0 "GET \/r0 HTTP\/1\.1"$/,
  );
});

test('hop-by-hop headers are removed, Host kept, X-Forwarded-For appended', async (t) => {
  const a = await startUpstream('a');
  const tmp = tempDir();
  const port = await freePort();
  t.after(async () => {
    await a.close();
    tmp.cleanup();
  });
  const cfg = writeFile(
    tmp.dir,
    'h.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  option forwardfor
  http-request set-header X-Added yes
  http-request del-header X-Remove-Me
  http-response set-header X-Resp set
  default_backend be
backend be
  server a 127.0.0.1:${a.port}
`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  const raw = await rawRequest(
    port,
    'GET /h HTTP/1.1\r\nHost: example.test\r\nConnection: close, X-Private\r\nX-Private: secret\r\nKeep-Alive: timeout=5\r\n' +
      'TE: trailers\r\nProxy-Connection: keep-alive\r\nX-Forwarded-For: 203.0.113.9\r\nX-Remove-Me: 1\r\nX-Kept: ok\r\n\r\n',
  );
  assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(raw, /\r\nX-Resp: set\r\n/i);
  const h = a.requests[0].headers;
  assert.equal(h.host, 'example.test');
  assert.equal(h['x-private'], undefined);
  assert.equal(h['keep-alive'], undefined);
  assert.equal(h.te, undefined);
  assert.equal(h['proxy-connection'], undefined);
  assert.equal(h['x-remove-me'], undefined);
  assert.equal(h['x-added'], 'yes');
  assert.equal(h['x-kept'], 'ok');
  assert.equal(h['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
});
