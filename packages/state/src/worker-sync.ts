/**
 * Sharing between the worker processes of one node (`--workers N`, or `nbthread N` mapped to
 * workers) when no Redis is configured: HAProxy's threads share their tables, so Switchyard's
 * workers must too. Same replication as with Redis (changes every 50 ms: last-writer-wins values
 * and counted deltas; touches every second; admin changes), carried over node:cluster IPC and
 * relayed by the primary to the other workers. A worker that starts later (a replacement) says
 * hello and the others answer with full copies of their entries.
 */
import cluster from 'node:cluster';
import type { AdminState, BackendRuntime, ProxyLogger, ProxyRuntime, ServerState } from '@switchyard/proxy';
import { ClearLog } from './clear-log.ts';
import { layoutSignature } from './data-types.ts';
import type { ServerControl } from './redis-sync.ts';
import { applyChange, changeOf, type EntryChange, isEntryTuple, mergeSnapshot } from './replica.ts';
import type { StickTable } from './stick-table.ts';
import type { TableDirectory } from './tables.ts';

/** Tag of state messages on the cluster IPC channel. */
export const WORKER_MESSAGE = 'switchyard:state';

type Entry = [string, number, number, EntryChange['abs'] | 0, EntryChange['deltas'] | 0, number[] | 0];
interface WorkerMessage {
  type: typeof WORKER_MESSAGE;
  from: number;
  hello?: true;
  t?: Record<string, { s: string; e: Entry[] }>;
  a?: Array<{ b: string; s: string; f: 'admin' | 'weight'; v: string | number; w: number }>;
  /** `clear table` in the sender: table name -> keys removed. */
  c?: Record<string, string[]>;
}

const SHARED_ORIGINS = new Set(['api', 'stats']);
const CHUNK = 2000;

/** In the primary: forwards state messages from one worker to all the others (installed once). */
export function relayStateMessages(): void {
  if (!cluster.isPrimary || relayed) return;
  relayed = true;
  cluster.on('message', (from, msg: unknown) => {
    if (typeof msg !== 'object' || msg === null || (msg as { type?: unknown }).type !== WORKER_MESSAGE) return;
    for (const w of Object.values(cluster.workers ?? {})) {
      if (w && w !== from && w.isConnected()) w.send(msg as object);
    }
  });
}
let relayed = false;

export class WorkerSync {
  private dirty = new Map<StickTable, Set<string>>();
  private touched = new Map<StickTable, Set<string>>();
  private admin: NonNullable<WorkerMessage['a']> = [];
  /** Latest admin record per server field (LWW guard, and what a hello is answered with). */
  private adminKnown = new Map<string, NonNullable<WorkerMessage['a']>[number]>();
  private helloFrom = false;
  private readonly clears = new ClearLog();
  private lastRefresh = 0;
  private timer?: NodeJS.Timeout;
  private detachEvents?: () => void;
  private readonly id = cluster.worker?.id ?? 0;
  private readonly onMessage = (msg: unknown) => this.receive(msg);

  constructor(
    private readonly dir: TableDirectory,
    private rt: ProxyRuntime,
    private readonly opts: { logger: ProxyLogger; serverControl: ServerControl; flushMs?: number },
  ) {
    for (const t of dir.all()) this.attach(t);
    this.attachEvents(rt);
  }

  /** Starts the flush timer, listens to the other workers and says hello. */
  start(): void {
    process.on('message', this.onMessage);
    this.timer = setInterval(() => this.flush(), this.opts.flushMs ?? 50);
    this.timer.unref();
    this.send({ type: WORKER_MESSAGE, from: this.id, hello: true });
  }

  attach(t: StickTable): void {
    t.trackDeltas();
    t.onChange = (table, idx, touchOnly) => mark(touchOnly ? this.touched : this.dirty, table, table.keyOf(idx));
  }

  /** `clear table` removed `keys` in this worker: the others remove them too (sent at once). */
  clear(t: StickTable, keys: string[]): void {
    this.clears.note(t, keys, Date.now());
    for (const k of keys) {
      this.dirty.get(t)?.delete(k);
      this.touched.get(t)?.delete(k);
    }
    for (let i = 0; i < keys.length; i += CHUNK)
      this.send({ type: WORKER_MESSAGE, from: this.id, c: { [t.name]: keys.slice(i, i + CHUNK) } });
  }

