/** roundrobin, static-rr, first, leastconn, random: sequences, distributions, states, backups. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFull } from '../src/selection/index.ts';
import { txn } from './acl-helpers.ts';
import { backend, seeded, tally } from './selection-helpers.ts';

const t0 = txn();
const seq = (sel: { pick: (t: typeof t0) => { name: string } | null }, n: number) =>
  Array.from({ length: n }, () => sel.pick(t0)?.name ?? '-').join(' ');

test('roundrobin: smooth weighted order for weights 3,2,1', () => {
  const { sel } = backend({ algo: 'roundrobin' }, [
    { name: 'a', weight: 3 },
    { name: 'b', weight: 2 },
    { name: 'c', weight: 1 },
  ]);
  assert.equal(seq(sel, 12), 'a b a c b a a b a c b a');
});

test('roundrobin: equal weights rotate in order', () => {
  const { sel } = backend({ algo: 'roundrobin' }, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  assert.equal(seq(sel, 6), 'a b c a b c');
});

test('roundrobin: 10k picks follow weights exactly per cycle', () => {
  const { sel } = backend({ algo: 'roundrobin' }, [
    { name: 'a', weight: 10 },
    { name: 'b', weight: 30 },
    { name: 'c', weight: 60 },
  ]);
  const c = tally(sel, 10000, () => t0);
  assert.deepEqual([c.get('a'), c.get('b'), c.get('c')], [1000, 3000, 6000]);
});

test('roundrobin: weight change applies after update(); weight 0 gets no traffic', () => {
  const { sel, by } = backend({ algo: 'roundrobin' }, [{ name: 'a' }, { name: 'b' }]);
  by('b').effectiveWeight = 3;
  sel.update();
  const c = tally(sel, 400, () => t0);
  assert.deepEqual([c.get('a'), c.get('b')], [100, 300]);
  by('a').effectiveWeight = 0;
  sel.update();
  assert.equal(seq(sel, 4), 'b b b b');
});

test('DOWN, MAINT and DRAIN servers are skipped, even without update()', () => {
  const { sel, by } = backend({ algo: 'roundrobin' }, [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }]);
  by('a').op = 'DOWN';
  by('b').admin = 'MAINT';
  by('c').admin = 'DRAIN';
  assert.equal(seq(sel, 3), 'd d d');
  by('d').op = 'DOWN';
  assert.equal(sel.pick(t0), null);
  assert.equal(sel.pick(t0), null);
  // a server coming back is noticed even if nobody called update()
  by('a').op = 'UP';
  assert.equal(seq(sel, 2), 'a a');
  by('b').admin = 'READY';
  sel.update();
  assert.equal(seq(sel, 2), 'a b');
});

test('exclude is skipped when another server is usable, used when it is the only one', () => {
  const { sel, by } = backend({ algo: 'roundrobin' }, [{ name: 'a' }, { name: 'b' }]);
  for (let i = 0; i < 5; i++) assert.equal(sel.pick(t0, by('a'))?.name, 'b');
  by('b').op = 'DOWN';
  sel.update();
  assert.equal(sel.pick(t0, by('a'))?.name, 'a');
});

test('backup servers: first usable backup only, or all with option allbackups', () => {
  const servers = [{ name: 'a' }, { name: 'b1', backup: true, id: 5 }, { name: 'b2', backup: true, id: 3 }];
  const one = backend({ algo: 'roundrobin' }, servers);
  assert.equal(seq(one.sel, 2), 'a a');
  one.by('a').op = 'DOWN';
  one.sel.update();
  assert.equal(seq(one.sel, 3), 'b1 b1 b1', 'first backup in configuration order');
  one.by('b1').admin = 'MAINT';
  one.sel.update();
  assert.equal(seq(one.sel, 2), 'b2 b2');
  one.by('a').op = 'UP';
  one.sel.update();
  assert.equal(seq(one.sel, 2), 'a a');

  const all = backend({ algo: 'roundrobin' }, servers, { allbackups: true });
  all.by('a').op = 'DOWN';
  all.sel.update();
  assert.equal(seq(all.sel, 4), 'b1 b2 b1 b2');
});

test('maxconn: full servers are skipped; all full returns one to queue on', () => {
  const { sel, by } = backend({ algo: 'roundrobin' }, [
    { name: 'a', maxconn: 1 },
    { name: 'b', maxconn: 1 },
  ]);
  by('a').cur = 1;
  assert.equal(isFull(by('a')), true);
  assert.equal(seq(sel, 3), 'b b b');
  by('b').cur = 1;
  const s = sel.pick(t0);
  assert.ok(s && isFull(s));
});

test('static-rr: weighted map order and exact counts', () => {
  const { sel } = backend({ algo: 'static-rr' }, [
    { name: 'a', weight: 2 },
    { name: 'b', weight: 1 },
  ]);
  assert.equal(seq(sel, 6), 'a a b a a b', 'HAProxy lb_map order');
  const w = backend({ algo: 'static-rr' }, [
    { name: 'a', weight: 20 },
    { name: 'b', weight: 40 },
    { name: 'c', weight: 40 },
  ]);
  const c = tally(w.sel, 5000, () => t0);
  assert.deepEqual([c.get('a'), c.get('b'), c.get('c')], [1000, 2000, 2000]);
});

test('first: lowest id with a free slot', () => {
  const { sel, by } = backend({ algo: 'first' }, [
    { name: 'b', id: 2, maxconn: 2 },
    { name: 'a', id: 1, maxconn: 1 },
    { name: 'c', id: 3 },
  ]);
  assert.equal(sel.pick(t0)?.name, 'a');
  by('a').cur = 1;
  assert.equal(sel.pick(t0)?.name, 'b');
  by('b').cur = 2;
  assert.equal(sel.pick(t0)?.name, 'c');
  by('c').op = 'DOWN';
  assert.equal(sel.pick(t0)?.name, 'a', 'all full: lowest id to queue on');
});

test('leastconn: fewest active requests relative to weight, ties rotate', () => {
  const { sel, by } = backend({ algo: 'leastconn' }, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  assert.equal(seq(sel, 3), 'a b c');
  by('a').cur = 5;
  by('b').cur = 2;
  by('c').cur = 3;
  assert.equal(sel.pick(t0)?.name, 'b');
  by('b').cur = 4;
  assert.equal(sel.pick(t0)?.name, 'c');
  // weight: 4 active on weight 4 beats 2 active on weight 1
  const w = backend({ algo: 'leastconn' }, [{ name: 'x', weight: 4 }, { name: 'y' }]);
  w.by('x').cur = 4;
  w.by('y').cur = 2;
  assert.equal(w.sel.pick(t0)?.name, 'x');
});

test('leastconn: simulated load spreads evenly', () => {
  const { sel, servers } = backend({ algo: 'leastconn' }, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  const inflight: Array<{ s: (typeof servers)[0]; left: number }> = [];
  const rnd = seeded(7);
  const count = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const s = sel.pick(t0)!;
    s.cur++;
    count.set(s.name, (count.get(s.name) ?? 0) + 1);
    // server a is slow: its requests last 4x longer
    inflight.push({ s, left: (s.name === 'a' ? 8 : 2) * (1 + Math.floor(rnd() * 2)) });
    for (const r of inflight) r.left--;
    for (let k = inflight.length - 1; k >= 0; k--) {
      if (inflight[k].left <= 0) {
        inflight[k].s.cur--;
        inflight.splice(k, 1);
      }
    }
  }
  assert.ok(count.get('a')! < count.get('b')! * 0.6, `slow server got fewer: ${[...count]}`);
});

test('random: weighted distribution over 10k picks, two draws prefer the less loaded', () => {
  const { sel, by } = backend(
    { algo: 'random' },
    [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 3 },
    ],
    { random: seeded(42) },
  );
  // equal load: the draws follow the weights
  const c = tally(sel, 10000, () => t0);
  const a = c.get('a')! / 10000;
  assert.ok(a > 0.22 && a < 0.28, `a share ${a}`);
  const one = backend({ algo: 'random', options: { draws: 1 } }, [{ name: 'a' }, { name: 'b', weight: 3 }], {
    random: seeded(1),
  });
  const c1 = tally(one.sel, 10000, () => t0);
  const a1 = c1.get('a')! / 10000;
  assert.ok(a1 > 0.22 && a1 < 0.28, `a share ${a1}`);
  // b loaded: b wins only when both draws land on it (3/4)^2
  by('b').cur = 10;
  const c2 = tally(sel, 10000, () => t0);
  const b2 = c2.get('b')! / 10000;
  assert.ok(b2 > 0.53 && b2 < 0.59, `b share ${b2}`);
});
