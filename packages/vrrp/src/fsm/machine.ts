/**
 * The VRRP state machine of RFC 3768 / RFC 5798 section 6.4, with keepalived's behaviour where the
 * RFCs leave room (`state MASTER` at startup, preempt_delay, forcing an election on a lower advert,
 * FAULT from trackers). Pure: packets in, actions out through callbacks, time from a Clock.
 */
import type { Addr } from '../codec/ipv6.ts';
import type { Clock } from './clock.ts';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/** Configuration of one instance's election. */
export interface FsmConfig {
  name: string;
  version: 2 | 3;
  /** Configured priority 1..255 (255: address owner). */
  priority: number;
  /** Our advertisement interval, centiseconds. */
  advertIntCs: number;
  /**
   * `state MASTER` in the config. keepalived 2.2.7 still starts such an instance in BACKUP and waits
   * the full Master_Down_Interval (measured: same time to MASTER as `state BACKUP`); so do we.
   */
  initialMaster: boolean;
  nopreempt: boolean;
  /** `preempt_delay`, milliseconds (0: off). */
  preemptDelayMs: number;
  /** Our primary (source) address, for the equal-priority tie-break (IPv6: a bigint). */
  primaryAddr: Addr;
  /** `lower_prio_no_advert`: a MASTER hearing a lower priority does not answer with an advert (RFC). */
  lowerPrioNoAdvert?: boolean;
  /** `higher_prio_send_advert`: a MASTER hearing a higher priority sends one advert before BACKUP. */
  higherPrioSendAdvert?: boolean;
}

/** What the machine asks the outside world to do. */
export interface FsmActions {
  sendAdvert(priority: number): void;
  /** Entering MASTER: add VIPs, gratuitous ARP, notify. */
  becomeMaster(): void;
  /** Leaving MASTER (to BACKUP, FAULT or STOP): remove VIPs. */
  leaveMaster(): void;
  stateChanged(from: VrrpState, to: VrrpState, reason: string): void;
  log(msg: string): void;
  /** A MASTER received a lower-priority advert (garp_lower_prio_*, notify_master_rx_lower_pri). */
  masterRxLower?(priority: number): void;
}

/** The fields of a validated advertisement the election uses. */
export interface AdvertIn {
  priority: number;
  src: Addr;
  advertIntCs: number;
}

/** One VRRP instance's election. */
export class VrrpMachine {
  state: VrrpState = 'INIT';
  /** Priority after trackers (what we advertise). */
  effectivePriority: number;
  /** Master_Adver_Interval (centiseconds): ours, or the master's in v3 BACKUP. */
  masterAdvertIntCs: number;
  /** When the current timer (advert or master-down) fires, clock ms. */
  timerDueAt = 0;
  /** Down timer expired but the sync group held us in BACKUP (keepalived's wantstate MASTER). */
  wantMaster = false;
  /** Sync group gate: may this member go MASTER now? (see SyncGroup) */
  gate?: (m: VrrpMachine) => boolean;
  private timer: unknown;
  private preemptAt = 0;
  private fault = false;

  constructor(
    readonly cfg: FsmConfig,
    private readonly clock: Clock,
    private readonly act: FsmActions,
  ) {
    this.effectivePriority = cfg.priority;
    this.masterAdvertIntCs = cfg.advertIntCs;
  }

  /** Skew_Time in ms: v2 (256-prio)/256 s; v3 ((256-prio) x Master_Adver_Interval)/256 cs. */
  skewMs(): number {
    const p = this.effectivePriority;
    if (this.cfg.version === 3) return Math.floor(((256 - p) * this.masterAdvertIntCs) / 256) * 10;
    return ((256 - p) * 1000) / 256;
  }

  /** Master_Down_Interval in ms: 3 x Master_Adver_Interval + Skew_Time. */
  masterDownMs(): number {
    return 3 * this.masterAdvertIntCs * 10 + this.skewMs();
  }

  /** Leaves Initialize: owner (255) goes MASTER at once, others to BACKUP. */
  start(): void {
    if (this.state !== 'INIT') return;
    if (this.fault) this.enter('FAULT', 'tracker fault at startup');
    else if (this.effectivePriority === 255) this.goMaster('address owner (priority 255)');
    else this.enterBackup('startup');
  }

  /** Handles a validated advertisement for our VRID. */
  receive(adv: AdvertIn): void {
    if (this.state === 'BACKUP') this.backupRx(adv);
    else if (this.state === 'MASTER') this.masterRx(adv);
  }

  private backupRx(adv: AdvertIn): void {
    if (adv.priority === 0) {
      this.act.log(`(${this.cfg.name}) Backup received priority 0 advertisement`);
      this.arm(this.skewMs());
      return;
    }
    const now = this.clock.now();
    const delaying = this.cfg.preemptDelayMs > 0 && (this.preemptAt === 0 || this.preemptAt > now);
    if (this.cfg.nopreempt || adv.priority >= this.effectivePriority || delaying) {
      if (this.cfg.version === 3 && adv.advertIntCs !== this.masterAdvertIntCs && adv.advertIntCs > 0) {
        this.act.log(
          `(${this.cfg.name}) advertisement interval updated to ${adv.advertIntCs * 10} milli-sec from ${this.masterAdvertIntCs * 10} milli-sec`,
        );
        this.masterAdvertIntCs = adv.advertIntCs;
      }
      this.wantMaster = false;
      if (this.cfg.preemptDelayMs > 0) {
        if (adv.priority >= this.effectivePriority) this.preemptAt = 0;
        else if (this.preemptAt === 0) this.preemptAt = now + this.cfg.preemptDelayMs;
      }
      this.arm(this.masterDownMs());
      return;
    }
    // Lower priority and we preempt: ignore it, the down timer keeps running.
    this.act.log(`(${this.cfg.name}) received lower priority (${adv.priority}) advert - discarding`);
  }

