/**
 * What the two ways of sharing state have in common: between nodes through Redis (redis-sync.ts)
 * and between the `--workers` processes of one node over IPC (worker-sync.ts). Both mark the
 * entries a request changed or used, send the changes as entry tuples grouped per table (checked
 * against the table's layout signature on arrival), share servers' admin state and weight set
 * through the runtime API or the stats page (last writer wins), and carry `clear table`. Only the
 * transport and its schedule differ, and stay in the subclasses.
 */
import type { AdminState, BackendRuntime, ProxyLogger, ProxyRuntime, ServerState } from '@switchyard/proxy';
import { ClearLog } from './clear-log.ts';
import { layoutSignature } from './data-types.ts';
import { applyChange, changeOf, type EntryChange, isEntryTuple, mergeSnapshot } from './replica.ts';
import type { StickTable } from './stick-table.ts';
import type { TableDirectory } from './tables.ts';

/** How admin changes from other nodes are applied (packages/proxy control/server-control.ts). */
export interface ServerControl {
  setServerAdmin(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, admin: AdminState, origin: string): boolean;
  setServerWeight(rt: ProxyRuntime, be: BackendRuntime, s: ServerState, weight: number, origin: string): boolean;
}

/** One entry on the wire: [key, touch, written, abs, deltas, snapshot] (0 for an absent part). */
export type EntryTuple = [string, number, number, EntryChange['abs'] | 0, EntryChange['deltas'] | 0, number[] | 0];

/** Entry tuples per table name, with the layout signature of the sender's table. */
export type TableGroups = Record<string, { s: string; e: EntryTuple[] }>;

/** A shared admin field of a server, last writer wins by `w` (epoch ms), ties broken by `n`. */
export interface AdminRecord {
  b: string;
  s: string;
  f: 'admin' | 'weight';
  v: string | number;
  w: number;
  /** The writer (node id, or worker id). */
  n: string;
}

/** Changes made through these are shared; the others (checks, DNS, state file) are each node's own. */
const SHARED_ORIGINS = new Set(['api', 'stats']);

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

/** Builds messages of at most `chunk` entry tuples; `emit` receives each full group set. */
export function entryGroups(
  chunk: number,
  emit: (groups: TableGroups) => void,
): { push(t: StickTable, e: EntryTuple): void; end(): void } {
  let groups: TableGroups = {};
  let count = 0;
  const end = () => {
    if (count === 0) return;
    const full = groups;
    groups = {};
    count = 0;
    emit(full);
  };
  return {
    push(t, e) {
      (groups[t.name] ??= { s: signatureOf(t), e: [] }).e.push(e);
      if (++count >= chunk) end();
    },
    end,
  };
}

/** A changed entry: values written and counts added since it was last sent. */
export function changeTuple(t: StickTable, idx: number): EntryTuple {
  const c = changeOf(t, idx, true);
  return [c.key, c.touch, c.written, c.abs ?? 0, c.deltas ?? 0, 0];
}

/** A used entry: its use and write times only (keeps it alive elsewhere). */
export function touchTuple(t: StickTable, key: string, idx: number): EntryTuple {
  const { data, base } = t.raw(idx);
  return [key, data[base], data[base + 1], 0, 0, 0];
}

/** A full copy of an entry (for a newcomer, merged as a maximum). */
export function copyTuple(t: StickTable, key: string, idx: number): EntryTuple {
  const { data, base } = t.raw(idx);
  return [key, data[base], data[base + 1], 0, 0, t.snapshot(idx)];
}

export abstract class Replicator {
  /** Entries changed locally since they were last sent. */
  protected dirty = new Map<StickTable, Set<string>>();
  /** Entries only used (unchanged) since the last refresh. */
  protected touched = new Map<StickTable, Set<string>>();
  protected readonly clears = new ClearLog();
  /**
   * Latest admin record per server field, made here or applied from elsewhere: the last-writer-wins
   * guard, and what a newcomer (or a Redis that restarted empty) is given again.
   */
  protected readonly adminKnown = new Map<string, AdminRecord>();
  protected rt: ProxyRuntime;
  private detachEvents?: () => void;

  constructor(
    protected readonly dir: TableDirectory,
    rt: ProxyRuntime,
    private readonly control: { logger: ProxyLogger; serverControl?: ServerControl },
  ) {
    this.rt = rt;
    for (const t of dir.all()) this.attach(t);
    this.attachEvents(rt);
  }

  /** This side's writer id in admin records. */
  protected abstract get writerId(): string;
  /** Key of a server field in `adminKnown` (Redis: the key it is stored under). */
  protected abstract adminKey(b: string, s: string, f: AdminRecord['f']): string;
  /** A local admin change to send (already recorded in `adminKnown`). */
  protected abstract queueAdmin(key: string, rec: AdminRecord): void;
  protected abstract log(level: 'warning' | 'notice', msg: string): void;

