/**
 * Extension points the datapath calls at fixed phases of a request, so features that live in
 * other packages (stick tables and cookie persistence in packages/state) plug in without the
 * datapath knowing them. Every hook is synchronous: the hot path never awaits a remote store.
 * Unset hooks cost one property check.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { StatsModel } from '@switchyard/config';
import type { ServerState } from './server-state.ts';
import type { HttpTxn } from './txn.ts';
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
  /**
   * Optional: whether `responseHeaders` can act on responses of `backend` (cookie persistence,
   * `stick store-response`). The datapath skips building the header object when this returns
   * false; when it is not implemented every response goes through `responseHeaders`.
   */
  wantsResponseHeaders?(backend: BackendRuntime): boolean;
  /**
   * The request ended (any outcome): status sent to the client (0 if none) and the frontend;
   * `bytesIn`/`bytesOut`: bytes received from / sent to the client for this request (stick
   * counters `bytes_in_*` / `bytes_out_*` count them; omitted = unknown).
   */
  requestEnded?(txn: HttpTxn, frontend: FrontendRuntime, status: number, bytesIn?: number, bytesOut?: number): void;
}

/** What happened to one request on a server, for passive health checks (`observe layer4|layer7`). */
export type TrafficOutcome =
  | 'ok'
  /** connect refused/reset/unreachable */
  | 'l4-error'
  /** connect timeout */
  | 'l4-timeout'
  /** invalid response, connection closed before/while responding */
  | 'l7-error'
  /** server timeout waiting for the response */
  | 'l7-timeout'
  /** response status 500-599 (except 501 and 505, as HAProxy counts) */
  | 'l7-5xx';

/** Health-check side the datapath reports traffic results to (packages/proxy/src/health). */
export interface TrafficObserver {
  observe(backend: BackendRuntime, server: ServerState, outcome: TrafficOutcome): void;
}

/**
 * Services a request can be handed to instead of a backend (implemented by packages/admin):
 * the stats page under `stats uri` (HTML, `;csv`, `;json`, admin POSTs) and
 * `http-request use-service prometheus-exporter`. The handler owns `res` from then on.
 */
export interface ServiceHandlers {
  stats?(req: IncomingMessage, res: ServerResponse, frontend: FrontendRuntime, stats: StatsModel, txn: HttpTxn): void;
  prometheus?(req: IncomingMessage, res: ServerResponse, txn: HttpTxn): void;
}
