import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, editDistance, parseIntRange, parseSize, parseTime, ValueError } from '@switchyard/config';

test('parseTime: HAProxy units, default milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['0', 0],
    ['5000', 5000],
    ['5ms', 5],
    ['5s', 5000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['100us', 1],
    ['1000us', 1],
    ['1001us', 2],
    ['2147483647', 2147483647],
    ['24d', 2_073_600_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseTime(text), ms, text);
  assert.equal(parseTime('10', 's'), 10_000);
});

test('parseTime: errors name the problem', () => {
  for (const [text, re] of [
    ['', /invalid time ''/],
    ['5 s', /invalid time/],
    ['-5s', /invalid time/],
    ['1.5s', /invalid time/],
    ['5x', /invalid time unit 'x' in '5x'/],
    ['5S', /invalid time/],
    ['25d', /too large/],
    ['2147483648', /too large/],
  ] as const) {
    const v = parseTime(text);
    assert.ok(v instanceof ValueError, text);
    assert.equal(v.code, 'CFG_BAD_TIME');
    assert.match(v.message, re);
  }
});

test('parseTime: text after a valid unit is an error, or, like HAProxy 2.6, a warning when asked', () => {
  assert.ok(parseTime('5sec') instanceof ValueError);
  assert.match((parseTime('1m30s') as Error).message, /invalid time '30s' after '1m' in '1m30s': use one unit/);
  const warnings: string[] = [];
  assert.equal(
    parseTime('1m30s', 'ms', (w) => warnings.push(w)),
    60_000,
  );
  assert.equal(
    parseTime('5sec', 'ms', (w) => warnings.push(w)),
    5000,
  );
  assert.deepEqual(warnings, [
    "'30s' after the time '1m' is ignored, as HAProxy 2.6 does: '1m30s' means 60000 ms; write one unit (e.g. '60000ms')",
    "'ec' after the time '5s' is ignored, as HAProxy 2.6 does: '5sec' means 5000 ms; write one unit (e.g. '5000ms')",
  ]);
  // An unknown unit stays an error even then (HAProxy: "unexpected character").
  assert.ok(parseTime('5x', 'ms', () => {}) instanceof ValueError);
  assert.ok(parseTime('5S', 'ms', () => {}) instanceof ValueError);
});

test('parseSize: k/m/g are binary multiples', () => {
  assert.equal(parseSize('1000'), 1000);
  assert.equal(parseSize('100k'), 102_400);
  assert.equal(parseSize('1m'), 1_048_576);
  assert.equal(parseSize('1M'), 1_048_576);
  assert.equal(parseSize('2g'), 2 * 1024 ** 3);
  for (const bad of ['', 'k', '1t', '1.5m', '-1', '5g']) {
    const v = parseSize(bad);
    assert.ok(v instanceof ValueError, bad);
    assert.equal(v.code, bad === '5g' ? 'CFG_BAD_SIZE' : 'CFG_BAD_SIZE');
  }
});

test('parseIntRange: bounds are inclusive', () => {
  assert.equal(parseIntRange('0', 0, 256, 'weight'), 0);
  assert.equal(parseIntRange('256', 0, 256, 'weight'), 256);
  assert.match((parseIntRange('257', 0, 256, 'weight') as Error).message, /weight must be between 0 and 256, got 257/);
  assert.match((parseIntRange('x', 0, 256, 'weight') as Error).message, /weight expects an integer, got 'x'/);
});

test('did-you-mean: closest keyword within a typo distance', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(closest('wieght', ['weight', 'backup', 'check']), 'weight');
  assert.equal(closest('defualt_backend', ['default_backend', 'use_backend']), 'default_backend');
  assert.equal(closest('zzzzzz', ['weight', 'backup']), undefined);
  assert.equal(closest('BALANCE', ['balance']), 'balance');
});
