/**
 * `hash-type map-based` (HAProxy's default): server = map[hash % total weight] over the
 * weighted map. Changing the set of usable servers remaps most keys; see chash.ts for the
 * consistent alternative. Requests without a key are balanced round robin.
 */
import { isUsable, type ServerState } from '../model/server-state.ts';
import type { HttpTxn } from '../model/txn.ts';
import type { LbGroup } from './group.ts';
import type { HashKeyFn } from './hash-key.ts';
import { RoundRobin } from './roundrobin.ts';
import { buildWeightMap } from './weight-map.ts';

export class MapHash implements LbGroup {
  private servers: ServerState[] = [];
  private map: Int32Array = new Int32Array(0);
  private readonly fallback = new RoundRobin();

  constructor(private readonly key: HashKeyFn) {}

  build(servers: ServerState[]): void {
    this.servers = servers.slice();
    this.map = buildWeightMap(this.servers);
    this.fallback.build(servers);
  }

  pick(txn: HttpTxn, exclude: ServerState | undefined): ServerState | null {
    const h = this.key(txn);
    const n = this.map.length;
    if (h === undefined || n === 0) return this.fallback.pick(txn, exclude);
    const start = h % n;
    let usableExcluded: ServerState | null = null;
    // the hashed server even if full (the caller queues on it); walk on only if unusable/excluded
    for (let k = 0; k < n; k++) {
      const s = this.servers[this.map[(start + k) % n]];
      if (!isUsable(s)) continue;
      if (s === exclude) {
        usableExcluded = s;
        continue;
      }
      return s;
    }
    return usableExcluded;
  }
}
