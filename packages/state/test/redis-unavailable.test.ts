/** Redis not running when a node starts: ready() resolves after its bound, requests are served, it syncs once Redis comes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { needs } from '../../../test/helpers/system.ts';
import { createStateLayer } from '../src/layer.ts';
import { signatureOf } from '../src/replication.ts';
import { config, proxy, request, runtime, server, stick, table } from './fixtures.ts';
import { eventually, startRedis } from './redis-server.ts';

test('node started without Redis serves locally and syncs when Redis appears', {
  skip: needs('redis-server'),
  timeout: 60_000,
}, async (t) => {
  // find a free port by starting and killing a server, so the URL points at nothing
  const redis = await startRedis();
  await redis.kill();
  t.after(() => redis.kill());
  const be = proxy('backend', 'be', 1, {
    stickTable: table([], { expire: 60_000 }),
    stickRules: [stick('on', 'src')],
    servers: [server('s1', 1), server('s2', 2)],
  });
  const rt = runtime(config([be], { redisUrl: redis.url, clusterName: 'u1' }));
  const warnings: string[] = [];
  rt.logger.log = (_p, level, msg) => void warnings.push(`${level}: ${msg}`);
  const layer = createStateLayer(rt, { readyTimeoutMs: 500, nodeId: 'U' });
  t.after(() => layer.stop());
  const t0 = Date.now();
  await layer.ready();
  assert.ok(Date.now() - t0 < 5000, 'ready() is bounded');
  assert.equal(layer.status().connected, false);
  const backend = rt.backends.get('be')!;
  const txn = request('10.2.0.1');
  assert.equal(layer.hooks.persistentServer!(txn, backend), undefined);
  layer.hooks.serverChosen!(txn, backend, backend.servers[1]);
  assert.equal(layer.hooks.persistentServer!(request('10.2.0.1'), backend), backend.servers[1], 'local table works');
  assert.ok(
    warnings.some((w) => w.startsWith('warning:') && w.includes('unavailable')),
    warnings.join('\n'),
  );

  await redis.restart();
  await eventually('connected', () => layer.status().connected, 30_000);
  // the entry made while Redis was away is written back
  const { Redis } = await import('ioredis');
  const probe = new Redis(redis.url);
  probe.on('error', () => {}); // the server is killed at the end of the test
  t.after(() => probe.disconnect());
  await eventually(
    'entry written back',
    async () => (await probe.exists('switchyard:u1:st:be:10.2.0.1')) === 1,
    15_000,
  );
  assert.ok(
    warnings.some((w) => w.includes('reachable again')),
    warnings.join('\n'),
  );
});

test('invalid messages on the channel are ignored', { skip: needs('redis-server'), timeout: 30_000 }, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.kill());
  const be = proxy('backend', 'be', 1, {
    stickTable: table([], { expire: 60_000 }),
    stickRules: [stick('on', 'src')],
    servers: [server('s1', 1)],
  });
  const rt = runtime(config([be], { redisUrl: redis.url, clusterName: 'u2' }));
  const layer = createStateLayer(rt, { nodeId: 'V' });
  t.after(() => layer.stop());
  await layer.ready();
  const { Redis } = await import('ioredis');
  const probe = new Redis(redis.url);
  probe.on('error', () => {}); // the server is killed at the end of the test
  t.after(() => probe.disconnect());
  const tb = layer.tables.get('be')!;
  const sig = signatureOf(tb);
  for (const junk of [
    `W\n{"t":{"be":{"s":"${sig}","e":[["10.0.0.1",${Date.now()},${Date.now()},[[999,7]],0,0]]}}}`,
    `W\n{"t":{"be":{"s":"${sig}","e":[5,"x",null,["10.0.0.2"],["10.0.0.3",1,1,0,0,[1,2]]]}}}`,
    `W\n{"t":{"be":{"s":"${sig}","e":"nope"}},"a":[null,5,{"b":1}]}`,
    'W\n[1,2,3]',
    'W\nnull',
    '',
    'x',
    'W\n{not json',
    'W\n{"t":{"be":{"s":"bogus","e":[["k",1,1,0,0,0]]}}}',
    'W\n{"a":[{"b":"nope","s":"x","f":"admin","v":"MAINT","w":1,"n":"W"}]}',
    'W\n{"a":[{"b":"be","s":"s1","f":"admin","v":"BROKEN","w":1,"n":"W"}]}',
  ]) {
    await probe.publish('switchyard:u2:events', junk);
  }
  await probe.set('switchyard:u2:st:be:zz', 'not json');
  // the entry with an out-of-range offset is created, but nothing outside its LWW slots is written
  // (polled: on a loaded machine the subscriber may take longer than a fixed pause)
  await eventually('entry of the valid tuple applied', async () => tb.lookup('10.0.0.1', Date.now()) >= 0, 5000);
  const idx = tb.lookup('10.0.0.1', Date.now());
  assert.equal(tb.read(idx, tb.slot('server_id')!, Date.now()), 0);
  tb.delete('10.0.0.1');
  assert.equal(layer.tables.get('be')!.count, 0);
  assert.equal(rt.backends.get('be')!.servers[0].admin, 'READY');
  assert.equal(layer.status().connected, true);
});

test('junk stored in Redis does not break loading', { skip: needs('redis-server'), timeout: 30_000 }, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.kill());
  const { Redis } = await import('ioredis');
  const probe = new Redis(redis.url);
  probe.on('error', () => {});
  t.after(() => probe.disconnect());
  for (const [k, v] of [
    ['switchyard:u3:st:be:a', 'null'],
    ['switchyard:u3:st:be:b', '5'],
    ['switchyard:u3:st:be:c', '{"t":"be","s":"ip:server_id","k":7,"d":[1]}'],
    ['switchyard:u3:st:be:d', '{"t":"be","s":"ip:server_id","k":"10.0.0.9","d":[1,2,"x"]}'],
    ['switchyard:u3:srv:be/s1:admin', 'null'],
    ['switchyard:u3:srv:be/s1:weight', '{"b":"be","s":"s1","f":"weight","v":"heavy","w":1,"n":"X"}'],
  ]) {
    await probe.set(k, v);
  }
  const be = proxy('backend', 'be', 1, {
    stickTable: table([], { expire: 60_000 }),
    stickRules: [stick('on', 'src')],
    servers: [server('s1', 1)],
  });
  const rt = runtime(config([be], { redisUrl: redis.url, clusterName: 'u3' }));
  const layer = createStateLayer(rt, { nodeId: 'J' });
  t.after(() => layer.stop());
  await layer.ready();
  const st = layer.status();
  assert.equal(st.connected, true);
  assert.equal(st.sync?.resyncs, 1, 'the initial sync completed');
  assert.equal(layer.tables.get('be')!.count, 0);
  assert.equal(rt.backends.get('be')!.servers[0].weight, 1);
});
