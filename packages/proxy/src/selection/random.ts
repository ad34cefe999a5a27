/**
 * `balance random[(N)]`: N weighted random draws (default 2, "power of two choices"), keeping
 * the server with the fewest active requests relative to its weight (HAProxy get_server_rnd).
 * A draw landing on a server that is not a candidate moves to the next one.
 */
import type { ServerState } from '../model/server-state.ts';
import { candidate, type LbGroup, threePasses } from './group.ts';

export class RandomDraws implements LbGroup {
  private servers: ServerState[] = [];
  /** Cumulative effective weights. */
  private cumul = new Float64Array(0);
  private exclude: ServerState | undefined;

  constructor(
    private readonly draws: number,
    private readonly rng: () => number,
  ) {}

  private drawIndex(): number {
    const c = this.cumul;
    const r = this.rng() * c[c.length - 1];
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private readonly choose = (pass: number): number => {
    const n = this.servers.length;
    if (n === 0 || this.cumul[n - 1] <= 0) return -1;
    let best = -1;
    for (let d = 0; d < this.draws; d++) {
      let i = this.drawIndex();
      let k = 0;
      while (k < n && !candidate(this.servers[i], this.exclude, pass)) {
        i = (i + 1) % n;
        k++;
      }
      if (k === n) return -1;
      if (best >= 0 && best !== i) {
        const a = this.servers[i];
        const b = this.servers[best];
        // keep the previous choice when the new one is more loaded relative to its weight
        if (a.cur * b.effectiveWeight > b.cur * a.effectiveWeight) continue;
      }
      best = i;
    }
    return best;
  };

  build(servers: ServerState[]): void {
    this.servers = servers.slice();
    this.cumul = new Float64Array(servers.length);
    let sum = 0;
    for (let i = 0; i < servers.length; i++) {
      sum += Math.max(0, servers[i].effectiveWeight);
      this.cumul[i] = sum;
    }
  }

  pick(_txn: unknown, exclude: ServerState | undefined): ServerState | null {
    this.exclude = exclude;
    const i = threePasses(this.choose, exclude);
    this.exclude = undefined;
    return i < 0 ? null : this.servers[i];
  }
}
