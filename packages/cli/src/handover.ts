/**
 * Hitless restarts (HAProxy's `-x` and `-sf`/`-st`): the sockets a new process takes from the old
 * one, and the signal it sends the old ones once it serves.
 */
import { InheritedSockets, stderrLine } from '@switchyard/proxy';
import { closeFd, fetchListeningSockets, socketInfo } from '@switchyard/unixsock';
import type { CliArgs } from './args.ts';

/** Descriptors listed in SWITCHYARD_INHERITED_FDS (a master passing its sockets down). */
export const INHERITED_FDS_ENV = 'SWITCHYARD_INHERITED_FDS';

/**
 * The listening sockets of the process answering on `-x PATH` (and those a master passed down),
 * ready for the binds to take; throws with the reason, as HAProxy stops when `-x` fails.
 */
export function inheritedSockets(args: CliArgs): InheritedSockets | undefined {
  const fds: number[] = [];
  const passed = process.env[INHERITED_FDS_ENV];
  if (passed) {
    for (const f of passed.split(',')) if (/^\d+$/.test(f)) fds.push(Number(f));
    delete process.env[INHERITED_FDS_ENV];
  }
  if (args.takeSocketsFrom) {
    try {
      fds.push(...fetchListeningSockets(args.takeSocketsFrom, 1000));
    } catch (e) {
      throw new Error(
        `Failed to get the sockets from the old process ('${args.takeSocketsFrom}'): ${(e as Error).message}`,
      );
    }
  }
  if (fds.length === 0) return args.takeSocketsFrom ? new InheritedSockets([], closeFd) : undefined;
  const infos = [];
  for (const fd of fds) {
    try {
      infos.push({ fd, ...socketInfo(fd) });
    } catch {
      // not a socket (closed meanwhile): nothing to adopt
    }
  }
  return new InheritedSockets(infos, closeFd);
}

/** `-sf`/`-st`: the old processes stop now that this one serves (a pid already gone is skipped). */
export function stopOldProcesses(args: CliArgs): void {
  const old = args.stopOld;
  if (!old) return;
  for (const pid of old.pids) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, old.signal);
    } catch (e) {
      process.stderr.write(
        stderrLine('WARNING', process.pid, `cannot signal old process ${pid}: ${(e as NodeJS.ErrnoException).code}`),
      );
    }
  }
}