  /** Replication for a (new) table: dirty marking and delta recording. */
  attach(t: StickTable): void {
    t.trackDeltas();
    t.onChange = (table, idx, touchOnly) => mark(touchOnly ? this.touched : this.dirty, table, table.keyOf(idx));
  }

  /** Follows a new runtime after a reload (events of the old one are no longer listened to). */
  swapRuntime(rt: ProxyRuntime): void {
    this.detach();
    this.rt = rt;
    this.attachEvents(rt);
  }

  /** Stops listening to the runtime's server events. */
  protected detach(): void {
    this.detachEvents?.();
    this.detachEvents = undefined;
  }

  /** `clear table` removed `keys` here: nothing of them is sent any more, and late copies are refused. */
  protected noteClear(t: StickTable, keys: string[], now: number): void {
    this.clears.note(t, keys, now);
    for (const k of keys) {
      this.dirty.get(t)?.delete(k);
      this.touched.get(t)?.delete(k);
    }
  }

  private attachEvents(rt: ProxyRuntime): void {
    const onState = (ev: {
      server: ServerState;
      backend: BackendRuntime;
      toAdmin: AdminState;
      fromAdmin: AdminState;
      origin: string;
    }) => {
      if (SHARED_ORIGINS.has(ev.origin) && ev.fromAdmin !== ev.toAdmin)
        this.recordAdmin(ev.backend.name, ev.server.name, 'admin', ev.toAdmin);
    };
    const onWeight = (ev: { server: ServerState; backend: BackendRuntime; to: number; origin: string }) => {
      if (SHARED_ORIGINS.has(ev.origin)) this.recordAdmin(ev.backend.name, ev.server.name, 'weight', ev.to);
    };
    rt.events.on('server-state', onState);
    rt.events.on('server-weight', onWeight);
    this.detachEvents = () => {
      rt.events.off('server-state', onState);
      rt.events.off('server-weight', onWeight);
    };
  }

  private recordAdmin(b: string, s: string, f: AdminRecord['f'], v: string | number): void {
    const rec: AdminRecord = { b, s, f, v, w: Date.now(), n: this.writerId };
    const k = this.adminKey(b, s, f);
    this.adminKnown.set(k, rec);
    this.queueAdmin(k, rec);
  }

  /** Applies received table groups (unknown tables, other layouts and malformed tuples skipped); returns the count applied. */
  protected applyTables(groups: unknown, now: number): number {
    if (typeof groups !== 'object' || groups === null) return 0;
    let applied = 0;
    for (const [name, group] of Object.entries(groups)) {
      const t = this.dir.get(name);
      if (!t || typeof group !== 'object' || group === null || group.s !== signatureOf(t)) continue;
      if (!Array.isArray(group.e)) continue;
      for (const e of group.e as unknown[]) {
        if (!isEntryTuple(e)) continue;
        const [key, touch, written, abs, deltas, snap] = e;
        if (this.clears.blocks(t, key, touch)) continue;
        // full copies answer a hello: merged (max), so a newcomer catches up
        if (snap) mergeSnapshot(t, key, snap, now);
        else applyChange(t, { key, touch, written, abs: abs || undefined, deltas: deltas || undefined }, now);
        applied++;
      }
    }
    return applied;
  }

  /** Applies received `clear table` removals; returns the count of entries removed. */
  protected applyClears(c: unknown, now: number): number {
    if (typeof c !== 'object' || c === null) return 0;
    let removed = 0;
    for (const [name, keys] of Object.entries(c)) {
      const t = this.dir.get(name);
      if (t && Array.isArray(keys)) removed += this.clears.apply(t, keys, now);
    }
    return removed;
  }

  /** Applies a received admin record if it is well-formed and newer than what is known. */
  protected applyAdmin(r: unknown): void {
    if (typeof r !== 'object' || r === null) return;
    const { b, s, f, v, w, n } = r as Partial<AdminRecord>;
    if (typeof b !== 'string' || typeof s !== 'string' || (f !== 'admin' && f !== 'weight')) return;
    if (typeof w !== 'number' || !Number.isFinite(w) || typeof n !== 'string') return;
    const okValue =
      f === 'admin' ? v === 'READY' || v === 'DRAIN' || v === 'MAINT' : Number.isInteger(v) && (v as number) >= 0;
    if (!okValue || v === undefined) return;
    const k = this.adminKey(b, s, f);
    const known = this.adminKnown.get(k);
    if (known && (known.w > w || (known.w === w && known.n === n))) return;
    this.adminKnown.set(k, { b, s, f, v, w, n });
    const ctl = this.control.serverControl;
    const be = this.rt.backends.get(b);
    const srv = be?.serversByName.get(s);
    if (!ctl || !be || !srv) return;
    try {
      if (f === 'admin') ctl.setServerAdmin(this.rt, be, srv, v as AdminState, 'shared');
      else ctl.setServerWeight(this.rt, be, srv, v as number, 'shared');
    } catch (e) {
      this.log('warning', `ignored shared ${f} '${v}' for ${b}/${s}: ${(e as Error).message}`);
    }
  }
}
