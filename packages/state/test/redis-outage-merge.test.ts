/**
 * Counts made while Redis was away are summed when it returns (each node's increments added
 * once, as connected nodes add up), `set table` lowering a counter is not undone by a later
 * merge, and `clear table` removes the entry on the other node and in Redis.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { needs } from '../../../test/helpers/system.ts';
import { clearTable, setTable } from '../src/table-commands.ts';
import { eventually, startRedis } from './redis-server.ts';
import { countOf, node, send } from './shared-nodes.ts';

const skip = needs('redis-server');
const X = '198.51.100.7';

for (const restart of ['empty', 'kept'] as const) {
  test(`counts made during an outage are summed (Redis back ${restart})`, { skip, timeout: 90_000 }, async (t) => {
    const redis = await startRedis();
    t.after(() => redis.kill());
    const a = node(redis.url, `o-${restart}`, 'A');
    const b = node(redis.url, `o-${restart}`, 'B');
    t.after(() => Promise.all([a.layer.stop(), b.layer.stop()]));
    await Promise.all([a.layer.ready(), b.layer.ready()]);
    for (let i = 0; i < 10; i++) send(i % 2 ? a : b, X);
    await eventually('10 on both', () => countOf(a, X) === 10 && countOf(b, X) === 10);
    // let the refresh write the copy to Redis
    await new Promise((r) => setTimeout(r, 1500));

    if (restart === 'empty') await redis.kill();
    else redis.pause();
    const down = () => a.layer.status().connected === false || a.layer.status().sync!.writeErrors > 0;
    if (restart === 'empty')
      await eventually('both notice', () => !a.layer.status().connected && !b.layer.status().connected);
    for (let i = 0; i < 5; i++) send(a, X);
    for (let i = 0; i < 7; i++) send(b, X);
    assert.equal(countOf(a, X), 15);
    assert.equal(countOf(b, X), 17);
    if (restart === 'empty') await redis.restart();
    else {
      await eventually('A notices the frozen Redis', down, 30_000);
      redis.resume();
    }
    await eventually('22 on both (10 + 5 + 7)', () => countOf(a, X) === 22 && countOf(b, X) === 22, 30_000);
    // nothing counted twice after the refreshes and hello answers settle
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(countOf(a, X), 22);
    assert.equal(countOf(b, X), 22);
    const c = node(redis.url, `o-${restart}`, 'C');
    t.after(() => c.layer.stop());
    await c.layer.ready();
    await eventually('late joiner loads 22', () => countOf(c, X) === 22);
  });
}

test('set table lowering a counter sticks; clear table reaches the other node and Redis', {
  skip,
  timeout: 60_000,
}, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.kill());
  const a = node(redis.url, 'st', 'A');
  const b = node(redis.url, 'st', 'B');
  t.after(() => Promise.all([a.layer.stop(), b.layer.stop()]));
  await Promise.all([a.layer.ready(), b.layer.ready()]);
  for (let i = 0; i < 8; i++) send(i % 2 ? a : b, X);
  await eventually('8 on both', () => countOf(a, X) === 8 && countOf(b, X) === 8);
  await new Promise((r) => setTimeout(r, 1500)); // 8 stored in Redis

  assert.equal(setTable(a.layer.tables, ['rl', 'key', X, 'data.http_req_cnt', '1']), '');
  await eventually('1 on B', () => countOf(b, X) === 1);
  send(b, X);
  await eventually('2 on both', () => countOf(a, X) === 2 && countOf(b, X) === 2);
  await new Promise((r) => setTimeout(r, 2500)); // refreshes merge both copies into Redis
  const c = node(redis.url, 'st', 'C');
  t.after(() => c.layer.stop());
  await c.layer.ready();
  assert.equal(countOf(c, X), 2, 'the Redis copy kept the assignment, not the larger old count');
  assert.equal(countOf(a, X), 2);

  const probe = new Redis(redis.url);
  probe.on('error', () => {});
  t.after(() => probe.disconnect());
  assert.equal(await probe.exists(`switchyard:st:st:rl:${X}`), 1);
  assert.equal(clearTable(a.layer.tables, ['rl', 'key', X]), '');
  await eventually('gone on B and C', () => {
    const now = Date.now();
    return b.layer.tables.get('rl')!.lookup(X, now) < 0 && c.layer.tables.get('rl')!.lookup(X, now) < 0;
  });
  await eventually('gone in Redis', async () => (await probe.exists(`switchyard:st:st:rl:${X}`)) === 0);
  await new Promise((r) => setTimeout(r, 2500)); // refreshes do not bring it back
  for (const n of [a, b, c]) assert.ok(n.layer.tables.get('rl')!.lookup(X, Date.now()) < 0);
  assert.equal(await probe.exists(`switchyard:st:st:rl:${X}`), 0);
  assert.ok(a.layer.status().sync!.cleared >= 1);
});
