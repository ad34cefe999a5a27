/**
 * `switchyard vrrp lint A.conf B.conf`: what breaks failover between two nodes. Instances are paired
 * by shared VIP (then by VRID + name); every check names both files' lines.
 */
import type { KeepalivedConf, SourceLoc, VrrpInstance } from '../conf/model.ts';
import { effectivePriority, trackerDelta, trackerFaults } from '../track/weight.ts';
import { inSubnet } from './cidr.ts';

/** A lint result: `error` breaks failover, `warning` is fragile, `info` could not be checked. */
export interface Finding {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  a?: SourceLoc;
  b?: SourceLoc;
}

/** Interface addresses given on the command line: node 'a' | 'b' -> interface -> CIDR. */
export type IfaceAddrs = Record<'a' | 'b', Map<string, { address: string; prefix: number }>>;

/** Options: known interface addresses per node (`--iface-addr`). */
export interface LintOptions {
  ifaceAddrs?: IfaceAddrs;
}

const vipKey = (v: { address: string }) => v.address;

/** Pairs instances: same VIP first, then same VRID on the same name, then same name. */
function pairInstances(a: KeepalivedConf, b: KeepalivedConf): [VrrpInstance, VrrpInstance][] {
  const pairs: [VrrpInstance, VrrpInstance][] = [];
  const usedB = new Set<VrrpInstance>();
  const pairedA = new Set<VrrpInstance>();
  const tryPair = (pred: (x: VrrpInstance, y: VrrpInstance) => boolean) => {
    for (const x of a.instances) {
      if (pairedA.has(x)) continue;
      const y = b.instances.find((c) => !usedB.has(c) && pred(x, c));
      if (y) {
        pairs.push([x, y]);
        pairedA.add(x);
        usedB.add(y);
      }
    }
  };
  tryPair((x, y) => x.virtualIpaddresses.some((v) => y.virtualIpaddresses.some((w) => vipKey(v) === vipKey(w))));
  tryPair((x, y) => x.virtualRouterId === y.virtualRouterId && x.name === y.name);
  tryPair((x, y) => x.name === y.name);
  return pairs;
}

/** Effective priority with all own trackers failing / all OK, and whether failing means FAULT. */
function priorityRange(inst: VrrpInstance, conf: KeepalivedConf): { failing: number; ok: number; fault: boolean } {
  let failing = 0;
  let ok = 0;
  let fault = false;
  const weigh = (w: number, reverse: boolean) => {
    failing += trackerDelta(w, reverse, false);
    ok += trackerDelta(w, reverse, true);
    fault ||= trackerFaults(w, reverse, false);
  };
  for (const r of inst.trackScripts) {
    const s = conf.scripts.find((x) => x.name === r.name);
    if (!s || s.disabled) continue;
    weigh(r.weight ?? s.weight, r.weightReverse ?? s.weightReverse);
  }
  for (const r of inst.trackInterfaces) weigh(r.weight ?? 0, r.weightReverse ?? false);
  if (inst.trackProxy) weigh(inst.trackProxy.weight, inst.trackProxy.weightReverse);
  return {
    failing: effectivePriority(inst.priority, failing),
    ok: effectivePriority(inst.priority, ok),
    fault,
  };
}

