/**
 * `server ... ssl alpn h2,http/1.1` without `proto h2`: the server's ALPN choice decides the
 * protocol, as HAProxy 2.6 picks its mux. A node https server offering h2 (and http/1.1) gets
 * HTTP/2 streams, many on one connection (`http-reuse always`); one offering only http/1.1 gets HTTP/1.1 requests over
 * kept-alive connections.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { makeCert } from './helpers/certs.ts';
import { defaults, freePort, type ProxyProcess, startProxy, tempDir, writeFile } from './helpers/proxy.ts';

let px: ProxyProcess;
let port: number;
let h2origin: Http2SecureServer;
let h1origin: HttpsServer;
const tmp = tempDir();
const conns = { h2: 0, h1: 0 };

/** Says which protocol carried the request (the node:http and node:http2 compat APIs alike). */
interface Answerable {
  httpVersion: string;
  url?: string;
  socket: unknown;
}
interface Replying {
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}
function answer(req: Answerable, res: Replying): void {
  res.setHeader('x-proto', req.httpVersion);
  res.setHeader('x-alpn', String((req.socket as { alpnProtocol?: string }).alpnProtocol ?? 'none'));
  res.end(`hello ${req.url}`);
}

before(async () => {
  const certs = join(tmp.dir, 'certs');
  mkdirSync(certs);
  const c = makeCert(certs, 'origin.example', tmp.dir);
  const tls = { key: readFileSync(c.key), cert: readFileSync(c.crt) };
  h2origin = createSecureServer({ ...tls, allowHTTP1: true }, answer);
  h2origin.on('secureConnection', () => conns.h2++);
  h1origin = createHttpsServer({ ...tls, ALPNProtocols: ['http/1.1'] }, answer);
  h1origin.on('secureConnection', () => conns.h1++);
  await new Promise<void>((r) => h2origin.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => h1origin.listen(0, '127.0.0.1', r));
  port = await freePort();
  const p2 = (h2origin.address() as { port: number }).port;
  const p1 = (h1origin.address() as { port: number }).port;
  const cfg = writeFile(
    tmp.dir,
    'alpn.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  use_backend b1 if { path_beg /one }
  default_backend b2
backend b2
  http-reuse always
  server s2 127.0.0.1:${p2} ssl verify none alpn h2,http/1.1
backend b1
  server s1 127.0.0.1:${p1} ssl verify none alpn h2,http/1.1
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  h2origin?.close();
  h1origin?.close();
  tmp.cleanup();
});

async function get(path: string): Promise<{ status: number; proto: unknown; alpn: unknown; body: string }> {
  const r = await request(`http://127.0.0.1:${port}${path}`);
  return { status: r.statusCode, proto: r.headers['x-proto'], alpn: r.headers['x-alpn'], body: await r.body.text() };
}

test('a server that picks h2 by ALPN gets HTTP/2 streams, concurrent ones on one connection', async () => {
  const first = await get('/two/a');
  assert.deepEqual(first, { status: 200, proto: '2.0', alpn: 'h2', body: 'hello /two/a' });
  const all = await Promise.all(Array.from({ length: 8 }, (_, i) => get(`/two/${i}`)));
  for (const r of all) assert.equal(r.proto, '2.0');
  assert.equal(conns.h2, 1, 'one TLS connection carried every stream');
  await px.waitFor(/b2\/s2 .* 200 /, 5000, 'stdout');
});

test('a server offering only http/1.1 gets HTTP/1.1 requests over a kept-alive connection', async () => {
  const first = await get('/one/a');
  assert.deepEqual(first, { status: 200, proto: '1.1', alpn: 'http/1.1', body: 'hello /one/a' });
  for (let i = 0; i < 4; i++) assert.equal((await get(`/one/${i}`)).proto, '1.1');
  assert.equal(conns.h1, 1, 'the probing connection was kept and reused');
  const burst = await Promise.all(Array.from({ length: 4 }, (_, i) => get(`/one/p${i}`)));
  for (const r of burst) assert.deepEqual([r.status, r.proto], [200, '1.1']);
});
