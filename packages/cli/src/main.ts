/** The `switchyard` command: parses argv and dispatches; no logic of its own. */
import { parseArgs, USAGE, UsageError } from './args.ts';
import { checkConfig } from './check.ts';
import { runProxy } from './run.ts';
import { versionText } from './version.ts';

/** Runs the command; sets process.exitCode (the proxy keeps running until a stop signal). */
export async function main(argv: string[]): Promise<void> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`switchyard: ${e.message}\n${USAGE}\n`);
    process.exitCode = 1;
    return;
  }
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
      process.exitCode = await runProxy(args);
      return;
  }
}
