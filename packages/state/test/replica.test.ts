import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TOUCH, WRITTEN } from '../src/data-types.ts';
import { applyChange, changeOf, mergeSnapshot } from '../src/replica.ts';
import { StickTable, tableSpec } from '../src/stick-table.ts';
import { table } from './fixtures.ts';

const mk = () =>
  new StickTable(
    tableSpec(
      'be',
      table(
        [{ name: 'server_id' }, { name: 'gpc0' }, { name: 'conn_cur' }, { name: 'http_req_rate', period: 10_000 }],
        {
          expire: 60_000,
        },
      ),
    ),
  );

test('changes carry last-writer-wins values and local deltas only', () => {
  const a = mk();
  a.trackDeltas();
  const i = a.getOrCreate('10.0.0.1', 1000);
  a.set(i, a.slot('server_id')!, 2, 1000);
  a.add(i, a.slot('http_req_rate')!, 3, 1000);
  a.add(i, a.slot('gpc0')!, 1, 1000);
  a.add(i, a.slot('conn_cur')!, 1, 1000);
  const c = changeOf(a, i, true);
  assert.equal(c.key, '10.0.0.1');
  assert.deepEqual(c.abs, [[a.slot('server_id')!.offset, 2]]);
  const deltas = new Map(c.deltas);
  assert.equal(deltas.get(a.slot('http_req_rate')!.offset), 3);
  assert.equal(deltas.get(a.slot('gpc0')!.offset), 1);
  assert.equal(deltas.has(a.slot('conn_cur')!.offset), false, 'conn_cur is a local gauge');
  assert.equal(changeOf(a, i, true).deltas, undefined, 'deltas are taken once');

  const b = mk();
  b.trackDeltas();
  assert.ok(applyChange(b, c, 1500));
  const j = b.lookup('10.0.0.1', 1500);
  assert.equal(b.read(j, b.slot('server_id')!, 1500), 2);
  assert.equal(b.read(j, b.slot('http_req_rate')!, 1500), 3);
  assert.equal(b.takeDeltas(j), undefined, 'remote counts are not re-published');
  // an older value write loses; counts still add up
  applyChange(
    b,
    { key: '10.0.0.1', touch: 900, written: 900, abs: c.abs?.map(([o]) => [o, 3]), deltas: c.deltas },
    1600,
  );
  assert.equal(b.read(j, b.slot('server_id')!, 1600), 2);
  assert.equal(b.read(j, b.slot('http_req_rate')!, 1600), 6);
});

test('an already expired change is ignored', () => {
  const b = mk();
  assert.ok(applyChange(b, { key: '10.7.7.7', touch: 0, written: 0, abs: [[2, 1]] }, 60_000));
  assert.equal(b.count, 0);
});

test('snapshot merge: newer values win, counters take the max, rates the higher reading', () => {
  const a = mk();
  const i = a.getOrCreate('10.7.7.7', 1000);
  a.set(i, a.slot('server_id')!, 1, 1000);
  a.add(i, a.slot('gpc0')!, 5, 1000);
  a.add(i, a.slot('http_req_rate')!, 4, 1000);
  const snap = a.snapshot(i);

  const b = mk();
  const j = b.getOrCreate('10.7.7.7', 2000);
  b.set(j, b.slot('server_id')!, 3, 2000); // written later than a's
  b.add(j, b.slot('gpc0')!, 2, 2000);
  b.add(j, b.slot('http_req_rate')!, 1, 2000); // period starting later
  mergeSnapshot(b, '10.7.7.7', snap, 2500);
  assert.equal(b.read(j, b.slot('server_id')!, 2500), 3, 'b wrote later');
  assert.equal(b.read(j, b.slot('gpc0')!, 2500), 5, 'max');
  assert.equal(b.read(j, b.slot('http_req_rate')!, 2500), 4, 'the copy that reads higher now wins');

  const c = mk();
  assert.ok(mergeSnapshot(c, '10.7.7.7', snap, 1500), 'absent locally: created from the snapshot');
  const k = c.lookup('10.7.7.7', 1500);
  assert.equal(c.read(k, c.slot('server_id')!, 1500), 1);
  assert.equal(c.read(k, c.slot('http_req_rate')!, 1500), 4);
  assert.equal(c.raw(k).data[c.raw(k).base + WRITTEN], 1000);
  assert.equal(mergeSnapshot(c, '10.7.7.7', [1, 2, 3], 1500), false, 'wrong shape refused');
  assert.ok(c.raw(k).data[c.raw(k).base + TOUCH] >= 1000);
});

test('forwarded counts first, then the full copy: the full copy wins (no lost counts)', () => {
  const a = mk();
  a.trackDeltas();
  const i = a.getOrCreate('10.8.8.8', 1000);
  for (let n = 0; n < 10; n++) a.add(i, a.slot('http_req_rate')!, 1, 1000 + n);
  a.takeDeltas(i); // the first five... were published before the peer existed
  a.add(i, a.slot('http_req_rate')!, 5, 2000);
  const late = changeOf(a, i, true); // the last 5 as deltas
  const b = mk();
  applyChange(b, late, 3000); // b sees the deltas first: a newer period holding 5
  mergeSnapshot(b, '10.8.8.8', a.snapshot(i), 3000); // then the full copy: 15
  const j = b.lookup('10.8.8.8', 3000);
  assert.equal(b.read(j, b.slot('http_req_rate')!, 3000), 15);
});
