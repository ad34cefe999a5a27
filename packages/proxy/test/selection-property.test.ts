/** Property tests: whatever the algorithm, weights and server states, pick() keeps its contract. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BalanceAlgo } from '@switchyard/config';
import fc from 'fast-check';
import { isUsable } from '../src/model/server-state.ts';
import { txn } from './acl-helpers.ts';
import { backend, seeded } from './selection-helpers.ts';

const algos: Array<{ algo: BalanceAlgo; param?: string }> = [
  { algo: 'roundrobin' },
  { algo: 'static-rr' },
  { algo: 'leastconn' },
  { algo: 'first' },
  { algo: 'random' },
  { algo: 'source' },
  { algo: 'uri' },
  { algo: 'url_param', param: 'id' },
  { algo: 'hdr', param: 'x-user' },
];

const server = fc.record({
  weight: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 256 })),
  backup: fc.boolean(),
  maxconn: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  op: fc.constantFrom('UP', 'UP', 'DOWN'),
  admin: fc.constantFrom('READY', 'READY', 'DRAIN', 'MAINT'),
  cur: fc.integer({ min: 0, max: 4 }),
});

test('pick returns a usable server, active before backup, honours exclude, or null when none is usable', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...algos),
      fc.constantFrom('map-based', 'consistent'),
      fc.boolean(),
      fc.array(server, { minLength: 1, maxLength: 8 }),
      fc.array(fc.tuple(fc.nat(1000), fc.nat(7)), { minLength: 1, maxLength: 20 }),
      (a, method, allbackups, specs, reqs) => {
        const { servers, sel } = backend(
          { algo: a.algo, param: a.param },
          specs.map((s, i) => ({ name: `s${i}`, weight: s.weight, backup: s.backup, maxconn: s.maxconn })),
          { hashType: { method }, allbackups, random: seeded(7) },
        );
        specs.forEach((s, i) => {
          servers[i].op = s.op as 'UP' | 'DOWN';
          servers[i].admin = s.admin as 'READY' | 'DRAIN' | 'MAINT';
          servers[i].cur = s.cur;
        });
        sel.update();
        const usable = servers.filter(isUsable);
        const activeUsable = usable.filter((s) => !s.backup);
        for (const [k, ex] of reqs) {
          const t = txn({
            url: `/p/${k}?id=${k % 13}`,
            src: `10.0.${k % 256}.${(k * 7) % 256}`,
            headers: k % 3 ? [['X-User', `u${k % 17}`]] : [],
          });
          const exclude = servers[ex % servers.length];
          const s = sel.pick(t, exclude);
          if (usable.length === 0) {
            assert.equal(s, null);
            continue;
          }
          assert.ok(s, 'a usable server exists');
          assert.ok(isUsable(s));
          if (activeUsable.length > 0) assert.equal(s.backup, false, 'active servers first');
          const candidates = activeUsable.length > 0 ? activeUsable : allbackups ? usable : usable.slice(0, 1);
          assert.ok(candidates.includes(s), 'picked from the group in use');
          if (s === exclude) assert.equal(candidates.length, 1, 'exclude only when it is the only one');
        }
      },
    ),
    { numRuns: 1500 },
  );
});
