/**
 * `balance first`: the usable server with the lowest id that still has a free connection slot
 * (`maxconn`; without maxconn a server never fills, so it takes everything). Weights are not
 * used except that weight 0 means no new traffic. When all are full, the lowest id is
 * returned and the caller queues on it.
 */
import type { ServerState } from '../model/server-state.ts';
import { candidate, type LbGroup, threePasses } from './group.ts';

export class First implements LbGroup {
  private servers: ServerState[] = [];
  private exclude: ServerState | undefined;
  private readonly choose = (pass: number): number => {
    for (let i = 0; i < this.servers.length; i++) if (candidate(this.servers[i], this.exclude, pass)) return i;
    return -1;
  };

  build(servers: ServerState[]): void {
    this.servers = servers.slice().sort((a, b) => a.id - b.id);
  }

  pick(_txn: unknown, exclude: ServerState | undefined): ServerState | null {
    this.exclude = exclude;
    const i = threePasses(this.choose, exclude);
    this.exclude = undefined;
    return i < 0 ? null : this.servers[i];
  }
}
