/**
 * vrrp_script runner: runs the command every `interval` seconds (never two at once), kills it after
 * `timeout` (a timeout is a failure, as in keepalived), and applies rise/fall. Exit status 0 = success.
 * No shell: argv is executed directly, like keepalived 2.x.
 */
import { spawn } from 'node:child_process';
import type { VrrpScript } from '../conf/model.ts';
import { type RunAs, resolveRunAs } from './run-as.ts';
import { PollingTracker, RiseFall } from './tracker.ts';

/** Options of a script tracker. */
export interface ScriptTrackerOptions {
  log?: (msg: string) => void;
  /** Global `script_user` (used when the script has no `user`). */
  scriptUser?: { user: string; group?: string };
}

/** Outcome of one run. */
export interface ScriptRun {
  success: boolean;
  /** Exit code, or undefined when killed or not started. */
  code?: number;
  /** Killed for running past its timeout. */
  timedOut?: boolean;
  detail: string;
}

/** Runs argv once with a timeout; never rejects. */
export function runOnce(argv: string[], timeoutMs: number, runAs?: RunAs): Promise<ScriptRun> {
  return new Promise((resolveRun) => {
    let settled = false;
    const done = (r: ScriptRun) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolveRun(r);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(argv[0], argv.slice(1), {
        stdio: 'ignore',
        detached: true,
        ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      });
    } catch (e) {
      resolveRun({ success: false, detail: `cannot run: ${(e as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      // Kill the whole process group: a shell script's children must not linger.
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {}
      done({ success: false, timedOut: true, detail: `timed out after ${timeoutMs / 1000}s` });
    }, timeoutMs);
    child.on('error', (e) => done({ success: false, detail: `cannot run: ${e.message}` }));
    child.on('exit', (code, signal) => {
      if (code === 0) done({ success: true, code, detail: 'exited with status 0' });
      else if (code !== null) done({ success: false, code, detail: `exited with status ${code}` });
      else done({ success: false, detail: `killed by ${signal}` });
    });
  });
}

/** Tracker for one vrrp_script (shared by every instance that tracks it). */
export class ScriptTracker extends PollingTracker {
  readonly label: string;
  private readonly counter: RiseFall;
  private readonly log: (msg: string) => void;
  private readonly runAs: RunAs | undefined;
  private runAsError: string | undefined;

  constructor(
    readonly script: VrrpScript,
    opts: ScriptTrackerOptions = {},
  ) {
    super(false, !script.initFail);
    this.label = `script ${script.name}`;
    this.counter = new RiseFall(script.rise, script.fall, script.initFail);
    this.log = opts.log ?? (() => {});
    const who = script.user ?? opts.scriptUser;
    const r = who ? resolveRunAs(who.user, who.group) : undefined;
    if (typeof r === 'string') this.runAsError = r;
    else this.runAs = r;
  }

  protected get intervalMs(): number {
    return this.script.interval * 1000;
  }

  protected async probe(): Promise<void> {
    const r: ScriptRun = this.runAsError
      ? { success: false, detail: this.runAsError }
      : await runOnce(this.script.argv, this.script.timeout * 1000, this.runAs);
    if (this.stopped) return;
    const was = this.ok;
    const wasPending = this.pending;
    const ok = this.counter.record(r.success);
    if (ok !== was || (wasPending && !this.counter.pending)) {
      const what = ok ? 'succeeded' : r.timedOut ? 'timed_out' : `failed (${r.detail})`;
      this.log(`VRRP_Script(${this.script.name}) ${what}`);
      this.set(ok, `${this.label} ${what}`, this.counter.pending);
    }
  }
}
