/**
 * The VRRP sidecar: runs every vrrp_instance of a keepalived.conf model, ties sync groups
 * together (FAULT), reports state changes to listeners (notify scripts, trackers) and to the
 * local Switchyard proxy, and on stop sends priority 0 and removes VIPs.
 */
import type { KeepalivedConf } from './conf/model.ts';
import { type Clock, realClock } from './fsm/clock.ts';
import { InstanceConfigError, InstanceRunner, instanceSpec } from './fsm/instance.ts';
import type { VrrpState } from './fsm/machine.ts';
import { SyncGroup } from './fsm/sync-group.ts';
import { reportVrrpState } from './transport/proxy-report.ts';
import { noAcceptFirewall } from './vip/no-accept.ts';
import { routeObject, ruleObject } from './vip/routes.ts';
import { VipSet } from './vip/vips.ts';

/** keepalived's interface for an address without `dev` (DFLT_INT). */
const DEFAULT_INTERFACE = 'eth0';

/** `static_ipaddress`, `static_routes`, `static_rules`: held from start to stop, no GARP (keepalived). */
function staticSet(conf: KeepalivedConf, log: (m: string) => void): VipSet {
  const vips = conf.staticAddresses.map((a) => ({
    address: a.address,
    prefix: a.prefix,
    dev: a.dev ?? DEFAULT_INTERFACE,
    label: a.label,
    brd: a.brd,
    scope: a.scope,
  }));
  const objs = [...conf.staticRoutes.map(routeObject), ...conf.staticRules.map(ruleObject)];
  return new VipSet('static', vips, { delayS: 0, repeat: 0, refreshS: 0, refreshRepeat: 0 }, log, objs);
}

const noLoc = (x: unknown) => JSON.stringify(x, (k, v) => (k === 'loc' ? undefined : v));
const staticKey = (c: KeepalivedConf) => noLoc([c.staticAddresses, c.staticRoutes, c.staticRules]);

/** The static entries of `old` that `next` no longer has. */
function staticGone(old: KeepalivedConf, next: KeepalivedConf): KeepalivedConf {
  const gone = <T>(a: T[], b: T[]) => {
    const keep = new Set(b.map(noLoc));
    return a.filter((x) => !keep.has(noLoc(x)));
  };
  return {
    ...old,
    staticAddresses: gone(old.staticAddresses, next.staticAddresses),
    staticRoutes: gone(old.staticRoutes, next.staticRoutes),
    staticRules: gone(old.staticRules, next.staticRules),
  };
}

/** A state change of one instance. */
export interface StateChange {
  instance: string;
  from: VrrpState;
  to: VrrpState;
  /** Effective priority at the time of the change. */
  priority: number;
  reason: string;
  /** The sync group the instance belongs to, if any. */
  group?: string;
}

export interface SidecarOptions {
  /** One log line (no newline). Default: stderr with a timestamp. */
  log?: (msg: string) => void;
  /** Detailed logging (-D). */
  detail?: boolean;
  clock?: Clock;
}

/** What a reload did, by instance name. */
export interface ReloadResult {
  kept: string[];
  /** Kept, with only the priority changed (applied in place): `NAME OLD->NEW`. */
  reprioritized: string[];
  stopped: string[];
  started: string[];
  /** Instances of the new config that could not start (interface missing...), with the reason. */
  failed: string[];
}

/** Runs the instances of one config. */
export class Sidecar {
  readonly instances: InstanceRunner[] = [];
  private listeners: ((c: StateChange) => void)[] = [];
  private rxLowerListeners: ((instance: string, priority: number) => void)[] = [];
  private readonly log: (msg: string) => void;
  private readonly detail: boolean;
  private readonly clock: Clock;
  private groupOf = new Map<string, string>();
  private syncOf = new Map<string, SyncGroup>();
  private reportChain: Promise<void> = Promise.resolve();
  /** Latest state per instance not yet accepted by the proxy; retried every 2 s (proxy may start later). */
  private unreported = new Map<string, VrrpState>();
  private reportRetry?: NodeJS.Timeout;
  private reportFailing = false;
  private stopped = false;
  private started = false;
  private _conf: KeepalivedConf;
  private statics: VipSet;

