/**
 * `add server` / `del server` under `--workers`: the worker the command was sent to checks and
 * applies it, then the primary applies the same words to its own runtime (checks and state run
 * there), passes them to the other workers, and replays them to a worker that starts later, so
 * every process has the same servers with the same ids. A reload drops them, as haproxy's.
 */
import { parseServerLine } from '@switchyard/admin';
import { addServer, type ProxyRuntime, removeServer, type ServerState } from '@switchyard/proxy';

/** Adds `backend/server` parsed from `args` with `id`, unless this process has it (replayed twice). */
export function applyServerAdd(
  rt: ProxyRuntime,
  backend: string,
  server: string,
  args: string[],
  id: number,
): ServerState | undefined {
  const be = rt.backends.get(backend);
  if (!be || be.serversByName.has(server)) return undefined;
  return addServer(be, parseServerLine(be, server, args), id);
}

/** Removes `backend/server` if this process has it. */
export function applyServerDel(rt: ProxyRuntime, backend: string, server: string): boolean {
  const be = rt.backends.get(backend);
  const s = be?.serversByName.get(server);
  if (!be || !s) return false;
  removeServer(be, s);
  return true;
}
