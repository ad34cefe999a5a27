/**
 * `vrrp_strict` (which implies `no_accept`) and `no_accept`, differential against Debian's
 * keepalived 2.2.7: while MASTER both daemons leave the same `nft list ruleset` in the namespace
 * (keepalived's `ip keepalived` table dropping traffic to and from the VIP), and none after
 * SIGTERM. A VIP of an `accept` instance is not in the set, unless vrrp_strict resets `accept` (VRRPv2).
 * Root only.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { needsRoot } from './helpers/system.ts';
import { Lab, type LabProc, waitFor } from './vrrp-lab.ts';

const skip = needsRoot('ip', 'keepalived', 'nft');
const S = 179;
const vip = `192.168.${S}.100`;
const vip2 = `192.168.${S}.101`;

const conf = (strict: boolean) => `global_defs {
  router_id n
  vrrp_garp_master_delay 0
  vrrp_garp_master_repeat 1
${strict ? '  vrrp_strict\n' : ''}}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 79
  priority 100
  advert_int 1
${strict ? '' : '  no_accept\n'}  virtual_ipaddress {
    ${vip}/24
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 80
  priority 100
  advert_int 1
  accept
  virtual_ipaddress {
    ${vip2}/24
  }
}
`;

const ruleset = (ns: string) =>
  execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });

for (const strict of [true, false]) {
  test(`${strict ? 'vrrp_strict' : 'no_accept'}: the nftables drop table of keepalived 2.2.7 while MASTER, gone after SIGTERM`, {
    skip,
    timeout: 120_000,
  }, async (t) => {
    const lab = new Lab(strict ? 'strict' : 'noacc', S);
    t.after(() => lab.cleanup());
    const ns = lab.node('n', 1, true);
    const before = ruleset(ns);
    const text = conf(strict);
    const runOne = async (p: LabProc, ka: boolean): Promise<string> => {
      assert.ok((await waitFor(() => lab.hasAddr(ns, vip) && lab.hasAddr(ns, vip2), 20_000)) >= 0, p.output());
      assert.ok((await waitFor(() => ruleset(ns).includes(vip), 10_000)) >= 0, `${ruleset(ns)}\n${p.output()}`);
      await new Promise((r) => setTimeout(r, 500));
      const snap = ruleset(ns);
      if (ka) await lab.killKeepalived(p, 'KA', 'SIGTERM');
      else assert.equal(await lab.kill(p, 'SIGTERM'), 0, p.output());
      return snap;
    };
    const ka = await runOne(lab.keepalived(ns, 'KA', text), true);
    assert.ok((await waitFor(() => ruleset(ns) === before, 10_000)) >= 0, `keepalived left:\n${ruleset(ns)}`);
    assert.match(ka, /ip daddr @vips drop/);
    // VI_2 says `accept`; under vrrp_strict keepalived resets it for VRRPv2 (a warning), so its VIP is dropped too
    if (strict) assert.ok(ka.includes(vip2), ka);
    else assert.ok(!ka.includes(vip2), ka);
    const sy = lab.sidecar(ns, 'SY', text);
    const ours = await runOne(sy, false);
    assert.equal(ours, ka, `switchyard vs keepalived while MASTER\n${sy.output()}`);
    assert.equal(ruleset(ns), before, 'switchyard left its table behind after SIGTERM');
  });
}
