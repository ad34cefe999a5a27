/**
 * Error answers, timeouts, retries and queueing through the real proxy, compared with what
 * HAProxy 2.6 sends (pages byte for byte, log termination flags).
 */
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { after, before, test } from 'node:test';
import { request } from 'undici';
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

const PAGE_503 =
  '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n';
const PAGE_504 = "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n";
const PAGE_502 =
  '<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n';
const PAGE_408 =
  "<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n";
const PAGE_403 = '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n';

let px: ProxyProcess;
let port: number;
let ok: Upstream;
let slow: Upstream;
let hang: Upstream;
let flaky: Upstream;
let garbage: NetServer;
let garbagePort: number;
let refusedPort: number;
const tmp = tempDir();
let flakyResets = 0;

before(async () => {
  ok = await startUpstream('ok');
  slow = await startUpstream('slow', (req, res) => {
    req.resume();
    setTimeout(() => res.end('slow\n'), 1500);
  });
  hang = await startUpstream('hang', (req) => req.resume());
  // Resets the first connection of each path before answering anything, then answers.
  const resetOnce = new Set<string>();
  flaky = await startUpstream('flaky', (req, res) => {
    if (!resetOnce.has(req.url ?? '')) {
      resetOnce.add(req.url ?? '');
      flakyResets++;
      req.socket.destroy();
      return;
    }
    req.resume();
    req.on('end', () => res.end('flaky ok\n'));
  });
  garbage = createNetServer((s) => {
    s.once('data', () => s.end('NOT HTTP AT ALL\r\n\r\n'));
  });
  await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
  garbagePort = (garbage.address() as { port: number }).port;
  refusedPort = await freePort();
  port = await freePort();
  const errorfile = writeFile(
    tmp.dir,
    '503.http',
    'HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nContent-Type: text/plain\r\n\r\nmaintenance, back soon\n',
  );
  const cfg = writeFile(
    tmp.dir,
    'errors.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  timeout http-request 700ms
  acl p_deny path_beg /deny
  http-request deny if p_deny
  redirect scheme https code 301 if { path_beg /secure } !{ ssl_fc }
  use_backend nosrv if { path_beg /nosrv }
  use_backend refused if { path_beg /refused }
  use_backend redisp if { path_beg /redisp }
  use_backend hang if { path_beg /hang }
  use_backend garbage if { path_beg /garbage }
  use_backend flakyretry if { path_beg /flakyretry }
  use_backend flaky if { path_beg /flaky }
  use_backend queue if { path_beg /queue }
  use_backend custom if { path_beg /custom }
  use_backend queue2 if { path_beg /q2 }
  default_backend okb
backend okb
  server ok 127.0.0.1:${ok.port}
backend nosrv
  server off 127.0.0.1:${ok.port} disabled
backend refused
  retries 2
  server dead 127.0.0.1:${refusedPort}
backend redisp
  balance first
  option redispatch
  retries 2
  server dead 127.0.0.1:${refusedPort}
  server ok 127.0.0.1:${ok.port}
backend hang
  timeout server 500ms
  server hang 127.0.0.1:${hang.port}
backend garbage
  server g 127.0.0.1:${garbagePort}
backend flaky
  retries 2
  server f 127.0.0.1:${flaky.port}
backend flakyretry
  retries 2
  retry-on conn-failure empty-response
  server f 127.0.0.1:${flaky.port}
backend queue
  timeout queue 300ms
  server s 127.0.0.1:${slow.port} maxconn 1
backend queue2
  timeout queue 20s
  server s1 127.0.0.1:${slow.port} maxconn 1
  server s2 127.0.0.1:${slow.port} maxconn 1
backend custom
  errorfile 503 ${errorfile}
  server off 127.0.0.1:${ok.port} disabled
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  await Promise.all([ok, slow, hang, flaky].map((u) => u?.close()));
  garbage?.close();
  tmp.cleanup();
});

async function get(path: string, method = 'GET', body?: string) {
  const r = await request(`http://127.0.0.1:${port}${path}`, { method, body, headers: { connection: 'close' } });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
}

/** The log line of the request to `path` (waits for it). */
async function logLine(path: string): Promise<string> {
  let line = '';
  await until(
    () => {
      line =
        px
          .stdout()
          .split('\n')
          .find((l) => l.includes(` ${path} HTTP/1.1"`)) ?? '';
      return line !== '';
    },
    10000,
    `log line for ${path}`,
  );
  return line;
}

test('no usable server: 503 with HAProxy page, <NOSRV>, SC--', async () => {
  const r = await get('/nosrv');
  assert.equal(r.status, 503);
  assert.equal(r.body, PAGE_503);
  assert.equal(r.headers['cache-control'], 'no-cache');
  assert.match(await logLine('/nosrv'), / fe nosrv\/<NOSRV> .* 503 \d+ - - SC-- /);
});

test('connection refused after retries: 503, Tc -1, retries counted', async () => {
  const r = await get('/refused');
  assert.equal(r.status, 503);
  assert.equal(r.body, PAGE_503);
  assert.match(
    await logLine('/refused'),
    / fe refused\/dead \d+\/\d+\/-1\/-1\/\d+ 503 \d+ - - SC-- \d+\/\d+\/\d+\/\d+\/2 /,
  );
});

test('option redispatch: the first retry goes to another server at once (balance first, as haproxy 2.6)', async () => {
  const r = await get('/redisp');
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-upstream'], 'ok');
  // haproxy 2.6.12 on this backend: `fe redisp/ok 0/0/0/67/67 200 ... ---- 1/1/0/0/+1` (no 1 s pause)
  const line = await logLine('/redisp');
  assert.match(line, / fe redisp\/ok \d+\/\d+\/\d+\/\d+\/(\d+) 200 .* ---- \d+\/\d+\/\d+\/\d+\/\+1 /);
  assert.ok(Number(/\/(\d+) 200 /.exec(line)?.[1]) < 900, line);
});

test('server timeout: 504 and sH--', async () => {
  const r = await get('/hang');
  assert.equal(r.status, 504);
  assert.equal(r.body, PAGE_504);
  assert.match(await logLine('/hang'), / fe hang\/hang .* 504 \d+ - - sH-- /);
});

test('invalid response from the server: 502 and PH--', async () => {
  const r = await get('/garbage');
  assert.equal(r.status, 502);
  assert.equal(r.body, PAGE_502);
  assert.match(await logLine('/garbage'), / 502 \d+ - - PH-- /);
});

test('client too slow to send its headers: 408 page and close', async () => {
  const res = await rawRequest(port, 'GET /slow HTTP/1.1\r\nHost: a\r\n', 10000);
  assert.match(res, /^HTTP\/1\.1 408 Request Time-out\r\n/);
  assert.ok(res.endsWith(PAGE_408));
});

test('http-request deny: 403 page, PR--', async () => {
  const r = await get('/deny');
  assert.equal(r.status, 403);
  assert.equal(r.body, PAGE_403);
  assert.match(await logLine('/deny'), / fe fe\/<NOSRV> .* 403 \d+ - - PR-- /);
});

test('redirect scheme https code 301 if !{ ssl_fc }', async () => {
  const r = await request(`http://127.0.0.1:${port}/secure/x?y=1`, { headers: { host: 'shop.example' } });
  await r.body.text();
  assert.equal(r.statusCode, 301);
  assert.equal(r.headers.location, 'https://shop.example/secure/x?y=1');
});

test('errorfile replaces the 503 page', async () => {
  const r = await get('/custom');
  assert.equal(r.status, 503);
  assert.equal(r.body, 'maintenance, back soon\n');
  assert.equal(r.headers['content-type'], 'text/plain');
});

test('closed before any response byte: 502 by default, retried with retry-on empty-response (haproxy 2.6)', async () => {
  let before = flaky.requests.length;
  const r0 = await get('/flaky-get');
  assert.equal(r0.status, 502);
  assert.equal(flaky.requests.length - before, 1);
  before = flaky.requests.length;
  const r = await get('/flakyretry-get');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'flaky ok\n');
  assert.equal(flaky.requests.length - before, 2);
});