/** Compares two nodes' configs; findings in a stable order (errors first). */
export function lintPair(a: KeepalivedConf, b: KeepalivedConf, opts: LintOptions = {}): Finding[] {
  const out: Finding[] = [];
  const add = (f: Finding) => out.push(f);
  const pairs = pairInstances(a, b);
  const paired = new Set(pairs.flat());

  for (const [x, y] of pairs) {
    const id = x.name === y.name ? x.name : `${x.name}/${y.name}`;
    const shared = x.virtualIpaddresses.filter((v) => y.virtualIpaddresses.some((w) => vipKey(w) === vipKey(v)));
    if (x.virtualRouterId !== y.virtualRouterId) {
      add({
        severity: 'error',
        code: 'LINT_VRID_MISMATCH',
        message:
          `${id}: ${shared.length ? `VIP ${shared.map(vipKey).join(', ')} uses` : 'uses'} virtual_router_id ` +
          `${x.virtualRouterId} on A but ${y.virtualRouterId} on B: the nodes ignore each other's adverts and both become MASTER`,
        a: x.loc,
        b: y.loc,
      });
    }
    if (x.version !== y.version) {
      add({
        severity: 'error',
        code: 'LINT_VERSION_MISMATCH',
        message: `${id}: VRRP version ${x.version} on A but ${y.version} on B: adverts of the other version are dropped`,
        a: x.loc,
        b: y.loc,
      });
    }
    if (x.advertInt !== y.advertInt) {
      add({
        severity: x.version === 2 || y.version === 2 ? 'error' : 'warning',
        code: 'LINT_ADVERT_MISMATCH',
        message:
          `${id}: advert_int ${x.advertInt}s on A but ${y.advertInt}s on B` +
          (x.version === 2 || y.version === 2
            ? ': VRRPv2 drops adverts with another interval, so both become MASTER'
            : ': VRRPv3 backups adopt the master interval, but failover timing differs by direction'),
        a: x.loc,
        b: y.loc,
      });
    }
    const authA = x.authentication ? `${x.authentication.type}:${x.authentication.pass}` : 'none';
    const authB = y.authentication ? `${y.authentication.type}:${y.authentication.pass}` : 'none';
    if (authA !== authB && (x.version === 2 || y.version === 2)) {
      const what =
        x.authentication?.type !== y.authentication?.type
          ? `auth_type ${x.authentication?.type ?? 'none'} on A but ${y.authentication?.type ?? 'none'} on B`
          : 'auth_pass differs';
      add({
        severity: 'error',
        code: 'LINT_AUTH_MISMATCH',
        message: `${id}: ${what}: adverts fail authentication, so both become MASTER`,
        a: x.authentication?.loc ?? x.loc,
        b: y.authentication?.loc ?? y.loc,
      });
    }
    const setA = x.virtualIpaddresses.map((v) => `${v.address}/${v.prefix}`).sort();
    const setB = y.virtualIpaddresses.map((v) => `${v.address}/${v.prefix}`).sort();
    if (setA.join(' ') !== setB.join(' ')) {
      add({
        severity: 'error',
        code: 'LINT_VIP_SET_MISMATCH',
        message:
          `${id}: virtual_ipaddress differ (A: ${setA.join(', ') || 'none'}; B: ${setB.join(', ') || 'none'}): ` +
          'adverts carry an address list the peer does not expect, and failover moves different addresses',
        a: x.virtualIpaddresses[0]?.loc ?? x.loc,
        b: y.virtualIpaddresses[0]?.loc ?? y.loc,
      });
    }
    if (x.priority === y.priority) {
      add({
        severity: x.priority === 255 ? 'error' : 'warning',
        code: 'LINT_EQUAL_PRIORITY',
        message:
          x.priority === 255
            ? `${id}: both nodes claim priority 255 (address owner)`
            : `${id}: both nodes have priority ${x.priority}: the MASTER is decided by the higher primary IP address, not by you`,
        a: x.loc,
        b: y.loc,
      });
    }
    if (x.state === 'MASTER' && y.state === 'MASTER') {
      add({
        severity: 'warning',
        code: 'LINT_BOTH_MASTER',
        message: `${id}: both nodes declare state MASTER: both take the VIP at start until the first adverts are seen; declare BACKUP on one`,
        a: x.loc,
        b: y.loc,
      });
    }
    const hi = x.priority >= y.priority ? { i: x, c: a, n: 'A', o: y, oc: b } : { i: y, c: b, n: 'B', o: x, oc: a };
    if (hi.o.state === 'MASTER' && hi.i.state === 'BACKUP' && x.priority !== y.priority) {
      add({
        severity: 'warning',
        code: 'LINT_STATE_PRIORITY',
        message: `${id}: the node declaring state MASTER has the lower priority (${hi.o.priority} < ${hi.i.priority}): it is preempted as soon as the other node runs`,
        a: x.loc,
        b: y.loc,
      });
    }
    if (x.nopreempt !== y.nopreempt) {
      add({
        severity: 'warning',
        code: 'LINT_NOPREEMPT_ONE_SIDED',
        message: `${id}: nopreempt is set on ${x.nopreempt ? 'A' : 'B'} only: after a failover the VIP moves back or not depending on which node failed`,
        a: x.loc,
        b: y.loc,
      });
    }
    // Trackers that cannot move the VIP: the higher node's worst case still beats the other's best.
    const rHi = priorityRange(hi.i, hi.c);
    const rLo = priorityRange(hi.o, hi.oc);
    const hasWeighted = rHi.failing !== rHi.ok;
    if (hasWeighted && !rHi.fault && rHi.failing >= rLo.ok) {
      add({
        severity: 'error',
        code: 'LINT_TRACK_WEIGHT_TOO_SMALL',
        message:
          `${id}: when every tracked script/interface on ${hi.n} fails its priority only drops to ${rHi.failing}, ` +
          `still >= ${rLo.ok} on the other node: the VIP never moves. Use weights larger than the priority gap ` +
          `(${hi.i.priority - hi.o.priority}) or weight 0 (FAULT)`,
        a: hi.n === 'A' ? hi.i.loc : hi.o.loc,
        b: hi.n === 'B' ? hi.i.loc : hi.o.loc,
      });
    }
    checkUnicast(id, x, y, add);
    checkSubnets(id, 'A', x, opts.ifaceAddrs?.a, add);
    checkSubnets(id, 'B', y, opts.ifaceAddrs?.b, add);
  }

  for (const [conf, other, n] of [
    [a, b, 'A'],
    [b, a, 'B'],
  ] as const) {
    for (const inst of conf.instances) {
      if (paired.has(inst)) continue;
      add({
        severity: 'warning',
        code: 'LINT_UNPAIRED',
        message: `vrrp_instance ${inst.name} (VRID ${inst.virtualRouterId}) on ${n} has no counterpart on ${n === 'A' ? 'B' : 'A'} (no shared VIP, VRID or name): nothing fails over to the other node`,
        [n === 'A' ? 'a' : 'b']: inst.loc,
      });
    }
    void other;
  }
  if (a.globalDefs.routerId !== undefined && a.globalDefs.routerId === b.globalDefs.routerId) {
    add({
      severity: 'warning',
      code: 'LINT_SAME_ROUTER_ID',
      message: `both nodes use router_id ${a.globalDefs.routerId}: notifications and logs cannot tell them apart`,
      a: a.globalDefs.loc,
      b: b.globalDefs.loc,
    });
  }
  if (a.globalDefs.mcastGroup4 !== b.globalDefs.mcastGroup4) {
    add({
      severity: 'error',
      code: 'LINT_MCAST_GROUP',
      message: `vrrp_mcast_group4 ${a.globalDefs.mcastGroup4} on A but ${b.globalDefs.mcastGroup4} on B: multicast adverts never meet`,
      a: a.globalDefs.loc,
      b: b.globalDefs.loc,
    });
  }
  const rank = { error: 0, warning: 1, info: 2 };
  return out.sort((p, q) => rank[p.severity] - rank[q.severity]);
}

