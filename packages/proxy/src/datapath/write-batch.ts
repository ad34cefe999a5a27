/**
 * Small writes of one event-loop turn leave together, at its end.
 *
 * A small response (head and body in one string) or a bodiless request is written to a corked
 * socket, and every socket corked this way is uncorked once the turn's I/O callbacks have run
 * (a setImmediate: the check phase follows the poll phase that read the requests). The bytes still
 * leave in the same turn, in the same order; what changes is that the peers (clients, servers) are
 * woken by a burst of writes rather than by one write between each request's processing. Waking a
 * peer that sleeps in epoll_wait costs the writer kernel time (an inter-processor wake-up): with
 * a write per request interleaved with the proxy's own work, the peer fell asleep between writes
 * and was woken for nearly each one.
 *
 * Measured on the quick harness (2 cores, proxy on CPU 0, wrk and nginx on CPU 1, 50 keep-alive
 * connections, 3 alternating pairs): 45.6k -> 50.8k requests/s, kernel time 12.2 -> 10.8 µs and
 * user time 8.9 -> 8.5 µs per request (medians).
 *
 * Node counts corks: a socket corked here may also be corked by its writer (a response head held
 * for its first body chunk); the bytes leave when both are undone. `socket.end()` uncorks at once.
 */
import type { Socket } from 'node:net';

/** An owner of one socket whose small writes may be batched. */
export interface Batched {
  readonly socket: Socket;
  /** Its socket is corked until the end of this turn (set and cleared here only). */
  batched: boolean;
}

let pending: Batched[] = [];
let spare: Batched[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const list = pending;
  pending = spare;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    c.batched = false;
    // a socket destroyed since has dropped its queue; an ended one was uncorked by end()
    if (!c.socket.destroyed) c.socket.uncork();
  }
  list.length = 0;
  spare = list;
}

/** Corks `c`'s socket until the end of this event-loop turn (once per turn). Call before writing. */
export function batchWrites(c: Batched): void {
  if (c.batched) return;
  c.batched = true;
  c.socket.cork();
  pending.push(c);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}
