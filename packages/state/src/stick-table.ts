/**
 * One stick table: a fixed-capacity slab of entries (struct of arrays, no object per entry) with
 * a key index, LRU order and inactivity expiry, as HAProxy's `stick-table ... size N expire T`.
 *
 * - `size` is enforced: creating an entry in a full table evicts the least recently touched entry
 *   that no in-flight request references (HAProxy's "trash oldest"); with `nopurge`, or when every
 *   candidate is referenced, the entry is not created and the rule does nothing.
 * - `expire`: an entry not touched for `expire` ms is gone (checked on lookup, and purged in the
 *   background from the LRU tail). Referenced entries do not expire.
 * - Entries are named by their slot index; a slot is reused after eviction, so holders keep the
 *   slot's generation and check it (`isLive`).
 */
import type { StickTableModel, StickTableType } from '@switchyard/config';
import { type DataSlot, type Layout, layoutFor, RESET, TOUCH, WRITTEN } from './data-types.ts';
import { freqAdd, freqRead } from './freq-counter.ts';
import { Ipv4Index, type KeyIndex, MapIndex } from './key-index.ts';

/**
 * An entry changed locally (replication marks it dirty): `touchOnly` when only its last-use
 * time moved (replicated lazily, so remote copies do not expire while the entry is in use).
 */
export type ChangeListener = (table: StickTable, idx: number, touchOnly: boolean) => void;

/** The table definition as compiled (from a `stick-table` line). */
export interface TableSpec {
  name: string;
  type: StickTableType;
  /** Key length for string tables (default 32). */
  len: number;
  size: number;
  /** Inactivity expiry (ms); 0 = never. */
  expire: number;
  nopurge: boolean;
  layout: Layout;
}

const NIL = -1;
/** How many LRU entries an insertion inspects for an unreferenced victim. */
const EVICT_SCAN = 64;

/** Builds a TableSpec from the model (throws StateError on unsupported store types). */
export function tableSpec(name: string, m: StickTableModel): TableSpec {
  const where = `${m.loc.file}:${m.loc.line}`;
  return {
    name,
    type: m.type,
    len: m.len ?? 32,
    size: m.size,
    expire: m.expire ?? 0,
    nopurge: m.nopurge,
    layout: layoutFor(m.store, where),
  };
}

export class StickTable {
  readonly spec: TableSpec;
  readonly name: string;
  /** Entry data, `stride` float64 per slot. */
  private data: Float64Array;
  private keys: Array<string | undefined>;
  private gens: Uint32Array;
  private refs: Int32Array;
  /** LRU doubly linked list: head = most recently touched. */
  private prev: Int32Array;
  private next: Int32Array;
  private head = NIL;
  private tail = NIL;
  private free: number[] = [];
  private index: KeyIndex;
  private capacity: number;
  /** Called when an entry's data changes locally (replication marks it dirty). */
  onChange?: ChangeListener;
  /**
   * Local increments not yet replicated, same layout as `data` (allocated by trackDeltas()):
   * replication sends these as deltas so counters add up across nodes.
   */
  private pending?: Float64Array;

  constructor(spec: TableSpec) {
    this.spec = spec;
    this.name = spec.name;
    // slabs grow on demand up to `size`, so a `size 1m` table costs nothing until used
    this.capacity = Math.min(spec.size, 1024);
    const stride = spec.layout.stride;
    this.data = new Float64Array(this.capacity * stride);
    this.keys = new Array(this.capacity);
    this.gens = new Uint32Array(this.capacity);
    this.refs = new Int32Array(this.capacity);
    this.prev = new Int32Array(this.capacity);
    this.next = new Int32Array(this.capacity);
    for (let i = this.capacity - 1; i >= 0; i--) this.free.push(i);
    this.index = spec.type === 'ip' ? new Ipv4Index(this.capacity) : new MapIndex();
  }

  /** Number of live entries (may include expired ones not yet purged). */
  get count(): number {
    return this.index.size;
  }

  /** The slot of a stored data type, or undefined when the table does not store it. */
  slot(name: string): DataSlot | undefined {
    return this.spec.layout.byName.get(name);
  }

  /** Index of the live entry for `key`, or -1 (absent or expired). Does not touch it. */
  lookup(key: string, now: number): number {
    const i = this.index.get(key);
    if (i === undefined) return NIL;
    if (this.expired(i, now)) {
      this.remove(i);
      return NIL;
    }
    return i;
  }

