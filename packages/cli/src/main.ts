/** The `switchyard` command: parses argv and dispatches; no logic of its own. */
import { parseArgs, USAGE, UsageError } from './args.ts';
import { checkConfig } from './check.ts';
import { runProxy } from './run.ts';
import { versionText } from './version.ts';

/** Signals received before main ran (the bin listens for them while the sources load). */
export interface StartSignals {
  /** Stops listening early; true when a reload was asked for meanwhile. */
  takeReload(): boolean;
}

/** Runs the command; sets process.exitCode (the proxy keeps running until a stop signal). */
export async function main(argv: string[], startSignals?: StartSignals): Promise<void> {
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
  for (const n of args.notes) process.stderr.write(`[WARNING]  (${process.pid}) : ${n}\n`);
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
    case 'run':
      process.exitCode = await runProxy(args, startSignals);
      return;
  }
}
