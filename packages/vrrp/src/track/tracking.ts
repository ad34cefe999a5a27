/**
 * Wires trackers to the sidecar: one tracker per vrrp_script, track_file and vrrp_track_process (shared, as keepalived
 * runs each script once and reads each file once), per tracked interface (the instance's own interface included unless dont_track_primary)
 * and per track_proxy. For every instance it computes keepalived's effective priority (base +
 * weights, clamped 1..254; 255 untouched) and FAULT (a failing weight-0 tracker, or the own
 * interface down), and pushes both through `TrackTarget`. Sync group trackers apply to every member.
 */
import type { KeepalivedConf, TrackRef, VrrpInstance } from '../conf/model.ts';
import { FileTracker } from './file.ts';
import { InterfaceTracker, type InterfaceTrackerOptions } from './interface.ts';
import { ProcessTracker } from './process.ts';
import { ProxyTracker } from './proxy.ts';
import { ScriptTracker } from './script.ts';
import { isWeighted, type Tracker } from './tracker.ts';
import { effectivePriority, trackerDelta, trackerFaults } from './weight.ts';

/** What the trackers drive (the Sidecar implements it). */
export interface TrackTarget {
  setEffectivePriority(instance: string, priority: number): void;
  setFault(instance: string, fault: boolean, reason: string): void;
}

/** Options of startTracking. */
export interface TrackingOptions {
  log?: (msg: string) => void;
  /** Interface polling (tests point netDir elsewhere). */
  interfaces?: InterfaceTrackerOptions;
  /** /proc scan period for track_process (default 500 ms). */
  processes?: { pollMs?: number };
}

interface Binding {
  tracker: Tracker;
  weight: number;
  reverse: boolean;
  /** Own interface: down means FAULT whatever the weight. */
  primary?: boolean;
}

/** Running trackers; `stop()` ends every probe. */
export class Tracking {
  readonly trackers: Tracker[] = [];
  private readonly bindings = new Map<string, Binding[]>();
  private readonly last = new Map<string, string>();
  private started = false;

  constructor(
    private readonly conf: KeepalivedConf,
    private readonly target: TrackTarget,
    opts: TrackingOptions = {},
  ) {
    const files = new Map<string, FileTracker>();
    const procs = new Map<string, ProcessTracker>();
    const scripts = new Map<string, ScriptTracker>();
    const ifaces = new Map<string, InterfaceTracker>();
    const log = opts.log ?? (() => {});
    const scriptTracker = (name: string) => {
      const s = conf.scripts.find((x) => x.name === name && !x.disabled);
      if (!s) return undefined;
      let t = scripts.get(name);
      if (!t) {
        t = new ScriptTracker(s, { log, scriptUser: conf.globalDefs.scriptUser });
        scripts.set(name, t);
        this.trackers.push(t);
      }
      return t;
    };
    const ifaceTracker = (name: string) => {
      let t = ifaces.get(name);
      if (!t) {
        t = new InterfaceTracker(name, { log, ...opts.interfaces });
        ifaces.set(name, t);
        this.trackers.push(t);
      }
      return t;
    };
    for (const inst of conf.instances) {
      const list: Binding[] = [];
      const group = conf.syncGroups.find((g) => g.name === inst.syncGroup);
      const scriptRefs: TrackRef[] = [...inst.trackScripts, ...(group?.trackScripts ?? [])];
      for (const r of scriptRefs) {
        const t = scriptTracker(r.name);
        const s = conf.scripts.find((x) => x.name === r.name)!;
        if (t) list.push({ tracker: t, weight: r.weight ?? s.weight, reverse: r.weightReverse ?? s.weightReverse });
      }
      for (const r of inst.trackFiles) {
        const f = conf.trackFiles.find((x) => x.name === r.name);
        if (!f) continue;
        let t = files.get(f.name);
        if (!t) {
          t = new FileTracker(f, { log });
          files.set(f.name, t);
          this.trackers.push(t);
        }
        list.push({ tracker: t, weight: r.weight ?? f.weight, reverse: r.weightReverse ?? f.weightReverse });
      }
      for (const r of inst.trackProcesses) {
        const p = conf.trackProcesses.find((x) => x.name === r.name);
        if (!p) continue;
        let t = procs.get(p.name);
        if (!t) {
          t = new ProcessTracker(p, conf.trackProcesses, { log, ...opts.processes });
          procs.set(p.name, t);
          this.trackers.push(t);
        }
        list.push({ tracker: t, weight: r.weight ?? p.weight, reverse: r.weightReverse ?? p.weightReverse });
      }
      for (const r of [...inst.trackInterfaces, ...(group?.trackInterfaces ?? [])]) {
        list.push({ tracker: ifaceTracker(r.name), weight: r.weight ?? 0, reverse: r.weightReverse ?? false });
      }
      if (inst.interface && !inst.dontTrackPrimary) {
        list.push({ tracker: ifaceTracker(inst.interface), weight: 0, reverse: false, primary: true });
      }
      if (inst.trackProxy?.socket) {
        const p = new ProxyTracker({ ...inst.trackProxy, socket: inst.trackProxy.socket }, { log });
        this.trackers.push(p);
        list.push({ tracker: p, weight: inst.trackProxy.weight, reverse: inst.trackProxy.weightReverse });
      }
      this.bindings.set(inst.name, list);
    }
    for (const t of this.trackers) t.on('change', () => this.started && this.apply());
  }

