/**
 * Virtual addresses of one instance: added on becoming MASTER (then gratuitous ARPs for IPv4,
 * unsolicited neighbour advertisements for IPv6), removed on leaving it or stopping. Uses
 * `ip addr` (iproute2), as an operator would, `arping -U`, and a raw ICMPv6 socket for NAs.
 */
import { runCommand } from './ip-command.ts';
import { sendNeighbourAdverts } from './neighbour-advert.ts';
import type { NoAcceptFirewall } from './no-accept.ts';
import { applyIpObjects, type IpObject } from './routes.ts';

/** One `virtual_ipaddress` entry, as the sidecar needs it. */
export interface Vip {
  address: string;
  prefix: number;
  /** Interface: the entry's `dev`, else the instance's interface. */
  dev: string;
  label?: string;
  brd?: string;
  scope?: string;
}

/** Gratuitous ARP settings (keepalived: garp_master_delay 5, garp_master_repeat 5, refresh off). */
export interface GarpSettings {
  delayS: number;
  repeat: number;
  refreshS: number;
  refreshRepeat: number;
  /** garp_lower_prio_delay / _repeat: when a MASTER hears a lower priority (default: off). */
  lowerPrioDelayS?: number;
  lowerPrioRepeat?: number;
  /** vrrp_garp_interval / vrrp_gna_interval: seconds between two GARPs / NAs (default 0: back to back). */
  garpIntervalS?: number;
  gnaIntervalS?: number;
}

/** Where VIP and ARP actions report. */
export type VipLog = (msg: string) => void;

/** The `ip addr add` arguments for a VIP. */
export function addArgs(v: Vip): string[] {
  const a = ['addr', 'add', `${v.address}/${v.prefix}`, 'dev', v.dev];
  if (v.brd) a.push('broadcast', v.brd);
  if (v.scope) a.push('scope', v.scope);
  if (v.label) a.push('label', v.label);
  // keepalived adds IPv6 VIPs with IFA_F_NODAD: usable at once, and no dadfailed after a split brain.
  if (v.address.includes(':')) a.push('nodad');
  return a;
}

/** Adds and removes an instance's VIPs and sends its gratuitous ARPs. */
export class VipSet {
  private timers: NodeJS.Timeout[] = [];
  private held = false;
  /** acquire/release run one after the other, in call order, so a quick MASTER->BACKUP cannot interleave. */
  private queue: Promise<void> = Promise.resolve();
  /** `no_accept` / `vrrp_strict`: the drop rules that keep traffic off the VIPs while MASTER. */
  firewall?: NoAcceptFirewall;

  constructor(
    readonly name: string,
    readonly vips: readonly Vip[],
    private readonly garp: GarpSettings,
    private readonly log: VipLog,
    /** Routes then rules: added after the addresses, removed (in reverse) before them. */
    private readonly ipObjects: readonly IpObject[] = [],
    private readonly ipBin = 'ip',
    private readonly arpingBin = 'arping',
  ) {}

  /** Adds every VIP (an address already present counts as added), then schedules GARPs. */
  acquire(): Promise<void> {
    this.held = true;
    this.queue = this.queue.then(() => this.doAcquire());
    return this.queue;
  }

  /** Removes every VIP (an address already gone counts as removed) and cancels pending GARPs. */
  release(): Promise<void> {
    this.held = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.queue = this.queue.then(() => this.doRelease());
    return this.queue;
  }

  private async doAcquire(): Promise<void> {
    if (!this.held) return;
    for (const v of this.vips) {
      const r = await runCommand(this.ipBin, addArgs(v));
      if (!r.ok && !/File exists/i.test(r.stderr)) {
        this.log(`(${this.name}) cannot add VIP ${v.address}/${v.prefix} on ${v.dev}: ${r.stderr.trim()}`);
      }
    }
    if (!this.held) return;
    if (this.firewall) {
      for (const e of await this.firewall.hold(this.vips.map((v) => v.address)))
        this.log(`(${this.name}) cannot apply no_accept: ${e}`);
    }
    if (!this.held) return;
    await applyIpObjects(this.ipObjects, true, this.log, this.name, this.ipBin);
    if (!this.held) return;
    this.sendGarps(this.garp.repeat);
    if (this.garp.delayS > 0) this.later(this.garp.delayS, () => this.sendGarps(this.garp.repeat));
    if (this.garp.refreshS > 0) this.refreshLoop();
  }

