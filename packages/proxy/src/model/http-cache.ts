/**
 * The objects of one `cache` section (HAProxy 2.6's small-object cache), in this process: entries
 * by primary key (sha1 of the URL, as HAProxy's sha1_hosturi), sized in HAProxy's 1 KiB blocks,
 * the least recently used given up first when room is needed. Under `--workers` each worker has
 * its own (HAProxy's is shared by its threads). The rules that decide what is stored and served
 * live in filters/cache.ts.
 */

/** HAProxy's CACHE_BLOCKSIZE. */
const BLOCK = 1024;
/** What an entry costs besides its head and body (HAProxy's struct cache_entry, about). */
const ENTRY_OVERHEAD = 128;

/** One stored response. */
export interface CacheEntry {
  /** sha1 of the URL, hex (the primary key). */
  readonly key: string;
  /** Its first 4 bytes as HAProxy's read_u32 gives them (the `hash:` of `show cache`). */
  readonly hash: number;
  status: number;
  reason: string;
  /** The head as it was when `cache-store` ran (without Age). */
  headers: string[];
  body: Buffer[];
  /** Head and body bytes plus the entry itself. */
  size: number;
  /** Unix seconds: expiry, when it was stored, the Age it came with, its Last-Modified (or Date). */
  expire: number;
  latestValidation: number;
  age: number;
  lastModified: number;
  etag?: string;
  /** Its body has been stored whole (an incomplete entry is never served). */
  complete: boolean;
}

export class HttpCache {
  readonly name: string;
  readonly maxBlocks: number;
  readonly maxObjectSize: number;
  readonly maxAge: number;
  /** In least recently used order. */
  private readonly entries = new Map<string, CacheEntry>();
  private used = 0;

  constructor(opts: { name: string; totalMaxSize: number; maxObjectSize: number; maxAge: number }) {
    this.name = opts.name;
    this.maxBlocks = Math.floor(opts.totalMaxSize / BLOCK);
    this.maxObjectSize = opts.maxObjectSize;
    this.maxAge = opts.maxAge;
  }

  /** Blocks an entry of `size` bytes takes. */
  static blocks(size: number): number {
    return Math.ceil(size / BLOCK);
  }

  /** Blocks in use by complete entries or not, and those free (HAProxy's eviction bound). */
  private get free(): number {
    return this.maxBlocks - this.used;
  }

  /**
   * `available blocks` of `show cache`, as HAProxy's shctx counts them: every block but those of
   * entries being stored (a stored entry's blocks can be given up, so they count as available).
   */
  get available(): number {
    let busy = 0;
    for (const e of this.entries.values()) if (!e.complete) busy += HttpCache.blocks(e.size);
    return this.maxBlocks - busy;
  }

  /** The entry for `key` if not expired (an expired one is removed), complete or not. */
  lookup(key: string, now: number): CacheEntry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expire <= now) {
      this.remove(e);
      return undefined;
    }
    return e;
  }

  /** A served entry becomes the most recently used. */
  touch(e: CacheEntry): void {
    if (this.entries.get(e.key) !== e) return;
    this.entries.delete(e.key);
    this.entries.set(e.key, e);
  }

  /** A new, incomplete entry (replacing the one with its key). */
  begin(e: CacheEntry): void {
    const old = this.entries.get(e.key);
    if (old) this.remove(old);
    e.size = ENTRY_OVERHEAD;
    this.entries.set(e.key, e);
    this.used += HttpCache.blocks(e.size);
  }

  /**
   * `bytes` more for an entry being stored; false (and the entry dropped) when it would pass
   * max-object-size or cannot get room even after giving up the least recently used entries.
   */
  grow(e: CacheEntry, bytes: number): boolean {
    if (this.entries.get(e.key) !== e) return false;
    const before = HttpCache.blocks(e.size);
    const size = e.size + bytes;
    if (size - ENTRY_OVERHEAD > this.maxObjectSize) {
      this.remove(e);
      return false;
    }
    const need = HttpCache.blocks(size) - before;
    for (const other of this.entries.values()) {
      if (this.free >= need) break;
      if (other !== e && other.complete) this.remove(other);
    }
    if (this.free < need) {
      this.remove(e);
      return false;
    }
    this.used += need;
    e.size = size;
    return true;
  }

  /** Removes an entry (a successful unsafe request on it, expiry, eviction). */
  remove(e: CacheEntry): void {
    if (this.entries.get(e.key) !== e) return;
    this.entries.delete(e.key);
    this.used -= HttpCache.blocks(e.size);
  }

  /** Removes the entry of `key`, if any. */
  removeKey(key: string): void {
    const e = this.entries.get(key);
    if (e) this.remove(e);
  }

  /** Live entries in HAProxy's tree order (by hash), expired ones removed. */
  list(now: number): CacheEntry[] {
    const out: CacheEntry[] = [];
    for (const e of [...this.entries.values()]) {
      if (e.expire > now) out.push(e);
      else this.remove(e);
    }
    return out.sort((a, b) => a.hash - b.hash);
  }
}
