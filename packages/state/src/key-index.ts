/**
 * Key -> entry slot indexes of a stick table. `ip` tables use an open-addressing hash over the
 * address as a 32-bit integer (linear probing, backward-shift deletion): no Map entry and no
 * string hashing per lookup, about a third of the memory of a Map. Other types use a Map.
 */

export interface KeyIndex {
  readonly size: number;
  /** Whether `key` can be stored (an `ip` table only takes IPv4 addresses). */
  valid(key: string): boolean;
  get(key: string): number | undefined;
  /** Adds `key` -> `slot` (the key must not be present). */
  set(key: string, slot: number): void;
  delete(key: string): void;
  /** Called when the table's slab grows to `capacity` slots. */
  grow(capacity: number): void;
}

/** A Map, for string/integer/ipv6 keys. */
export class MapIndex implements KeyIndex {
  private m = new Map<string, number>();
  get size(): number {
    return this.m.size;
  }
  valid(): boolean {
    return true;
  }
  get(key: string): number | undefined {
    return this.m.get(key);
  }
  set(key: string, slot: number): void {
    this.m.set(key, slot);
  }
  delete(key: string): void {
    this.m.delete(key);
  }
  grow(): void {}
}

/** `a.b.c.d` as an unsigned 32-bit integer, or -1 (keys reach here already normalised). */
export function ipv4ToInt(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

/** Open addressing over IPv4 addresses; `ipOf[slot]` keeps each entry's address. */
export class Ipv4Index implements KeyIndex {
  /** Entry slot + 1 per bucket (0 = empty). */
  private buckets = new Int32Array(1024);
  private mask = 1023;
  private ipOf: Uint32Array;
  private count = 0;

  constructor(capacity: number) {
    this.ipOf = new Uint32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  private home(ip: number): number {
    return (Math.imul(ip, 0x9e3779b1) >>> 0) & this.mask;
  }

  private find(ip: number): number {
    for (let b = this.home(ip); ; b = (b + 1) & this.mask) {
      const e = this.buckets[b];
      if (e === 0) return -1;
      if (this.ipOf[e - 1] === ip) return b;
    }
  }

  valid(key: string): boolean {
    return ipv4ToInt(key) >= 0;
  }

  get(key: string): number | undefined {
    const ip = ipv4ToInt(key);
    if (ip < 0) return undefined;
    const b = this.find(ip);
    return b < 0 ? undefined : this.buckets[b] - 1;
  }

  set(key: string, slot: number): void {
    const ip = ipv4ToInt(key);
    if (ip < 0) throw new Error(`not an IPv4 key: '${key}'`);
    if ((this.count + 1) * 2 > this.buckets.length) this.rehash(this.buckets.length * 2);
    this.ipOf[slot] = ip;
    this.insert(slot);
    this.count++;
  }

  delete(key: string): void {
    const ip = ipv4ToInt(key);
    if (ip < 0) return;
    let i = this.find(ip);
    if (i < 0) return;
    this.count--;
    // backward-shift deletion: move later entries of the cluster into the hole when their home
    // position does not lie (cyclically) between the hole and their current position
    for (let j = (i + 1) & this.mask; this.buckets[j] !== 0; j = (j + 1) & this.mask) {
      const k = this.home(this.ipOf[this.buckets[j] - 1]);
      const between = i <= j ? i < k && k <= j : i < k || k <= j;
      if (!between) {
        this.buckets[i] = this.buckets[j];
        i = j;
      }
    }
    this.buckets[i] = 0;
  }

  grow(capacity: number): void {
    const ipOf = new Uint32Array(capacity);
    ipOf.set(this.ipOf.subarray(0, Math.min(this.ipOf.length, capacity)));
    this.ipOf = ipOf;
  }

  private insert(slot: number): void {
    let b = this.home(this.ipOf[slot]);
    while (this.buckets[b] !== 0) b = (b + 1) & this.mask;
    this.buckets[b] = slot + 1;
  }

  private rehash(n: number): void {
    const old = this.buckets;
    this.buckets = new Int32Array(n);
    this.mask = n - 1;
    for (let b = 0; b < old.length; b++) if (old[b] !== 0) this.insert(old[b] - 1);
  }
}
