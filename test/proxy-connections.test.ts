/**
 * Client connections: bind forms (comma lists, IPv6, unix sockets), `maxconn` (excess
 * connections wait, they are not refused), and the connection modes (keep-alive, server-close,
 * httpclose) on both sides.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
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

test('bind forms: comma list, several lines, [::1], unix socket', async (t) => {
  const up = await startUpstream('up');
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const [p1, p2, p3, p6] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const sock = `${tmp.dir}/sy.sock`;
  const cfg = writeFile(
    tmp.dir,
    'binds.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${p1},127.0.0.1:${p2}\n  bind 127.0.0.1:${p3}\n  bind [::1]:${p6}\n  bind ${sock}\n  default_backend be\nbackend be\n  server s 127.0.0.1:${up.port}\n`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  for (const p of [p1, p2, p3])
    assert.match(await rawRequest(p, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
  const v6 = await new Promise<string>((resolve, reject) => {
    const s = connect({ host: '::1', port: p6 }, () =>
      s.write('GET /v6 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
    );
    let out = '';
    s.on('data', (d) => {
      out += d;
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
  assert.match(v6, /^HTTP\/1\.1 200 /);
  const viaUnix = await new Promise<number>((resolve, reject) => {
    const r = httpRequest({ socketPath: sock, path: '/unix', headers: { host: 'a' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    r.on('error', reject);
    r.end();
  });
  assert.equal(viaUnix, 200);
  assert.ok(up.requests.some((r) => r.url === '/unix'));
});

test('frontend maxconn: the extra connection waits until one closes, then is served', async (t) => {
  const up = await startUpstream('up');
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'maxconn.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n  maxconn 1\n  default_backend be\nbackend be\n  server s 127.0.0.1:${up.port}\n`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  const open = (): Promise<{ s: Socket; data: () => string }> =>
    new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve({ s, data: () => buf }));
      let buf = '';
      s.on('data', (d) => {
        buf += d;
      });
      s.on('error', reject);
    });
  const a = await open();
  a.s.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\n');
  await until(() => a.data().includes('up GET /a'), 10000, 'first connection served');
  const b = await open();
  b.s.write('GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(b.data(), '', 'second connection waits while the first is open');
  assert.equal(
    up.requests.some((r) => r.url === '/b'),
    false,
  );
  a.s.end();
  await until(() => b.data().includes('up GET /b'), 10000, 'second connection served after the first closed');
  b.s.destroy();
});

test('connection modes: keep-alive reuses, http-server-close and httpclose close the right sides', async (t) => {
  const up = await startUpstream('up');
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const [pk, ps, pc] = [await freePort(), await freePort(), await freePort()];
  const cfg = writeFile(
    tmp.dir,
    'modes.cfg',
    `${defaults()}
frontend ka
  bind 127.0.0.1:${pk}
  default_backend be
frontend sc
  bind 127.0.0.1:${ps}
  option http-server-close
  default_backend be
frontend cl
  bind 127.0.0.1:${pc}
  option httpclose
  default_backend be
backend be
  server s 127.0.0.1:${up.port}
`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  const twoRequests = (port: number) =>
    rawRequest(port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n', 1500);

  // first, while no pooled server connection exists yet
  let before = up.connections;
  const n = up.requests.length;
  let out = await twoRequests(ps);
  assert.equal((out.match(/HTTP\/1\.1 200/g) ?? []).length, 2, 'server-close: client side stays keep-alive');
  assert.equal(up.connections - before, 2, 'server-close: one server connection per request');
  assert.equal(up.requests[n].headers.connection, 'close');

  assert.equal(up.requests[n + 1].headers.connection, 'close');
  // nothing was kept: the next request opens a new server connection
  before = up.connections;
  await rawRequest(ps, 'GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(up.connections - before, 1);

  before = up.connections;
  out = await twoRequests(pk);
  assert.equal((out.match(/HTTP\/1\.1 200/g) ?? []).length, 2, 'keep-alive: both answered on one connection');
  const kaConns = up.connections - before;
  assert.ok(kaConns <= 2);

  out = await twoRequests(pc);
  assert.equal(
    (out.match(/HTTP\/1\.1 200/g) ?? []).length,
    1,
    'httpclose: the client connection closes after one response',
  );
  assert.match(out, /\r\nConnection: close\r\n/i);
});

test('timeout http-keep-alive closes an idle client connection after a response', async (t) => {
  const up = await startUpstream('up');
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'ka.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n  timeout http-keep-alive 300ms\n  default_backend be\nbackend be\n  server s 127.0.0.1:${up.port}\n`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  const s = connect(port, '127.0.0.1');
  let data = '';
  s.on('data', (d) => {
    data += d;
  });
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  s.write('GET /one HTTP/1.1\r\nHost: x\r\n\r\n');
  await until(() => data.includes('up GET /one'), 10000, 'first response');
  assert.doesNotMatch(data, /Connection: close/i, 'kept alive after the response');
  // nothing more is sent: the proxy closes the idle connection on its own
  await closed;
});
