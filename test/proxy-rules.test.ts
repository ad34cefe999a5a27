/** http-request return/tarpit, redirect prefix, forwardfor options, monitor-uri, listen sections. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  defaults,
  freePort,
  type ProxyProcess,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  until,
  writeFile,
} from './helpers/proxy.ts';

let px: ProxyProcess;
let up: Upstream;
let port: number;
let listenPort: number;
const tmp = tempDir();

before(async () => {
  up = await startUpstream('up');
  port = await freePort();
  listenPort = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'rules.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  monitor-uri /healthz
  http-request return status 418 content-type text/plain string "short and stout" if { path /teapot }
  http-request tarpit if { path /tarpit }
  redirect prefix https://new.example code 308 if { path_beg /old }
  use_backend except if { path_beg /except }
  http-response deny if { path_beg /hidden }
  default_backend be
backend be
  option forwardfor header X-Client-IP
  timeout connect 300ms
  server s 127.0.0.1:${up.port}
backend except
  option forwardfor except 127.0.0.0/8
  server s 127.0.0.1:${up.port}
listen both
  bind 127.0.0.1:${listenPort}
  option forwardfor if-none
  server s 127.0.0.1:${up.port}
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  await up?.close();
  tmp.cleanup();
});

const get = (path: string, extra = '', p = port) =>
  rawRequest(p, `GET ${path} HTTP/1.1\r\nHost: a\r\n${extra}Connection: close\r\n\r\n`);

test('http-request return answers from the proxy', async () => {
  const res = await get('/teapot');
  assert.match(res, /^HTTP\/1\.1 418 /);
  assert.match(res, /\r\ncontent-type: text\/plain\r\n/i);
  assert.ok(res.endsWith('\r\n\r\nshort and stout'));
  assert.equal(
    up.requests.some((r) => r.url === '/teapot'),
    false,
  );
});

test('http-request tarpit holds the request, then answers 500 (PT--)', async () => {
  const res = await get('/tarpit');
  assert.match(res, /^HTTP\/1\.1 500 Internal Server Error\r\n/);
  await until(() => px.stdout().includes('"GET /tarpit HTTP/1.1"'), 10000, 'tarpit log line');
  assert.match(px.stdout(), / 500 \d+ - - PT-- .*"GET \/tarpit HTTP\/1\.1"/);
});

test('redirect prefix keeps the path and query', async () => {
  const res = await get('/old/page?q=1');
  assert.match(res, /^HTTP\/1\.1 308 Permanent Redirect\r\n/);
  assert.match(res, /\r\nlocation: https:\/\/new\.example\/old\/page\?q=1\r\n/i);
});

test('monitor-uri answers 200 without reaching a backend', async () => {
  const n = up.requests.length;
  assert.match(await get('/healthz'), /^HTTP\/1\.1 200 OK\r\n/);
  assert.equal(up.requests.length, n);
});

test('option forwardfor header NAME, except NET, if-none', async () => {
  await get('/named');
  assert.equal(up.requests.at(-1)?.headers['x-client-ip'], '127.0.0.1');
  assert.equal(up.requests.at(-1)?.headers['x-forwarded-for'], undefined);
  await get('/except');
  assert.equal(up.requests.at(-1)?.headers['x-forwarded-for'], undefined, 'client inside the except network');
  await get('/listen', 'X-Forwarded-For: 198.51.100.7\r\n', listenPort);
  assert.equal(up.requests.at(-1)?.headers['x-forwarded-for'], '198.51.100.7', 'if-none keeps the existing header');
  await get('/listen2', '', listenPort);
  assert.equal(up.requests.at(-1)?.headers['x-forwarded-for'], '127.0.0.1');
});

test('http-response deny replaces the server response with 502 (PH--) and the proxy goes on', async () => {
  const res = await get('/hidden/x');
  assert.match(res, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.equal(up.requests.at(-1)?.url, '/hidden/x');
  await until(() => px.stdout().includes('"GET /hidden/x HTTP/1.1"'), 10000, 'log line');
  assert.match(px.stdout(), / 502 \d+ - - PH-- .*"GET \/hidden\/x HTTP\/1\.1"/);
  assert.match(await get('/after'), /^HTTP\/1\.1 200 /);
});
