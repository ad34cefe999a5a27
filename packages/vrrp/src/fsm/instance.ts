/**
 * One vrrp_instance at run time: its election (VrrpMachine) wired to its raw socket, its VIPs and
 * packet validation. Built from the keepalived.conf model by instanceSpec().
 */
import { networkInterfaces } from 'node:os';
import { parseIPv4, VRRP_GROUP } from '../codec/ipv4.ts';
import { type Addr, formatAddr, isLinkLocal6, parseAddr, parseIPv6, VRRP_GROUP6 } from '../codec/ipv6.ts';
import {
  type Advert,
  AUTH_NONE,
  AUTH_PASS,
  authData,
  encodePacket,
  encodeVrrp6,
  type ReceivedPacket,
} from '../codec/packet.ts';
import { type CheckParams, checkAdvert } from '../codec/validate.ts';
import type { GlobalDefs, SourceLoc, VrrpInstance } from '../conf/model.ts';
import { DropLog } from '../transport/drop-log.ts';
import { RawVrrpSocket } from '../transport/raw-socket.ts';
import { noAcceptFirewall } from '../vip/no-accept.ts';
import { type IpObject, routeObject, ruleObject } from '../vip/routes.ts';
import { type GarpSettings, type Vip, VipSet } from '../vip/vips.ts';
import { Vmac, vmacAddress } from '../vip/vmac.ts';
import { type Clock, realClock } from './clock.ts';
import { VrrpMachine, type VrrpState } from './machine.ts';

/** Everything one instance needs at run time, validated. */
export interface InstanceSpec {
  name: string;
  ifname: string;
  vrid: number;
  version: 2 | 3;
  priority: number;
  advertIntCs: number;
  initialMaster: boolean;
  nopreempt: boolean;
  preemptDelayMs: number;
  authType: number;
  authPass?: string;
  /** The instance's address family (keepalived: one per instance, from its first VIP or peer). */
  family: 4 | 6;
  vips: Vip[];
  /** `virtual_ipaddress_excluded`: held with the VIPs on MASTER, never advertised. */
  excludedVips: Vip[];
  /** keepalived's no_accept (default under vrrp_strict) on a non-owner: drop rules while MASTER. */
  noAccept: boolean;
  /** `use_vmac`: the macvlan (its name and MAC); `xmitBase`: adverts stay on `ifname`. */
  vmac?: { name: string; mac: string; xmitBase: boolean };
  /** `virtual_routes` then `virtual_rules`, held with the VIPs on MASTER. */
  ipObjects: IpObject[];
  unicastSrc?: Addr;
  unicastPeers: Addr[];
  group: Addr;
  garp: GarpSettings;
  checkUnicastSrc: boolean;
  /** `vrrp_skip_check_adv_addr`: skip the VIP list check for adverts from the current master. */
  skipCheckAdvAddr: boolean;
  lowerPrioNoAdvert: boolean;
  higherPrioSendAdvert: boolean;
}

/** A config the sidecar cannot run, with a code and the instance named. */
export class InstanceConfigError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The config line at fault, when there is one. */
    readonly loc?: SourceLoc,
  ) {
    super(message);
  }
}