test('non-idempotent request is never sent twice: 502', async () => {
  const before = flaky.requests.length;
  const resets = flakyResets;
  const r = await get('/flaky-post', 'POST', 'payload');
  assert.equal(r.status, 502);
  assert.equal(flakyResets - resets, 1);
  assert.equal(flaky.requests.length - before, 1);
});

test('server maxconn queues the excess; timeout queue gives 503 sQ--', async () => {
  const first = get('/queue/1');
  await until(() => slow.requests.length === 1, 10000, 'first request at the server');
  const second = await get('/queue/2');
  assert.equal(second.status, 503);
  assert.equal((await first).status, 200);
  assert.match(await logLine('/queue/2'), / 503 \d+ - - sQ-- /);
  assert.equal(slow.requests.length, 1);
});

test('all servers at maxconn: the extra request waits in the queue and is served when a slot frees', async () => {
  const before = slow.requests.length;
  const all = await Promise.all([get('/q2/a'), get('/q2/b'), get('/q2/c')]);
  assert.deepEqual(
    all.map((r) => r.status),
    [200, 200, 200],
  );
  assert.equal(slow.requests.length - before, 3);
  // exactly one of the three waited in a queue (Tw > 0); the others went straight to a server
  await until(
    () => ['/q2/a', '/q2/b', '/q2/c'].every((p) => px.stdout().includes(` ${p} HTTP/1.1"`)),
    10000,
    'q2 log lines',
  );
  const waits = ['/q2/a', '/q2/b', '/q2/c'].map((p) => {
    const line =
      px
        .stdout()
        .split('\n')
        .find((l) => l.includes(` ${p} HTTP/1.1"`)) ?? '';
    return Number(/ \d+\/(\d+)\/\d+\/\d+\/\d+ 200 /.exec(line)?.[1] ?? -1);
  });
  assert.equal(waits.filter((w) => w > 0).length, 1, `queue times ${waits.join(', ')}`);
  assert.equal(waits.filter((w) => w === 0).length, 2, `queue times ${waits.join(', ')}`);
});
