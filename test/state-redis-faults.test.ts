/**
 * A `redis-url` pointing at something that is not a working Redis: a TCP server that accepts
 * and never answers, one that answers garbage (RESP-looking and binary), one that answers the
 * handshake then hangs. The node starts within its bounded wait, every request is answered at
 * once from local state, the process keeps running, and `show peers` says the store is down.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { freePort, rawRequest, startProxy, writeFile } from './helpers/proxy.ts';
import { redisNodeHead, upstreamsAndDir } from './helpers/redis-nodes.ts';

type Mode = 'silent' | 'resp-garbage' | 'binary-garbage' | 'ready-then-hang';

/** A fake "Redis" on a free loopback port behaving as `mode`. */
async function fakeRedis(mode: Mode): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let n = 0;
    s.on('data', () => {
      n++;
      if (mode === 'resp-garbage') s.write('*3\r\n$-7\r\n+OK\r\n:abc\r\n%%%\r\n');
      else if (mode === 'binary-garbage') s.write(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x80, 0x24]));
      // ready-then-hang: answers the ready check (INFO) once, then nothing
      else if (mode === 'ready-then-hang' && n === 1) s.write('$24\r\nloading:0\r\nrole:master\r\n\r\n');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

for (const mode of ['silent', 'resp-garbage', 'binary-garbage', 'ready-then-hang'] as const) {
  test(`redis-url answering ${mode}: requests are served at once, the process stays up`, {
    timeout: 90_000,
  }, async (t) => {
    const fake = await fakeRedis(mode);
    t.after(() => fake.close());
    const {
      ups: [up],
      tmp,
    } = await upstreamsAndDir(t, 'a');
    const port = await freePort();
    const sock = join(tmp.dir, 'admin.sock');
    const cfg = writeFile(
      tmp.dir,
      'f.cfg',
      `${redisNodeHead(`redis://127.0.0.1:${fake.port}`, sock)}frontend fe
  bind 127.0.0.1:${port}
  http-request track-sc0 src table rl
  default_backend be
backend rl
  stick-table type ip size 1k expire 60s store http_req_cnt,http_req_rate(10s)
backend be
  stick-table type ip size 1k expire 60s
  stick on src
  server a 127.0.0.1:${up.port}
`,
    );
    const t0 = Date.now();
    const px = await startProxy(['-f', cfg]);
    t.after(() => px.stop('SIGKILL'));
    const startMs = Date.now() - t0;
    assert.ok(startMs < 20_000, `started in ${startMs} ms (bounded wait for Redis)`);
    let slowest = 0;
    for (let i = 0; i < 60; i++) {
      const r0 = Date.now();
      const r = await rawRequest(port, GET);
      slowest = Math.max(slowest, Date.now() - r0);
      assert.match(r, /^HTTP\/1\.1 200/, r);
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1500)); // across reconnects and flushes
    }
    assert.ok(slowest < 1000, `slowest request ${slowest} ms`);
    assert.equal(px.proc.exitCode, null, 'still running');
    const peers = await cliQuery({ path: sock }, 'show peers');
    assert.match(peers, /state=(down|degraded)/, peers);
    assert.match(await cliQuery({ path: sock }, 'show table rl'), /key=127\.0\.0\.1 .*http_req_cnt=60/);
    t.diagnostic(`${mode}: started in ${startMs} ms, slowest of 60 requests ${slowest} ms`);
  });
}
