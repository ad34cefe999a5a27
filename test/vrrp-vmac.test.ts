/**
 * use_vmac / vmac_xmit_base against Debian's keepalived 2.2.7 with the same option: the interop
 * scenario both ways round (election, SIGKILL takeover, preemption, priority-0 handover), then the
 * wire: tcpdump on the switch's bridge sees the Switchyard MASTER's adverts from 00:00:5e:00:01:VRID
 * (from the base MAC with vmac_xmit_base), a client resolves the VIP to the virtual MAC, and the
 * macvlan is gone after SIGTERM. IPv4 VRRPv2 and IPv6 VRRPv3. Root only.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { needsRoot } from './helpers/system.ts';
import { interopPair } from './vrrp-interop.ts';
import { instanceConf, Lab, waitFor } from './vrrp-lab.ts';

const skip = needsRoot('ip', 'keepalived', 'tcpdump', 'ping');

function link(ns: string, dev: string): string {
  try {
    return execFileSync('ip', ['-n', ns, '-d', 'link', 'show', 'dev', dev], { encoding: 'utf8', stdio: 'pipe' });
  } catch {
    return '';
  }
}

describe('use_vmac: switchyard <-> keepalived 2.2.7', { concurrency: 2 }, () => {
  for (const kaHigh of [true, false]) {
    const net = kaHigh ? 181 : 182;
    test(`VRRPv2 with use_vmac on both, ${kaHigh ? 'keepalived' : 'switchyard'} has the higher priority`, {
      skip,
      timeout: 150_000,
    }, async (t) => {
      const lab = new Lab(`vmac${net}`, net);
      t.after(() => lab.cleanup());
      await interopPair(t, lab, { version: 2, unicast: false, extra: '  use_vmac\n' }, kaHigh, {
        afterTakeover: async (lo) => {
          assert.match(link(lo, 'vrrp.51'), /link\/ether 00:00:5e:00:01:33 .*\n.*macvlan mode private/s);
        },
      });
    });
  }

  for (const [label, v6, xmitBase] of [
    ['IPv4 VRRPv2', false, false],
    ['IPv4 VRRPv2 with vmac_xmit_base', false, true],
    ['IPv6 VRRPv3', true, false],
  ] as const) {
    test(`${label}: adverts from the virtual MAC on the wire, the VIP resolves to it, the macvlan removed at stop`, {
      skip,
      timeout: 90_000,
    }, async (t) => {
      const net = 183 + (v6 ? 2 : 0) + (xmitBase ? 1 : 0);
      const lab = new Lab(`vmacw${net}`, net);
      t.after(() => lab.cleanup());
      const a = lab.node('a', 1, v6);
      const b = lab.node('b', 2, v6);
      const c = lab.node('c', 3, v6);
      const vip = v6 ? lab.addr6(100) : lab.addr(100);
      const extra = `  use_vmac vmac51${xmitBase ? '\n  vmac_xmit_base' : ''}\n`;
      const version = v6 ? 3 : 2;
      const sy = lab.sidecar(a, 'SY', instanceConf({ name: 'a', priority: 150, vip, version, extra }));
      const ka = lab.keepalived(b, 'KA', instanceConf({ name: 'b', priority: 100, vip, version, extra }));
      const dump = () => `${sy.output()}\n${ka.output()}`;
      assert.ok((await waitFor(() => lab.hasAddr(a, vip), 30_000)) >= 0, dump());
      const vmacMac = v6 ? '00:00:5e:00:02:33' : '00:00:5e:00:01:33';
      const l = link(a, 'vmac51');
      assert.match(l, new RegExp(`link/ether ${vmacMac} `), l);
      assert.match(l, /macvlan mode private/, l);
      assert.match(lab.addrLine(a, vip), /^\d+: vmac51\s/, 'the VIP is on the macvlan');
      // Two adverts as the bridge sees them, with their Ethernet header.
      const filter = v6 ? 'ip6 proto 112' : 'ip proto 112';
      const cap = execFileSync(
        'ip',
        ['netns', 'exec', lab.sw, 'timeout', '10', 'tcpdump', '-i', 'br0', '-e', '-n', '-l', '-c', '2', filter],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const src = xmitBase ? lab.mac(a) : vmacMac;
      const lines = cap.split('\n').filter(Boolean);
      assert.equal(lines.length, 2, cap);
      for (const line of lines) assert.ok(line.startsWith(`${line.split(' ')[0]} ${src} > `), `${cap}\n${dump()}`);
      t.diagnostic(lines[0]);
      // A client's ARP request (IPv6: neighbour solicitation) for the VIP is answered from the macvlan.
      // (IPv4 is asked with arping: a ping's reply leaves by eth0, the /32 VIP's macvlan having no
      // subnet route, and A's own ARP request for the client would then rewrite the entry.)
      if (v6) {
        execFileSync('ip', ['netns', 'exec', c, 'ping', '-6', '-c', '1', '-W', '2', vip]);
        const neigh = execFileSync('ip', ['-n', c, '-6', 'neigh', 'show', vip], { encoding: 'utf8' });
        assert.match(neigh, new RegExp(`lladdr ${vmacMac}`), neigh);
      } else {
        const r = execFileSync('ip', ['netns', 'exec', c, 'arping', '-c', '2', '-I', 'eth0', vip], {
          encoding: 'utf8',
        });
        const replies = r.split('\n').filter((x) => /reply from/i.test(x));
        assert.ok(replies.length > 0, r);
        for (const x of replies) assert.match(x, new RegExp(`\\[${vmacMac}\\]`, 'i'), r);
      }
      assert.equal(await lab.kill(sy, 'SIGTERM'), 0, dump());
      assert.equal(link(a, 'vmac51'), '', 'macvlan removed at stop');
      assert.ok((await waitFor(() => lab.hasAddr(b, vip), 15_000)) >= 0, `keepalived took over\n${dump()}`);
    });
  }
});
