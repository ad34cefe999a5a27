/**
 * `switchyard -f FILE`: the proxy process. Loads and builds the configuration (nothing is bound
 * unless it is free of errors), binds, then serves until SIGTERM/SIGINT (graceful stop) and
 * reloads on SIGHUP/SIGUSR2 (a bad new configuration is reported and the old one keeps running).
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { applyServerStateFiles } from '@switchyard/admin';
import { BindError, type CompiledRuntime, Datapath, Logger, stderrLine } from '@switchyard/proxy';
import type { CliArgs } from './args.ts';
import { WorkerLink } from './cluster/worker-link.ts';
import { startDemoBackends } from './demo.ts';
import { inheritedSockets, stopOldProcesses } from './handover.ts';
import { startIdleGc } from './idle-gc.ts';
import { diagnosticLines, loadAtStart, loadRuntime } from './load.ts';
import type { StartSignals } from './main.ts';
import { leaveMaster, masterChannelSocket, reportReadyToMaster, underMaster } from './master.ts';
import { Wiring, WiringError } from './wire.ts';
import { isWorker, reportReady } from './workers.ts';

const DEFAULT_GRACE_MS = 10000;

function notice(level: 'NOTICE' | 'WARNING' | 'ALERT', msg: string): void {
  process.stderr.write(stderrLine(level, process.pid, msg));
}

/** Runs the proxy; resolves with the exit status once stopped. */
export async function runProxy(args: CliArgs, startSignals?: StartSignals): Promise<number> {
  // A reload asked for while starting is done once started (instead of killing the process).
  let reloadRequested = startSignals?.takeReload() ?? false;
  const early = () => {
    reloadRequested = true;
  };
  process.on('SIGHUP', early);
  process.on('SIGUSR2', early);
  const release = () => {
    process.off('SIGHUP', early);
    process.off('SIGUSR2', early);
  };
  try {
    return await serve(
      args,
      () => {
        release();
        return reloadRequested;
      },
      () => startSignals?.takeSoftStop() ?? false,
    );
  } finally {
    release();
  }
}