  swapRuntime(rt: ProxyRuntime): void {
    this.detachEvents?.();
    this.rt = rt;
    this.attachEvents(rt);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
    process.off('message', this.onMessage);
    this.detachEvents?.();
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
        this.queueAdmin(ev.backend.name, ev.server.name, 'admin', ev.toAdmin);
    };
    const onWeight = (ev: { server: ServerState; backend: BackendRuntime; to: number; origin: string }) => {
      if (SHARED_ORIGINS.has(ev.origin)) this.queueAdmin(ev.backend.name, ev.server.name, 'weight', ev.to);
    };
    rt.events.on('server-state', onState);
    rt.events.on('server-weight', onWeight);
    this.detachEvents = () => {
      rt.events.off('server-state', onState);
      rt.events.off('server-weight', onWeight);
    };
  }

  private queueAdmin(b: string, s: string, f: 'admin' | 'weight', v: string | number): void {
    const rec = { b, s, f, v, w: Date.now() };
    this.adminKnown.set(`${b}/${s}:${f}`, rec);
    this.admin.push(rec);
  }

  private send(m: WorkerMessage): void {
    if (!process.send || !process.connected) return;
    process.send(m);
  }

  private flush(): void {
    const now = Date.now();
    const refresh = now - this.lastRefresh >= 1000;
    const groups: NonNullable<WorkerMessage['t']> = {};
    let count = 0;
    const emit = () => {
      if (count === 0) return;
      this.send({ type: WORKER_MESSAGE, from: this.id, t: { ...groups } });
      for (const k of Object.keys(groups)) delete groups[k];
      count = 0;
    };
    const push = (t: StickTable, e: Entry) => {
      (groups[t.name] ??= { s: layoutSignature(t.spec.type, t.spec.layout), e: [] }).e.push(e);
      if (++count >= CHUNK) emit();
    };
    for (const [t, keys] of this.dirty) {
      for (const key of keys) {
        const idx = t.lookup(key, now);
        if (idx < 0) continue;
        const c = changeOf(t, idx, true);
        push(t, [c.key, c.touch, c.written, c.abs ?? 0, c.deltas ?? 0, 0]);
      }
    }
    this.dirty.clear();
    if (refresh) {
      this.lastRefresh = now;
      for (const [t, keys] of this.touched) {
        for (const key of keys) {
          const idx = t.lookup(key, now);
          if (idx < 0) continue;
          const { data, base } = t.raw(idx);
          push(t, [key, data[base], data[base + 1], 0, 0, 0]);
        }
      }
      this.touched.clear();
    }
    if (this.helloFrom) {
      // a worker (re)started: it has nothing; send it every entry in full, and the admin states
      this.helloFrom = false;
      for (const rec of this.adminKnown.values()) this.admin.push(rec);
      for (const t of this.dir.all()) {
        for (const [key, idx] of t.entries(now)) {
          const { data, base } = t.raw(idx);
          push(t, [key, data[base], data[base + 1], 0, 0, t.snapshot(idx)]);
        }
      }
    }
    emit();
    if (this.admin.length > 0) {
      this.send({ type: WORKER_MESSAGE, from: this.id, a: this.admin });
      this.admin = [];
    }
  }

  private receive(raw: unknown): void {
    if (typeof raw !== 'object' || raw === null) return;
    const m = raw as WorkerMessage;
    if (m.type !== WORKER_MESSAGE || m.from === this.id) return;
    if (m.hello) this.helloFrom = true;
    const now = Date.now();
    if (m.t && typeof m.t === 'object') {
      for (const [name, group] of Object.entries(m.t)) {
        const t = this.dir.get(name);
        if (!t || !group || group.s !== layoutSignature(t.spec.type, t.spec.layout) || !Array.isArray(group.e))
          continue;
        if (!Array.isArray(group.e)) continue;
        for (const e of group.e as unknown[]) {
          if (!isEntryTuple(e)) continue;
          const [key, touch, written, abs, deltas, snap] = e;
          if (this.clears.blocks(t, key, touch)) continue;
          if (snap) mergeSnapshot(t, key, snap, now);
          else applyChange(t, { key, touch, written, abs: abs || undefined, deltas: deltas || undefined }, now);
        }
      }
    }
    if (m.c && typeof m.c === 'object') {
      for (const [name, keys] of Object.entries(m.c)) {
        const t = this.dir.get(name);
        if (t) this.clears.apply(t, keys, now);
      }
    }
    this.clears.purge(now);
    if (Array.isArray(m.a)) {
      for (const r of m.a) {
        const k = `${r.b}/${r.s}:${r.f}`;
        const known = this.adminKnown.get(k);
        if (known && known.w >= r.w) continue;
        this.adminKnown.set(k, r);
        const be = this.rt.backends.get(r.b);
        const s = be?.serversByName.get(r.s);
        if (!be || !s) continue;
        try {
          if (r.f === 'admin' && (r.v === 'READY' || r.v === 'DRAIN' || r.v === 'MAINT')) {
            this.opts.serverControl.setServerAdmin(this.rt, be, s, r.v, 'shared');
          } else if (r.f === 'weight' && typeof r.v === 'number') {
            this.opts.serverControl.setServerWeight(this.rt, be, s, r.v, 'shared');
          }
        } catch (e) {
          this.opts.logger.log(
            undefined,
            'warning',
            `shared state: ignored ${r.f} '${r.v}' for ${r.b}/${r.s}: ${(e as Error).message}`,
          );
        }
      }
    }
  }
}

function mark(m: Map<StickTable, Set<string>>, t: StickTable, key: string): void {
  let set = m.get(t);
  if (!set) {
    set = new Set();
    m.set(t, set);
  }
  set.add(key);
}
