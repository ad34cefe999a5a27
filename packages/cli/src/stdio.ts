/**
 * The process's own stdout and stderr when the reader went away (`switchyard ... 2>&1 | head`,
 * a log collector that died). Node ignores SIGPIPE: a write to a closed pipe fails with EPIPE,
 * reported as an 'error' event on process.stdout/stderr. Without a listener that error is an
 * uncaught exception, whose handler writes an ALERT to stderr, which fails again: the process spun
 * at 100% CPU and no longer stopped on SIGTERM. Node's stdio streams also stay writable after an
 * error (their destroy is a no-op), so each later write would fail the same way.
 *
 * Here a stream that failed once is given up: its later writes are dropped (as HAProxy's are
 * lost when its stderr is closed), the process keeps serving and stops on its signals as before.
 * A broken stdout is said once on stderr (the stdout log targets are lost from then on).
 */

import { stderrLine } from '@switchyard/proxy';

type Write = NodeJS.WriteStream['write'];

/** Drops every later write of `stream` (the callback still runs, so nobody waits on it). */
function silence(stream: NodeJS.WriteStream): void {
  const drop = (...args: unknown[]): boolean => {
    const cb = args.findLast((a) => typeof a === 'function') as ((e?: Error | null) => void) | undefined;
    if (cb) process.nextTick(cb, null);
    return true;
  };
  stream.write = drop as Write;
}

/** Installs the guard on process.stdout and process.stderr (once, at the start of main). */
export function guardStdio(): void {
  const guard = (stream: NodeJS.WriteStream, name: string, other?: NodeJS.WriteStream) => {
    let failed = false;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (failed) return;
      failed = true;
      silence(stream);
      other?.write(
        stderrLine('WARNING', process.pid, `${name} is closed (${e.code ?? e.message}): its output is dropped.`),
      );
    });
  };
  guard(process.stdout, 'stdout', process.stderr);
  guard(process.stderr, 'stderr');
}
