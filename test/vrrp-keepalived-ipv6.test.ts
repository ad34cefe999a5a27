/**
 * VRRPv3 over IPv6 (RFC 5798 5.1.2) against Debian's keepalived 2.2.7: ff02::12 from the
 * link-local address, or unicast peers over IPv6, both ways round; the same for keepalived's
 * VRRPv2 over IPv6 (`version 2`: v2 header, no auth data, checksum over the IPv6 pseudo-header) (takeover, preemption,
 * priority 0 handover, no packet error on either side); and the unsolicited neighbour
 * advertisement a new MASTER sends moves a third node's neighbour entry to its MAC. Root only.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { needsRoot } from './helpers/system.ts';
import { interopPair, KA_PACKET_ERROR, type PairMode } from './vrrp-interop.ts';
import { instanceConf, Lab, waitFor } from './vrrp-lab.ts';

const skip = needsRoot('ip', 'keepalived', 'ping');
const MODES: PairMode[] = [
  { version: 3, unicast: false, ipv6: true },
  { version: 3, unicast: true, ipv6: true },
  { version: 2, unicast: false, ipv6: true },
  { version: 2, unicast: true, ipv6: true },
  { version: 3, unicast: false, ipv6: true, extra: '  mcast_dst_ip ff02::13\n' },
];

let subnet = 200;

describe('switchyard <-> keepalived 2.2.7 over IPv6', { concurrency: 4 }, () => {
  for (const mode of MODES) {
    for (const kaHigh of [true, false]) {
      const net = subnet++;
      const label = `v${mode.version} IPv6 ${mode.unicast ? 'unicast' : mode.extra ? `multicast (${mode.extra.trim()})` : 'multicast ff02::12'}, ${kaHigh ? 'keepalived' : 'switchyard'} has the higher priority`;
      test(label, { skip, timeout: 150_000 }, async (t) => {
        const lab = new Lab(`ka6${net}`, net);
        t.after(() => lab.cleanup());
        await interopPair(t, lab, mode, kaHigh);
      });
    }
  }

  test('a Switchyard node taking over an IPv6 VIP sends an unsolicited NA: a client neighbour entry moves to its MAC', {
    skip,
    timeout: 90_000,
  }, async (t) => {
    const lab = new Lab('na6', 204);
    t.after(() => lab.cleanup());
    const a = lab.node('a', 1, true);
    const b = lab.node('b', 2, true);
    const c = lab.node('c', 3, true);
    const vip = lab.addr6(100);
    const ka = lab.keepalived(a, 'KA', instanceConf({ name: 'a', priority: 150, vip, version: 3 }));
    const sy = lab.sidecar(b, 'SY', instanceConf({ name: 'b', priority: 100, vip, version: 3, advertInt: 1 }));
    const dump = () => `${ka.output()}\n${sy.output()}`;
    assert.ok((await waitFor(() => lab.hasAddr(a, vip), 30_000)) >= 0, dump());
    const neigh = () => execFileSync('ip', ['-n', c, '-6', 'neigh', 'show', vip], { encoding: 'utf8' });
    execFileSync('ip', ['netns', 'exec', c, 'ping', '-6', '-c', '1', '-W', '2', vip]);
    assert.match(neigh(), new RegExp(`lladdr ${lab.mac(a)}`), 'the client learnt the keepalived MASTER first');
    await lab.killKeepalived(ka, 'KA', 'SIGKILL');
    assert.ok((await waitFor(() => lab.hasAddr(b, vip), 30_000)) >= 0, dump());
    // Without an NA the entry stays on the dead node until neighbour unreachability detection (~30 s).
    const moved = await waitFor(() => neigh().includes(`lladdr ${lab.mac(b)}`), 3000);
    assert.ok(moved >= 0, `neighbour entry not moved: ${neigh()}\n${dump()}`);
    t.diagnostic(`client neighbour entry on the new MASTER ${moved.toFixed(0)} ms after the VIP was added`);
    assert.doesNotMatch(sy.output(), /neighbour advertisement .* failed/);
  });

  test('virtual_ipaddress_excluded puts the other family on the MASTER: an IPv4 address beside an IPv6 VIP', {
    skip,
    timeout: 90_000,
  }, async (t) => {
    const lab = new Lab('excl6', 206);
    t.after(() => lab.cleanup());
    const a = lab.node('a', 1, true);
    const b = lab.node('b', 2, true);
    const vip = lab.addr6(100);
    const v4 = lab.addr(101);
    const conf = (name: string, priority: number) =>
      instanceConf({ name, priority, vip, version: 3 }).replace(
        '  virtual_ipaddress {',
        `  virtual_ipaddress_excluded {\n    ${v4}/32\n  }\n  virtual_ipaddress {`,
      );
    const ka = lab.keepalived(a, 'KA', conf('a', 150));
    const sy = lab.sidecar(b, 'SY', conf('b', 100));
    const dump = () => `${ka.output()}\n${sy.output()}`;
    assert.ok((await waitFor(() => lab.hasAddr(a, vip) && lab.hasAddr(a, v4), 30_000)) >= 0, dump());
    assert.ok(!lab.hasAddr(b, v4), dump());
    await lab.killKeepalived(ka, 'KA', 'SIGTERM');
    assert.ok((await waitFor(() => lab.hasAddr(b, vip) && lab.hasAddr(b, v4), 30_000)) >= 0, dump());
    await lab.kill(sy, 'SIGTERM');
    assert.ok(!lab.hasAddr(b, v4) && !lab.hasAddr(b, vip), `addresses left after stop\n${dump()}`);
    assert.doesNotMatch(sy.output(), /packet dropped/);
    assert.doesNotMatch(ka.output(), KA_PACKET_ERROR);
  });
});