/** Converts a parsed vrrp_instance to a runnable spec, or explains why it cannot run. */
export function instanceSpec(inst: VrrpInstance, g: GlobalDefs): InstanceSpec | InstanceConfigError {
  const err = (code: string, msg: string, loc: SourceLoc = inst.loc) =>
    new InstanceConfigError(code, `(${inst.name}) ${msg}`, loc);
  if (!inst.interface) return err('VRRP_NO_INTERFACE', 'no interface configured');
  if (inst.virtualRouterId === undefined) return err('VRRP_NO_VRID', 'the virtual router id must be set');
  if (inst.authentication?.type === 'AH' && inst.version === 2) {
    return err(
      'VRRP_AUTH_AH',
      'auth_type AH (IPsec-AH) is not supported by Switchyard; use PASS or none',
      inst.authentication.typeLoc ?? inst.authentication.loc,
    );
  }
  let advertIntCs = Math.round(inst.advertInt * 100);
  if (inst.version === 2) advertIntCs = Math.max(100, Math.round(advertIntCs / 100) * 100);
  if (advertIntCs < 1 || advertIntCs > 4095) return err('VRRP_ADVERT_INT', `advert_int ${inst.advertInt} out of range`);
  // keepalived's rule: the family of the first VIP (else of the first unicast peer), IPv4 by default.
  const famOf = (a: string) => (a.includes(':') ? 6 : 4);
  const first = inst.virtualIpaddresses[0]?.address ?? inst.unicastPeers[0]?.address;
  const family: 4 | 6 = first !== undefined ? famOf(first) : 4;
  const fam = family === 6 ? 'IPv6' : 'IPv4';
  if (family === 6 && inst.version === 2 && inst.authentication) {
    // keepalived sends no auth data over IPv6 and checks a password at a wrong offset: no interop.
    return err(
      'VRRP_V2_IPV6_AUTH',
      'authentication with VRRP version 2 over IPv6 is not supported (keepalived sends no auth data): remove it',
      inst.authentication.typeLoc ?? inst.authentication.loc,
    );
  }
  const vmac = inst.useVmac
    ? {
        name: inst.vmacName ?? `vrrp.${inst.virtualRouterId}`,
        mac: vmacAddress(inst.virtualRouterId, family, inst.vmacAddress),
        xmitBase: inst.vmacXmitBase,
      }
    : undefined;
  // keepalived: with use_vmac, addresses without another interface go on the macvlan.
  const vipDev = (dev?: string) => (vmac && (dev === undefined || dev === inst.interface) ? vmac.name : dev);
  const toVip = (v: VrrpInstance['virtualIpaddresses'][number]): Vip => ({
    address: v.address,
    prefix: v.prefix,
    dev: vipDev(v.dev) ?? inst.interface!,
    label: v.label,
    brd: v.brd,
    scope: v.scope,
  });
  const vips = inst.virtualIpaddresses.map(toVip);
  // Either family: keepalived's way to put the other family's addresses on an instance.
  const excludedVips = inst.virtualIpaddressesExcluded.map(toVip);
  const peers: Addr[] = [];
  for (const p of inst.unicastPeers) {
    const n = famOf(p.address) === family ? parseAddr(p.address) : undefined;
    if (n === undefined) return err('VRRP_UNICAST_PEER', `unicast_peer ${p.address} is not an ${fam} address`, p.loc);
    peers.push(n);
  }
  let unicastSrc: Addr | undefined;
  const srcText = inst.unicastSrcIp ?? inst.mcastSrcIp;
  if (srcText !== undefined) {
    unicastSrc = famOf(srcText) === family ? parseAddr(srcText) : undefined;
    if (unicastSrc === undefined) return err('VRRP_SRC_IP', `source address ${srcText} is not an ${fam} address`);
  }
  // mcast_dst_ip (checked multicast and of the instance's family when read) before the global group.
  const own = inst.mcastDstIp !== undefined && famOf(inst.mcastDstIp) === family ? inst.mcastDstIp : undefined;
  const group: Addr =
    family === 6 ? (parseIPv6(own ?? g.mcastGroup6) ?? VRRP_GROUP6) : (parseIPv4(own ?? g.mcastGroup4) ?? VRRP_GROUP);
  const pass = inst.version === 2 && inst.authentication?.type === 'PASS' ? inst.authentication.pass : undefined;
  return {
    name: inst.name,
    ifname: inst.interface,
    vrid: inst.virtualRouterId,
    version: inst.version,
    priority: inst.priority,
    advertIntCs,
    initialMaster: inst.state === 'MASTER',
    nopreempt: inst.nopreempt,
    preemptDelayMs: inst.preemptDelay * 1000,
    authType: pass !== undefined ? AUTH_PASS : AUTH_NONE,
    authPass: pass,
    family,
    vips,
    excludedVips,
    noAccept: !inst.accept && inst.priority !== 255,
    vmac,
    ipObjects: [...inst.virtualRoutes.map(routeObject), ...inst.virtualRules.map(ruleObject)],
    unicastSrc,
    unicastPeers: peers,
    group,
    garp: {
      delayS: inst.garpMasterDelay,
      repeat: inst.garpMasterRepeat,
      refreshS: inst.garpMasterRefresh,
      refreshRepeat: inst.garpMasterRefreshRepeat ?? g.garpMasterRefreshRepeat,
      // keepalived: defaults from the global vrrp_garp_* ones; vrrp_strict sends none.
      lowerPrioDelayS: g.vrrpStrict ? 0 : (inst.garpLowerPrioDelay ?? g.garpLowerPrioDelay ?? g.garpMasterDelay),
      lowerPrioRepeat: g.vrrpStrict ? 0 : (inst.garpLowerPrioRepeat ?? g.garpLowerPrioRepeat ?? g.garpMasterRepeat),
      garpIntervalS: g.garpInterval,
      gnaIntervalS: g.gnaInterval,
    },
    lowerPrioNoAdvert: g.vrrpStrict || (inst.lowerPrioNoAdvert ?? g.lowerPrioNoAdvert),
    higherPrioSendAdvert: inst.higherPrioSendAdvert ?? g.higherPrioSendAdvert,
    checkUnicastSrc: false,
    skipCheckAdvAddr: g.vrrpSkipCheckAdvAddr || inst.skipCheckAdvAddr === true,
  };
}

