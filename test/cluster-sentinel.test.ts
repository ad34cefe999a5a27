/**
 * Two Switchyard nodes sharing state through Redis Sentinel (`redis-url redis+sentinel://...`):
 * a master, a replica and three sentinels from Debian's packages on loopback. The master is
 * killed under traffic: no request fails, and the admin changes made on each node while the
 * sentinels elect the replica reach the other node.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { startSentinelSet } from '../packages/state/test/redis-sentinel.ts';
import { freePort, rawRequest, startProxy, until, writeFile } from './helpers/proxy.ts';
import { redisNodeHead, upstreamsAndDir } from './helpers/redis-nodes.ts';
import { needs } from './helpers/system.ts';

const cli = (path: string, cmd: string) => cliQuery({ path }, cmd);

const GET = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';

/** Fields of be/NAME in `show servers state be`: [6] admin state, [7] user weight. */
async function serverState(sock: string, name: string): Promise<string[]> {
  const line = (await cli(sock, 'show servers state be')).split('\n').find((l) => l.split(' ')[3] === name);
  return line?.split(' ') ?? [];
}

test('Sentinel failover under traffic: no request lost, admin changes made during it reach the other node', {
  skip: needs('redis-server', 'redis-sentinel'),
  timeout: 180_000,
}, async (t) => {
  const set = await startSentinelSet();
  t.after(() => set.stop());
  const {
    ups: [a, b],
    tmp,
  } = await upstreamsAndDir(t, 'a', 'b');
  const node = async (name: string) => {
    const port = await freePort();
    const statsPort = await freePort();
    const sock = join(tmp.dir, `${name}.sock`);
    const cfg = writeFile(
      tmp.dir,
      `${name}.cfg`,
      `${redisNodeHead(set.url, sock, 'sentinel')}frontend fe
  bind 127.0.0.1:${port}
  http-request track-sc0 src table rl
  default_backend be
backend rl
  stick-table type ip size 1k expire 60s store http_req_cnt
backend be
  server a 127.0.0.1:${a.port}
  server b 127.0.0.1:${b.port}
frontend stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
  http-request use-service prometheus-exporter if { path /metrics }
`,
    );
    const px = await startProxy(['-f', cfg]);
    t.after(() => px.stop('SIGKILL'));
    return { px, port, sock, statsPort };
  };
  const nodeA = await node('a');
  const nodeB = await node('b');
  // both synced with the master first
  await until(async () => /state=up/.test(await cli(nodeA.sock, 'show peers')), 20_000, 'A connected');
  await until(async () => /state=up/.test(await cli(nodeB.sock, 'show peers')), 20_000, 'B connected');

  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const loop = async (port: number) => {
    while (!stop) {
      const r = await rawRequest(port, GET).catch((e: Error) => e.message);
      if (/^HTTP\/1\.1 200/.test(r)) ok++;
      else failures.push(r.slice(0, 80));
    }
  };
  const traffic = [nodeA.port, nodeA.port, nodeB.port, nodeB.port].map(loop);
  await until(() => ok > 50, 30_000, 'traffic flowing');

  await set.master.kill();
  const killedAt = Date.now();
  // made while the sentinels have not yet elected the replica: Redis is unreachable for both nodes
  assert.equal(await cli(nodeA.sock, 'set weight be/a 50'), '\n');
  assert.equal(await cli(nodeB.sock, 'disable server be/b'), '\n');
  await until(async () => (await set.currentMasterPort().catch(() => 0)) === set.replica.port, 60_000, 'failover');
  const failoverMs = Date.now() - killedAt;

  await until(async () => (await serverState(nodeB.sock, 'a'))[7] === '50', 30_000, 'weight 50 on node B');
  await until(async () => (await serverState(nodeA.sock, 'b'))[6] === '1', 30_000, 'MAINT on node A');
  // and after the failover, through the new master
  assert.equal(await cli(nodeB.sock, 'enable server be/b'), '\n');
  await until(async () => (await serverState(nodeA.sock, 'b'))[6] === '0', 30_000, 'READY again on node A');
  const okAtEnd = ok;
  await until(() => ok > okAtEnd + 50, 30_000, 'traffic still flowing');
  stop = true;
  await Promise.all(traffic);

  assert.deepEqual(failures, [], `${failures.length} failed requests of ${ok + failures.length}`);
  // the new master holds the changes (written back by the nodes after the failover)
  const probe = new Redis({ port: set.replica.port, host: '127.0.0.1' });
  probe.on('error', () => {});
  t.after(() => probe.disconnect());
  assert.equal(JSON.parse((await probe.get('switchyard:sentinel:srv:be/a:weight')) ?? '{}').v, 50);
  const peers = await cli(nodeA.sock, 'show peers');
  assert.match(peers, new RegExp(`addr=127\\.0\\.0\\.1:${set.replica.port}`), peers);
  // the store's health: stats page header and Prometheus
  const page = await rawRequest(nodeA.statsPort, 'GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(
    page,
    new RegExp(`shared state = .*<b>UP</b> at 127\\.0\\.0\\.1:${set.replica.port}, cluster sentinel, 1 other node`),
  );
  const metrics = await rawRequest(nodeA.statsPort, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(metrics, /switchyard_store_state\{cluster="sentinel",kind="sentinel",state="up"\} 1/);
  assert.match(metrics, /switchyard_store_state\{cluster="sentinel",kind="sentinel",state="down"\} 0/);
  assert.ok(
    Number(/switchyard_store_outages_total\{[^}]*\} (\d+)/.exec(metrics)?.[1]) >= 1,
    'the failover counted as an outage',
  );
  assert.ok(Number(/switchyard_store_resyncs_total\{[^}]*\} (\d+)/.exec(metrics)?.[1]) >= 2);
  assert.match(metrics, /switchyard_store_peers\{[^}]*\} 1/);
  t.diagnostic(`failover took ${failoverMs} ms; ${ok} requests, 0 failed`);
});
