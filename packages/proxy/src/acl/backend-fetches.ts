/**
 * Fetches over live backend state: `nbsrv([backend])`, `be_conn([backend])`,
 * `srv_is_up(backend/server)`, `srv_conn(backend/server)`, `srv_queue(backend/server)`.
 * They read the running configuration through a lookup the runtime installs with
 * setBackendLookup() each time a configuration goes live, so they compile once and follow
 * reloads. Before a lookup is installed, or for an unknown name, they give no sample.
 */
import { isUsable, type ServerState } from '../model/server-state.ts';
import type { HttpTxn } from '../model/txn.ts';
import type { FetchDef } from './types.ts';

/** The part of a BackendRuntime these fetches read. */
export interface BackendView {
  readonly servers: readonly ServerState[];
  readonly model: { readonly options: { readonly allbackups: boolean } };
}

export type BackendLookup = (name: string) => BackendView | undefined;

let lookup: BackendLookup | undefined;

/** Installs (or, with undefined, removes) the lookup of running backends by name. */
export function setBackendLookup(fn: BackendLookup | undefined): void {
  lookup = fn;
}

/** Usable servers as HAProxy counts them: active ones, else the backups in use. */
function usableCount(be: BackendView): number {
  let act = 0;
  let bck = 0;
  for (const s of be.servers) if (isUsable(s)) s.backup ? bck++ : act++;
  if (act > 0) return act;
  return be.model.options.allbackups ? bck : Math.min(bck, 1);
}

/** `fetch([backend])`: the named backend, or the request's backend. */
function backendFetch(read: (be: BackendView) => number): FetchDef {
  return {
    type: 'int',
    minArgs: 0,
    maxArgs: 1,
    create(args) {
      const name = args[0] ?? '';
      return (txn: HttpTxn) => {
        const n = name || txn.backend;
        const be = n ? lookup?.(n) : undefined;
        return be ? read(be) : undefined;
      };
    },
  };
}

/** `fetch(backend/server)`. */
function serverFetch(type: 'int' | 'bool', read: (s: ServerState) => number | boolean): FetchDef {
  return {
    type,
    minArgs: 1,
    maxArgs: 1,
    create(args) {
      const slash = args[0].indexOf('/');
      if (slash <= 0 || slash === args[0].length - 1) return `expects 'backend/server', got '${args[0]}'`;
      const bk = args[0].slice(0, slash);
      const sv = args[0].slice(slash + 1);
      return () => {
        const be = lookup?.(bk);
        const s = be?.servers.find((x) => x.name === sv);
        return s ? read(s) : undefined;
      };
    },
  };
}

/** The backend and server state fetches (`nbsrv`, `be_conn`, `srv_*`). */
export const BACKEND_FETCHES: Array<[string[], FetchDef]> = [
  [['nbsrv'], backendFetch(usableCount)],
  [['be_conn'], backendFetch((be) => be.servers.reduce((n, s) => n + s.cur, 0))],
  [['srv_is_up'], serverFetch('bool', (s) => s.op === 'UP' && s.admin !== 'MAINT')],
  [['srv_conn'], serverFetch('int', (s) => s.cur)],
  [['srv_queue'], serverFetch('int', (s) => s.queued)],
];
