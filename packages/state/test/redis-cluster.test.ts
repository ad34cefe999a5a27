/**
 * Two state layers sharing through a Redis Cluster (`redis-url redis+cluster://...`, three
 * masters on loopback): pinning, rate counters and admin changes cross nodes, a late joiner
 * loads them, and every key of the cluster name carries one hash tag (one slot).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { needs } from '../../../test/helpers/system.ts';
import { parseRedisUrl } from '../src/redis-connect.ts';
import { startRedisCluster } from './redis-cluster.ts';
import { eventually } from './redis-server.ts';
import { control, node, rateOf, send } from './shared-nodes.ts';

test('redis+cluster: two nodes share pinning, counters and admin state through a Redis Cluster', {
  skip: needs('redis-server', 'redis-cli'),
  timeout: 120_000,
}, async (t) => {
  const rc = await startRedisCluster();
  t.after(() => rc.stop());
  assert.equal((parseRedisUrl(rc.url) as { kind: string }).kind, 'cluster');
  const a = node(rc.url, 'rc1', 'A');
  const b = node(rc.url, 'rc1', 'B');
  t.after(() => Promise.all([a.layer.stop(), b.layer.stop()]));
  await Promise.all([a.layer.ready(), b.layer.ready()]);
  assert.equal(a.layer.status().connected, true);

  const first = send(a, '192.0.2.10');
  await eventually('entry replicated to B', () => b.layer.tables.get('be')!.lookup('192.0.2.10', Date.now()) >= 0);
  assert.equal(send(b, '192.0.2.10').server.name, first.server.name);
  for (let i = 0; i < 20; i++) {
    send(a, '192.0.2.20');
    send(b, '192.0.2.20');
  }
  await eventually('both see 40 requests', () => rateOf(a, '192.0.2.20') === 40 && rateOf(b, '192.0.2.20') === 40);
  control.setServerAdmin(a.rt, a.be, a.be.serversByName.get('s2')!, 'MAINT', 'api');
  await eventually('MAINT on B', () => b.be.serversByName.get('s2')!.admin === 'MAINT', 10_000);

  // entries reach Redis (the refresh writes full copies through the multi-key merge script)
  const probe = new Redis.Cluster(rc.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })));
  probe.on('error', () => {});
  t.after(() => probe.disconnect());
  const key = 'switchyard:{rc1}:st:be:192.0.2.10';
  await eventually('entry stored in the cluster', async () => (await probe.exists(key)) === 1, 15_000);
  const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
  assert.equal(Number(await probe.call('CLUSTER', 'KEYSLOT', 'switchyard:{rc1}:srv:be/s2:admin')), slot, 'one slot');

  // a late joiner loads tables and admin states by scanning the node that holds the slot
  const c = node(rc.url, 'rc1', 'C');
  t.after(() => c.layer.stop());
  await c.layer.ready();
  assert.equal(c.be.serversByName.get('s2')!.admin, 'MAINT');
  const onC = send(c, '192.0.2.10');
  assert.equal(onC.persistent, true);
  assert.equal(onC.server.name, first.server.name);
});
