import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StateError } from '../src/errors.ts';
import { toKey } from '../src/keys.ts';
import { StickTable, tableSpec } from '../src/stick-table.ts';
import { table } from './fixtures.ts';

const mk = (extra: Parameters<typeof table>[1] = {}, store: Parameters<typeof table>[0] = [{ name: 'server_id' }]) =>
  new StickTable(tableSpec('be', table(store, extra)));

test('table: create, look up, read and write values', () => {
  const t = mk({}, [{ name: 'server_id' }, { name: 'gpc0' }, { name: 'http_req_rate', period: 10_000 }]);
  const i = t.getOrCreate('10.0.0.1', 1000);
  assert.ok(i >= 0);
  assert.equal(t.lookup('10.0.0.1', 1000), i);
  assert.equal(t.lookup('10.0.0.2', 1000), -1);
  t.set(i, t.slot('server_id')!, 3, 1000);
  t.add(i, t.slot('gpc0')!, 2, 1000);
  t.add(i, t.slot('http_req_rate')!, 4, 1000);
  assert.equal(t.read(i, t.slot('server_id')!, 1000), 3);
  assert.equal(t.read(i, t.slot('gpc0')!, 1000), 2);
  assert.equal(t.read(i, t.slot('http_req_rate')!, 1500), 4);
  assert.equal(t.count, 1);
});

test('table: entries expire after inactivity, touching keeps them', () => {
  const t = mk({ expire: 1000 });
  const a = t.getOrCreate('1.1.1.1', 0);
  t.getOrCreate('2.2.2.2', 0);
  t.touch(a, 800);
  assert.equal(t.lookup('2.2.2.2', 1000), -1, 'untouched entry expired');
  assert.equal(t.lookup('1.1.1.1', 1700), a, 'touched at 800, alive until 1800');
  assert.equal(t.lookup('1.1.1.1', 1800), -1);
});

test('table: purgeExpired removes from the LRU tail only what expired', () => {
  const t = mk({ expire: 1000 });
  for (let i = 0; i < 10; i++) t.getOrCreate(`10.0.0.${i}`, i * 100);
  assert.equal(t.purgeExpired(1450), 5); // touched at 0..400 are expired at 1450
  assert.equal(t.count, 5);
});

test('table: size is enforced by evicting the least recently used entry', () => {
  const t = mk({ size: 3 });
  const a = t.getOrCreate('1.0.0.1', 1);
  t.getOrCreate('1.0.0.2', 2);
  t.getOrCreate('1.0.0.3', 3);
  t.touch(a, 4); // 1.0.0.2 is now the oldest
  t.getOrCreate('1.0.0.4', 5);
  assert.equal(t.count, 3);
  assert.equal(t.lookup('1.0.0.2', 5), -1);
  assert.ok(t.lookup('1.0.0.1', 5) >= 0);
});

test('table: referenced entries are neither evicted nor expired; nopurge refuses new entries', () => {
  const t = mk({ size: 2, expire: 100 });
  const a = t.getOrCreate('1.0.0.1', 0);
  const b = t.getOrCreate('1.0.0.2', 0);
  t.ref(a);
  t.ref(b);
  assert.equal(t.getOrCreate('1.0.0.3', 1), -1, 'all referenced: nothing can go');
  assert.equal(t.lookup('1.0.0.1', 10_000), a, 'referenced: does not expire');
  t.unref(b);
  assert.ok(t.getOrCreate('1.0.0.3', 2) >= 0);
  const n = mk({ size: 1, nopurge: true });
  n.getOrCreate('1.0.0.1', 0);
  assert.equal(n.getOrCreate('1.0.0.2', 0), -1);
});

test('table: a reused slot changes generation', () => {
  const t = mk({ size: 1 });
  const a = t.getOrCreate('1.0.0.1', 0);
  const g = t.gen(a);
  const b = t.getOrCreate('1.0.0.2', 1);
  assert.equal(b, a);
  assert.equal(t.isLive(a, g), false);
  assert.equal(t.isLive(b, t.gen(b)), true);
});

test('table: grows past its initial slab up to size', () => {
  for (const type of ['ip', 'string'] as const) {
    const t = mk({ size: 5000, type });
    const key = (i: number) => (type === 'ip' ? `10.0.${i >> 8}.${i & 255}` : `k${i}`);
    for (let i = 0; i < 6000; i++) t.getOrCreate(key(i), i);
    assert.equal(t.count, 5000);
    assert.ok(t.lookup(key(5999), 6000) >= 0);
    assert.equal(t.lookup(key(0), 6000), -1);
    for (let i = 1000; i < 6000; i++) assert.ok(t.lookup(key(i), 6000) >= 0, key(i));
  }
});

test('table: an ip table refuses keys that are not IPv4 addresses', () => {
  const t = mk();
  assert.equal(t.getOrCreate('not-an-ip', 0), -1);
  assert.equal(t.lookup('not-an-ip', 0), -1);
  assert.equal(t.count, 0);
});

test('table: unknown or unsupported store types are clear errors', () => {
  assert.throws(
    () => mk({}, [{ name: 'bogus' }]),
    (e: unknown) => e instanceof StateError && /unknown/.test(e.message),
  );
  assert.throws(
    () => mk({}, [{ name: 'server_name' }]),
    (e: unknown) => e instanceof StateError && e.code === 'STATE_BAD_STORE_TYPE' && /server_id/.test(e.message),
  );
  assert.throws(() => mk({}, [{ name: 'http_req_rate' }]), /needs a period/);
});

test('keys: conversion per table type', () => {
  assert.equal(toKey('ip', 32, '::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(toKey('ip', 32, '10.1.2.3'), '10.1.2.3');
  assert.equal(toKey('ip', 32, '2001:db8::1'), undefined);
  assert.equal(toKey('ipv6', 32, '10.1.2.3'), '::ffff:10.1.2.3');
  assert.equal(toKey('ipv6', 32, '2001:DB8::1'), '2001:db8::1');
  assert.equal(toKey('integer', 32, '42'), '42');
  assert.equal(toKey('integer', 32, 'x42'), undefined);
  assert.equal(toKey('string', 4, 'abcdef'), 'abcd');
  assert.equal(toKey('string', 32, ['a', 'b']), 'a');
  assert.equal(toKey('string', 32, undefined), undefined);
});

test('table: recent() walks the most recently used entries only', () => {
  const t = mk();
  for (let i = 0; i < 10; i++) t.getOrCreate(`10.0.0.${i}`, i * 100);
  t.touch(t.lookup('10.0.0.2', 950), 950);
  assert.deepEqual(
    [...t.recent(750)].map(([k]) => k),
    ['10.0.0.2', '10.0.0.9', '10.0.0.8'],
  );
});
