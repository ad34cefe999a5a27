/**
 * Two state layers sharing one real redis-server (started here on a free loopback port): pinning
 * and rate counters replicated, admin changes propagated, a late joiner loads everything before
 * its first request, and Redis dying mid-traffic fails nothing and converges after a restart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { needs } from '../../../test/helpers/system.ts';
import { eventually, startRedis } from './redis-server.ts';
import { control, node, rateOf, send } from './shared-nodes.ts';

const skip = needs('redis-server');

test('two nodes share pinning, rate counters and admin state through Redis', { skip, timeout: 60_000 }, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.kill());
  const a = node(redis.url, 'c1', 'A');
  const b = node(redis.url, 'c1', 'B');
  t.after(() => Promise.all([a.layer.stop(), b.layer.stop()]));
  await Promise.all([a.layer.ready(), b.layer.ready()]);
  assert.equal(a.layer.status().connected, true);

  // pinning: balanced on A, found on B (B's round robin would pick another server)
  const first = send(a, '192.0.2.10');
  assert.equal(first.persistent, false);
  await eventually('entry replicated to B', () => b.layer.tables.get('be')!.lookup('192.0.2.10', Date.now()) >= 0);
  const onB = send(b, '192.0.2.10');
  assert.equal(onB.persistent, true);
  assert.equal(onB.server.name, first.server.name);

  // rate counters add up across both nodes
  for (let i = 0; i < 30; i++) {
    send(a, '192.0.2.20');
    send(b, '192.0.2.20');
  }
  await eventually(
    'both nodes see 60 requests',
    () => rateOf(a, '192.0.2.20') === 60 && rateOf(b, '192.0.2.20') === 60,
  );

  // admin: MAINT on A (runtime API) reaches B within a second; B's own check changes do not echo
  const sA = a.be.serversByName.get('s2')!;
  const sB = b.be.serversByName.get('s2')!;
  const t0 = Date.now();
  control.setServerAdmin(a.rt, a.be, sA, 'MAINT', 'api');
  await eventually('MAINT on B', () => sB.admin === 'MAINT', 5000);
  t.diagnostic(`MAINT propagated A -> B in ${Date.now() - t0} ms`);
  control.setServerWeight(b.rt, b.be, b.be.serversByName.get('s3')!, 7, 'stats');
  await eventually('weight on A', () => a.be.serversByName.get('s3')!.weight === 7, 5000);
  control.setServerAdmin(b.rt, b.be, b.be.serversByName.get('s1')!, 'DRAIN', 'check');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(a.be.serversByName.get('s1')!.admin, 'READY', "origin 'check' is not shared");

  // keys live under the cluster's namespace with the table's expiry
  const probe = new Redis(redis.url);
  probe.on('error', () => {}); // the server is killed at the end of the test
  t.after(() => probe.disconnect());
  const keys = await probe.keys('switchyard:c1:*');
  assert.ok(keys.includes('switchyard:c1:st:be:192.0.2.10'), keys.join(' '));
  assert.ok(keys.includes('switchyard:c1:srv:be/s2:admin'));
  const ttl = await probe.pttl('switchyard:c1:st:be:192.0.2.10');
  assert.ok(ttl > 0 && ttl <= 60_000, `pttl ${ttl}`);

  // a late joiner has the tables and admin states before its first request
  const c = node(redis.url, 'c1', 'C');
  t.after(() => c.layer.stop());
  await c.layer.ready();
  assert.equal(c.be.serversByName.get('s2')!.admin, 'MAINT');
  assert.equal(c.be.serversByName.get('s3')!.weight, 7);
  const onC = send(c, '192.0.2.10');
  assert.equal(onC.persistent, true);
  assert.equal(onC.server.name, first.server.name);
  await eventually('late joiner sees the shared rate', async () => {
    if (rateOf(c, '192.0.2.20') >= 60) return true;
    return false;
  });

  // another cluster name shares nothing
  const other = node(redis.url, 'c2', 'D');
  t.after(() => other.layer.stop());
  await other.layer.ready();
  assert.equal(other.layer.tables.get('be')!.count, 0);
  assert.equal(other.be.serversByName.get('s2')!.admin, 'READY');
});

test('Redis killed mid-traffic: no request fails or waits; state converges after restart', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.kill());
  const logs: string[] = [];
  const a = node(redis.url, 'f1', 'A');
  const b = node(redis.url, 'f1', 'B');
  for (const n of [a, b]) n.rt.logger.log = (_p, _l, msg) => void logs.push(msg);
  t.after(() => Promise.all([a.layer.stop(), b.layer.stop()]));
  await Promise.all([a.layer.ready(), b.layer.ready()]);

  let requests = 0;
  let slowest = 0;
  const traffic = async (until: () => boolean) => {
    while (!until()) {
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        send(i % 2 ? a : b, `198.51.100.${i}`);
        slowest = Math.max(slowest, performance.now() - t0);
        requests++;
      }
      await new Promise((r) => setImmediate(r));
    }
  };
  const pinned = send(a, '203.0.113.1').server.name;
  await eventually('pin replicated', () => b.layer.tables.get('be')!.lookup('203.0.113.1', Date.now()) >= 0);

  let stop = false;
  const running = traffic(() => stop);
  await new Promise((r) => setTimeout(r, 200));
  await redis.kill();
  await eventually('both nodes notice Redis is down', () => !a.layer.status().connected && !b.layer.status().connected);
  // while down: new pins on A, admin change on B, everything still served locally
  const during = send(a, '203.0.113.2').server.name;
  assert.equal(send(b, '203.0.113.1').server.name, pinned, 'B still has its local copy');
  // MAINT on a server neither pin uses (a pin to a MAINT server would rightly be rebalanced)
  const spare = ['s1', 's2', 's3'].find((x) => x !== during && x !== pinned)!;
  control.setServerAdmin(b.rt, b.be, b.be.serversByName.get(spare)!, 'MAINT', 'api');
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  await running;
  assert.ok(requests > 100, `${requests} requests`);
  assert.equal(logs.filter((l) => l.includes('unavailable')).length, 2, `logged once per node: ${logs.join(' | ')}`);

  await redis.restart();
  await eventually(
    'both reconnected and resynced',
    () => a.layer.status().connected && b.layer.status().connected,
    30_000,
  );
  await eventually(
    'A pin made during the outage reaches B',
    () => b.layer.tables.get('be')!.lookup('203.0.113.2', Date.now()) >= 0,
    15_000,
  );
  const onB = send(b, '203.0.113.2');
  assert.equal(onB.persistent, true);
  assert.equal(onB.server.name, during);
  await eventually(
    'B admin change during the outage reaches A',
    () => a.be.serversByName.get(spare)!.admin === 'MAINT',
    15_000,
  );
  assert.equal(send(a, '203.0.113.1').server.name, pinned);
  t.diagnostic(`${requests} requests during the outage test, slowest hook round ${slowest.toFixed(2)} ms`);
});

test('Redis frozen (slow): requests never wait; replication resumes and resyncs when it answers', {
  skip,
  timeout: 90_000,
}, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.kill());
  const logs: string[] = [];
  const a = node(redis.url, 's1', 'A');
  const b = node(redis.url, 's1', 'B');
  for (const n of [a, b]) n.rt.logger.log = (_p, _l, msg) => void logs.push(msg);
  t.after(() => Promise.all([a.layer.stop(), b.layer.stop()]));
  await Promise.all([a.layer.ready(), b.layer.ready()]);
  redis.pause();
  t.after(() => redis.resume());
  // traffic while Redis does not answer: served at once from local state
  let slowest = 0;
  for (let i = 0; i < 2000; i++) {
    const t0 = performance.now();
    send(i % 2 ? a : b, `192.0.2.${(i % 50) + 100}`);
    slowest = Math.max(slowest, performance.now() - t0);
    if (i % 100 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  const pinned = send(a, '203.0.113.77').server.name;
  await eventually(
    'the failing writes are noticed',
    () => logs.some((l) => l.includes('slow or failing') || l.includes('unavailable')),
    30_000,
  );
  redis.resume();
  await eventually(
    'pin made while Redis was frozen reaches B',
    () => b.layer.tables.get('be')!.lookup('203.0.113.77', Date.now()) >= 0,
    30_000,
  );
  const onB = send(b, '203.0.113.77');
  assert.equal(onB.server.name, pinned);
  assert.equal(onB.persistent, true);
  t.diagnostic(
    `slowest request through the hooks while Redis was frozen: ${slowest.toFixed(2)} ms; logs: ${logs.join(' | ')}`,
  );
});
