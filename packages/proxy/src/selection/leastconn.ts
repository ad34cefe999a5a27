/**
 * `balance leastconn`: the server with the fewest active requests relative to its weight, with
 * HAProxy lb_fwlc's key: 0 when idle, else (inflight + 1) * 256 / weight (integer), inflight =
 * active + queued. Equal keys rotate: the server picked least recently wins, as re-queuing
 * into HAProxy's tree puts the last used server behind its equals.
 */
import type { ServerState } from '../model/server-state.ts';
import { candidate, type LbGroup, threePasses } from './group.ts';

export class LeastConn implements LbGroup {
  private servers: ServerState[] = [];
  private stamps = new Float64Array(0);
  private seq = 0;
  private exclude: ServerState | undefined;
  private readonly choose = (pass: number): number => {
    const { servers, stamps } = this;
    let best = -1;
    let bestKey = 0;
    for (let i = 0; i < servers.length; i++) {
      const s = servers[i];
      if (!candidate(s, this.exclude, pass)) continue;
      const inflight = s.cur + s.queued;
      const key = inflight === 0 ? 0 : Math.floor(((inflight + 1) * 256) / s.effectiveWeight);
      if (best < 0 || key < bestKey || (key === bestKey && stamps[i] < stamps[best])) {
        best = i;
        bestKey = key;
      }
    }
    if (best >= 0) stamps[best] = ++this.seq;
    return best;
  };

  build(servers: ServerState[]): void {
    const prev = new Map<ServerState, number>();
    for (let i = 0; i < this.servers.length; i++) prev.set(this.servers[i], this.stamps[i]);
    this.servers = servers.slice();
    this.stamps = new Float64Array(servers.length);
    for (let i = 0; i < servers.length; i++) this.stamps[i] = prev.get(servers[i]) ?? 0;
  }

  pick(_txn: unknown, exclude: ServerState | undefined): ServerState | null {
    this.exclude = exclude;
    const i = threePasses(this.choose, exclude);
    this.exclude = undefined;
    return i < 0 ? null : this.servers[i];
  }
}