function checkUnicast(id: string, x: VrrpInstance, y: VrrpInstance, add: (f: Finding) => void): void {
  const ux = x.unicastPeers.length > 0;
  const uy = y.unicastPeers.length > 0;
  if (ux !== uy) {
    add({
      severity: 'error',
      code: 'LINT_UNICAST_MIXED',
      message: `${id}: ${ux ? 'A' : 'B'} sends unicast adverts (unicast_peer) but ${ux ? 'B' : 'A'} multicasts: each ignores the other`,
      a: x.loc,
      b: y.loc,
    });
    return;
  }
  if (!ux) return;
  for (const [me, peer, n, pn] of [
    [x, y, 'A', 'B'],
    [y, x, 'B', 'A'],
  ] as const) {
    if (!peer.unicastSrcIp) {
      add({
        severity: 'info',
        code: 'LINT_UNICAST_UNCHECKED',
        message: `${id}: ${pn} has no unicast_src_ip, so ${n}'s unicast_peer list cannot be checked against it`,
        [pn === 'A' ? 'a' : 'b']: peer.loc,
      });
      continue;
    }
    if (!me.unicastPeers.some((p) => p.address === peer.unicastSrcIp)) {
      add({
        severity: 'error',
        code: 'LINT_UNICAST_PEER',
        message: `${id}: ${n}'s unicast_peer (${me.unicastPeers.map((p) => p.address).join(', ')}) does not include ${pn}'s unicast_src_ip ${peer.unicastSrcIp}: ${pn} never hears ${n}`,
        a: n === 'A' ? me.unicastPeers[0].loc : peer.loc,
        b: n === 'B' ? me.unicastPeers[0].loc : peer.loc,
      });
    }
  }
}

function checkSubnets(
  id: string,
  n: 'A' | 'B',
  inst: VrrpInstance,
  addrs: Map<string, { address: string; prefix: number }> | undefined,
  add: (f: Finding) => void,
): void {
  const side = n === 'A' ? 'a' : 'b';
  for (const vip of inst.virtualIpaddresses) {
    const dev = vip.dev ?? inst.interface;
    const known = dev ? addrs?.get(dev) : undefined;
    if (known) {
      if (!inSubnet(vip.address, known.address, known.prefix)) {
        add({
          severity: 'error',
          code: 'LINT_VIP_OUTSIDE_SUBNET',
          message: `${id}: VIP ${vip.address} is outside ${dev}'s subnet ${known.address}/${known.prefix} on ${n}: hosts on that LAN will not ARP for it`,
          [side]: vip.loc,
        });
      }
      continue;
    }
    // Without --iface-addr, unicast_src_ip is the interface address we know; its prefix is not in the
    // file, so only a VIP declared with a prefix shorter than the host's can be checked against it.
    const src = inst.unicastSrcIp ?? inst.mcastSrcIp;
    if (src && vip.prefix < (vip.family === 4 ? 32 : 128)) {
      if (!inSubnet(src, vip.address, vip.prefix)) {
        add({
          severity: 'warning',
          code: 'LINT_VIP_OUTSIDE_SUBNET',
          message: `${id}: VIP ${vip.address}/${vip.prefix} does not contain ${n}'s source address ${src}: the VIP is probably outside the interface's subnet (give --iface-addr ${dev ?? 'IF'}=ADDR/PREFIX to check exactly)`,
          [side]: vip.loc,
        });
      }
    } else if (!src) {
      add({
        severity: 'info',
        code: 'LINT_SUBNET_UNCHECKED',
        message: `${id}: cannot tell whether VIP ${vip.address} is inside ${dev ?? 'the interface'}'s subnet on ${n}: give --iface-addr ${n === 'A' ? 'a:' : 'b:'}${dev ?? 'IF'}=ADDR/PREFIX or set unicast_src_ip`,
        [side]: vip.loc,
      });
    }
  }
}
