/**
 * The mixed-pair scenario shared by the keepalived interop tests (IPv4 and IPv6): one Switchyard
 * sidecar and one Debian keepalived 2.2.7 on a bridge, election, SIGKILL takeover, preemption on
 * restart, SIGTERM priority-0 handover; neither side may log a packet error.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { instanceConf, type Lab, type LabProc, waitFor, waitOutput } from './vrrp-lab.ts';

/** keepalived's wording for a rejected advert (vrrp.c vrrp_check_packet and the dispatcher). */
export const KA_PACKET_ERROR =
  /\bbad\b|invalid|mismatch|wrong version|bogus|unexpected ip number|too (short|long)|not present in MASTER|checksum|Expected \w+icast|ignoring received advertisment/i;

export interface PairMode {
  version: 2 | 3;
  unicast: boolean;
  ipv6?: boolean;
  /** Extra instance lines on both nodes (e.g. `  use_vmac\n`). */
  extra?: string;
}

/** Hooks the IPv6 test adds: called with the lab, the nodes and the VIP at each step. */
export interface PairHooks {
  /** After the takeover that follows the MASTER's SIGKILL. */
  afterTakeover?(lo: string, hi: string): Promise<void>;
}

/** Runs the scenario in `lab` (nodes hi=1, lo=2); `kaHigh`: keepalived has the higher priority. */
export async function interopPair(
  t: TestContext,
  lab: Lab,
  mode: PairMode,
  kaHigh: boolean,
  hooks: PairHooks = {},
): Promise<void> {
  const v6 = mode.ipv6 === true;
  const hi = lab.node('hi', 1, v6);
  const lo = lab.node('lo', 2, v6);
  const at = (h: number) => (v6 ? lab.addr6(h) : lab.addr(h));
  const vip = at(100);
  const conf = (me: number, peer: number, priority: number) =>
    instanceConf({
      name: `n${me}`,
      priority,
      vip,
      version: mode.version,
      // VRRPv2 over IPv6 (keepalived's extension): an explicit `version 2`, and no auth data on the wire.
      pass: mode.version === 2 && !v6 ? 'Sw1tchyd' : undefined,
      extra: `${mode.extra ?? ''}${v6 && mode.version === 2 ? '  version 2\n' : ''}` || undefined,
      ...(mode.unicast ? { unicastSrc: at(me), unicastPeers: [at(peer)] } : {}),
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
  await hooks.afterTakeover?.(lo, hi);

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
}
