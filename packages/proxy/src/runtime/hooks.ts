/**
 * Extension points the datapath calls at fixed phases of a request, so features that live in
 * other packages (stick tables and cookie persistence in packages/state) plug in without the
 * datapath knowing them. Every hook is synchronous: the hot path never awaits a remote store.
 * Unset hooks cost one property check.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpTxn } from '../txn.ts';
import type { ServerState } from './server-state.ts';
import type { BackendRuntime, FrontendRuntime } from './types.ts';

export interface RequestHooks {
  /**
   * `http-request track-sc<slot> KEY [table T]` in frontend or backend: track the key's entry
   * (creating it) in slot `slot`; later ACL fetches like `sc_http_req_rate(0)` read it.
   * `rule` is the index of the rule in its proxy's http-request list.
   */
  trackSc?(txn: HttpTxn, proxyName: string, rule: number): void;
  /**
   * Before balancing: a server this request is persistent to (cookie, `stick match/on`), or
   * undefined to let the balancer choose. The returned server must accept persistent traffic.
   */
  persistentServer?(txn: HttpTxn, backend: BackendRuntime): ServerState | undefined;
  /** After a server was chosen (by persistence or balancing): `stick store-request/on`, counters. */
  serverChosen?(txn: HttpTxn, backend: BackendRuntime, server: ServerState): void;
  /**
   * Response headers from the server are about to be sent to the client: cookie insert/rewrite,
   * `stick store-response`. May modify `headers` in place.
   */
  responseHeaders?(
    txn: HttpTxn,
    backend: BackendRuntime,
    server: ServerState,
    status: number,
    headers: IncomingHttpHeaders,
  ): void;
  /** The request ended (any outcome): status sent to the client (0 if none) and the frontend. */
  requestEnded?(txn: HttpTxn, frontend: FrontendRuntime, status: number): void;
}