  /** Index of the entry for `key`, created if absent (-1 when the table is full and nothing can go). */
  getOrCreate(key: string, now: number): number {
    const found = this.lookup(key, now);
    if (found !== NIL) {
      this.touch(found, now);
      return found;
    }
    // a key that does not fit the table (from a peer or Redis) is refused, never stored
    if (!this.index.valid(key)) return NIL;
    const i = this.allocate(now);
    if (i === NIL) return NIL;
    this.keys[i] = key;
    this.index.set(key, i);
    const o = i * this.spec.layout.stride;
    this.data.fill(0, o, o + this.spec.layout.stride);
    this.pending?.fill(0, o, o + this.spec.layout.stride);
    this.data[o + TOUCH] = now;
    this.linkHead(i);
    return i;
  }

  /** Marks the entry as used now: moves it to the LRU head and restarts its expiry. */
  touch(i: number, now: number): void {
    this.data[i * this.spec.layout.stride + TOUCH] = now;
    if (this.head !== i) {
      this.unlink(i);
      this.linkHead(i);
    }
  }

  /** Key of a live entry. */
  keyOf(i: number): string {
    return this.keys[i] as string;
  }

  /** Generation of a slot: changes whenever the slot is reused for another key. */
  gen(i: number): number {
    return this.gens[i];
  }

  /** True when slot `i` still holds the entry it held at generation `g`. */
  isLive(i: number, g: number): boolean {
    return this.gens[i] === g && this.keys[i] !== undefined;
  }

  /** An in-flight request holds the entry (not evicted nor expired meanwhile). */
  ref(i: number): void {
    this.refs[i]++;
  }

  unref(i: number): void {
    if (this.refs[i] > 0) this.refs[i]--;
  }

  /** Value of a stored type (rates read as HAProxy does), or 0 for `server_id` unset. */
  read(i: number, s: DataSlot, now: number): number {
    const o = i * this.spec.layout.stride + s.offset;
    return s.kind === 'rate' ? freqRead(this.data, o, s.period, now) : this.data[o];
  }

  /** Adds `n` to a counter/gauge, or `n` events to a rate (`remote`: applied from another node). */
  add(i: number, s: DataSlot, n: number, now: number, notify = true, remote = false): void {
    const o = i * this.spec.layout.stride + s.offset;
    if (s.kind === 'rate') freqAdd(this.data, o, s.period, now, n);
    else {
      const v = this.data[o] + n;
      this.data[o] = s.kind === 'gauge' && v < 0 ? 0 : v;
    }
    if (!remote && this.pending && s.kind !== 'gauge') this.pending[o] += n;
    if (notify && this.onChange) this.onChange(this, i, false);
  }

  /** Starts recording local increments for replication (see takeDeltas). */
  trackDeltas(): void {
    this.pending ??= new Float64Array(this.data.length);
  }

  /** Gives back increments taken by takeDeltas (their publication failed). */
  restoreDeltas(i: number, pairs: Array<[number, number]>): void {
    const p = this.pending;
    if (!p) return;
    const base = i * this.spec.layout.stride;
    for (const [o, n] of pairs) p[base + o] += n;
  }

  /** Unpublished local increments of slot `offset` of entry `i` (0 without delta tracking). */
  pendingOf(i: number, offset: number): number {
    return this.pending ? this.pending[i * this.spec.layout.stride + offset] : 0;
  }

  /** The local increments of entry `i` since the last call, as [offset, n] pairs (then zeroed). */
  takeDeltas(i: number): Array<[number, number]> | undefined {
    const p = this.pending;
    if (!p) return undefined;
    let out: Array<[number, number]> | undefined;
    const base = i * this.spec.layout.stride;
    for (const s of this.spec.layout.slots) {
      const o = base + s.offset;
      if (p[o] !== 0) {
        (out ??= []).push([s.offset, p[o]]);
        p[o] = 0;
      }
    }
    return out;
  }

  /** Sets an absolute value (server_id, gpt0, a counter): last writer wins between nodes. */
  set(i: number, s: DataSlot, v: number, now: number, notify = true): void {
    const base = i * this.spec.layout.stride;
    this.data[base + s.offset] = v;
    this.data[base + WRITTEN] = now;
    if (notify && this.onChange) this.onChange(this, i, false);
  }

  /**
   * Assigns a value (runtime API `set table`, `sc_clr_gpc0`): LWW values are set; counters and
   * rates take the value, and the difference is recorded as a local delta so peers follow; a rate
   * becomes `v` events in a period starting now.
   */
  assign(i: number, s: DataSlot, v: number, now: number): void {
    if (s.kind === 'id' || s.kind === 'tag') {
      this.set(i, s, v, now);
      return;
    }
    const o = i * this.spec.layout.stride + s.offset;
    const old = this.read(i, s, now);
    if (s.kind !== 'gauge') this.data[i * this.spec.layout.stride + RESET] = now;
    if (s.kind === 'rate') {
      this.data[o] = now;
      this.data[o + 1] = v;
      this.data[o + 2] = 0;
    } else this.data[o] = v;
    if (this.pending && s.kind !== 'gauge') this.pending[o] += v - old;
    if (this.onChange) this.onChange(this, i, false);
  }

