/**
 * `hash-type consistent` (HAProxy lb_chash): each server owns weight*16 points on a 32-bit ring
 * at full_hash(id * 4096 + n); a key goes to the nearest point (either side, as HAProxy picks the
 * closer of the next and previous nodes). Removing a server only moves the keys it owned.
 */

import { fullHash } from '../acl/hash-fn.ts';
import { isUsable, type ServerState } from '../model/server-state.ts';
import type { HttpTxn } from '../model/txn.ts';
import { type LbGroup, unitWeight } from './group.ts';
import type { HashKeyFn } from './hash-key.ts';
import { RoundRobin } from './roundrobin.ts';

/** Points per unit of weight (HAProxy BE_WEIGHT_SCALE). */
const SCALE = 16;

export class ConsistentHash implements LbGroup {
  private servers: ServerState[] = [];
  private keys = new Uint32Array(0);
  private owners = new Int32Array(0);
  private readonly fallback = new RoundRobin();

  constructor(private readonly key: HashKeyFn) {}

  build(servers: ServerState[]): void {
    this.servers = servers.slice();
    const points: Array<[number, number]> = [];
    for (let i = 0; i < servers.length; i++) {
      const s = servers[i];
      const n = unitWeight(s) * SCALE;
      for (let k = 0; k < n; k++) points.push([fullHash((s.id * 256 * SCALE + k) >>> 0), i]);
    }
    points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    this.keys = Uint32Array.from(points, (p) => p[0]);
    this.owners = Int32Array.from(points, (p) => p[1]);
    this.fallback.build(servers);
  }

  /** Index of the ring point nearest to `h`. */
  private nearest(h: number): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    const next = lo === keys.length ? 0 : lo;
    const prev = (next === 0 ? keys.length : next) - 1;
    const dp = (h - keys[prev]) >>> 0;
    const dn = (keys[next] - h) >>> 0;
    return dp <= dn ? prev : next;
  }

  pick(txn: HttpTxn, exclude: ServerState | undefined): ServerState | null {
    const h = this.key(txn);
    const n = this.keys.length;
    if (h === undefined || n === 0) return this.fallback.pick(txn, exclude);
    const start = this.nearest(h);
    let usableExcluded: ServerState | null = null;
    for (let k = 0; k < n; k++) {
      const s = this.servers[this.owners[(start + k) % n]];
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