async function serve(args: CliArgs, takeEarlyReload: () => boolean, takeEarlySoftStop: () => boolean): Promise<number> {
  const logger = new Logger({ globalTargets: [] });
  const loaded = loadAtStart(args.files, logger);
  if (!loaded) return 1;
  let runtime: CompiledRuntime = loaded.runtime;
  logger.useGlobal(runtime.config.global);
  // `load-server-state-from-file`: the state saved before a restart, before any check or request
  // (a reload keeps the live state of the servers it keeps, so the file is read at start only)
  // (under --workers the primary does it and sends the states to the workers)
  if (!isWorker()) applyServerStateFiles(runtime, (w) => notice('WARNING', w));

  let stopDemo: (() => Promise<void>) | undefined;
  if (args.demoBackends) {
    try {
      stopDemo = await startDemoBackends();
      notice('NOTICE', 'demo backends listening on 127.0.0.1:18081, 127.0.0.1:18082, 127.0.0.1:18083');
    } catch (e) {
      notice('ALERT', `cannot start the demo backends: ${(e as Error).message}`);
      return 1;
    }
  }

  // `-x`: the old process's listening sockets, adopted by the binds at their addresses
  let inherited: ReturnType<typeof inheritedSockets>;
  try {
    inherited = inheritedSockets(args);
  } catch (e) {
    notice('ALERT', (e as Error).message);
    await stopDemo?.();
    return 1;
  }
  // set once a `_getsocks` sent this process's sockets to a new one: on the way out the unix
  // socket files stay (they are the new process's now)
  let handedOver = false;
  let frontendFds: () => number[] = () => [];
  const handover = {
    inherited,
    listeningFds: () => {
      handedOver = true;
      return frontendFds();
    },
  };
  const channel = masterChannelSocket();
  let wiring: Wiring;
  try {
    // a --workers worker leaves checks and admin changes to the primary (cluster/worker-link.ts)
    wiring = await Wiring.create(runtime, isWorker() ? new WorkerLink(() => runtime) : undefined, {
      handover,
      extraSockets: channel ? [channel] : [],
    });
  } catch (e) {
    if (!(e instanceof WiringError)) throw e;
    process.stderr.write(`${e.message}\n`);
    notice('ALERT', 'Fatal errors found in configuration; nothing was started.');
    await stopDemo?.();
    return 1;
  }
  const dp = new Datapath(runtime, {
    ...wiring.integrations(),
    log: logger,
    jsonLog: args.logFormat === 'json',
    latency: wiring.observeLatency,
    inherited,
  });
  frontendFds = () => dp.listeningFds();
  // A node joining late loads the shared tables and admin states before its first request
  // (bounded wait: with Redis down it starts from its local state and resynchronises later).
  await wiring.state.ready();
  try {
    await dp.start();
  } catch (e) {
    if (!(e instanceof BindError)) throw e;
    notice('ALERT', `${e.file}:${e.line}: ${e.message}`);
    await wiring.stop();
    await stopDemo?.();
    return 1;
  }
  await wiring.start();
  // what no bind took (a frontend gone from the new configuration) is closed, as HAProxy does;
  // the old process closes its own copies when it stops
  inherited?.closeRest();
  const idleGc = startIdleGc(() => {
    let n = 0;
    for (const fe of dp.runtime.frontends.values()) n += fe.counters.reqTot;
    return n;
  });
  for (const a of dp.addresses()) {
    notice(
      'NOTICE',
      `frontend '${a.frontend}' listening on ${a.path ?? `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`}${a.ssl ? ' (ssl)' : ''}`,
    );
  }
  // Workers leave the pid file to the primary (or the master).
  const pidfile = isWorker() || underMaster() ? undefined : (args.pidfile ?? runtime.config.global.pidfile);
  if (pidfile) {
    try {
      writeFileSync(pidfile, `${process.pid}\n`);
    } catch (e) {
      notice('ALERT', `cannot write pid file '${pidfile}': ${(e as Error).message}`);
    }
  }
  if (isWorker()) reportReady();
  else notice('NOTICE', `Switchyard ready (pid ${process.pid}); SIGHUP reloads, SIGTERM stops.`);
  reportReadyToMaster();
  // `-sf`/`-st`: the old processes stop now that this one accepts on the sockets
  stopOldProcesses(args);

  let reloading: Promise<void> = Promise.resolve();
  const reload = async (): Promise<void> => {
    notice('NOTICE', `reloading configuration from ${args.files.join(', ')}`);
    const next = loadRuntime(args.files, logger, runtime);
    for (const line of diagnosticLines(next.diagnostics)) process.stderr.write(`${line}\n`);
    if (!next.runtime) {
      notice(
        'ALERT',
        `reload failed: ${next.errors} error(s) in the new configuration; still running the previous one.`,
      );
      return;
    }
    try {
      await dp.reload(next.runtime);
    } catch (e) {
      if (!(e instanceof BindError)) throw e;
      notice('ALERT', `reload failed: ${e.file}:${e.line}: ${e.message}; still running the previous configuration.`);
      return;
    }
    runtime = next.runtime;
    logger.useGlobal(runtime.config.global);
    await wiring.swap(runtime);
    dp.setIntegrations(wiring.integrations());
    notice('NOTICE', 'reload complete.');
  };
  const onReload = () => {
    reloading = reloading.then(reload).catch((e: Error) => notice('ALERT', `reload failed: ${e.stack ?? e.message}`));
  };
  process.on('SIGHUP', onReload);
  process.on('SIGUSR2', onReload);
  if (takeEarlyReload()) onReload();
  process.on('uncaughtException', (e) =>
    notice('ALERT', `internal error (the request in progress may have failed): ${e.stack ?? e.message}`),
  );
  process.on('unhandledRejection', (e) => notice('ALERT', `internal error: ${(e as Error)?.stack ?? String(e)}`));

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (sig: string) => {
      // A second signal (Ctrl-C reaches a whole process group, then the primary forwards
      // SIGTERM) must not kill the process mid-drain: the handlers stay, as no-ops.
      if (stopping) return;
      stopping = true;
      // SIGUSR1 is HAProxy's soft stop: bounded only by `hard-stop-after`. SIGTERM is haproxy
      // 2.6's hard stop: every connection is closed at once, in-flight requests included.
      const soft = sig === 'SIGUSR1';
      const hard = sig === 'SIGTERM';
      const grace = hard
        ? 0
        : (runtime.config.global.hardStopAfter ?? (soft ? Number.POSITIVE_INFINITY : DEFAULT_GRACE_MS));
      const bound = Number.isFinite(grace) ? `at most ${grace} ms` : "no time limit: see 'hard-stop-after'";
      if (hard) notice('NOTICE', `${sig} received: stopping now (hard stop, open connections are closed).`);
      else notice('NOTICE', `${sig} received: stopping (finishing in-flight requests, ${bound}).`);
      const keep = handedOver;
      void reloading
        .then(() => (soft ? wiring.admin.closeSockets({ keepPaths: keep }) : undefined))
        .then(() => dp.stop(grace, { keepUnixPaths: keep }))
        .then(() => wiring.stop({ keepPaths: keep }))
        .then(() => stopDemo?.())
        .finally(resolve);
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGUSR1', () => stop('SIGUSR1'));
    if (takeEarlySoftStop()) stop('SIGUSR1');
  });
  process.off('SIGHUP', onReload);
  process.off('SIGUSR2', onReload);
  idleGc?.stop();
  if (pidfile) {
    try {
      unlinkSync(pidfile);
    } catch {
      // already gone: nothing to clean up
    }
  }
  logger.close();
  leaveMaster();
  notice('NOTICE', 'stopped.');
  return 0;
}