  /** Number of in-flight requests holding entry `i` (`use=` of `show table`). */
  refsOf(i: number): number {
    return this.refs[i];
  }

  /** Raw slots of an entry (for replication snapshots): a copy. */
  snapshot(i: number): number[] {
    const o = i * this.spec.layout.stride;
    return Array.from(this.data.subarray(o, o + this.spec.layout.stride));
  }

  /** Raw access for replication: slot array and base offset of entry `i`. */
  raw(i: number): { data: Float64Array; base: number } {
    return { data: this.data, base: i * this.spec.layout.stride };
  }

  /** Live, unexpired entries (key and index), oldest first. */
  *entries(now: number): Generator<[string, number]> {
    for (let i = this.tail; i !== NIL; ) {
      const p = this.prev[i];
      if (!this.expired(i, now)) yield [this.keys[i] as string, i];
      i = p;
    }
  }

  /** Entries used at or after `since` (epoch ms), most recent first: walks the LRU from its head. */
  *recent(since: number): Generator<[string, number]> {
    for (let i = this.head; i !== NIL; i = this.next[i]) {
      if (this.data[i * this.spec.layout.stride + TOUCH] < since) return;
      yield [this.keys[i] as string, i];
    }
  }

  /** Removes expired entries from the LRU tail; returns how many went. Bounded by `max`. */
  purgeExpired(now: number, max = 10000): number {
    if (this.spec.expire === 0) return 0;
    let n = 0;
    let i = this.tail;
    while (i !== NIL && n < max) {
      const p = this.prev[i];
      const touched = this.data[i * this.spec.layout.stride + TOUCH];
      if (now - touched < this.spec.expire) break; // LRU order: everything before is newer
      if (this.refs[i] === 0) {
        this.remove(i);
        n++;
      }
      i = p;
    }
    return n;
  }

  /** Removes the entry for `key` (runtime API `clear table`). */
  delete(key: string): boolean {
    const i = this.index.get(key);
    if (i === undefined) return false;
    this.remove(i);
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    for (let i = this.tail; i !== NIL; ) {
      const p = this.prev[i];
      this.remove(i);
      i = p;
    }
  }

  private expired(i: number, now: number): boolean {
    const exp = this.spec.expire;
    return exp > 0 && this.refs[i] === 0 && now - this.data[i * this.spec.layout.stride + TOUCH] >= exp;
  }

  private allocate(now: number): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.capacity < this.spec.size) {
      this.grow();
      return this.free.pop() as number;
    }
    if (this.spec.nopurge) {
      // expired entries may still go: they are gone for HAProxy too
      if (this.tail !== NIL && this.expired(this.tail, now)) {
        this.remove(this.tail);
        return this.free.pop() as number;
      }
      return NIL;
    }
    let i = this.tail;
    for (let k = 0; i !== NIL && k < EVICT_SCAN; k++) {
      if (this.refs[i] === 0) {
        this.remove(i);
        return this.free.pop() as number;
      }
      i = this.prev[i];
    }
    return NIL;
  }

  private grow(): void {
    const old = this.capacity;
    const cap = Math.min(this.spec.size, old * 2);
    const stride = this.spec.layout.stride;
    const data = new Float64Array(cap * stride);
    data.set(this.data);
    this.data = data;
    if (this.pending) {
      const p = new Float64Array(cap * stride);
      p.set(this.pending);
      this.pending = p;
    }
    this.keys.length = cap;
    this.gens = growU32(this.gens, cap);
    this.refs = growI32(this.refs, cap);
    this.prev = growI32(this.prev, cap);
    this.next = growI32(this.next, cap);
    this.index.grow(cap);
    for (let i = cap - 1; i >= old; i--) this.free.push(i);
    this.capacity = cap;
  }

  private remove(i: number): void {
    const key = this.keys[i];
    if (key === undefined) return;
    this.index.delete(key);
    this.keys[i] = undefined;
    this.gens[i]++;
    this.refs[i] = 0;
    this.unlink(i);
    this.free.push(i);
  }

  private linkHead(i: number): void {
    this.prev[i] = NIL;
    this.next[i] = this.head;
    if (this.head !== NIL) this.prev[this.head] = i;
    this.head = i;
    if (this.tail === NIL) this.tail = i;
  }

  private unlink(i: number): void {
    const p = this.prev[i];
    const n = this.next[i];
    if (p !== NIL) this.next[p] = n;
    else if (this.head === i) this.head = n;
    if (n !== NIL) this.prev[n] = p;
    else if (this.tail === i) this.tail = p;
    this.prev[i] = NIL;
    this.next[i] = NIL;
  }
}

function growI32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

function growU32(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}
