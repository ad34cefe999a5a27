import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freqAdd, freqRead } from '../src/freq-counter.ts';

const P = 10_000;

test('freq counter: events in the current period count fully', () => {
  const a = new Float64Array(3);
  for (let i = 0; i < 7; i++) freqAdd(a, 0, P, 1_000_000 + i * 100, 1);
  assert.equal(freqRead(a, 0, P, 1_000_900), 7);
});

test('freq counter: the previous period is weighted by the part still in the window', () => {
  const a = new Float64Array(3);
  const t0 = 5_000_000;
  freqAdd(a, 0, P, t0, 100); // period [t0, t0+P)
  // a quarter into the next period: 100 * 3/4 of the previous + 0 current
  assert.equal(freqRead(a, 0, P, t0 + P + P / 4), 75);
  freqAdd(a, 0, P, t0 + P + P / 4, 10);
  assert.equal(freqRead(a, 0, P, t0 + P + P / 4), 85);
  // half-way: 100 * 1/2 + 10
  assert.equal(freqRead(a, 0, P, t0 + P + P / 2), 60);
});

test('freq counter: two idle periods reset it; reading does not mutate', () => {
  const a = new Float64Array(3);
  freqAdd(a, 0, P, 1_000, 5);
  assert.equal(freqRead(a, 0, P, 1_000 + 2 * P), 0);
  assert.deepEqual(Array.from(a), [1_000, 5, 0]);
  freqAdd(a, 0, P, 1_000 + 3 * P, 2);
  assert.equal(freqRead(a, 0, P, 1_000 + 3 * P), 2);
});

test('freq counter: periods stay aligned on the first event', () => {
  const a = new Float64Array(3);
  freqAdd(a, 0, P, 1_000, 1);
  freqAdd(a, 0, P, 1_000 + P + 3_000, 1); // second period starts at 1000+P, not at the event
  assert.equal(a[0], 1_000 + P);
  assert.equal(freqRead(a, 0, P, 1_000 + P + 5_000), 1 + Math.floor((1 * (P - 5_000)) / P));
});

test('freq counter: real clock, a burst reads back whole', () => {
  const a = new Float64Array(3);
  for (let i = 0; i < 50; i++) freqAdd(a, 0, 60_000, Date.now(), 1);
  assert.equal(freqRead(a, 0, 60_000, Date.now()), 50);
});
