/** server-control: the one place state changes; HAProxy's words for admin changes, weights, slowstart. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  advanceWarmup,
  ServerControlError,
  setServerAdmin,
  setServerAgentHealth,
  setServerChecks,
  setServerHealth,
  setServerOp,
  setServerWeight,
} from '../src/control/server-control.ts';
import { isUsable, type ServerState, statusWord } from '../src/model/server-state.ts';
import type { ServerStateEvent, ServerWeightEvent } from '../src/model/types.ts';
import { backendModel, makeRuntime, serverModel } from './health-helpers.ts';

function two() {
  return makeRuntime([backendModel('b', [serverModel('s1', 1), serverModel('bk', 2, { backup: true })])]);
}

test('maintenance and drain lines, in haproxy words, with events and selector updates', () => {
  const t = two();
  const events: ServerStateEvent[] = [];
  t.rt.events.on('server-state', (e: ServerStateEvent) => events.push(e));
  const be = t.be('b');
  const s1 = t.srv('b', 's1');
  assert.equal(setServerAdmin(t.rt, be, s1, 'MAINT', 'api', { now: 1000 }), true);
  assert.equal(
    t.logs.at(-1),
    'notice Server b/s1 is going DOWN for maintenance. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.',
  );
  assert.equal(statusWord(s1), 'MAINT');
  assert.equal(s1.counters.chkdown, 1);
  assert.equal(setServerAdmin(t.rt, be, s1, 'MAINT', 'api'), false, 'no-op is reported');
  setServerAdmin(t.rt, be, s1, 'READY', 'api', { now: 4000 });
  assert.equal(t.logs.at(-1), 'notice Server b/s1 is UP/READY (leaving forced maintenance).');
  assert.equal(s1.health, s1.model.rise, 'comes back UP but one failure takes it down');
  assert.equal(s1.downtimeMs, 3000);
  setServerAdmin(t.rt, be, s1, 'DRAIN', 'stats');
  assert.equal(
    t.logs.at(-1),
    'notice Server b/s1 enters drain state. 0 active and 1 backup servers online. Running on backup. 0 sessions requeued, 0 total in queue.',
  );
  assert.equal(isUsable(s1), false);
  setServerAdmin(t.rt, be, s1, 'READY', 'stats');
  assert.equal(t.logs.at(-1), 'notice Server b/s1 is UP (leaving forced drain).');
  assert.deepEqual(
    events.map((e) => `${e.fromAdmin}>${e.toAdmin} ${e.origin}`),
    ['READY>MAINT api', 'MAINT>READY api', 'READY>DRAIN stats', 'DRAIN>READY stats'],
  );
  assert.equal(t.updates.get('b'), 4);
  const bk = t.srv('b', 'bk');
  setServerAdmin(t.rt, be, bk, 'MAINT', 'api');
  assert.equal(
    t.logs.at(-1),
    'notice Backup Server b/bk is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  );
});

test('setServerOp logs free-text reasons and "no server available" once', () => {
  const t = makeRuntime([backendModel('b', [serverModel('s1', 1)])]);
  const be = t.be('b');
  const s1 = t.srv('b', 's1');
  setServerOp(t.rt, be, s1, 'DOWN', 'api', 'changed from CLI', 10);
  assert.deepEqual(t.logs, [
    'alert Server b/s1 is DOWN, changed from CLI. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    'emerg backend b has no server available!',
  ]);
  assert.equal(be.counters.chkdown, 1);
  assert.equal(setServerOp(t.rt, be, s1, 'DOWN', 'api'), false);
  setServerOp(t.rt, be, s1, 'UP', 'api', undefined, 110);
  assert.equal(be.downtimeMs, 100);
  assert.equal(s1.downtimeMs, 100);
});

test('setServerWeight: range-checked, event, effective weight; weight 0 empties the backend', () => {
  const t = makeRuntime([backendModel('b', [serverModel('s1', 1, { weight: 10 })])]);
  const be = t.be('b');
  const s1 = t.srv('b', 's1');
  const ev: ServerWeightEvent[] = [];
  t.rt.events.on('server-weight', (e: ServerWeightEvent) => ev.push(e));
  assert.throws(
    () => setServerWeight(t.rt, be, s1, 257, 'api'),
    (e: unknown) => e instanceof ServerControlError && e.code === 'SRV_BAD_WEIGHT',
  );
  assert.throws(() => setServerWeight(t.rt, be, s1, 1.5, 'api'), ServerControlError);
  assert.equal(setServerWeight(t.rt, be, s1, 5, 'api'), true);
  assert.equal(s1.effectiveWeight, 5);
  assert.deepEqual(
    ev.map((e) => [e.from, e.to, e.origin]),
    [[10, 5, 'api']],
  );
  setServerWeight(t.rt, be, s1, 0, 'api');
  assert.equal(t.logs.at(-1), 'emerg backend b has no server available!');
});

test('slowstart: effective weight ramps after UP, then "is UP." closes the warm-up', () => {
  const t = makeRuntime([backendModel('b', [serverModel('s1', 1, { weight: 100, slowstart: 10000 })])]);
  const be = t.be('b');
  const s1 = t.srv('b', 's1');
  setServerOp(t.rt, be, s1, 'DOWN', 'check', undefined, 0);
  setServerOp(t.rt, be, s1, 'UP', 'check', { status: 'L4OK', durationMs: 0 }, 1000);
  assert.equal(s1.warmupSince, 1000);
  assert.equal(s1.effectiveWeight, 1);
  assert.equal(advanceWarmup(t.rt, be, s1, 3500), true);
  assert.equal(s1.effectiveWeight, 25);
  assert.equal(advanceWarmup(t.rt, be, s1, 11000), false);
  assert.equal(s1.effectiveWeight, 100);
  assert.equal(
    t.logs.at(-1),
    'notice Server b/s1 is UP. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  );
});

test('set server health / agent (runtime API): haproxy 2.6 lines and status words', () => {
  // Same layout as the haproxy run these lines were captured from: checked, checked + agent, unchecked.
  const t = makeRuntime([
    backendModel('b', [
      serverModel('s1', 1),
      serverModel('s2', 1, { agentCheck: true, agent: { port: 2 } }),
      serverModel('s3', 1, { check: false }),
    ]),
  ]);
  const be = t.be('b');
  const [s1, s2, s3] = be.servers as [ServerState, ServerState, ServerState];
  setServerHealth(t.rt, be, s1, 'down', 'api');
  assert.equal(statusWord(s1), 'DOWN');
  setServerHealth(t.rt, be, s1, 'stopping', 'api');
  assert.equal(statusWord(s1), 'NOLB');
  setServerHealth(t.rt, be, s1, 'up', 'api');
  assert.equal(statusWord(s1), 'UP');
  setServerHealth(t.rt, be, s1, 'stopping', 'api');
  setServerHealth(t.rt, be, s1, 'down', 'api');
  setServerHealth(t.rt, be, s1, 'up', 'api');
  setServerAgentHealth(t.rt, be, s2, false, 'api');
  assert.equal(statusWord(s2), 'DOWN (agent)');
  setServerAgentHealth(t.rt, be, s2, true, 'api');
  setServerHealth(t.rt, be, s3, 'down', 'api');
  assert.equal(statusWord(s3), 'DOWN');
  assert.deepEqual(
    t.logs.map((l) => l.replace(/^\w+ /, '')),
    [
      'Server b/s1 is DOWN, changed from CLI. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'Server b/s1 is stopping, changed from CLI. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Server b/s1 is UP, changed from CLI. 3 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Server b/s1 is stopping, changed from CLI. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Server b/s1 is DOWN, changed from CLI. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'Server b/s1 is UP, changed from CLI. 3 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Server b/s2 is DOWN, changed from CLI. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
      'Server b/s2 is UP, changed from CLI. 3 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
      'Server b/s3 is DOWN, changed from CLI. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
    ],
  );
});

test('enable/disable health: checks stop and resume, state kept; refused without check', () => {
  const t = makeRuntime([backendModel('b', [serverModel('s1', 1), serverModel('s3', 1, { check: false })])]);
  const be = t.be('b');
  const s1 = t.srv('b', 's1');
  assert.equal(setServerChecks(t.rt, be, s1, false, 'api'), true);
  assert.equal(statusWord(s1), 'no check');
  assert.equal(setServerChecks(t.rt, be, s1, false, 'api'), false);
  setServerChecks(t.rt, be, s1, true, 'api');
  assert.equal(s1.checked, true);
  assert.throws(
    () => setServerChecks(t.rt, be, t.srv('b', 's3'), true, 'api'),
    (e: unknown) =>
      e instanceof ServerControlError &&
      e.code === 'SRV_NO_CHECK' &&
      e.message === 'Health checks are not configured on this server, cannot enable.',
  );
});