  /** Builds runners for every instance; throws InstanceConfigError listing every instance that cannot run. */
  constructor(conf: KeepalivedConf, opts: SidecarOptions = {}) {
    this._conf = conf;
    this.log = opts.log ?? ((m) => process.stderr.write(`${new Date().toISOString()} vrrp: ${m}\n`));
    this.detail = opts.detail ?? false;
    this.clock = opts.clock ?? realClock;
    this.instances.push(...this.buildRunners(conf));
    this.buildGroups();
    this.statics = staticSet(conf, this.log);
  }

  /** The config currently applied. */
  get conf(): KeepalivedConf {
    return this._conf;
  }

  /** One runner per instance of `conf`; throws InstanceConfigError naming every instance that cannot run. */
  private buildRunners(conf: KeepalivedConf): InstanceRunner[] {
    const errors: string[] = [];
    const out: InstanceRunner[] = [];
    for (const inst of conf.instances) {
      const spec = instanceSpec(inst, conf.globalDefs);
      if (spec instanceof InstanceConfigError) {
        errors.push(spec.message);
        continue;
      }
      const events = {
        log: this.log,
        debug: (m: string) => {
          if (this.detail) this.log(m);
        },
        stateChanged: (r: InstanceRunner, from: VrrpState, to: VrrpState, reason: string) =>
          this.changed(r, from, to, reason),
        masterRxLower: (r: InstanceRunner, prio: number) => {
          for (const fn of this.rxLowerListeners) fn(r.spec.name, prio);
        },
      };
      out.push(new InstanceRunner(spec, events, this.clock));
    }
    if (errors.length) throw new InstanceConfigError('VRRP_CONFIG', errors.join('\n'));
    return out;
  }

  /** (Re)builds the sync groups of the current config over the current runners. */
  private buildGroups(): void {
    this.groupOf = new Map();
    this.syncOf = new Map();
    for (const r of this.instances) r.machine.gate = undefined;
    for (const g of this._conf.syncGroups) {
      for (const name of g.group) this.groupOf.set(name, g.name);
      const members = this.instances.filter((r) => g.group.includes(r.spec.name));
      if (members.length < 2) continue;
      const sg = new SyncGroup(
        g.name,
        members.map((r) => r.machine),
      );
      for (const r of members) this.syncOf.set(r.spec.name, sg);
    }
  }

  /**
   * Applies a new config (SIGHUP): instances whose settings are unchanged keep running and keep
   * their state; a changed priority (not to or from 255) is applied in place, as keepalived does;
   * removed ones stop (priority 0 if MASTER, VIPs removed); otherwise changed or new ones start
   * fresh. Nothing changes if the new config has an instance that cannot run (throws).
   */
  async reload(conf: KeepalivedConf): Promise<ReloadResult> {
    const fresh = this.buildRunners(conf);
    const key = (r: InstanceRunner) => JSON.stringify(r.spec);
    const keyButPriority = (r: InstanceRunner) => JSON.stringify({ ...r.spec, priority: 0 });
    const oldByName = new Map(this.instances.map((r) => [r.spec.name, r]));
    const result: ReloadResult = { kept: [], reprioritized: [], stopped: [], started: [], failed: [] };
    const next: InstanceRunner[] = [];
    const toStart: InstanceRunner[] = [];
    for (const r of fresh) {
      const old = oldByName.get(r.spec.name);
      if (old && key(old) === key(r)) {
        next.push(old);
        result.kept.push(r.spec.name);
        oldByName.delete(r.spec.name);
      } else if (
        old &&
        keyButPriority(old) === keyButPriority(r) &&
        old.spec.priority !== 255 &&
        r.spec.priority !== 255
      ) {
        // Only the priority changed: keep the state and let the election follow (keepalived).
        result.reprioritized.push(`${r.spec.name} ${old.spec.priority}->${r.spec.priority}`);
        old.setBasePriority(r.spec.priority);
        next.push(old);
        result.kept.push(r.spec.name);
        oldByName.delete(r.spec.name);
      } else {
        toStart.push(r);
      }
    }
    // Stop what goes away or changes before starting replacements (same VRID, same VIPs).
    await Promise.all(
      [...oldByName.values()].map(async (r) => {
        result.stopped.push(r.spec.name);
        await r.stop();
      }),
    );
    if (staticKey(conf) !== staticKey(this._conf)) {
      // keepalived's clear_diff_static_*(): entries gone from the file are removed, the others stay.
      await staticSet(staticGone(this._conf, conf), this.log).release();
      this.statics = staticSet(conf, this.log);
      await this.statics.acquire();
    }
    this._conf = conf;
    this.instances.splice(0, this.instances.length, ...next);
    for (const r of toStart) {
      try {
        r.start();
        this.instances.push(r);
        result.started.push(r.spec.name);
      } catch (err) {
        result.failed.push(`${r.spec.name}: ${(err as Error).message}`);
        this.log(`(${r.spec.name}) cannot start after reload: ${(err as Error).message}`);
      }
    }
    this.buildGroups();
    return result;
  }

