/**
 * Mixed pairs: one Switchyard sidecar and one Debian keepalived 2.2.7, both ways round, for
 * VRRPv2 with PASS auth and VRRPv3, multicast and unicast. Same elections and takeovers as a
 * homogeneous pair, and neither side logs a packet error. Root only; cases run concurrently.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { needsRoot } from './helpers/system.ts';
import { interopPair, KA_PACKET_ERROR, type PairMode } from './vrrp-interop.ts';
import { instanceConf, Lab, waitFor, waitOutput } from './vrrp-lab.ts';

const skip = needsRoot('ip', 'keepalived', 'arping');

const MODES: PairMode[] = [
  { version: 2, unicast: false },
  { version: 3, unicast: false },
  { version: 2, unicast: true },
  { version: 3, unicast: true },
  // An instance's own group: each side hears the other only if both send to and join 224.0.0.19.
  { version: 3, unicast: false, extra: '  mcast_dst_ip 224.0.0.19\n' },
];

let subnet = 220;

describe('switchyard <-> keepalived 2.2.7', { concurrency: 4 }, () => {
  for (const mode of MODES) {
    for (const kaHigh of [true, false]) {
      const label = `v${mode.version} ${mode.unicast ? 'unicast' : 'multicast'}${mode.version === 2 ? ' PASS' : ''}${mode.extra ? ` (${mode.extra.trim()})` : ''}, ${
        kaHigh ? 'keepalived' : 'switchyard'
      } has the higher priority`;
      const net = subnet++;
      test(label, { skip, timeout: 150_000 }, async (t) => {
        const lab = new Lab(`ka${net}`, net);
        t.after(() => lab.cleanup());
        await interopPair(t, lab, mode, kaHigh);
      });
    }
  }

  test('v3: a Switchyard BACKUP adopts keepalived MASTER advert_int 0.5 s and takes over on that clock', {
    skip,
    timeout: 90_000,
  }, async (t) => {
    const lab = new Lab('kaint', 230);
    t.after(() => lab.cleanup());
    const a = lab.node('a', 1);
    const b = lab.node('b', 2);
    const vip = lab.addr(100);
    const ka = lab.keepalived(a, 'KA', instanceConf({ priority: 150, vip, version: 3, advertInt: 0.5 }));
    const sy = lab.sidecar(b, 'SY', instanceConf({ priority: 100, vip, version: 3, advertInt: 1 }));
    assert.ok((await waitFor(() => lab.hasAddr(a, vip), 30_000)) >= 0, ka.output() + sy.output());
    assert.ok(await waitOutput(sy, /advertisement interval updated to 500 milli-sec from 1000 milli-sec/), sy.output());
    await lab.killKeepalived(ka, 'KA', 'SIGKILL');
    const takeover = await waitFor(() => lab.hasAddr(b, vip), 30_000);
    assert.ok(takeover >= 0, sy.output());
    // 3 x 0.5 s + (156 x 50 / 256) cs = 1.8 s with the adopted interval; 3.6 s with our own.
    t.diagnostic(`takeover ${takeover.toFixed(0)} ms after SIGKILL (adopted Master_Down_Interval 1800 ms)`);
    assert.doesNotMatch(sy.output(), /packet dropped/);
  });

  test('mismatched auth_pass: both sides reject the other with a reason, both become MASTER', {
    skip,
    timeout: 90_000,
  }, async (t) => {
    const lab = new Lab('kaauth', 229);
    t.after(() => lab.cleanup());
    const a = lab.node('a', 1);
    const b = lab.node('b', 2);
    const vip = lab.addr(100);
    const ka = lab.keepalived(a, 'KA', instanceConf({ priority: 150, vip, pass: 'one' }));
    const sy = lab.sidecar(b, 'SY', instanceConf({ priority: 100, vip, pass: 'two' }));
    assert.ok(
      (await waitFor(() => lab.hasAddr(a, vip) && lab.hasAddr(b, vip), 30_000)) >= 0,
      ka.output() + sy.output(),
    );
    assert.ok((await waitFor(() => /received an invalid passwd/.test(ka.output()), 10_000)) >= 0, ka.output());
    assert.ok(KA_PACKET_ERROR.test(ka.output()), 'the packet-error pattern used above matches a real keepalived error');
    assert.ok(
      await waitOutput(sy, /received an invalid passwd! from 192\.168\.229\.1 - packet dropped \[auth-pass\]/),
      sy.output(),
    );
  });
});
