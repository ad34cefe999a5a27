/**
 * Notify scripts with keepalived's arguments (keepalived/vrrp/vrrp_notify.c): on a transition of an
 * instance to MASTER, BACKUP, FAULT or STOP, `notify_<state>` runs first, then `notify` with four
 * more arguments `INSTANCE NAME STATE PRIORITY`. A sync group whose members all reach the same
 * state runs the group's scripts (`GROUP NAME STATE 0`: keepalived gives groups priority 0).
 * Scripts are started in order without waiting (as keepalived forks them), run without a shell,
 * never throw: a failure to start, a non-zero status or a kill is logged. STOP scripts are killed
 * after 1 s, as keepalived does so that shutdown is not held up. `drain()` waits for the running ones.
 * With notify_fifo, the same transitions are written to the FIFO (fifo.ts).
 */
import { spawn } from 'node:child_process';
import type { KeepalivedConf, NotifyCommand, NotifyHooks } from '../conf/model.ts';
import { type RunAs, resolveRunAs } from '../track/run-as.ts';
import type { NotifyFifos } from './fifo.ts';

/** The part of a state change the notifier needs (the Sidecar's StateChange fits). */
export interface NotifyChange {
  instance: string;
  to: string;
  priority: number;
}

/** Anything that reports state changes (the Sidecar). */
export interface NotifySource {
  onStateChange(fn: (c: NotifyChange) => void): void;
  /** A MASTER received a lower-priority advert (notify_master_rx_lower_pri). */
  onMasterRxLowerPri?(fn: (instance: string, priority: number) => void): void;
}

/** Options of the notifier. */
export interface NotifierOptions {
  log?: (msg: string) => void;
  /** Scripts still running after this long are killed (keepalived never kills them; default 0 = never). */
  killAfterMs?: number;
  /** notify_fifo / vrrp_notify_fifo: every notified state is written there too. */
  fifo?: NotifyFifos;
}

const NOTIFIED = new Set(['MASTER', 'BACKUP', 'FAULT', 'STOP']);

/** keepalived runs STOP notifies with a 1 s timer (system_call_script(..., TIMER_HZ, ...)). */
const STOP_KILL_MS = 1000;

/** Runs notify scripts for one config. */
export class Notifier {
  private readonly running = new Set<Promise<void>>();
  private readonly memberState = new Map<string, string>();
  private readonly groupState = new Map<string, string>();
  private readonly log: (msg: string) => void;

  constructor(
    readonly conf: KeepalivedConf,
    private readonly opts: NotifierOptions = {},
  ) {
    this.log = opts.log ?? (() => {});
  }

  /** Subscribes to `source`. */
  attach(source: NotifySource): this {
    source.onStateChange((c) => this.handle(c));
    source.onMasterRxLowerPri?.((instance, priority) => this.rxLowerPri(instance, priority));
    return this;
  }

  /** keepalived's send_event_notify(): the notify_master_rx_lower_pri script, and the FIFO line. */
  rxLowerPri(instance: string, priority: number): void {
    const inst = this.conf.instances.find((i) => i.name === instance);
    if (!inst) return;
    const hook = inst.notify.masterRxLowerPri;
    if (hook) this.run(hook, hook.argv, `(${instance}) notify_master_rx_lower_pri`, this.opts.killAfterMs ?? 0);
    this.opts.fifo?.write('INSTANCE', instance, 'MASTER_RX_LOWER_PRI', priority);
  }

  /** Runs the scripts for one transition (returns at once). */
  handle(c: NotifyChange): void {
    if (!NOTIFIED.has(c.to)) return;
    const inst = this.conf.instances.find((i) => i.name === c.instance);
    if (!inst) return;
    this.fire('INSTANCE', inst.name, inst.notify, c.to, c.priority);
    if (!inst.syncGroup) return;
    const group = this.conf.syncGroups.find((g) => g.name === inst.syncGroup);
    if (!group) return;
    this.memberState.set(inst.name, c.to);
    const all = group.group.every((m) => this.memberState.get(m) === c.to);
    if (all && this.groupState.get(group.name) !== c.to) {
      this.groupState.set(group.name, c.to);
      this.fire('GROUP', group.name, group.notify, c.to, 0);
    }
  }

  /** Waits until every started script has ended. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private fire(kind: 'INSTANCE' | 'GROUP', name: string, hooks: NotifyHooks, state: string, priority: number): void {
    const specific = hooks[state.toLowerCase() as 'master' | 'backup' | 'fault' | 'stop'];
    const killAfter = state === 'STOP' ? STOP_KILL_MS : (this.opts.killAfterMs ?? 0);
    this.opts.fifo?.write(kind, name, state, priority);
    if (specific) this.run(specific, specific.argv, `(${name}) notify_${state.toLowerCase()}`, killAfter);
    if (hooks.any) {
      const argv = [...hooks.any.argv, kind, name, state, String(priority)];
      this.run(hooks.any, argv, `(${name}) notify`, killAfter);
    }
  }

  private run(hook: NotifyCommand, argv: string[], what: string, killAfter: number): void {
    const who = hook.user ?? this.conf.globalDefs.scriptUser;
    let runAs: RunAs | undefined;
    if (who) {
      const r = resolveRunAs(who.user, who.group);
      if (typeof r === 'string') {
        this.log(`${what} ${hook.command}: ${r} - not run`);
        return;
      }
      runAs = r;
    }
    const p = new Promise<void>((resolve) => {
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn(argv[0], argv.slice(1), {
          stdio: 'ignore',
          ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
        });
      } catch (e) {
        this.log(`${what} ${hook.command}: cannot run: ${(e as Error).message}`);
        resolve();
        return;
      }
      const timer = killAfter > 0 ? setTimeout(() => child.kill('SIGKILL'), killAfter) : undefined;
      child.on('error', (e) => {
        clearTimeout(timer);
        this.log(`${what} ${hook.command}: cannot run: ${e.message}`);
        resolve();
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) {
          this.log(`${what} ${hook.command} ${code !== null ? `exited with status ${code}` : `killed by ${signal}`}`);
        }
        resolve();
      });
    });
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }
}
