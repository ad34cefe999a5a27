/**
 * Master-worker mode (`-W`, `-Ws`, global `master-worker`), as HAProxy 2.6's: a master process
 * that serves nothing starts one worker (this same command, without -W) and supervises it. On
 * SIGUSR2/SIGHUP or the master CLI's `reload`, it checks the configuration, starts a new worker
 * that takes the listening sockets from the current one (`-x` on the worker's private runtime
 * API socket, HAProxy's sockpair), and once the new one serves, soft-stops the old one (SIGUSR1).
 * The worker runs the code on disk at that moment: a reload is also an upgrade. `-Ws` tells
 * systemd (Type=notify) READY=1 / RELOADING=1 through $NOTIFY_SOCKET.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatsSocketModel } from '@switchyard/config';
import { Logger, stderrLine } from '@switchyard/proxy';
import { UnixDgramSender } from '@switchyard/unixsock';
import type { CliArgs } from './args.ts';
import { diagnosticLines, loadAtStart, loadRuntime } from './load.ts';
import { listenMasterCli, type MasterCliHost, type MasterCliSocket, parseMasterSocket } from './master-cli.ts';
import { version } from './version.ts';

/** Set in a worker's environment: the path of its private runtime API socket (the master's channel). */
const CHANNEL_ENV = 'SWITCHYARD_MASTER_CHANNEL';
const WORKER_ENV = 'SWITCHYARD_MWORKER';

function notice(level: 'NOTICE' | 'WARNING' | 'ALERT', msg: string): void {
  process.stderr.write(stderrLine(level, process.pid, msg));
}

/** True in a worker started by the master. */
export function underMaster(): boolean {
  return process.env[WORKER_ENV] === '1' && typeof process.send === 'function';
}

/** The worker's channel socket (level admin, `expose-fd listeners`), when run by a master. */
export function masterChannelSocket(): StatsSocketModel | undefined {
  const path = process.env[CHANNEL_ENV];
  if (!underMaster() || !path) return undefined;
  return { kind: 'unix', path, mode: 0o600, level: 'admin', exposeFdListeners: true, loc: { file: 'master', line: 0 } };
}

/** Tells the master this worker serves. */
export function reportReadyToMaster(): void {
  if (underMaster()) process.send?.({ switchyard: 'ready', version: version() });
}

/** One worker as the master sees it (`show proc`). */
export interface WorkerProc {
  pid: number;
  child: ChildProcess;
  channel: string;
  started: number;
  /** Reloads of the master since this worker started (HAProxy's per-process count). */
  reloads: number;
  version: string;
  ready: boolean;
  /** Soft-stopped after a reload: an "old worker" until it exits. */
  leaving: boolean;
}

