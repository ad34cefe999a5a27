/**
 * End-to-end failover, bounded version of bench/failover.ts: two namespaces each running a web
 * server, the Switchyard proxy and the Switchyard VRRP sidecar; a client in a third namespace
 * requests the VIP every 20 ms; the MASTER node dies. Service must resume on the other node, whose
 * proxy learnt it is MASTER over its runtime API. Gap and failures are reported, not asserted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFailover } from '../bench/failover-scenario.ts';
import { needsRoot } from './helpers/system.ts';

test('failover through the VIP: node A dies, node B serves, its proxy shows VRRP MASTER', {
  skip: needsRoot('ip', 'arping'),
  timeout: 120_000,
}, async (t) => {
  const r = await runFailover({
    tag: 'e2e',
    subnet: 231,
    version: 3,
    advertInt: 0.5,
    intervalMs: 20,
    timeoutMs: 500,
    killAtMs: 2000,
    durationMs: 6000,
  });
  t.diagnostic(
    `gap ${r.gapMs} ms, ${r.failed}/${r.requests} requests failed (Master_Down_Interval ${r.masterDownMs} ms)`,
  );
  assert.equal(r.servedBefore, 'A', 'the higher priority node served first');
  assert.equal(r.servedAfter, 'B', 'service resumed on the backup node');
  assert.ok(r.failed < r.requests / 2, `most requests succeed: ${r.failed}/${r.requests} failed`);
  assert.match(r.backupProxyState, /^VI_1 MASTER$/m);
});
