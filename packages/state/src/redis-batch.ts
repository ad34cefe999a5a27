/** Helpers of the Redis replication: batched entry writes, dirty sets, layout signatures. */
import type { Redis } from 'ioredis';
import { layoutKinds, layoutSignature } from './data-types.ts';
import type { RedisNames } from './redis-keys.ts';
import type { StickTable } from './stick-table.ts';

/** The ioredis client with the state layer's scripts defined on it. */
export type Commander = Redis & {
  /** MERGE_LUA over a batch: (numkeys, ...keys, kinds, px, ...values). */
  stmerge(n: number, ...args: Array<string | number>): Promise<number>;
  lwwset(key: string, value: string): Promise<number>;
  /** RESYNC_LUA over a batch: (numkeys, ...keys, kinds, px, channel, message, ...[base, counts]). */
  stresync(n: number, ...args: Array<string | number>): Promise<string[]>;
};

const sigCache = new WeakMap<StickTable, string>();
/** Layout signature of a table (cached). */
export function signatureOf(t: StickTable): string {
  let s = sigCache.get(t);
  if (s === undefined) {
    s = layoutSignature(t.spec.type, t.spec.layout);
    sigCache.set(t, s);
  }
  return s;
}

/** Adds `key` to the set of `t` in `m`. */
export function mark(m: Map<StickTable, Set<string>>, t: StickTable, key: string): void {
  let set = m.get(t);
  if (!set) {
    set = new Set();
    m.set(t, set);
  }
  set.add(key);
}

/** Snapshots of one table's entries, written to Redis by one MERGE_LUA call per batch. */
export class EntryBatch {
  private keys: string[] = [];
  private values: string[] = [];
  private readonly sig: string;
  private readonly kinds: string;
  constructor(
    private readonly t: StickTable,
    private readonly names: RedisNames,
  ) {
    this.sig = layoutSignature(t.spec.type, t.spec.layout);
    this.kinds = layoutKinds(t.spec.layout);
  }

  get size(): number {
    return this.keys.length;
  }

  add(key: string, idx: number): void {
    this.keys.push(this.names.entry(this.t.name, key));
    this.values.push(JSON.stringify({ s: this.sig, t: this.t.name, k: key, d: this.t.snapshot(idx) }));
  }

  /** Queues the batch on a pipeline and empties it. */
  flushInto(p: Commander): void {
    if (this.keys.length === 0) return;
    p.stmerge(this.keys.length, ...this.keys, this.kinds, this.t.spec.expire, ...this.values);
    this.keys = [];
    this.values = [];
  }
}
