/**
 * `--workers 2` with `redis-url`: admin changes still cross nodes. A change made through a worker
 * of node A reaches node B (published once); a change made on node B reaches both workers of A
 * (applied once by A's primary: one log line, no worker sends to the server).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { startRedis } from '../packages/state/test/redis-server.ts';
import { freePort, rawRequest, startProxy, until, writeFile } from './helpers/proxy.ts';
import { redisNodeHead, upstreamsAndDir } from './helpers/redis-nodes.ts';
import { needs } from './helpers/system.ts';

function cli(path: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      out += d;
    });
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.write(`${cmd}\n`);
  });
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

/** Admin state word (`srv_admin_state`, 1 = MAINT set by the runtime API) of be/b in `show servers state`. */
async function adminOf(sock: string): Promise<string> {
  const line = (await cli(sock, 'show servers state be')).split('\n').find((l) => / b /.test(l));
  return line?.split(' ')[6] ?? '?';
}

test('--workers 2 with redis-url: admin changes cross nodes both ways', {
  skip: needs('redis-server'),
  timeout: 120_000,
}, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.kill());
  const {
    ups: [a, b],
    tmp,
  } = await upstreamsAndDir(t, 'a', 'b');
  const node = async (name: string, workers: boolean) => {
    const port = await freePort();
    const sock = join(tmp.dir, `${name}.sock`);
    const cfg = writeFile(
      tmp.dir,
      `${name}.cfg`,
      `${redisNodeHead(redis.url, sock, 'cw')}frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server a 127.0.0.1:${a.port}
  server b 127.0.0.1:${b.port}
`,
    );
    const px = await startProxy(workers ? ['--workers', '2', '-f', cfg] : ['-f', cfg], { waitReady: false });
    t.after(() => px.stop('SIGKILL'));
    await px.waitFor(workers ? 'ready with 2 workers' : 'Switchyard ready');
    return { px, port, sock };
  };
  const nodeA = await node('a', true);
  const nodeB = await node('b', false);

  // through a worker of A -> B
  assert.equal(await cli(nodeA.sock, 'disable server be/b'), '\n');
  await until(async () => (await adminOf(nodeB.sock)) === '1', 20000, 'MAINT on node B');
  assert.equal(await cli(nodeA.sock, 'enable server be/b'), '\n');
  await until(async () => (await adminOf(nodeB.sock)) === '0', 20000, 'READY on node B');

  // on B -> both workers of A, applied once there
  const before = (nodeA.px.stderr().match(/be\/b is going DOWN for maintenance/g) ?? []).length;
  assert.equal(await cli(nodeB.sock, 'disable server be/b'), '\n');
  await until(async () => (await adminOf(nodeA.sock)) === '1', 20000, 'MAINT on node A');
  await new Promise((r) => setTimeout(r, 500));
  const n = b.requests.length;
  for (let i = 0; i < 20; i++) assert.match(await rawRequest(nodeA.port, GET), /x-upstream: a/i);
  assert.equal(b.requests.length, n, 'no worker of A sent to b');
  assert.equal((nodeA.px.stderr().match(/be\/b is going DOWN for maintenance/g) ?? []).length, before + 1);
});
