/** The `switchyard` command: parses argv and dispatches; no logic of its own. */
import { stderrLine } from '@switchyard/proxy';
import { parseArgs, USAGE, UsageError } from './args.ts';
import { checkConfig } from './check.ts';
import { runMaster, underMaster } from './master.ts';
import { runProxy } from './run.ts';
import { guardStdio } from './stdio.ts';
import { versionText } from './version.ts';
import { isWorker, runPrimary } from './workers.ts';

/** `--workers N`, else global `nbthread N`, else 1. */
async function workerCount(args: ReturnType<typeof parseArgs>): Promise<number> {
  if (args.workers !== undefined) return args.workers;
  const { loadConfigFiles } = await import('@switchyard/config');
  return loadConfigFiles(args.files).model.global.nbthread ?? 1;
}

/** Global `master-worker` (as -W). */
async function masterWorkerInConfig(args: ReturnType<typeof parseArgs>): Promise<boolean> {
  const { loadConfigFiles } = await import('@switchyard/config');
  return loadConfigFiles(args.files).model.global.masterWorker !== undefined;
}

/** Signals received before main ran (the bin listens for them while the sources load). */
export interface StartSignals {
  /** Stops listening early; true when a reload was asked for meanwhile. */
  takeReload(): boolean;
}

/** Runs the command; sets process.exitCode (the proxy keeps running until a stop signal). */
export async function main(argv: string[], startSignals?: StartSignals): Promise<void> {
  guardStdio();
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`switchyard: ${e.message}\n${USAGE}\n`);
    process.exitCode = 1;
    return;
  }
  // Only the proxy reloads; any other command gets the default signal behaviour back.
  if (args.command !== 'run') startSignals?.takeReload();
  for (const n of args.notes) process.stderr.write(stderrLine('WARNING', process.pid, n));
  switch (args.command) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    case 'version':
      process.stdout.write(versionText(args.verbose));
      return;
    case 'check':
      process.exitCode = checkConfig(args.files, process.stdout, process.stderr);
      return;
    case 'vrrp': {
      const { vrrpMain } = await import('@switchyard/vrrp');
      process.exitCode = await vrrpMain(args.rest);
      return;
    }
    case 'run': {
      const workers = isWorker() ? 1 : await workerCount(args);
      const master =
        !underMaster() && !isWorker() && (args.masterWorker !== undefined || (await masterWorkerInConfig(args)));
      if (workers > 1 && (master || args.takeSocketsFrom)) {
        process.stderr.write(
          `switchyard: ${master ? 'master-worker mode (-W, -Ws, master-worker)' : "'-x'"} with ${workers} worker processes (--workers/nbthread) is not supported yet; use one\n`,
        );
        process.exitCode = 1;
        return;
      }
      if (master) process.exitCode = await runMaster(args);
      else process.exitCode = workers > 1 ? await runPrimary(args, workers) : await runProxy(args, startSignals);
      return;
    }
  }
}