/**
 * The interface's primary address: IPv4, the first one that is not one of our VIPs; IPv6, its
 * link-local address (RFC 5798 5.1.2.1: adverts come from the link-local address).
 */
export function primaryAddress(ifname: string, vips: readonly Vip[], family: 4 | 6 = 4): Addr | undefined {
  const list = networkInterfaces()[ifname] ?? [];
  for (const a of list) {
    if (vips.some((v) => v.address === a.address)) continue;
    if (family === 4 && a.family === 'IPv4') return parseIPv4(a.address);
    if (family === 6 && a.family === 'IPv6') {
      const n = parseIPv6(a.address);
      if (n !== undefined && isLinkLocal6(n)) return n;
    }
  }
  return undefined;
}

/** Observers of an instance. */
export interface InstanceEvents {
  log(msg: string): void;
  /** Detailed log (-D): per-packet noise such as adverts for other VRIDs. */
  debug(msg: string): void;
  stateChanged(inst: InstanceRunner, from: VrrpState, to: VrrpState, reason: string): void;
  /** As MASTER, a lower-priority advert arrived (after the lower-priority GARPs were sent). */
  masterRxLower?(inst: InstanceRunner, priority: number): void;
}

/** A running vrrp_instance. */
export class InstanceRunner {
  readonly machine: VrrpMachine;
  readonly vipSet: VipSet;
  readonly drops: DropLog;
  private socket?: RawVrrpSocket;
  private vmac?: Vmac;
  private readonly check: CheckParams;
  private readonly advert: Advert;
  private src: Addr = 0;
  /** Source of the last accepted advert (vrrp_skip_check_adv_addr). */
  private lastSrc: Addr = -1;
  /** Adverts received for other VRIDs on our socket. */
  otherVrid = 0;

  constructor(
    public spec: InstanceSpec,
    private readonly ev: InstanceEvents,
    clock: Clock = realClock,
  ) {
    const auth = spec.authPass !== undefined ? authData(spec.authPass) : undefined;
    const vipNums = spec.vips.map((v): Addr => parseAddr(v.address) ?? 0);
    this.check = {
      name: spec.name,
      version: spec.version,
      authType: spec.authType,
      authData: auth,
      advertIntCs: spec.advertIntCs,
      vips: vipNums,
      unicastPeers: spec.unicastPeers,
      checkUnicastSrc: spec.checkUnicastSrc,
    };
    this.advert = {
      version: spec.version,
      vrid: spec.vrid,
      priority: spec.priority,
      advertIntCs: spec.advertIntCs,
      authType: spec.authType,
      authData: auth,
      addrs: vipNums,
      family: spec.family,
    };
    this.drops = new DropLog((m) => ev.log(m));
    this.vipSet = new VipSet(
      spec.name,
      [...spec.vips, ...spec.excludedVips],
      spec.garp,
      (m) => ev.log(m),
      spec.ipObjects,
    );
    if (spec.noAccept) this.vipSet.firewall = noAcceptFirewall;
    this.machine = new VrrpMachine(
      {
        name: spec.name,
        version: spec.version,
        priority: spec.priority,
        advertIntCs: spec.advertIntCs,
        initialMaster: spec.initialMaster,
        nopreempt: spec.nopreempt,
        preemptDelayMs: spec.preemptDelayMs,
        primaryAddr: 0,
        lowerPrioNoAdvert: spec.lowerPrioNoAdvert,
        higherPrioSendAdvert: spec.higherPrioSendAdvert,
      },
      clock,
      {
        sendAdvert: (prio) => this.send(prio),
        becomeMaster: () => void this.vipSet.acquire(),
        leaveMaster: () => void this.vipSet.release(),
        stateChanged: (from, to, reason) => {
          if (to !== 'INIT' && to !== 'STOP') this.ev.log(`(${spec.name}) Entering ${to} STATE (${reason})`);
          this.ev.stateChanged(this, from, to, reason);
        },
        log: (m) => this.ev.log(m),
        masterRxLower: (prio) => {
          this.vipSet.lowerPrioGarps();
          this.ev.masterRxLower?.(this, prio);
        },
      },
    );
  }