  /** Drops every state-change subscriber (before re-attaching notify scripts after a reload). */
  clearStateListeners(): void {
    this.listeners = [];
    this.rxLowerListeners = [];
  }

  /** Subscribes to "MASTER received a lower priority" events (notify_master_rx_lower_pri, notify_fifo). */
  onMasterRxLowerPri(fn: (instance: string, priority: number) => void): void {
    this.rxLowerListeners.push(fn);
  }

  /** Subscribes to state changes (notify scripts, tests). */
  onStateChange(fn: (c: StateChange) => void): void {
    this.listeners.push(fn);
  }

  /** The runner of instance `name`. */
  instance(name: string): InstanceRunner | undefined {
    return this.instances.find((r) => r.spec.name === name);
  }

  /** Opens every socket and starts every election; on error, stops what was started and rethrows. */
  start(): void {
    if (this.started) return;
    this.started = true;
    // Static addresses, routes and rules first, as keepalived adds them before any instance runs.
    void this.statics.acquire();
    const done: InstanceRunner[] = [];
    try {
      for (const r of this.instances) {
        r.start();
        done.push(r);
      }
    } catch (err) {
      for (const r of done) void r.stop();
      void this.statics.release();
      throw err;
    }
  }

  /** Sets an instance's effective priority (trackers: base priority plus weights). */
  setEffectivePriority(instance: string, priority: number): void {
    this.instance(instance)?.machine.setEffectivePriority(priority);
  }

  /** Puts an instance (and its sync group) in or out of FAULT. */
  setFault(instance: string, fault: boolean, reason: string): void {
    const group = this.groupOf.get(instance);
    const names = group ? [...this.groupOf].filter(([, g]) => g === group).map(([n]) => n) : [instance];
    for (const n of names)
      this.instance(n)?.machine.setFault(fault, n === instance ? reason : `sync group ${group}: ${reason}`);
  }

  /** Stops every instance: priority 0 from masters, VIPs removed, sockets closed. */
  async stop(): Promise<void> {
    await Promise.all(this.instances.map((r) => r.stop()));
    if (this.started) await this.statics.release();
    for (const e of await noAcceptFirewall.destroy()) this.log(`cannot remove the no_accept table: ${e}`);
    this.stopped = true;
    this.flushReports();
    await this.reportChain;
    clearTimeout(this.reportRetry);
  }

  /** Sends every unreported state, in order, one connection at a time; on failure retries in 2 s. */
  private flushReports(): void {
    const sock = this.conf.globalDefs.switchyardSocket;
    if (!sock) return;
    this.reportChain = this.reportChain.then(async () => {
      for (const [instance, state] of [...this.unreported]) {
        const err = await reportVrrpState(sock, instance, state);
        if (err) {
          // Logged once per outage, not on every retry.
          if (!this.reportFailing) this.log(`(${instance}) ${err} (retrying every 2 s)`);
          this.reportFailing = true;
          if (!this.stopped && !this.reportRetry) {
            this.reportRetry = setTimeout(() => {
              this.reportRetry = undefined;
              this.flushReports();
            }, 2000);
          }
          return;
        }
        if (this.reportFailing) this.log(`(${instance}) runtime API ${sock} reachable again: state ${state} reported`);
        this.reportFailing = false;
        if (this.unreported.get(instance) === state) this.unreported.delete(instance);
      }
    });
  }

  private changed(r: InstanceRunner, from: VrrpState, to: VrrpState, reason: string): void {
    const change: StateChange = {
      instance: r.spec.name,
      from,
      to,
      priority: r.machine.effectivePriority,
      reason,
      group: this.groupOf.get(r.spec.name),
    };
    for (const fn of this.listeners) {
      try {
        fn(change);
      } catch (err) {
        this.log(`(${r.spec.name}) state listener failed: ${(err as Error).message}`);
      }
    }
    if (this.conf.globalDefs.switchyardSocket) {
      this.unreported.set(r.spec.name, to);
      this.flushReports();
    }
    // After this member's own change is out, so the others' forced changes follow it in the logs.
    this.syncOf.get(r.spec.name)?.changed(r.machine, from, to);
  }
}
