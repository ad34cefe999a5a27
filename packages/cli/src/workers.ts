/**
 * `--workers N` (or global `nbthread N`): a primary process checks the configuration once, then
 * forks N workers that each run the proxy on the same listeners (node:cluster hands connections
 * out round-robin). Signals go to the primary, which forwards them; a worker that dies after
 * start-up is replaced. The primary also runs the node's health checks, applies admin changes
 * and sums the workers' counters for the stats (cluster/primary-hub.ts; README "Multi-core").
 */
import cluster, { type Worker } from 'node:cluster';
import { unlinkSync, writeFileSync } from 'node:fs';
import { applyServerStateFiles, CliSocketError, prepareStatsSocketPaths } from '@switchyard/admin';
import { type CompiledRuntime, Logger, onWorkerMessage, sendToPrimary, stderrLine } from '@switchyard/proxy';
import { relayStateMessages } from '@switchyard/state';
import type { CliArgs } from './args.ts';
import { PrimaryHub } from './cluster/primary-hub.ts';
import { loadAtStart, loadRuntime } from './load.ts';

/** Message a worker sends once its listeners are bound. */
export const READY_MESSAGE = 'switchyard:ready';

function notice(level: 'NOTICE' | 'WARNING' | 'ALERT', msg: string): void {
  process.stderr.write(stderrLine(level, process.pid, msg));
}

/** Runs the primary: resolves with the exit status once every worker has stopped. */
export async function runPrimary(args: CliArgs, count: number): Promise<number> {
  const logger = new Logger({ globalTargets: [] });
  const loaded = loadAtStart(args.files, logger);
  if (!loaded) return 1;
  let runtime: CompiledRuntime = loaded.runtime;
  // the primary logs server transitions (its checks, admin changes) to the configured targets
  logger.useGlobal(runtime.config.global);
  // the primary restores the saved server states; each worker gets them with the others at hello
  applyServerStateFiles(runtime, (w) => notice('WARNING', w));
  try {
    // the workers share the `stats socket`s: stale files removed, paths in use refused, once
    await prepareStatsSocketPaths(runtime.config.global.statsSockets);
  } catch (e) {
    if (!(e instanceof CliSocketError)) throw e;
    notice('ALERT', `${e.message}; nothing was started.`);
    return 1;
  }
  const hub = new PrimaryHub(runtime, (msg) => notice('WARNING', msg));
  hub.start();
  const pidfile = args.pidfile ?? loaded.model.global.pidfile;
  // Stick tables and admin state are shared between workers through the primary (no Redis).
  relayStateMessages();
  let stopping = false;
  let started = false;
  const workers = new Set<Worker>();
  const fork = (): Worker => {
    const w = cluster.fork({ SWITCHYARD_WORKER: '1' });
    // an IPC send racing a worker's exit must not take the primary (and so the node) down
    w.on('error', (e: Error) => notice('WARNING', `worker ${w.process.pid}: ${e.message}`));
    workers.add(w);
    return w;
  };

  const allReady = new Promise<boolean>((resolve) => {
    let ready = 0;
    onWorkerMessage(READY_MESSAGE, () => {
      if (!started && ++ready === count) resolve(true);
    });
    cluster.on('exit', (w, code, signal) => {
      workers.delete(w);
      if (!started) {
        // a worker could not start (bind error...): the others are stopped, nothing half-runs
        resolve(false);
        return;
      }
      if (!stopping) {
        notice('ALERT', `worker ${w.process.pid} exited (${signal ?? code}); starting a new one.`);
        fork();
      }
    });
  });
  for (let i = 0; i < count; i++) fork();
  if (!(await allReady)) {
    stopping = true;
    hub.stop();
    for (const w of workers) w.process.kill('SIGKILL');
    notice('ALERT', 'a worker failed to start; stopped.');
    logger.close();
    return 1;
  }
  started = true;
  if (pidfile) {
    try {
      writeFileSync(pidfile, `${process.pid}\n`);
    } catch (e) {
      notice('ALERT', `cannot write pid file '${pidfile}': ${(e as Error).message}`);
    }
  }
  notice(
    'NOTICE',
    `Switchyard ready with ${count} workers (primary pid ${process.pid}); SIGHUP reloads, SIGTERM stops.`,
  );

  const forward = (sig: NodeJS.Signals) => () => {
    for (const w of workers) w.process.kill(sig);
  };
  // the primary follows reloads too (its checks cover the new servers); the workers report errors
  const onHup = () => {
    const next = loadRuntime(args.files, logger, runtime);
    if (next.runtime) {
      runtime = next.runtime;
      logger.useGlobal(runtime.config.global);
      hub.swap(runtime);
    }
    forward('SIGHUP')();
  };
  process.on('SIGHUP', onHup);
  process.on('SIGUSR2', onHup);
  await new Promise<void>((resolve) => {
    const stop = (sig: NodeJS.Signals) => () => {
      // repeated signals (Ctrl-C twice) must not kill the primary while workers drain
      if (stopping) return;
      stopping = true;
      for (const w of workers) w.process.kill(sig === 'SIGINT' ? 'SIGTERM' : sig);
      const check = setInterval(() => {
        if (workers.size === 0) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    };
    process.on('SIGTERM', stop('SIGTERM'));
    process.on('SIGINT', stop('SIGINT'));
  });
  process.off('SIGHUP', onHup);
  process.off('SIGUSR2', onHup);
  hub.stop();
  logger.close();
  if (pidfile) {
    try {
      unlinkSync(pidfile);
    } catch {
      // already gone: nothing to clean up
    }
  }
  notice('NOTICE', 'all workers stopped.');
  return 0;
}

/** True in a worker forked by runPrimary. */
export function isWorker(): boolean {
  return cluster.isWorker && process.env.SWITCHYARD_WORKER === '1';
}

/** Tells the primary this worker is serving. */
export function reportReady(): void {
  if (isWorker()) sendToPrimary({ type: READY_MESSAGE });
}
