/**
 * `clear table` across nodes: the keys a node removed are sent to the others, which remove
 * them too (unless a request holds the entry, as `clear table` itself skips those). For a few
 * seconds after, copies of those entries last used before the removal (in flight from a peer,
 * or in Redis) are not merged back.
 */
import type { StickTable } from './stick-table.ts';

/** How long a removal blocks older copies (ms): a few refresh periods. */
const HOLD_MS = 10_000;

export class ClearLog {
  private readonly at = new Map<string, number>();

  /** Records the removal of `keys` from `t` at `now`. */
  note(t: StickTable, keys: Iterable<string>, now: number): void {
    for (const k of keys) this.at.set(`${t.name}\n${k}`, now);
  }

  /** True when a copy last used at `touch` predates a recent removal of the entry. */
  blocks(t: StickTable, key: string, touch: number): boolean {
    if (this.at.size === 0) return false;
    const at = this.at.get(`${t.name}\n${key}`);
    return at !== undefined && touch <= at;
  }

  /** Forgets removals older than the hold time. */
  purge(now: number): void {
    for (const [k, at] of this.at) if (now - at > HOLD_MS) this.at.delete(k);
  }

  /**
   * Applies a removal received from another node: deletes the entries no request holds;
   * returns how many went.
   */
  apply(t: StickTable, keys: unknown, now: number): number {
    if (!Array.isArray(keys)) return 0;
    let n = 0;
    for (const k of keys) {
      if (typeof k !== 'string') continue;
      this.at.set(`${t.name}\n${k}`, now);
      const idx = t.lookup(k, now);
      if (idx >= 0 && t.refsOf(idx) === 0 && t.delete(k)) n++;
    }
    return n;
  }
}
