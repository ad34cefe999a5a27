/**
 * `server ... proto h2` through the real proxy: an HTTP/1 client, a node:http2 (nghttp2) h2c
 * origin. Headers the server sees, response trailers in the client's last chunk, many requests
 * on one HTTP/2 connection, RST_STREAM -> 502 SH--.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { defaults, freePort, type ProxyProcess, rawRequest, startProxy, tempDir, writeFile } from './helpers/proxy.ts';

let px: ProxyProcess;
let port: number;
let h2port: number;
let origin: Http2Server;
const tmp = tempDir();
let sessions = 0;
const seen: Array<Record<string, unknown>> = [];

function answer(st: ServerHttp2Stream, h: Record<string, unknown>): void {
  st.on('error', () => {});
  seen.push({ ...h });
  const path = String(h[':path']);
  if (path === '/rst') {
    st.close(2); // INTERNAL_ERROR
    return;
  }
  st.respond({ ':status': 200, 'content-type': 'text/plain', 'x-origin': 'h2' }, { waitForTrailers: true });
  st.on('wantTrailers', () => st.sendTrailers({ 'grpc-status': '0' }));
  st.end(`hello ${path}`);
}

before(async () => {
  origin = createServer();
  origin.on('session', () => sessions++);
  origin.on('stream', answer);
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const op = (origin.address() as { port: number }).port;
  port = await freePort();
  h2port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'h2.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  bind 127.0.0.1:${h2port} proto h2
  default_backend be
backend be
  retries 2
  server s1 127.0.0.1:${op} proto h2
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  origin?.close();
  tmp.cleanup();
});

test('an HTTP/1 request reaches an h2c server: pseudo-headers, no hop-by-hop fields, body back', async () => {
  const r = await request(`http://127.0.0.1:${port}/a?x=1`, { headers: { 'x-test': 'yes', connection: 'keep-alive' } });
  assert.equal(r.statusCode, 200);
  assert.equal(r.headers['x-origin'], 'h2');
  assert.equal(await r.body.text(), 'hello /a?x=1');
  const h = seen.at(-1) as Record<string, unknown>;
  assert.equal(h[':method'], 'GET');
  assert.equal(h[':path'], '/a?x=1');
  assert.equal(h[':scheme'], 'http');
  assert.equal(h[':authority'], `127.0.0.1:${port}`);
  assert.equal(h['x-test'], 'yes');
  assert.equal(h.connection, undefined);
  assert.equal(h.host, undefined);
});

test('response trailers reach an HTTP/1.1 client in the last chunk', async () => {
  const out = await rawRequest(port, 'GET /t HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
  assert.match(out, /^HTTP\/1\.1 200/);
  assert.match(out, /transfer-encoding: chunked/i);
  assert.match(out, /\r\n0\r\ngrpc-status: 0\r\n\r\n$/);
});

test('sequential requests share one HTTP/2 connection to the server', async () => {
  const before = sessions;
  for (let i = 0; i < 5; i++) {
    const r = await request(`http://127.0.0.1:${port}/seq${i}`);
    await r.body.text();
    assert.equal(r.statusCode, 200);
  }
  assert.ok(sessions - before <= 1, `new server connections: ${sessions - before}`);
});

test('RST_STREAM from the server: 502 logged SH--, the proxy still serves', async () => {
  const r = await request(`http://127.0.0.1:${port}/rst`);
  assert.equal(r.statusCode, 502);
  await r.body.text();
  await px.waitFor(/GET \/rst HTTP\/1\.1/, 5000, 'stdout');
  assert.match(px.stdout(), /be\/s1 .* 502 .* SH-- .*"GET \/rst HTTP\/1\.1"/);
  const ok = await request(`http://127.0.0.1:${port}/after`);
  assert.equal(ok.statusCode, 200);
  await ok.body.text();
});

test('HTTP/2 end to end (gRPC shape): clients get the server trailers, with or without te: trailers (as haproxy 2.6)', async () => {
  const c = connect(`http://127.0.0.1:${h2port}`);
  try {
    const get = (te: boolean) =>
      new Promise<{ status: unknown; body: string; trailers?: Record<string, unknown> }>((resolve, reject) => {
        const r = c.request({
          ':path': '/grpc',
          'content-type': 'application/grpc',
          ...(te ? { te: 'trailers' } : {}),
        });
        let body = '';
        let status: unknown;
        let trailers: Record<string, unknown> | undefined;
        r.on('response', (h) => (status = h[':status']));
        r.on('data', (d: Buffer) => (body += d));
        r.on('trailers', (t) => (trailers = { ...t }));
        r.on('end', () => resolve({ status, body, trailers }));
        r.on('error', reject);
        r.end();
      });
    const a = await get(true);
    assert.equal(a.status, 200);
    assert.equal(a.body, 'hello /grpc');
    assert.equal(a.trailers?.['grpc-status'], '0');
    const b = await get(false);
    assert.equal(b.body, 'hello /grpc');
    assert.equal(b.trailers?.['grpc-status'], '0');
  } finally {
    c.close();
  }
});
