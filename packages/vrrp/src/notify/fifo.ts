/**
 * `notify_fifo` / `vrrp_notify_fifo` (keepalived lib/notify.c, vrrp_notify.c): every state change
 * is written to a FIFO as one line, `INSTANCE "VI_1" MASTER 100` (the effective priority) or
 * `GROUP "VG_1" BACKUP 0`, plus `INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100` when a MASTER hears a
 * lower priority. As keepalived: the FIFO is created (mode 0644) when missing and removed at stop
 * if we created it, the `*_script` starts first with the FIFO's name as its last argument (SIGTERM
 * at stop, before the STOP lines are written, as keepalived), the FIFO is opened read-write and non-blocking so nothing waits for a reader, and a
 * failed write (no reader keeping up, FIFO full) is dropped, never waited for.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';
import type { NotifyFifo } from '../conf/model.ts';
import { resolveRunAs } from '../track/run-as.ts';

interface Open {
  fifo: NotifyFifo;
  fd: number;
  created: boolean;
  script?: ChildProcess;
}

/** The notify FIFOs of a config, open from start to stop. */
export class NotifyFifos {
  private open: Open[] = [];

  constructor(
    fifos: readonly NotifyFifo[],
    private readonly log: (msg: string) => void,
  ) {
    for (const f of fifos) {
      if (f.path === '') continue; // a *_script without its FIFO: keepalived runs nothing either
      const o = this.openOne(f);
      if (o) this.open.push(o);
    }
  }

  private openOne(f: NotifyFifo): Open | undefined {
    const type = f.keyword === 'vrrp_notify_fifo' ? 'vrrp_' : '';
    let created = false;
    try {
      execFileSync('mkfifo', ['-m', '0644', f.path], { stdio: ['ignore', 'ignore', 'pipe'] });
      created = true;
      if (f.user) {
        const who = resolveRunAs(f.user.user, f.user.group);
        if (typeof who === 'string') this.log(`Failed to set uid:gid for fifo ${f.path}: ${who}`);
        else if (who) chownSync(f.path, who.uid, who.gid);
      }
    } catch (e) {
      const msg = String((e as { stderr?: unknown }).stderr ?? (e as Error).message);
      if (!/File exists/.test(msg)) {
        this.log(`Unable to create ${type}notify fifo ${f.path}: ${msg.trim()}`);
        return undefined;
      }
    }
    let script: ChildProcess | undefined;
    if (f.script) {
      const argv = [...f.script.argv, f.path];
      const who = f.script.user ? resolveRunAs(f.script.user.user, f.script.user.group) : undefined;
      if (typeof who === 'string') this.log(`${type}notify_fifo_script ${f.script.command}: ${who} - not run`);
      else {
        script = spawn(argv[0], argv.slice(1), { stdio: 'ignore', ...(who ? { uid: who.uid, gid: who.gid } : {}) });
        script.on('error', (e) => this.log(`${type}notify_fifo_script ${f.script?.command}: cannot run: ${e.message}`));
      }
    }
    try {
      const fd = openSync(f.path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
      return { fifo: f, fd, created, script };
    } catch (e) {
      this.log(`Unable to open ${type}notify fifo ${f.path} - ${(e as Error).message}`);
      if (created) unlinkSync(f.path);
      script?.kill('SIGTERM');
      return undefined;
    }
  }

  /** Writes one line to every FIFO: `INSTANCE|GROUP "NAME" STATE PRIORITY`. */
  write(kind: 'INSTANCE' | 'GROUP', name: string, state: string, priority: number): void {
    const line = Buffer.from(`${kind} "${name}" ${state} ${priority}\n`);
    for (const o of this.open) {
      try {
        writeSync(o.fd, line);
      } catch {
        // keepalived ignores write errors (a full FIFO with no reader): the line is lost, nothing waits.
      }
    }
  }

  /**
   * SIGTERM to the FIFO scripts: keepalived kills every script first when it stops (its terminate
   * phase 1), then writes the STOP lines (a reader other than the FIFO script still sees them).
   */
  stopScripts(): void {
    for (const o of this.open) o.script?.kill('SIGTERM');
  }

  /** Removes the FIFOs we created (first, so a script reopening in a loop cannot), closes them, ends the scripts. */
  close(): void {
    for (const o of this.open) {
      if (o.created) {
        try {
          unlinkSync(o.fifo.path);
        } catch {
          // Already removed.
        }
      }
      closeSync(o.fd);
      o.script?.kill('SIGTERM');
    }
    this.open = [];
  }
}
