/**
 * `balance static-rr`: round robin over a precomputed weighted map (HAProxy lb_map). Cheaper
 * than roundrobin and with no server limit; weight changes apply on the next update().
 */
import type { ServerState } from '../model/server-state.ts';
import { candidate, type LbGroup, threePasses } from './group.ts';
import { buildWeightMap } from './weight-map.ts';

export class StaticRoundRobin implements LbGroup {
  private servers: ServerState[] = [];
  private map: Int32Array = new Int32Array(0);
  private pos = 0;
  private exclude: ServerState | undefined;
  private readonly choose = (pass: number): number => {
    const n = this.map.length;
    for (let k = 0; k < n; k++) {
      const slot = (this.pos + k) % n;
      const i = this.map[slot];
      if (candidate(this.servers[i], this.exclude, pass)) {
        this.pos = (slot + 1) % n;
        return i;
      }
    }
    return -1;
  };

  build(servers: ServerState[]): void {
    this.servers = servers.slice();
    this.map = buildWeightMap(this.servers);
    if (this.pos >= this.map.length) this.pos = 0;
  }

  pick(_txn: unknown, exclude: ServerState | undefined): ServerState | null {
    this.exclude = exclude;
    const i = threePasses(this.choose, exclude);
    this.exclude = undefined;
    return i < 0 ? null : this.servers[i];
  }
}
