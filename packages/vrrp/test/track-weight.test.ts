/** keepalived's weight and rise/fall rules, as the trackers and the lint apply them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  effectivePriority,
  parseTrackFileValue,
  RiseFall,
  trackerDelta,
  trackerFaults,
  trackFileEffect,
} from '../src/track/index.ts';

test('weight > 0 adds while OK, weight < 0 subtracts while failing, reverse swaps', () => {
  assert.equal(trackerDelta(10, false, true), 10);
  assert.equal(trackerDelta(10, false, false), 0);
  assert.equal(trackerDelta(-10, false, true), 0);
  assert.equal(trackerDelta(-10, false, false), -10);
  assert.equal(trackerDelta(10, true, true), 0);
  assert.equal(trackerDelta(10, true, false), 10);
  assert.equal(trackerDelta(-10, true, true), -10);
  assert.equal(trackerDelta(0, false, false), 0);
});

test('weight 0 faults while failing (reverse: while OK)', () => {
  assert.equal(trackerFaults(0, false, false), true);
  assert.equal(trackerFaults(0, false, true), false);
  assert.equal(trackerFaults(0, true, true), true);
  assert.equal(trackerFaults(5, false, false), false);
});

test('effective priority is clamped to 1..254 and 255 is never changed', () => {
  assert.equal(effectivePriority(100, -20), 80);
  assert.equal(effectivePriority(250, 20), 254);
  assert.equal(effectivePriority(10, -50), 1);
  assert.equal(effectivePriority(255, -100), 255);
});

test('rise/fall: pending until decided (rise successes or one failure), then keepalived counting', () => {
  const rf = new RiseFall(2, 3, false);
  assert.deepEqual([rf.ok, rf.pending], [false, true]);
  assert.equal(rf.record(true), false);
  assert.equal(rf.pending, true);
  assert.equal(rf.record(true), true); // decided OK, at the top: three failures needed
  assert.equal(rf.pending, false);
  assert.equal(rf.record(false), true);
  assert.equal(rf.record(false), true);
  assert.equal(rf.record(false), false);
  assert.equal(rf.record(true), false);
  assert.equal(rf.record(true), true);
});

test('rise/fall: one failure decides a pending counter as failed', () => {
  const rf = new RiseFall(1, 3, false);
  assert.equal(rf.record(false), false);
  assert.equal(rf.pending, false);
});

test('rise/fall: init_fail starts failed (not pending) and needs rise successes', () => {
  const rf = new RiseFall(1, 1, true);
  assert.deepEqual([rf.ok, rf.pending], [false, false]);
  assert.equal(rf.record(true), true);
});

test("track_file values read as keepalived's strtol(buf, NULL, 0), out of int32 ignored", () => {
  const cases: [string, number | undefined][] = [
    ['42\n', 42],
    ['  -7 trailing', -7],
    ['+3', 3],
    ['0x1F', 31],
    ['010', 8],
    ['09', 0],
    ['abc', 0],
    ['', 0],
    ['0x', 0],
    ['2147483648', 2147483648],
    ['2147483649', undefined],
    ['-2147483649', undefined],
    ['99999999999999999999999', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseTrackFileValue(text), want, JSON.stringify(text));
});

test('track_file effect: value x weight (reverse negates) clamped to -254..253, -254 and weight 0 FAULT', () => {
  assert.deepEqual(trackFileEffect(10, 2, false), { delta: 20, fault: false });
  assert.deepEqual(trackFileEffect(10, 2, true), { delta: -20, fault: false });
  assert.deepEqual(trackFileEffect(1000, 1, false), { delta: 253, fault: false });
  assert.deepEqual(trackFileEffect(-300, 1, false), { delta: 0, fault: true });
  assert.deepEqual(trackFileEffect(254, -1, false), { delta: 0, fault: true });
  assert.deepEqual(trackFileEffect(3, 0, false), { delta: 0, fault: true });
  assert.deepEqual(trackFileEffect(0, 0, false), { delta: 0, fault: false });
  assert.deepEqual(trackFileEffect(0, 0, true), { delta: 0, fault: true });
});
