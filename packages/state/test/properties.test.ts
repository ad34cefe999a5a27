/** Property tests (fast-check): the table against a reference model, freq counter bounds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { freqAdd, freqRead } from '../src/freq-counter.ts';
import { Ipv4Index, ipv4ToInt } from '../src/key-index.ts';
import { StickTable, tableSpec } from '../src/stick-table.ts';
import { table } from './fixtures.ts';

type Op =
  | { k: 'get'; key: number }
  | { k: 'touch'; key: number }
  | { k: 'del'; key: number }
  | { k: 'tick'; ms: number }
  | { k: 'purge' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('get' as const), key: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ k: fc.constant('touch' as const), key: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ k: fc.constant('del' as const), key: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ k: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 400 }) }),
  fc.record({ k: fc.constant('purge' as const) }),
);

test('table behaves like a reference LRU-with-expiry model', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.constantFrom(0, 500, 1000),
      fc.array(op, { maxLength: 120 }),
      (size, expire, ops) => {
        const t = new StickTable(tableSpec('p', table([{ name: 'gpc0' }], { size, expire })));
        // model: key -> last touch, Map order = LRU order (oldest first)
        const m = new Map<string, number>();
        let now = 1;
        const alive = (k: string) => {
          const at = m.get(k);
          if (at === undefined) return false;
          if (expire > 0 && now - at >= expire) {
            m.delete(k);
            return false;
          }
          return true;
        };
        for (const o of ops) {
          if (o.k === 'tick') {
            now += o.ms;
            continue;
          }
          if (o.k === 'purge') {
            t.purgeExpired(now);
            continue;
          }
          const key = `10.0.0.${o.key}`;
          if (o.k === 'get') {
            const idx = t.getOrCreate(key, now);
            assert.ok(idx >= 0, 'nothing referenced: an entry can always be made');
            if (!alive(key) && m.size >= size) {
              // expired entries are not counted as live by the model: drop them first, then the oldest
              for (const k of [...m.keys()]) alive(k);
              if (m.size >= size) m.delete(m.keys().next().value as string);
            }
            m.delete(key);
            m.set(key, now);
          } else if (o.k === 'touch') {
            const idx = t.lookup(key, now);
            assert.equal(idx >= 0, alive(key), `lookup ${key}`);
            if (idx >= 0) {
              t.touch(idx, now);
              m.delete(key);
              m.set(key, now);
            }
          } else {
            t.delete(key);
            m.delete(key);
          }
          for (let i = 0; i <= 12; i++) {
            const k = `10.0.0.${i}`;
            assert.equal(t.lookup(k, now) >= 0, alive(k), `state of ${k} after ${JSON.stringify(o)}`);
          }
          assert.ok(t.count <= size);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('freq counter: never more than the events of the last two periods, all of the current one', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 5 })), { maxLength: 60 }),
      (steps) => {
        const P = 1000;
        const a = new Float64Array(3);
        let now = 10_000;
        const events: Array<[number, number]> = [];
        for (const [dt, n] of steps) {
          now += dt;
          freqAdd(a, 0, P, now, n);
          events.push([now, n]);
          const r = freqRead(a, 0, P, now);
          const start = a[0];
          const inCurrent = events.filter(([t]) => t >= start).reduce((s, [, c]) => s + c, 0);
          const lastTwo = events.filter(([t]) => t > now - 2 * P).reduce((s, [, c]) => s + c, 0);
          assert.ok(r >= inCurrent, `rate ${r} < current period events ${inCurrent}`);
          assert.ok(r <= lastTwo, `rate ${r} > events of the last two periods ${lastTwo}`);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('IPv4 open-addressing index agrees with a Map through inserts, deletes and growth', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2999 })), { minLength: 1, maxLength: 3000 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (ops, seed) => {
        const ips = Array.from({ length: 3000 }, (_, i) => {
          const n = (Math.imul(i + 1, 2654435761) ^ seed) >>> 0;
          return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
        });
        const idx = new Ipv4Index(4096);
        const ref = new Map<string, number>();
        let next = 0;
        for (const [add, k] of ops) {
          const key = ips[k];
          if (add && !ref.has(key)) {
            idx.set(key, next);
            ref.set(key, next++);
          } else if (!add) {
            idx.delete(key);
            ref.delete(key);
          }
        }
        assert.equal(idx.size, ref.size);
        for (const key of ips) assert.equal(idx.get(key), ref.get(key), key);
      },
    ),
    { numRuns: 60 },
  );
});

test('ipv4ToInt parses dotted quads only', () => {
  assert.equal(ipv4ToInt('0.0.0.0'), 0);
  assert.equal(ipv4ToInt('255.255.255.255'), 0xffffffff);
  assert.equal(ipv4ToInt('10.1.2.3'), 0x0a010203);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', 'a.b.c.d', '1.2.3.4 ', '1234.1.1.1']) {
    assert.equal(ipv4ToInt(bad), -1, bad);
  }
});
