/**
 * Per-server and per-backend wait queues (server `maxconn`): a request waits here until a
 * connection slot frees up or `timeout queue` expires (503).
 */

import type { ServerState } from '../model/server-state.ts';
import type { BackendPlan } from '../runtime/plan.ts';

/** What a queued request must offer. */
export interface Queued {
  /** Called with the server whose slot it gets. */
  dequeued(server: ServerState): void;
}

export class Queues {
  private readonly servers = new WeakMap<ServerState, Queued[]>();
  private readonly backends = new WeakMap<BackendPlan, Queued[]>();

  /** Queues `q` on `server` (its maxconn is reached). */
  onServer(q: Queued, server: ServerState, backend: BackendPlan): void {
    let list = this.servers.get(server);
    if (!list) {
      list = [];
      this.servers.set(server, list);
    }
    list.push(q);
    server.queued++;
    server.counters.qcur++;
    if (server.counters.qcur > server.counters.qmax) server.counters.qmax = server.counters.qcur;
    countBackend(backend, 1);
  }

  /** Queues `q` on `backend` (every usable server is at its maxconn). */
  onBackend(q: Queued, backend: BackendPlan): void {
    let list = this.backends.get(backend);
    if (!list) {
      list = [];
      this.backends.set(backend, list);
    }
    list.push(q);
    countBackend(backend, 1);
  }

  /** Removes `q` (timeout, client gone); returns whether it was queued. */
  remove(q: Queued, server: ServerState | undefined, backend: BackendPlan): boolean {
    if (server) {
      const list = this.servers.get(server);
      const i = list ? list.indexOf(q) : -1;
      if (list && i >= 0) {
        list.splice(i, 1);
        server.queued--;
        server.counters.qcur--;
        countBackend(backend, -1);
        return true;
      }
    }
    const list = this.backends.get(backend);
    const i = list ? list.indexOf(q) : -1;
    if (list && i >= 0) {
      list.splice(i, 1);
      countBackend(backend, -1);
      return true;
    }
    return false;
  }

  /** A slot of `server` freed: hands it to the next waiting request, server queue first. */
  release(server: ServerState, backend: BackendPlan): boolean {
    if (server.maxconn && server.cur >= server.maxconn) return false;
    const list = this.servers.get(server);
    if (list && list.length > 0) {
      const q = list.shift() as Queued;
      server.queued--;
      server.counters.qcur--;
      countBackend(backend, -1);
      q.dequeued(server);
      return true;
    }
    const blist = this.backends.get(backend);
    if (blist && blist.length > 0 && server.op === 'UP' && server.admin === 'READY') {
      const q = blist.shift() as Queued;
      countBackend(backend, -1);
      q.dequeued(server);
      return true;
    }
    return false;
  }

  /**
   * `server` went DOWN or into maintenance: the requests waiting for it move to the backend's
   * queue (HAProxy's pendconn_redistribute) and go to any server with a free slot. Returns how
   * many moved.
   */
  redistribute(server: ServerState, backend: BackendPlan): number {
    const list = this.servers.get(server);
    if (!list || list.length === 0) return 0;
    const moved = list.splice(0);
    server.queued -= moved.length;
    server.counters.qcur -= moved.length;
    let blist = this.backends.get(backend);
    if (!blist) {
      blist = [];
      this.backends.set(backend, blist);
    }
    blist.push(...moved);
    this.fill(backend);
    return moved.length;
  }

  /** Hands waiting requests of `backend` to every usable server with a free slot. */
  fill(backend: BackendPlan): void {
    const blist = this.backends.get(backend);
    for (const s of backend.servers) {
      if (!blist || blist.length === 0) return;
      if (s.op !== 'UP' || s.admin !== 'READY') continue;
      while (blist.length > 0 && this.release(s, backend));
    }
  }
}

function countBackend(b: BackendPlan, d: number): void {
  b.counters.qcur += d;
  if (b.counters.qcur > b.counters.qmax) b.counters.qmax = b.counters.qcur;
}
