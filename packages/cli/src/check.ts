/** `switchyard -c -f FILE`: check the configuration, print every problem, bind nothing. */
import { applyServerStateFiles } from '@switchyard/admin';
import { Logger } from '@switchyard/proxy';
import { diagnosticLines, loadRuntime } from './load.ts';

/** Returns the exit status: 0 valid (warnings allowed), 1 errors. */
export function checkConfig(
  files: string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  quiet = false,
): number {
  const logger = new Logger({ globalTargets: [], stderr: err, stdout: out });
  const loaded = loadRuntime(files, logger);
  for (const line of diagnosticLines(loaded.diagnostics)) err.write(`${line}\n`);
  if (loaded.errors > 0) {
    err.write(
      `[ALERT] Fatal errors found in configuration (${loaded.errors} error${loaded.errors > 1 ? 's' : ''}, ${loaded.warnings} warning${loaded.warnings === 1 ? '' : 's'}).\n`,
    );
    return 1;
  }
  // as haproxy -c: the server state files are read and applied, their problems reported
  if (loaded.runtime) applyServerStateFiles(loaded.runtime, (w) => err.write(`[WARNING] ${w}\n`));
  if (!quiet) out.write('Configuration file is valid\n');
  return 0;
}
