/**
 * One vrrp_instance at run time: its election (VrrpMachine) wired to its raw socket, its VIPs and
 * packet validation. Built from the keepalived.conf model by instanceSpec().
 */
import { networkInterfaces } from 'node:os';
import { formatIPv4, parseIPv4, VRRP_GROUP } from '../codec/ipv4.ts';
import { type Advert, AUTH_NONE, AUTH_PASS, authData, encodePacket, type ReceivedPacket } from '../codec/packet.ts';
import { type CheckParams, checkAdvert } from '../codec/validate.ts';
import type { GlobalDefs, SourceLoc, VrrpInstance } from '../conf/model.ts';
import { DropLog } from '../transport/drop-log.ts';
import { RawVrrpSocket } from '../transport/raw-socket.ts';
import { type GarpSettings, type Vip, VipSet } from '../vip/vips.ts';
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
  vips: Vip[];
  unicastSrc?: number;
  unicastPeers: number[];
  group: number;
  garp: GarpSettings;
  checkUnicastSrc: boolean;
  /** `vrrp_skip_check_adv_addr`: skip the VIP list check for adverts from the current master. */
  skipCheckAdvAddr: boolean;
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
      inst.authentication.loc,
    );
  }
  let advertIntCs = Math.round(inst.advertInt * 100);
  if (inst.version === 2) advertIntCs = Math.max(100, Math.round(advertIntCs / 100) * 100);
  if (advertIntCs < 1 || advertIntCs > 4095) return err('VRRP_ADVERT_INT', `advert_int ${inst.advertInt} out of range`);
  const vips: Vip[] = [];
  for (const v of inst.virtualIpaddresses) {
    if (v.family !== 4) return err('VRRP_IPV6', `IPv6 VIP ${v.address}: Switchyard's VRRP is IPv4 only`, v.loc);
    vips.push({
      address: v.address,
      prefix: v.prefix,
      dev: v.dev ?? inst.interface,
      label: v.label,
      brd: v.brd,
      scope: v.scope,
    });
  }
  const peers: number[] = [];
  for (const p of inst.unicastPeers) {
    const n = parseIPv4(p.address);
    if (n === undefined) return err('VRRP_UNICAST_PEER', `unicast_peer ${p.address} is not an IPv4 address`, p.loc);
    peers.push(n);
  }
  let unicastSrc: number | undefined;
  const srcText = inst.unicastSrcIp ?? inst.mcastSrcIp;
  if (srcText !== undefined) {
    unicastSrc = parseIPv4(srcText);
    if (unicastSrc === undefined) return err('VRRP_SRC_IP', `source address ${srcText} is not an IPv4 address`);
  }
  const group = parseIPv4(g.mcastGroup4) ?? VRRP_GROUP;
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
    vips,
    unicastSrc,
    unicastPeers: peers,
    group,
    garp: {
      delayS: inst.garpMasterDelay,
      repeat: inst.garpMasterRepeat,
      refreshS: inst.garpMasterRefresh,
      refreshRepeat: g.garpMasterRefreshRepeat,
    },
    checkUnicastSrc: false,
    skipCheckAdvAddr: g.vrrpSkipCheckAdvAddr,
  };
}

/** The interface's primary IPv4 address (first one that is not one of our VIPs). */
export function primaryAddress(ifname: string, vips: readonly Vip[]): number | undefined {
  const list = networkInterfaces()[ifname] ?? [];
  for (const a of list) {
    if (a.family !== 'IPv4' || vips.some((v) => v.address === a.address)) continue;
    return parseIPv4(a.address);
  }
  return undefined;
}

/** Observers of an instance. */
export interface InstanceEvents {
  log(msg: string): void;
  /** Detailed log (-D): per-packet noise such as adverts for other VRIDs. */
  debug(msg: string): void;
  stateChanged(inst: InstanceRunner, from: VrrpState, to: VrrpState, reason: string): void;
}

/** A running vrrp_instance. */
export class InstanceRunner {
  readonly machine: VrrpMachine;
  readonly vipSet: VipSet;
  readonly drops: DropLog;
  private socket?: RawVrrpSocket;
  private readonly check: CheckParams;
  private readonly advert: Advert;
  private src = 0;
  /** Source of the last accepted advert (vrrp_skip_check_adv_addr). */
  private lastSrc = -1;
  /** Adverts received for other VRIDs on our socket. */
  otherVrid = 0;

  constructor(
    public spec: InstanceSpec,
    private readonly ev: InstanceEvents,
    clock: Clock = realClock,
  ) {
    const auth = spec.authPass !== undefined ? authData(spec.authPass) : undefined;
    const vipNums = spec.vips.map((v) => parseIPv4(v.address) ?? 0);
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
    };
    this.drops = new DropLog((m) => ev.log(m));
    this.vipSet = new VipSet(spec.name, spec.vips, spec.garp, (m) => ev.log(m));
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
      },
    );
  }

  /** Opens the socket and starts the election. Throws TransportError / InstanceConfigError. */
  start(): void {
    const s = this.spec;
    const src = s.unicastSrc ?? primaryAddress(s.ifname, s.vips);
    if (src === undefined) {
      throw new InstanceConfigError('VRRP_NO_ADDRESS', `(${s.name}) interface ${s.ifname} has no IPv4 address`);
    }
    this.src = src;
    this.machine.cfg.primaryAddr = src;
    this.socket = new RawVrrpSocket({
      ifname: s.ifname,
      group: s.group,
      unicast: s.unicastPeers.length > 0,
      onPacket: (p) => this.onPacket(p),
      onMalformed: (f) => this.drops.drop(f.code, `(${s.name}) ${f.message}`),
      onError: (e) => this.ev.log(`(${s.name}) receive error: ${e.message}`),
    });
    this.ev.log(
      `(${s.name}) VRRPv${s.version} VRID ${s.vrid} on ${s.ifname} from ${formatIPv4(src)}, priority ${s.priority}, ` +
        (s.unicastPeers.length
          ? `unicast to ${s.unicastPeers.map(formatIPv4).join(', ')}`
          : `multicast ${formatIPv4(s.group)}`),
    );
    // A node killed while MASTER left its VIPs behind: start clean (keepalived does the same).
    void this.vipSet.release();
    this.machine.start();
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
  }

  private onPacket(p: ReceivedPacket): void {
    if (p.vrid !== this.spec.vrid) {
      this.otherVrid++;
      this.ev.debug(
        `(${this.spec.name}) ignoring advert from ${formatIPv4(p.src)} for VRID ${p.vrid} (ours ${this.spec.vrid})`,
      );
      return;
    }
    const r = checkAdvert(this.check, p, !(this.spec.skipCheckAdvAddr && p.src === this.lastSrc));
    if (!r.ok) {
      this.drops.drop(r.code, `(${this.spec.name}) ${r.message} from ${formatIPv4(p.src)}`);
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
      const err = sock.send(encodePacket(this.advert, this.src, dst), dst);
      if (err) {
        this.drops.drop(
          'send',
          `(${this.spec.name}) Cant send advert to ${formatIPv4(dst)} (${err.message})`,
          'not sent',
        );
      }
    }
  }
}