  private async doRelease(): Promise<void> {
    await applyIpObjects(this.ipObjects, false, this.log, this.name, this.ipBin);
    await Promise.all(
      this.vips.map(async (v) => {
        const r = await runCommand(this.ipBin, ['addr', 'del', `${v.address}/${v.prefix}`, 'dev', v.dev]);
        if (!r.ok && !/Cannot assign requested address|Address not found|No such device/i.test(r.stderr)) {
          this.log(`(${this.name}) cannot remove VIP ${v.address}/${v.prefix} from ${v.dev}: ${r.stderr.trim()}`);
        }
      }),
    );
    if (this.firewall) {
      for (const e of await this.firewall.release(this.vips.map((v) => v.address)))
        this.log(`(${this.name}) cannot lift no_accept: ${e}`);
    }
  }

  /** keepalived's answer to a lower-priority advert while MASTER: garp_lower_prio_repeat GARPs, again after the delay. */
  lowerPrioGarps(): void {
    const rep = this.garp.lowerPrioRepeat ?? 0;
    if (!this.held || rep <= 0) return;
    this.sendGarps(rep);
    const delay = this.garp.lowerPrioDelayS ?? 0;
    if (delay > 0) this.later(delay, () => this.sendGarps(rep));
  }

  private refreshLoop(): void {
    this.later(this.garp.refreshS, () => {
      this.sendGarps(this.garp.refreshRepeat);
      this.refreshLoop();
    });
  }

  private later(s: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers = this.timers.filter((x) => x !== t);
      if (this.held) fn();
    }, s * 1000);
    this.timers.push(t);
  }

  /**
   * `repeat` unsolicited ARPs per IPv4 VIP (NAs per IPv6 VIP): back to back as keepalived sends its
   * batch, or one every vrrp_garp_interval / vrrp_gna_interval seconds.
   */
  private sendGarps(repeat: number): void {
    if (repeat <= 0) return;
    const gap = { arp: (this.garp.garpIntervalS ?? 0) * 1000, na: (this.garp.gnaIntervalS ?? 0) * 1000 };
    const n = { arp: 0, na: 0 };
    for (const v of this.vips) {
      const v6 = v.address.includes(':');
      for (let i = 0; i < repeat; i++) {
        const k = v6 ? 'na' : 'arp';
        const at = n[k]++ * gap[k];
        if (v6 && gap.na === 0) {
          // One call sends the whole batch.
          if (i === 0) this.sendNa(v, repeat);
          continue;
        }
        if (at === 0) this.sendOne(v);
        else this.laterMs(at, () => this.sendOne(v));
      }
    }
  }

  private laterMs(ms: number, fn: () => void): void {
    this.later(ms / 1000, fn);
  }

  private sendNa(v: Vip, count: number): void {
    const err = sendNeighbourAdverts(v.dev, v.address, count);
    if (err) this.log(`(${this.name}) unsolicited neighbour advertisement for ${v.address} on ${v.dev} failed: ${err}`);
  }

  /** One GARP (iputils arping only takes whole-second intervals: one process per ARP) or one NA. */
  private sendOne(v: Vip): void {
    if (v.address.includes(':')) {
      this.sendNa(v, 1);
      return;
    }
    void runCommand(this.arpingBin, ['-q', '-U', '-c', '1', '-I', v.dev, v.address]).then((r) => {
      if (!r.ok) this.log(`(${this.name}) gratuitous ARP for ${v.address} on ${v.dev} failed: ${r.stderr.trim()}`);
    });
  }
}
