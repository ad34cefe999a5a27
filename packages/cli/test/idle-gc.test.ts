/** The idle collector: runs after a quiet interval that follows heap growth, never while busy. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { startIdleGc } from '../src/idle-gc.ts';

// V8's own incremental marking, started while the garbage below is allocated, could finish on an
// idle task and free it before the collector's quiet tick (the test then saw no growth to act on,
// in about 3% of runs on a loaded machine): this test process marks only when a collection is asked
setFlagsFromString('--no-incremental-marking');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a quiet interval after the heap grew runs one full collection that frees the garbage', async () => {
  let count = 0;
  const freed: number[] = [];
  const g = startIdleGc(() => count, { minGrowth: 4 * 1024 * 1024, intervalMs: 100, onCollect: (b) => freed.push(b) });
  assert.ok(g, 'gc() is available without --expose-gc on the command line');
  let garbage: unknown[] | null = [];
  for (let i = 0; i < 200000; i++) garbage.push({ i, s: `x${i}` });
  count++; // "requests" while the heap grows
  assert.ok(garbage.length > 0);
  garbage = null;
  await sleep(500);
  g.stop();
  assert.ok(g.runs >= 1, 'collected once idle');
  assert.ok((freed[0] ?? 0) > 4 * 1024 * 1024, `freed ${freed[0]} bytes`);
});

test('no collection while requests keep arriving', async () => {
  let count = 0;
  const g = startIdleGc(() => count, { minGrowth: 1, intervalMs: 50 });
  assert.ok(g);
  const t = setInterval(() => count++, 10);
  await sleep(300);
  clearInterval(t);
  g.stop();
  assert.equal(g.runs, 0);
});

test('SWITCHYARD_IDLE_GC=0 turns it off', () => {
  process.env.SWITCHYARD_IDLE_GC = '0';
  try {
    assert.equal(
      startIdleGc(() => 0),
      undefined,
    );
  } finally {
    delete process.env.SWITCHYARD_IDLE_GC;
  }
});
