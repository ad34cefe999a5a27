/** --workers node-wide figures: counter sums, the node view, and mirroring the primary's states. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sumCounterSnapshots, takeCounterSnapshot } from '../src/cluster/counter-snapshot.ts';
import { nodeView } from '../src/cluster/node-view.ts';
import { allStateSnaps, mirrorServerState, PRIMARY_ORIGIN, serverStateSnap } from '../src/cluster/server-mirror.ts';
import { setServerOp } from '../src/control/server-control.ts';
import { countSessionStart, countStatus, newFrontendCounters } from '../src/model/counters.ts';
import type { FrontendRuntime, ServerStateEvent } from '../src/model/types.ts';
import { backendModel, makeRuntime, serverModel } from './health-helpers.ts';

function worker() {
  const t = makeRuntime([backendModel('be', [serverModel('s1', 1), serverModel('s2', 2)])]);
  const fe = { name: 'fe', id: 1, counters: newFrontendCounters(), listening: true } as unknown as FrontendRuntime;
  t.rt.frontends.set('fe', fe);
  return { ...t, fe };
}

test('counters are summed over workers; maxima summed, rates of the current second, codes merged', () => {
  const now = 1_700_000_000_500;
  const w1 = worker();
  const w2 = worker();
  for (let i = 0; i < 3; i++) countSessionStart(w1.fe.counters, now);
  countSessionStart(w2.fe.counters, now - 5000); // an old second: not in the current rate
  countSessionStart(w2.fe.counters, now);
  w1.fe.counters.scur = 2;
  w2.fe.counters.scur = 1;
  countStatus(w1.fe.counters, 200);
  countStatus(w2.fe.counters, 200);
  countStatus(w2.fe.counters, 503);
  w1.srv('be', 's1').counters.stot = 7;
  w2.srv('be', 's1').counters.stot = 5;
  w1.srv('be', 's1').cur = 1;
  w2.srv('be', 's1').cur = 2;
  const sum = sumCounterSnapshots([takeCounterSnapshot(w1.rt, now), takeCounterSnapshot(w2.rt, now)]);
  const fe = sum.frontends.fe;
  assert.equal(fe.stot, 5);
  assert.equal(fe.scur, 3);
  assert.equal(fe.smax, w1.fe.counters.smax + w2.fe.counters.smax);
  assert.equal(fe.rateCur, 4, 'three from w1 and one from w2 in the current second');
  assert.deepEqual(fe.hrsp, [0, 2, 0, 0, 1, 0]);
  assert.deepEqual(
    new Map(fe.hrspByCode),
    new Map([
      [200, 2],
      [503, 1],
    ]),
  );
  assert.equal(sum.backends.be.servers.s1.counters.stot, 12);
  assert.equal(sum.backends.be.servers.s1.cur, 3);
  // the snapshot is plain data: it survives the IPC channel's JSON round trip
  assert.deepEqual(JSON.parse(JSON.stringify(sum)), sum);
});

test('the node view: summed counters, the primary states and check counters, live runtime untouched', () => {
  const primary = worker();
  const w = worker();
  setServerOp(primary.rt, primary.be('be'), primary.srv('be', 's2'), 'DOWN', 'check', 'Layer4 connection problem');
  primary.srv('be', 's2').counters.chkfail = 3;
  w.srv('be', 's2').counters.stot = 9;
  const view = nodeView(w.rt, {
    counters: sumCounterSnapshots([takeCounterSnapshot(w.rt)]),
    ...allStateSnaps(primary.rt),
    vrrp: [['vi_1', 'MASTER']],
    startedAt: 42,
    answered: 1,
    asked: 2,
  });
  const s2 = view.backends.get('be')?.serversByName.get('s2');
  assert.equal(s2?.op, 'DOWN');
  assert.equal(s2?.counters.chkfail, 3);
  assert.equal(s2?.counters.chkdown, 1);
  assert.equal(s2?.counters.stot, 9);
  assert.equal(view.backends.get('be')?.counters.chkdown, 0);
  assert.equal(view.vrrp.get('vi_1'), 'MASTER');
  assert.deepEqual(view.workers, { answered: 1, asked: 2 });
  assert.equal(view.startedAt, 42);
  assert.equal(w.srv('be', 's2').op, 'UP', 'the worker runtime itself is not changed by a view');
});

test('mirroring the primary state: selector told, event with origin primary, no log line, no chkdown', () => {
  const primary = worker();
  const w = worker();
  const events: ServerStateEvent[] = [];
  w.rt.events.on('server-state', (e: ServerStateEvent) => events.push(e));
  setServerOp(primary.rt, primary.be('be'), primary.srv('be', 's1'), 'DOWN', 'check');
  const before = w.updates.get('be') ?? 0;
  assert.equal(mirrorServerState(w.rt, serverStateSnap(primary.srv('be', 's1'))), true);
  assert.equal(w.srv('be', 's1').op, 'DOWN');
  assert.equal(w.updates.get('be'), before + 1);
  assert.equal(events.length, 1);
  assert.equal(events[0].origin, PRIMARY_ORIGIN);
  assert.deepEqual(w.logs, []);
  assert.equal(w.srv('be', 's1').counters.chkdown, 0);
  // the same state again changes nothing
  mirrorServerState(w.rt, serverStateSnap(primary.srv('be', 's1')));
  assert.equal(events.length, 1);
  assert.equal(w.updates.get('be'), before + 1);
  // a server this worker does not have (mid-reload) is reported, not applied
  assert.equal(mirrorServerState(w.rt, { ...serverStateSnap(primary.srv('be', 's1')), server: 'gone' }), false);
});
