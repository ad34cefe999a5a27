/** Batched entry writes of the Redis replication. */
import type { Redis } from 'ioredis';
import { layoutKinds } from './data-types.ts';
import type { RedisNames } from './redis-keys.ts';
import { signatureOf } from './replication.ts';
import type { StickTable } from './stick-table.ts';

/** The ioredis client with the state layer's scripts defined on it. */
export type Commander = Redis & {
  /** MERGE_LUA over a batch: (numkeys, ...keys, kinds, px, ...values). */
  stmerge(n: number, ...args: Array<string | number>): Promise<number>;
  lwwset(key: string, value: string): Promise<number>;
  /** RESYNC_LUA over a batch: (numkeys, ...keys, kinds, px, channel, message, ...[base, counts]). */
  stresync(n: number, ...args: Array<string | number>): Promise<string[]>;
};

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
    this.sig = signatureOf(t);
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