/** The arguments a worker gets: the master's, less what only the master uses. */
export function workerArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-W' || a === '-Ws') continue;
    if (a === '-S' || a === '-x' || a === '-p') {
      i++;
      continue;
    }
    if (a === '-sf' || a === '-st') {
      while (i + 1 < argv.length && /^\d+$/.test(argv[i + 1])) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET. */
function sdNotify(text: string): void {
  const path = process.env.NOTIFY_SOCKET;
  if (!path) return;
  const tx = new UnixDgramSender();
  try {
    const e = tx.send(path, Buffer.from(text));
    if (e !== 0) notice('WARNING', `sd_notify to ${path} failed (errno ${e})`);
  } finally {
    tx.close();
  }
}

/** Runs the master; resolves with its exit status. */
export async function runMaster(args: CliArgs): Promise<number> {
  const logger = new Logger({ globalTargets: [] });
  const loaded = loadAtStart(args.files, logger);
  if (!loaded) return 1;
  const systemd = args.masterWorker === 'Ws';
  const exitOnFailure = loaded.model.global.masterWorker?.exitOnFailure ?? true;
  const pidfile = args.pidfile ?? loaded.model.global.pidfile;
  logger.close();

  const dir = mkdtempSync(join(tmpdir(), 'switchyard-master-'));
  const started = Date.now();
  let reloads = 0;
  let failedReloads = 0;
  let seq = 0;
  let stopping = false;
  const procs: WorkerProc[] = [];
  let cliSockets: MasterCliSocket[] = [];
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => {
    resolveExit = r;
  });

  const current = (): WorkerProc | undefined => procs.find((p) => !p.leaving);

  /** Starts a worker, taking the sockets of `from` (the current worker) when given. */
  const startWorker = (from: WorkerProc | undefined): WorkerProc => {
    const channel = join(dir, `worker-${++seq}.sock`);
    const wargs = [...workerArgv(args.argv), ...(from ? ['-x', from.channel] : [])];
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...wargs], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, [WORKER_ENV]: '1', [CHANNEL_ENV]: channel, NOTIFY_SOCKET: '' },
    });
    const w: WorkerProc = {
      pid: child.pid ?? 0,
      child,
      channel,
      started: Date.now(),
      reloads: 0,
      version: version(),
      ready: false,
      leaving: false,
    };
    procs.push(w);
    notice('NOTICE', `New worker (${w.pid}) forked`);
    child.on('message', (m: { switchyard?: string; version?: string }) => {
      if (m?.switchyard !== 'ready' || w.ready) return;
      w.ready = true;
      if (m.version) w.version = m.version;
      notice('NOTICE', 'Loading success.');
      // the previous workers stop accepting and finish what they serve (HAProxy's -sf)
      for (const p of procs) {
        if (p !== w && !p.leaving) {
          p.leaving = true;
          p.child.kill('SIGUSR1');
        }
      }
      if (systemd) sdNotify(`READY=1\nMAINPID=${process.pid}\n`);
    });
    child.on('exit', (code, signal) => onExit(w, code, signal));
    return w;
  };

  const onExit = (w: WorkerProc, code: number | null, signal: NodeJS.Signals | null): void => {
    procs.splice(procs.indexOf(w), 1);
    rmQuiet(w.channel);
    const how = signal ? `${128 + (constants.signals[signal] ?? 0)} (${signal})` : `${code} (Exit)`;
    if (stopping) {
      if (procs.length === 0) finish(0);
      return;
    }
    if (w.leaving) {
      notice('WARNING', `Former worker (${w.pid}) exited with code ${how}`);
      return;
    }
    if (!w.ready) {
      // a reload whose worker could not start: the running one stays
      failedReloads++;
      notice(
        'ALERT',
        `New worker (${w.pid}) exited with code ${how} before serving; the previous worker keeps running.`,
      );
      if (systemd) sdNotify('READY=1\n');
      if (current() === undefined && procs.length === 0) finish(1);
      return;
    }
    notice('ALERT', `Current worker (${w.pid}) exited with code ${how}`);
    if (!exitOnFailure) return;
    notice('ALERT', 'exit-on-failure: killing every processes with SIGTERM');
    stopAll('SIGTERM');
    if (procs.length === 0) finish(code ?? 1);
  };

  const reload = (): void => {
    if (stopping) return;
    notice('NOTICE', 'Reloading Switchyard');
    if (systemd) sdNotify('RELOADING=1\n');
    reloads++;
    for (const p of procs) p.reloads++;
    const next = loadRuntime(args.files, new Logger({ globalTargets: [] }));
    for (const line of diagnosticLines(next.diagnostics)) process.stderr.write(`${line}\n`);
    if (!next.runtime) {
      failedReloads++;
      notice(
        'ALERT',
        `reload failed: ${next.errors} error(s) in the new configuration; the current worker keeps running.`,
      );
      if (systemd) sdNotify('READY=1\n');
      return;
    }
    startWorker(current());
  };

  const stopAll = (sig: NodeJS.Signals): void => {
    stopping = true;
    for (const p of procs) p.child.kill(sig);
  };

  const finish = (code: number): void => {
    for (const s of cliSockets) s.close();
    cliSockets = [];
    rmQuiet(dir, true);
    if (pidfile) rmQuiet(pidfile);
    notice('WARNING', `All workers exited. Exiting... (${code})`);
    resolveExit(code);
  };

  const host: MasterCliHost = {
    procs: () => procs,
    master: () => ({ pid: process.pid, started, reloads, failedReloads, version: version() }),
    reload,
  };
  try {
    for (const spec of args.masterSockets) cliSockets.push(await listenMasterCli(parseMasterSocket(spec), host));
  } catch (e) {
    notice('ALERT', `${(e as Error).message}; nothing was started.`);
    for (const s of cliSockets) s.close();
    rmQuiet(dir, true);
    return 1;
  }
  if (pidfile) {
    try {
      writeFileSync(pidfile, `${process.pid}\n`);
    } catch (e) {
      notice('ALERT', `cannot write pid file '${pidfile}': ${(e as Error).message}`);
    }
  }
  startWorker(undefined);
  const onReload = () => reload();
  process.on('SIGUSR2', onReload);
  process.on('SIGHUP', onReload);
  // SIGTERM/SIGINT/SIGUSR1 go to every worker, as HAProxy's master forwards them
  const onStop = (sig: NodeJS.Signals) => () => {
    if (stopping) return;
    notice('WARNING', 'Exiting Master process...');
    stopAll(sig === 'SIGINT' ? 'SIGTERM' : sig);
    if (procs.length === 0) finish(0);
  };
  const stops: Array<[NodeJS.Signals, () => void]> = [
    ['SIGTERM', onStop('SIGTERM')],
    ['SIGINT', onStop('SIGINT')],
    ['SIGUSR1', onStop('SIGUSR1')],
  ];
  for (const [sig, fn] of stops) process.on(sig, fn);
  const code = await exited;
  process.off('SIGUSR2', onReload);
  process.off('SIGHUP', onReload);
  for (const [sig, fn] of stops) process.off(sig, fn);
  return code;
}

function rmQuiet(path: string, dir = false): void {
  try {
    if (dir) rmSync(path, { recursive: true, force: true });
    else unlinkSync(path);
  } catch {
    // already gone
  }
}