  /** Opens the socket and starts the election. Throws TransportError / InstanceConfigError. */
  start(): void {
    const s = this.spec;
    const src = s.unicastSrc ?? primaryAddress(s.ifname, [...s.vips, ...s.excludedVips], s.family);
    if (src === undefined) {
      throw new InstanceConfigError(
        'VRRP_NO_ADDRESS',
        `(${s.name}) interface ${s.ifname} has no ${noAddress(s.family)}`,
      );
    }
    this.src = src;
    this.machine.cfg.primaryAddr = src;
    let sockIf = s.ifname;
    if (s.vmac) {
      this.vmac = new Vmac({ name: s.vmac.name, base: s.ifname, mac: s.vmac.mac, family: s.family }, (m) =>
        this.ev.log(`(${s.name}) ${m}`),
      );
      const err = this.vmac.create();
      if (err) {
        this.ev.log(`(${s.name}) ${err}`);
        throw new InstanceConfigError('VRRP_VMAC', `(${s.name}) ${err}`);
      }
      this.ev.log(`(${s.name}) VMAC ${s.vmac.name} (${s.vmac.mac}) on ${s.ifname}`);
      if (!s.vmac.xmitBase) sockIf = s.vmac.name;
    }
    try {
      this.socket = this.openSocket(sockIf);
    } catch (err) {
      this.vmac?.destroy();
      throw err;
    }
    this.ev.log(
      `(${s.name}) VRRPv${s.version} VRID ${s.vrid} on ${sockIf} from ${formatAddr(src)}, priority ${s.priority}, ` +
        (s.unicastPeers.length
          ? `unicast to ${s.unicastPeers.map(formatAddr).join(', ')}`
          : `multicast ${formatAddr(s.group)}`),
    );
    // A node killed while MASTER left its VIPs behind: start clean (keepalived does the same).
    void this.vipSet.release();
    this.machine.start();
  }

  private openSocket(ifname: string): RawVrrpSocket {
    const s = this.spec;
    const src = this.src;
    return new RawVrrpSocket({
      ifname,
      family: s.family,
      src6: typeof src === 'bigint' ? src : undefined,
      group: s.group,
      unicast: s.unicastPeers.length > 0,
      onPacket: (p) => this.onPacket(p),
      onMalformed: (f) => this.drops.drop(f.code, `(${s.name}) ${f.message}`),
      onError: (e) => this.ev.log(`(${s.name}) receive error: ${e.message}`),
    });
  }

  /** Changes the configured priority in place (reload), as keepalived does: the election follows. */
  setBasePriority(priority: number): void {
    this.ev.log(`(${this.spec.name}) priority changed from ${this.spec.priority} to ${priority}`);
    this.spec = { ...this.spec, priority };
    this.machine.cfg.priority = priority;
    this.machine.setEffectivePriority(priority);
  }

  /** Sends priority 0 if MASTER, drops the VIPs, closes the socket. */
  async stop(): Promise<void> {
    this.machine.stop();
    await this.vipSet.release();
    this.socket?.close();
    this.socket = undefined;
    this.vmac?.destroy();
    this.vmac = undefined;
  }

  private onPacket(p: ReceivedPacket): void {
    if (p.vrid !== this.spec.vrid) {
      this.otherVrid++;
      this.ev.debug(
        `(${this.spec.name}) ignoring advert from ${formatAddr(p.src)} for VRID ${p.vrid} (ours ${this.spec.vrid})`,
      );
      return;
    }
    const r = checkAdvert(this.check, p, !(this.spec.skipCheckAdvAddr && p.src === this.lastSrc));
    if (!r.ok) {
      this.drops.drop(r.code, `(${this.spec.name}) ${r.message} from ${formatAddr(p.src)}`);
      return;
    }
    this.lastSrc = p.src;
    this.machine.receive({ priority: p.priority, src: p.src, advertIntCs: p.advertIntCs });
  }

  private send(priority: number): void {
    const sock = this.socket;
    if (!sock) return;
    this.advert.priority = priority;
    const dsts = this.spec.unicastPeers.length ? this.spec.unicastPeers : [this.spec.group];
    for (const dst of dsts) {
      const src = this.src;
      const pkt =
        typeof src === 'bigint' && typeof dst === 'bigint'
          ? encodeVrrp6(this.advert, src, dst)
          : encodePacket(this.advert, src as number, dst as number);
      const err = sock.send(pkt, dst);
      if (err) {
        this.drops.drop(
          'send',
          `(${this.spec.name}) Cant send advert to ${formatAddr(dst)} (${err.message})`,
          'not sent',
        );
      }
    }
  }
}

/** What an interface lacks when an instance of this family has no source address. */
export function noAddress(family: 4 | 6): string {
  return family === 6 ? 'IPv6 link-local address' : 'IPv4 address';
}