  /** The effective priority and fault state of one instance from its trackers' current states. */
  evaluate(inst: VrrpInstance): { priority: number; fault: boolean; reason: string } {
    let delta = 0;
    const faults: string[] = [];
    for (const b of this.bindings.get(inst.name) ?? []) {
      if (isWeighted(b.tracker)) {
        const e = b.tracker.effect(b.weight, b.reverse);
        if (e?.fault)
          faults.push(
            `${b.tracker.label} ${b.tracker instanceof FileTracker ? `value ${b.tracker.value}` : b.tracker.ok ? 'in quorum (reverse)' : 'without quorum'}`,
          );
        delta += e?.delta ?? 0;
        continue;
      }
      if (b.tracker.pending) {
        // keepalived applies nothing until the first result; an unweighted one holds the instance.
        if (b.weight === 0) faults.push(`${b.tracker.label} has not reported yet`);
        continue;
      }
      if (b.primary ? !b.tracker.ok : trackerFaults(b.weight, b.reverse, b.tracker.ok)) {
        faults.push(`${b.tracker.label} ${b.tracker.ok ? 'OK (reverse)' : 'failing'}`);
      }
      if (!b.primary) delta += trackerDelta(b.weight, b.reverse, b.tracker.ok);
    }
    return {
      priority: effectivePriority(inst.priority, delta),
      fault: faults.length > 0,
      reason: faults.length ? faults.join(', ') : 'all trackers OK',
    };
  }

  /** Pushes every instance's current state to the target (sync groups: any member fault faults all). */
  apply(): void {
    const byGroup = new Map<string, { fault: boolean; reason: string }>();
    const states = this.conf.instances.map((inst) => ({ inst, ...this.evaluate(inst) }));
    for (const s of states) {
      if (!s.inst.syncGroup || !s.fault) continue;
      if (!byGroup.has(s.inst.syncGroup))
        byGroup.set(s.inst.syncGroup, { fault: true, reason: `${s.inst.name}: ${s.reason}` });
    }
    for (const s of states) {
      const g = s.inst.syncGroup ? byGroup.get(s.inst.syncGroup) : undefined;
      const fault = g ? g.fault : s.fault;
      const reason = g ? g.reason : s.reason;
      const key = `${s.priority}|${fault}|${reason}`;
      if (this.last.get(s.inst.name) === key) continue;
      this.last.set(s.inst.name, key);
      this.target.setEffectivePriority(s.inst.name, s.priority);
      this.target.setFault(s.inst.name, fault, reason);
    }
  }

  /**
   * Takes a first reading of every interface, starts every probe, waits (bounded) until the pending
   * script and proxy trackers are decided, as keepalived holds an instance in INIT until then, and
   * pushes the initial state. A tracker still undecided after the bound counts as failing.
   */
  async start(): Promise<void> {
    await Promise.all(
      this.trackers.map((t) =>
        t instanceof InterfaceTracker || t instanceof FileTracker || t instanceof ProcessTracker ? t.poll() : undefined,
      ),
    );
    for (const t of this.trackers) t.start();
    const boundMs = Math.max(0, ...this.trackers.map((t) => initialBoundMs(t)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.trackers.map((t) => t.settled())),
      new Promise<void>((r) => {
        timer = setTimeout(r, boundMs);
      }),
    ]);
    clearTimeout(timer);
    this.started = true;
    this.apply();
  }

  /** Stops every probe and waits for running ones. */
  async stop(): Promise<void> {
    await Promise.all(this.trackers.map((t) => t.stop()));
  }
}

/** Builds and starts the trackers of `conf` driving `target`. */
export async function startTracking(
  conf: KeepalivedConf,
  target: TrackTarget,
  opts: TrackingOptions = {},
): Promise<Tracking> {
  const t = new Tracking(conf, target, opts);
  await t.start();
  return t;
}

/** How long the first decision of a tracker may take: rise runs of interval, plus its timeout. */
function initialBoundMs(t: Tracker): number {
  if (t instanceof ScriptTracker) {
    const s = t.script;
    return ((s.rise - 1) * s.interval + s.timeout) * 1000 + 1000;
  }
  if (t instanceof ProxyTracker) {
    const p = t.conf;
    return ((p.rise - 1) * p.interval + p.timeout) * 1000 + 1000;
  }
  return 0;
}
