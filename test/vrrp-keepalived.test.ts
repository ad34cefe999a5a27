/**
 * Mixed pairs: one Switchyard sidecar and one Debian keepalived 2.2.7, both ways round, for
 * VRRPv2 with PASS auth and VRRPv3, multicast and unicast. Same elections and takeovers as a
 * homogeneous pair, and neither side logs a packet error. Root only; cases run concurrently.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { needsRoot } from './helpers/system.ts';
import { instanceConf, Lab, type LabProc, waitFor, waitOutput } from './vrrp-lab.ts';

const skip = needsRoot('ip', 'keepalived', 'arping');
/** keepalived's wording for a rejected advert (vrrp.c vrrp_check_packet and the dispatcher). */
const KA_PACKET_ERROR =
  /\bbad\b|invalid|mismatch|wrong version|bogus|unexpected ip number|too (short|long)|not present in MASTER|checksum|Expected \w+icast|ignoring received advertisment/i;

interface Mode {
  version: 2 | 3;
  unicast: boolean;
}
const MODES: Mode[] = [
  { version: 2, unicast: false },
  { version: 3, unicast: false },
  { version: 2, unicast: true },
  { version: 3, unicast: true },
];

let subnet = 220;

describe('switchyard <-> keepalived 2.2.7', { concurrency: 4 }, () => {
  for (const mode of MODES) {
    for (const kaHigh of [true, false]) {
      const label = `v${mode.version} ${mode.unicast ? 'unicast' : 'multicast'}${mode.version === 2 ? ' PASS' : ''}, ${
        kaHigh ? 'keepalived' : 'switchyard'
      } has the higher priority`;
      const net = subnet++;
      test(label, { skip, timeout: 150_000 }, async (t) => {
        const lab = new Lab(`ka${net}`, net);
        t.after(() => lab.cleanup());
        const hi = lab.node('hi', 1);
        const lo = lab.node('lo', 2);
        const vip = lab.addr(100);
        const conf = (me: number, peer: number, priority: number) =>
          instanceConf({
            name: `n${me}`,
            priority,
            vip,
            version: mode.version,
            pass: mode.version === 2 ? 'Sw1tchyd' : undefined,
            ...(mode.unicast ? { unicastSrc: lab.addr(me), unicastPeers: [lab.addr(peer)] } : {}),
          });
        const kaLogs: LabProc[] = [];
        const syLogs: LabProc[] = [];
        const start = (ns: string, name: string, text: string, ka: boolean) => {
          const p = ka ? lab.keepalived(ns, name, text) : lab.sidecar(ns, name, text);
          (ka ? kaLogs : syLogs).push(p);
          return p;
        };
        const stop = (p: LabProc, name: string, ka: boolean, sig: NodeJS.Signals) =>
          ka ? lab.killKeepalived(p, name, sig) : lab.kill(p, sig).then(() => {});
        const dump = () => [...kaLogs, ...syLogs].map((p) => `--- ${p.name}\n${p.output()}`).join('\n');

        const hiConf = conf(1, 2, 150);
        const pHi = start(hi, 'HI', hiConf, kaHigh);
        const pLo = start(lo, 'LO', conf(2, 1, 100), !kaHigh);

        // Election.
        assert.ok((await waitFor(() => lab.hasAddr(hi, vip), 30_000)) >= 0, `no MASTER elected\n${dump()}`);
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(lab.hasAddr(lo, vip), false, `both MASTER\n${dump()}`);

        // SIGKILL the MASTER: the BACKUP takes over after Master_Down_Interval.
        await stop(pHi, 'HI', kaHigh, 'SIGKILL');
        const takeover = await waitFor(() => lab.hasAddr(lo, vip), 30_000);
        assert.ok(takeover >= 0, `no takeover after SIGKILL\n${dump()}`);
        t.diagnostic(`SIGKILL takeover ${takeover.toFixed(0)} ms`);

        // Restart: the higher priority preempts back.
        const pHi2 = start(hi, 'HI2', hiConf, kaHigh);
        assert.ok(
          (await waitFor(() => lab.hasAddr(hi, vip) && !lab.hasAddr(lo, vip), 30_000)) >= 0 &&
            (await waitFor(() => /Entering MASTER STATE/.test(pHi2.output()), 10_000)) >= 0,
          `no preemption after restart\n${dump()}`,
        );
        await new Promise((r) => setTimeout(r, 1500));
        assert.ok(lab.hasAddr(hi, vip) && !lab.hasAddr(lo, vip), `election unstable\n${dump()}`);

        // SIGTERM: priority 0 makes the BACKUP take over after its skew time.
        const t0 = performance.now();
        await stop(pHi2, 'HI2', kaHigh, 'SIGTERM');
        assert.ok((await waitFor(() => lab.hasAddr(lo, vip), 30_000)) >= 0, `no takeover after SIGTERM\n${dump()}`);
        t.diagnostic(`SIGTERM handover ${(performance.now() - t0).toFixed(0)} ms`);
        assert.ok(await waitOutput(pLo, /Backup received priority 0 advertisement/), dump());
        await stop(pLo, 'LO', !kaHigh, 'SIGTERM');

        for (const p of kaLogs) {
          const bad = p
            .output()
            .split('\n')
            .filter((l) => KA_PACKET_ERROR.test(l));
          assert.deepEqual(bad, [], `keepalived ${p.name} logged packet errors:\n${bad.join('\n')}`);
        }
        for (const p of syLogs)
          assert.doesNotMatch(p.output(), /packet dropped/, `switchyard ${p.name} dropped packets:\n${p.output()}`);
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
