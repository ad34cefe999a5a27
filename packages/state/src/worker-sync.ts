/**
 * Sharing between the worker processes of one node (`--workers N`, or `nbthread N` mapped to
 * workers) when no Redis is configured: HAProxy's threads share their tables, so Switchyard's
 * workers must too. Same replication as with Redis (changes every 50 ms: last-writer-wins values
 * and counted deltas; touches every second; admin changes), carried over node:cluster IPC and
 * relayed by the primary to the other workers. A worker that starts later (a replacement) says
 * hello and the others answer with full copies of their entries.
 */
import cluster from 'node:cluster';
import {
  type Envelope,
  onPrimaryMessage,
  type ProxyLogger,
  type ProxyRuntime,
  relayBetweenWorkers,
  sendToPrimary,
} from '@switchyard/proxy';
import {
  type AdminRecord,
  changeTuple,
  copyTuple,
  entryGroups,
  Replicator,
  type ServerControl,
  type TableGroups,
  touchTuple,
} from './replication.ts';
import type { StickTable } from './stick-table.ts';
import type { TableDirectory } from './tables.ts';

/** Tag of state messages on the cluster IPC channel. */
export const WORKER_MESSAGE = 'switchyard:state';

interface WorkerMessage {
  type: typeof WORKER_MESSAGE;
  from: number;
  hello?: true;
  t?: TableGroups;
  a?: AdminRecord[];
  /** `clear table` in the sender: table name -> keys removed. */
  c?: Record<string, string[]>;
}

const CHUNK = 2000;

/** In the primary: forwards state messages from one worker to all the others (installed once). */
export function relayStateMessages(): void {
  relayBetweenWorkers(WORKER_MESSAGE);
}

export class WorkerSync extends Replicator {
  private admin: AdminRecord[] = [];
  private helloFrom = false;
  private lastRefresh = 0;
  private timer?: NodeJS.Timeout;
  private readonly id = cluster.worker?.id ?? 0;
  private unsubscribe?: () => void;

  constructor(
    dir: TableDirectory,
    rt: ProxyRuntime,
    private readonly opts: { logger: ProxyLogger; serverControl: ServerControl; flushMs?: number },
  ) {
    super(dir, rt, opts);
  }

  protected get writerId(): string {
    return `worker ${this.id}`;
  }

  protected adminKey(b: string, s: string, f: AdminRecord['f']): string {
    return `${b}/${s}:${f}`;
  }

  protected queueAdmin(_key: string, rec: AdminRecord): void {
    this.admin.push(rec);
  }

  protected log(level: 'warning' | 'notice', msg: string): void {
    this.opts.logger.log(undefined, level, `shared state: ${msg}`);
  }

  /** Starts the flush timer, listens to the other workers and says hello. */
  start(): void {
    this.unsubscribe = onPrimaryMessage(WORKER_MESSAGE, (m) => this.receive(m));
    this.timer = setInterval(() => this.flush(), this.opts.flushMs ?? 50);
    this.timer.unref();
    this.send({ type: WORKER_MESSAGE, from: this.id, hello: true });
  }

  /** `clear table` removed `keys` in this worker: the others remove them too (sent at once). */
  clear(t: StickTable, keys: string[]): void {
    this.noteClear(t, keys, Date.now());
    for (let i = 0; i < keys.length; i += CHUNK)
      this.send({ type: WORKER_MESSAGE, from: this.id, c: { [t.name]: keys.slice(i, i + CHUNK) } });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.flush();
    this.unsubscribe?.();
    this.detach();
  }

  private send(m: WorkerMessage): void {
    sendToPrimary(m as unknown as Envelope);
  }

  private flush(): void {
    const now = Date.now();
    const refresh = now - this.lastRefresh >= 1000;
    const out = entryGroups(CHUNK, (t) => this.send({ type: WORKER_MESSAGE, from: this.id, t }));
    for (const [t, keys] of this.dirty) {
      for (const key of keys) {
        const idx = t.lookup(key, now);
        if (idx >= 0) out.push(t, changeTuple(t, idx));
      }
    }
    this.dirty.clear();
    if (refresh) {
      this.lastRefresh = now;
      for (const [t, keys] of this.touched) {
        for (const key of keys) {
          const idx = t.lookup(key, now);
          if (idx >= 0) out.push(t, touchTuple(t, key, idx));
        }
      }
      this.touched.clear();
    }
    if (this.helloFrom) {
      // a worker (re)started: it has nothing; send it every entry in full, and the admin states
      this.helloFrom = false;
      for (const rec of this.adminKnown.values()) this.admin.push(rec);
      for (const t of this.dir.all()) for (const [key, idx] of t.entries(now)) out.push(t, copyTuple(t, key, idx));
    }
    out.end();
    if (this.admin.length > 0) {
      this.send({ type: WORKER_MESSAGE, from: this.id, a: this.admin });
      this.admin = [];
    }
  }

  private receive(raw: Envelope): void {
    const m = raw as unknown as WorkerMessage;
    if (m.from === this.id) return;
    if (m.hello) this.helloFrom = true;
    const now = Date.now();
    this.applyTables(m.t, now);
    this.applyClears(m.c, now);
    this.clears.purge(now);
    if (Array.isArray(m.a)) for (const r of m.a) this.applyAdmin(r);
  }
}
