/**
 * vrrp_track_process: how many processes match, against a quorum, as keepalived 2.2.7 does it
 * (keepalived/core/track_process.c). keepalived follows forks and exits through the netlink proc
 * connector; Switchyard scans /proc (every pollMs, async reads) and applies the same rules:
 * - match on the comm name from /proc/PID/stat (zombies skipped), or with full_command / params
 *   on /proc/PID/cmdline: argv[0] equal to `process`, then the arguments: exact (the same words),
 *   partial (the real words start with the configured words) or initial (the same, the last
 *   configured word may be a prefix of the real one), reading at most the longest configured command line + 1 byte, as keepalived;
 * - quorum gained when quorum <= count <= quorum_max, after fork_delay; lost after terminate_delay;
 *   a change back before the delay ends cancels it.
 * Weights: weight > 0 adds weight (x -1 when reverse) while in quorum, weight < 0 adds it while
 * not; weight 0: no quorum is FAULT (reverse: quorum is FAULT).
 */
import { readdir, readFile } from 'node:fs/promises';
import type { VrrpTrackProcess } from '../conf/model.ts';
import { PollingTracker } from './tracker.ts';

/** What one instance gets from a process tracker's quorum (keepalived's process_update_track_process_status). */
export function trackProcessEffect(
  quorum: boolean,
  weight: number,
  reverse: boolean,
): { delta: number; fault: boolean } {
  if (weight === 0) return { delta: 0, fault: quorum === reverse };
  return { delta: weight > 0 === quorum ? weight * (reverse ? -1 : 1) : 0, fault: false };
}

/** The process's argument bytes as keepalived keeps them: each word followed by a NUL. */
function paramBytes(params: readonly string[]): Buffer {
  return Buffer.concat(params.map((p) => Buffer.from(`${p}\0`)));
}

/** keepalived's check_params over the cmdline bytes after argv[0]. */
export function paramsMatch(p: VrrpTrackProcess, actual: Buffer): boolean {
  const want = paramBytes(p.params);
  if (p.paramMatch === 'exact' && want.length === 0 && actual.length === 0) return true;
  if (actual.length < want.length) return false;
  if (p.paramMatch === 'exact') return actual.length === want.length && actual.equals(want);
  if (want.length === 0) return true;
  if (p.paramMatch === 'partial') return actual.subarray(0, want.length).equals(want);
  // initial: the last configured word may be a prefix of the real one (its NUL not compared).
  return want.length === 1 || actual.subarray(0, want.length - 1).equals(want.subarray(0, want.length - 1));
}

/** keepalived's vrrp_max_process_name_len over every tracked process. */
function maxNameLen(all: readonly VrrpTrackProcess[]): number {
  return Math.max(0, ...all.map((p) => Buffer.byteLength(p.process) + 1 + paramBytes(p.params).length));
}

/** One /proc pass: matching process counts for every tracker, in their order. */
export async function countProcesses(all: readonly VrrpTrackProcess[], procDir = '/proc'): Promise<number[]> {
  const counts = all.map(() => 0);
  const useComm = all.some((p) => !p.fullCommand);
  const useCmdline = all.some((p) => p.fullCommand);
  const maxLen = maxNameLen(all) + 1;
  let pids: string[];
  try {
    pids = (await readdir(procDir)).filter((d) => /^[1-9]\d*$/.test(d));
  } catch {
    return counts;
  }
  await Promise.all(
    pids.map(async (pid) => {
      let cmd = Buffer.alloc(0);
      let comm = '';
      try {
        if (useCmdline) cmd = (await readFile(`${procDir}/${pid}/cmdline`)).subarray(0, maxLen);
        if (useComm) {
          const stat = (await readFile(`${procDir}/${pid}/stat`, 'latin1')).slice(0, 127);
          const open = stat.indexOf('(', 2);
          const close = open < 0 ? -1 : stat.indexOf(')', open);
          if (close < 0 || stat[close + 2] === 'Z') return;
          comm = stat.slice(open + 1, close);
        }
      } catch {
        return; // The process exited meanwhile.
      }
      const nul = cmd.indexOf(0);
      const argv0 = (nul < 0 ? cmd : cmd.subarray(0, nul)).toString();
      const rest = nul < 0 ? Buffer.alloc(0) : cmd.subarray(nul + 1);
      all.forEach((p, i) => {
        if ((p.fullCommand ? argv0 : comm) !== p.process) return;
        if (p.paramMatch !== 'none' && !paramsMatch(p, rest)) return;
        counts[i]++;
      });
    }),
  );
  return counts;
}

/** One vrrp_track_process: `ok` is "in quorum"; the weights go through trackProcessEffect. */
export class ProcessTracker extends PollingTracker {
  readonly label: string;
  count = 0;
  private timer?: NodeJS.Timeout;
  private delayed?: boolean;
  private readonly log: (msg: string) => void;

  constructor(
    readonly conf: VrrpTrackProcess,
    /** Every tracked process of the config: the cmdline read length depends on all of them. */
    private readonly all: readonly VrrpTrackProcess[],
    private readonly opts: { log?: (msg: string) => void; pollMs?: number; procDir?: string } = {},
  ) {
    super(false);
    this.label = `track_process ${conf.name}`;
    this.log = opts.log ?? (() => {});
  }

  /** This tracker's contribution to one instance. */
  effect(weight: number, reverse: boolean): { delta: number; fault: boolean } {
    return trackProcessEffect(this.ok, weight, reverse);
  }

  private inQuorum(n: number): boolean {
    return n >= this.conf.quorum && n <= this.conf.quorumMax;
  }

  /** The first scan, applied at once (keepalived's initialise_process_tracking_priorities). */
  async poll(): Promise<void> {
    this.count = (await countProcesses(this.all, this.opts.procDir))[this.all.indexOf(this.conf)];
    this.ok = this.inQuorum(this.count);
  }

  /** Feeds one scan result through keepalived's fork/terminate delays. */
  observe(n: number): void {
    this.count = n;
    const want = this.inQuorum(n);
    if (want === this.ok) {
      // Back where we were before the delay ran out: keepalived cancels the pending timer.
      clearTimeout(this.timer);
      this.timer = undefined;
      this.delayed = undefined;
      return;
    }
    if (this.delayed === want) return;
    clearTimeout(this.timer);
    const delayS = want ? this.conf.forkDelayS : this.conf.terminateDelayS;
    if (delayS <= 0) {
      this.decide(want);
      return;
    }
    this.delayed = want;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.delayed = undefined;
      this.decide(this.inQuorum(this.count));
    }, delayS * 1000);
  }

  private decide(q: boolean): void {
    if (q === this.ok) return;
    this.log(`Quorum ${q ? 'gained' : 'lost'} for tracked process ${this.conf.name}`);
    this.set(q, `${this.label}: ${this.count} process(es), quorum ${this.conf.quorum}`);
  }

  protected get intervalMs(): number {
    return this.opts.pollMs ?? 500;
  }

  protected async probe(): Promise<void> {
    // Scans with all trackers' lengths, so a long configured command line elsewhere cannot change matches.
    const c = await countProcesses(this.all, this.opts.procDir);
    if (!this.stopped) this.observe(c[this.all.indexOf(this.conf)]);
  }

  override async stop(): Promise<void> {
    clearTimeout(this.timer);
    await super.stop();
  }
}
