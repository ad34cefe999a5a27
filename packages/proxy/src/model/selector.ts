/**
 * Selection: which server of a backend takes a request. One file per algorithm behind this one
 * interface (roundrobin.ts, static-rr.ts, leastconn.ts, first.ts, hash.ts (map-based),
 * chash.ts (consistent), random.ts), created by selection/index.ts from the backend's
 * `balance` and `hash-type`.
 */

import type { ServerState } from './server-state.ts';
import type { HttpTxn } from './txn.ts';

export interface Selector {
  /**
   * Picks a usable server for this request, or null when none is usable (the datapath answers 503).
   * `exclude` is the server that just failed (retry with redispatch) and is skipped when another
   * one is usable. Active servers first; backups only when no active server is usable (first
   * backup, or all of them with `option allbackups`).
   *
   * maxconn: roundrobin, static-rr, leastconn, first and random prefer servers with a free slot
   * (`cur < maxconn` and nothing queued); when every usable server is full they return the best
   * one anyway. Hash algorithms (source, uri, url_param, hdr) return the hashed server even when
   * full, as HAProxy does. Either way the caller checks `isFull(server)` (selection/index.ts) and,
   * when true, queues the request on that server (`timeout queue`, then 503). HAProxy keeps a
   * backend-wide queue for the non-hash algorithms; Switchyard queues per server.
   *
   * Allocation-free on the hot path; O(servers) for roundrobin/leastconn, O(log points) for
   * consistent hashing.
   */
  pick(txn: HttpTxn, exclude?: ServerState): ServerState | null;
  /**
   * Recompute internal structures after a server's usable state (op/admin) or effective weight
   * changed. Health checks, the runtime API and the stats page call it after each change. pick()
   * also calls it by itself when it meets a server that became unusable, or finds none.
   */
  update(): void;
}
