/**
 * `balance roundrobin`: smooth weighted round robin. Each pick adds every candidate's weight to
 * its running score, takes the highest score and subtracts the total: weights 3,2,1 give
 * a b a c b a, spreading a heavy server's turns instead of bursting them. Dynamic: update()
 * after a weight change rebuilds it with the new effective weights (0 = no new traffic).
 */
import type { ServerState } from '../model/server-state.ts';
import { candidate, type LbGroup, threePasses } from './group.ts';

export class RoundRobin implements LbGroup {
  private servers: ServerState[] = [];
  private weights = new Float64Array(0);
  private scores = new Float64Array(0);
  private exclude: ServerState | undefined;
  private readonly choose = (pass: number): number => {
    const { servers, weights, scores } = this;
    let best = -1;
    let total = 0;
    for (let i = 0; i < servers.length; i++) {
      if (!candidate(servers[i], this.exclude, pass)) continue;
      scores[i] += weights[i];
      total += weights[i];
      if (best < 0 || scores[i] > scores[best]) best = i;
    }
    if (best >= 0) scores[best] -= total;
    return best;
  };

  build(servers: ServerState[]): void {
    const prev = new Map<ServerState, number>();
    for (let i = 0; i < this.servers.length; i++) prev.set(this.servers[i], this.scores[i]);
    this.servers = servers.slice();
    this.weights = new Float64Array(servers.length);
    this.scores = new Float64Array(servers.length);
    for (let i = 0; i < servers.length; i++) {
      this.weights[i] = servers[i].effectiveWeight;
      // keep the position of servers that stay, so a rebuild does not restart the cycle
      this.scores[i] = prev.get(servers[i]) ?? 0;
    }
  }

  pick(_txn: unknown, exclude: ServerState | undefined): ServerState | null {
    this.exclude = exclude;
    const i = threePasses(this.choose, exclude);
    this.exclude = undefined;
    return i < 0 ? null : this.servers[i];
  }
}