  private masterRx(adv: AdvertIn): void {
    if (adv.priority === 0) {
      this.act.log(`(${this.cfg.name}) Master received priority 0 advert`);
      this.sendNow();
      return;
    }
    const mine = this.effectivePriority;
    const cmp = adv.src === this.cfg.primaryAddr ? 0 : adv.src > this.cfg.primaryAddr ? 1 : -1;
    if (adv.priority === mine && cmp === 0) {
      this.act.log(`(${this.cfg.name}) WARNING - equal priority advert received from remote host with our IP address.`);
    } else if (adv.priority === mine && mine === 255) {
      this.act.log(
        `(${this.cfg.name}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority`,
      );
      this.effectivePriority = 254;
    }
    if (adv.priority < this.effectivePriority || (adv.priority === this.effectivePriority && cmp < 0)) {
      const answer = !this.cfg.lowerPrioNoAdvert;
      this.act.log(
        `(${this.cfg.name}) Received advert with lower priority ${adv.priority}, ours ${this.effectivePriority}${answer ? ', forcing new election' : ''}`,
      );
      if (answer) this.sendNow();
      this.act.masterRxLower?.(this.effectivePriority);
      return;
    }
    if (adv.priority > this.effectivePriority || cmp > 0) {
      if (this.cfg.version === 3 && adv.advertIntCs > 0) this.masterAdvertIntCs = adv.advertIntCs;
      // keepalived's higher_prio_send_advert: our (lower) advert makes the other MASTER resend its GARPs.
      if (this.cfg.higherPrioSendAdvert) this.act.sendAdvert(this.effectivePriority);
      this.leaveMaster();
      this.enterBackup(
        adv.priority > this.effectivePriority
          ? `higher priority ${adv.priority} advert`
          : 'same priority advert from higher address',
      );
    }
  }

  /** Sets the priority trackers computed (1..254 for non-owners; keepalived clamps). */
  setEffectivePriority(p: number): void {
    const clamped = this.cfg.priority === 255 ? 255 : Math.max(1, Math.min(254, p));
    if (clamped === this.effectivePriority) return;
    this.act.log(`(${this.cfg.name}) Changing effective priority from ${this.effectivePriority} to ${clamped}`);
    this.effectivePriority = clamped;
  }

  /** Enters or leaves FAULT (a tracker says the node must not be MASTER). */
  setFault(fault: boolean, reason = 'tracker'): void {
    if (fault === this.fault) return;
    this.fault = fault;
    if (this.state === 'INIT' || this.state === 'STOP') return;
    if (fault) {
      if (this.state === 'MASTER') {
        this.act.sendAdvert(0);
        this.leaveMaster();
      }
      this.enter('FAULT', reason);
    } else {
      this.masterAdvertIntCs = this.cfg.advertIntCs;
      if (this.effectivePriority === 255) this.goMaster('address owner (priority 255)');
      else {
        this.enterBackup(`${reason} recovered`);
        this.arm(this.masterDownMs());
      }
    }
  }

  /** Shutdown: a MASTER sends priority 0 so the backup takes over after its skew time. */
  stop(): void {
    this.disarm();
    if (this.state === 'MASTER') {
      this.act.sendAdvert(0);
      this.act.log(`(${this.cfg.name}) sent 0 priority`);
      this.leaveMaster();
    }
    this.enter('STOP', 'shutdown');
  }

  private enterBackup(reason: string): void {
    this.preemptAt = 0;
    this.enter('BACKUP', reason);
    this.arm(this.masterDownMs());
  }

  private goMaster(reason: string): void {
    this.wantMaster = false;
    this.masterAdvertIntCs = this.cfg.advertIntCs;
    this.enter('MASTER', reason);
    this.act.sendAdvert(this.effectivePriority);
    this.act.becomeMaster();
    this.arm(this.cfg.advertIntCs * 10);
  }

  private leaveMaster(): void {
    this.disarm();
    this.act.leaveMaster();
  }

  private sendNow(): void {
    this.act.sendAdvert(this.effectivePriority);
    this.arm(this.cfg.advertIntCs * 10);
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.state === 'MASTER') this.sendNow();
    else if (this.state === 'BACKUP') {
      if (this.gate && !this.gate(this)) {
        if (!this.wantMaster) this.act.log(`(${this.cfg.name}) master down, waiting for the rest of the sync group`);
        this.wantMaster = true;
        return;
      }
      this.goMaster('master down timer expired');
    }
  }

  /** Sync group: a member went MASTER, so does this one (if it is BACKUP). */
  forceMaster(reason: string): void {
    if (this.state === 'BACKUP') this.goMaster(reason);
  }

  /** Sync group: a member left MASTER, so does this one. */
  forceBackup(reason: string): void {
    if (this.state !== 'MASTER') return;
    this.leaveMaster();
    this.masterAdvertIntCs = this.cfg.advertIntCs;
    this.enterBackup(reason);
  }

  private arm(ms: number): void {
    this.disarm();
    this.timerDueAt = this.clock.now() + ms;
    this.timer = this.clock.setTimer(() => this.onTimer(), ms);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private enter(to: VrrpState, reason: string): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    if (to === 'FAULT' || to === 'STOP') this.disarm();
    this.act.stateChanged(from, to, reason);
  }
}
