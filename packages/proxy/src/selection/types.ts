/**
 * Selection: which server of a backend takes a request. One file per algorithm behind this one
 * interface (roundrobin.ts, static-rr.ts, leastconn.ts, first.ts, hash.ts (map-based),
 * chash.ts (consistent), random.ts), created by selection/index.ts from the backend's
 * `balance` and `hash-type`.
 */

import type { ServerState } from '../runtime/server-state.ts';
import type { HttpTxn } from '../txn.ts';

export interface Selector {
  /**
   * Picks a usable server for this request, or null when none is usable (the datapath answers 503).
   * `exclude` is the server that just failed (retry with redispatch) and is skipped when another
   * one is usable. Active servers first; backups only when no active server is usable (first
   * backup, or all of them with `option allbackups`). Servers at their maxconn are skipped for
   * non-queueing algorithms; returns the best server even if full when `allowFull` is set so the
   * caller can queue on it.
   */
  pick(txn: HttpTxn, exclude?: ServerState): ServerState | null;
  /** Recompute internal structures after a server's usable state or effective weight changed. */
  update(): void;
}
