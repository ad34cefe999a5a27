/**
 * Sharing stick tables and servers' admin state between nodes through Redis (ioredis).
 *
 * The local tables are authoritative for requests: the hot path only marks entries dirty. A timer
 * (every `flushMs`, 50 ms by default) writes dirty entries to Redis (merged by a Lua script, with
 * the table's expiry as PX) and PUBLISHes them as changes: last-writer-wins values (server_id,
 * gpt0) and the counts added since the previous flush. Every node applies the others' changes to
 * its own copy, so a client pinned on node A finds its entry on node B without B asking Redis,
 * and rate counters add up across nodes (lagging by about one flush interval).
 *
 * On (re)connect a node subscribes, writes back all its entries and admin changes, then SCANs
 * Redis and merges what others wrote; ready() resolves after the first such sync (or a timeout:
 * a node never waits for Redis forever). While Redis is down the node serves from its local copy,
 * logs once, and ioredis reconnects with back-off.
 */
import { hostname } from 'node:os';
import type { ProxyLogger, ProxyRuntime } from '@switchyard/proxy';
import type { Redis } from 'ioredis';
import { layoutKinds, TOUCH, WRITTEN } from './data-types.ts';
import { type Commander, EntryBatch } from './redis-batch.ts';
import { createClient, parseRedisUrl, redactUrl, scanTargets } from './redis-connect.ts';
import { type RedisNames, redisNames } from './redis-keys.ts';
import { adoptSnapshot, LWW_LUA, MERGE_LUA, mergeSnapshot, RESYNC_LUA } from './replica.ts';
import {
  type AdminRecord,
  changeTuple,
  copyTuple,
  type EntryTuple,
  entryGroups,
  mark,
  Replicator,
  type ServerControl,
  signatureOf,
  type TableGroups,
  touchTuple,
} from './replication.ts';
import type { StickTable } from './stick-table.ts';
import type { StoreStatus } from './store-status.ts';
import type { TableDirectory } from './tables.ts';

export type { ServerControl } from './replication.ts';

export interface RedisSyncOptions {
  url: string;
  cluster: string;
  logger: ProxyLogger;
  serverControl?: ServerControl;
  /** Publish interval of changes, ms (default 100): the lag of shared counters between nodes. */
  flushMs?: number;
  /** Longest ready() waits for the first sync, ms (default 5000). */
  readyTimeoutMs?: number;
  /** Unique id of this node in the cluster (default host:pid:random). */
  nodeId?: string;
}

interface Message {
  /** Sent by a node after it (re)loaded from Redis: peers answer with full copies of their entries. */
  hello?: true;
  /** table name -> { s: layout signature, e: entry tuples (a snapshot only in answers to a hello) } */
  t?: TableGroups;
  a?: AdminRecord[];
  /** `clear table` on the sender: table name -> keys removed. */
  c?: Record<string, string[]>;
}

/** Changes per published message (keeps messages well under Redis/pub-sub limits). */
const CHUNK = 500;
/** How long after an outage began a hello is answered with everything changed since (ms). */
const HELLO_OUTAGE_WINDOW_MS = 120_000;
/** Entries merged into Redis per script call. */
const MERGE_BATCH = 500;
/** Period of the refresh: touches to peers, entry copies to Redis (ms). */
const REFRESH_MS = 1000;

/** Other node ids remembered for `show peers` (bounded: ids come from the channel). */
const MAX_PEERS = 256;

export class RedisSync extends Replicator {
  readonly nodeId: string;
  private readonly selfPrefix: string;
  private readonly names: RedisNames;
  private readonly pub: Commander;
  private readonly sub: Redis;
  private readonly flushMs: number;
  /** Entries changed here since the last refresh: their full copy goes to Redis at the next refresh. */
  private stored = new Map<StickTable, Set<string>>();
  /** A peer joined: publish every entry's full copy at the next refresh (it missed recent counts). */
  private helloPending = false;
  private adminDirty = new Map<string, AdminRecord>();
  /** Keys removed here by `clear table`, sent at the next flush. */
  private clearsDirty = new Map<StickTable, Set<string>>();
  private timer?: NodeJS.Timeout;
  private flushing = false;
  private syncing = false;
  private resyncAgain = false;
  private lastTouchFlush = 0;
  private connected = false;
  private downLogged = false;
  /** When the current or last outage began (0: none yet); reset a while after recovery. */
  private downSince = 0;
  private outage = false;
  /** Connected, but the last flush failed (timeout, error reply). */
  private degraded = false;
  private stopped = false;
  private firstSync: Promise<void>;
  private resolveFirst!: () => void;
  /** Counters for status/metrics and tests. */
  readonly stats = {
    flushes: 0,
    published: 0,
    applied: 0,
    loaded: 0,
    writeErrors: 0,
    resyncs: 0,
    /** Entries removed by `clear table` (here or on another node). */
    cleared: 0,
    /** Time spent preparing flushes on the event loop (ms, excluding the wait for Redis). */
    flushCpuMs: 0,
  };

  /** What an operator sees of the store (`show peers`, stats page, Prometheus). */
  readonly health = {
    /** Epoch ms of the last completed full sync (0: none yet). */
    lastSync: 0,
    /** Epoch ms the connection came up (0 while down). */
    connectedSince: 0,
    /** Epoch ms the current outage began (0 while up). */
    downSince: 0,
    /** Times the store became unreachable or failing. */
    outages: 0,
    lastError: '',
    lastErrorAt: 0,
  };
  /** Other nodes heard on the channel: node id -> epoch ms of their last message. */
  private readonly peers = new Map<string, number>();
  /** `single`, `unix`, `sentinel` or `cluster` (the redis-url form). */
  readonly kind: string;

  constructor(
    dir: TableDirectory,
    rt: ProxyRuntime,
    private readonly opts: RedisSyncOptions,
  ) {
    super(dir, rt, opts);
    this.nodeId = (opts.nodeId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`).replace(
      /\s/g,
      '_',
    );
    this.selfPrefix = `${this.nodeId}\n`;
    this.flushMs = opts.flushMs ?? 100;
    this.firstSync = new Promise((r) => {
      this.resolveFirst = r;
    });
    const common = {
      lazyConnect: true,
      // never queue commands while down: the flush timer retries, and nothing grows unbounded
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 3000,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    };
    const target = parseRedisUrl(opts.url);
    if (typeof target === 'string') throw new Error(target);
    this.kind = target.kind;
    this.names = redisNames(opts.cluster, target.kind === 'cluster');
    this.pub = createClient(target, common) as Commander;
    this.pub.defineCommand('stmerge', { lua: MERGE_LUA });
    this.pub.defineCommand('lwwset', { numberOfKeys: 1, lua: LWW_LUA });
    this.pub.defineCommand('stresync', { lua: RESYNC_LUA });
    // the subscriber must queue its SUBSCRIBE until connected, and resubscribes on reconnect
    this.sub = createClient(target, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.pub.on('ready', () => this.onReady());
    this.pub.on('error', (e: Error) => this.onDown(e));
    this.pub.on('close', () => this.onDown());
    this.sub.on('error', () => {}); // reported through pub
    // a subscriber that reconnects on its own missed messages: resync (Redis copy + hello)
    let subReady = 0;
    this.sub.on('ready', () => {
      if (subReady++ > 0 && this.connected && !this.stopped) void this.resync();
    });
    this.sub.on('message', (_ch: string, msg: string) => this.onMessage(msg));
  }

  protected get writerId(): string {
    return this.nodeId;
  }

  protected adminKey(b: string, s: string, f: AdminRecord['f']): string {
    return this.names.server(b, s, f);
  }

  protected queueAdmin(key: string, rec: AdminRecord): void {
    this.adminDirty.set(key, rec);
  }

  /** Starts connecting and the flush timer. */
  start(): void {
    this.pub.connect().catch((e: Error) => this.onDown(e));
    this.sub.connect().catch(() => {});
    this.sub.subscribe(this.names.channel).catch(() => {});
    this.timer = setInterval(() => this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Resolves after the first full sync, or after readyTimeoutMs (never rejects). */
  ready(): Promise<void> {
    const ms = this.opts.readyTimeoutMs ?? 5000;
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => {
      t = setTimeout(() => {
        if (!this.connected) this.log('warning', `Redis not reachable within ${ms} ms: serving from local state`);
        r();
      }, ms);
      t.unref();
    });
    return Promise.race([this.firstSync, timeout]).finally(() => clearTimeout(t));
  }

  /** Where the commands go now (`host:port` of the master for Sentinel), or '' while down. */
  get endpoint(): string {
    const st = (this.pub as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
    return this.connected && st?.remoteAddress ? `${st.remoteAddress}:${st.remotePort}` : '';
  }

  /** Is the store usable: up (connected, writes succeed), degraded (connected, writes fail) or down. */
  get state(): 'up' | 'degraded' | 'down' {
    return !this.connected ? 'down' : this.degraded ? 'degraded' : 'up';
  }

  /** The other nodes heard from, most recent first, with the age of their last message (ms). */
  peersSeen(now = Date.now()): Array<{ id: string; lastSeenMs: number }> {
    return [...this.peers]
      .map(([id, at]) => ({ id, lastSeenMs: now - at }))
      .sort((a, b) => a.lastSeenMs - b.lastSeenMs);
  }

  /** The store's status for `show peers`, the stats page and Prometheus. */
  status(): StoreStatus {
    const { flushCpuMs: _cpu, ...sync } = this.stats;
    return {
      cluster: this.opts.cluster,
      nodeId: this.nodeId,
      kind: this.kind,
      url: redactUrl(this.opts.url),
      state: this.state,
      endpoint: this.endpoint,
      ...this.health,
      sync,
      peers: this.peersSeen(),
    };
  }

  /** True while the Redis connection is up. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** `clear table` removed `keys` here: remove them on the other nodes and in Redis. */
  clear(t: StickTable, keys: string[]): void {
    this.noteClear(t, keys, Date.now());
    for (const k of keys) {
      this.stored.get(t)?.delete(k);
      mark(this.clearsDirty, t, k);
    }
    this.stats.cleared += keys.length;
  }

  /** Final flush (best effort, bounded), then disconnects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.detach();
    if (this.connected) {
      // wait for a running flush, then write everything pending (bounded: a stop never hangs on Redis)
      const deadline = Date.now() + 1000;
      while (this.flushing && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await Promise.race([this.flushNow(true), new Promise((r) => setTimeout(r, 1000).unref())]).catch(() => {});
    }
    this.pub.disconnect();
    this.sub.disconnect();
  }

  protected log(level: 'warning' | 'notice', msg: string): void {
    this.opts.logger.log(undefined, level, `shared state: ${msg}`, { stderr: true });
  }

  private onDown(e?: Error): void {
    if (this.connected) this.connected = false;
    this.health.connectedSince = 0;
    if (e) {
      this.health.lastError = e.message;
      this.health.lastErrorAt = Date.now();
    }
    if (!this.outage) {
      this.outage = true;
      this.downSince = Date.now();
      this.health.downSince = this.downSince;
      this.health.outages++;
    }
    if (!this.downLogged && !this.stopped) {
      this.downLogged = true;
      this.log(
        'warning',
        `Redis at ${redactUrl(this.opts.url)} unavailable${e ? ` (${e.message})` : ''}; serving from local state, reconnecting`,
      );
    }
  }

  private onReady(): void {
    if (this.stopped) return;
    this.connected = true;
    this.outage = false;
    this.health.connectedSince = Date.now();
    this.health.downSince = 0;
    if (this.downLogged) this.log('notice', `Redis at ${redactUrl(this.opts.url)} reachable again: resynchronising`);
    this.downLogged = false;
    void this.resync();
  }

  /** Writes back every local entry and admin change, then merges what Redis holds. */
  private async resync(): Promise<void> {
    if (this.syncing) {
      // asked again while running (e.g. the subscriber came back after the loads): run once more
      this.resyncAgain = true;
      return;
    }
    this.syncing = true;
    this.resyncAgain = false;
    try {
      const now = Date.now();
      // this node's entries, and the counts not yet published (all of them after an outage):
      // summed into Redis and sent to the peers at once (RESYNC_LUA)
      for (const t of this.dir.all()) await this.resyncTable(t, now);
      // written for nodes that load later; still published at the next flush (adminDirty is
      // kept) for nodes that loaded before this write-back
      for (const [k, rec] of this.adminKnown) await this.pub.lwwset(k, JSON.stringify(rec));
      await this.loadEntries();
      await this.loadAdmin();
      // Redis lags the peers by up to a refresh: ask them for their copies (merged on arrival)
      await this.pub.publish(this.names.channel, this.frame({ hello: true }));
      // a peer that loaded Redis before our write-back (a new master after a failover may lack
      // our last writes) gets every admin change we know at the next flush
      for (const [k, rec] of this.adminKnown) if (!this.adminDirty.has(k)) this.adminDirty.set(k, rec);
      this.stats.resyncs++;
      this.health.lastSync = Date.now();
      this.resolveFirst();
    } catch (e) {
      this.onDown(e as Error);
    } finally {
      this.syncing = false;
      if (this.resyncAgain && this.connected && !this.stopped) void this.resync();
    }
  }

  /** Writes back one table's entries with their unpublished counts, adopting the totals returned. */
  private async resyncTable(t: StickTable, now: number): Promise<void> {
    const kinds = layoutKinds(t.spec.layout);
    const sig = signatureOf(t);
    // keys first: requests reorder the table while this loop awaits Redis
    const keys = Array.from(t.entries(now), ([key]) => key);
    for (let from = 0; from < keys.length; from += MERGE_BATCH) {
      const rkeys: string[] = [];
      const args: string[] = [];
      const taken: Array<[number, Array<[number, number]>]> = [];
      const sent: EntryTuple[] = [];
      const chunk: string[] = [];
      for (const key of keys.slice(from, from + MERGE_BATCH)) {
        const idx = t.lookup(key, Date.now());
        if (idx < 0) continue;
        // counts of rates made while apart are not summed (their window has mostly passed)
        const counts = (t.takeDeltas(idx) ?? []).filter(([o]) => kinds[o] === 'c');
        const base = t.snapshot(idx);
        for (const [o, n] of counts) base[o] -= n;
        chunk.push(key);
        rkeys.push(this.names.entry(t.name, key));
        args.push(JSON.stringify({ s: sig, t: t.name, k: key, d: base }), JSON.stringify(counts));
        if (counts.length) {
          taken.push([idx, counts]);
          sent.push([key, base[TOUCH], base[WRITTEN], 0, counts, 0]);
        }
      }
      if (rkeys.length === 0) continue;
      const msg = sent.length ? this.frame({ t: { [t.name]: { s: sig, e: sent } } }) : '';
      let copies: string[];
      try {
        copies = await this.pub.stresync(
          rkeys.length,
          ...rkeys,
          kinds,
          t.spec.expire,
          this.names.channel,
          msg,
          ...args,
        );
      } catch (e) {
        // not summed anywhere: the next resync sends them again
        for (const [idx, counts] of taken) t.restoreDeltas(idx, counts);
        throw e;
      }
      const at = Date.now();
      for (let n = 0; n < copies.length; n++) {
        try {
          const c = JSON.parse(copies[n]) as { d?: unknown };
          if (Array.isArray(c.d)) adoptSnapshot(t, chunk[n], c.d as number[], at);
        } catch {}
      }
    }
  }

  private async scanValues(pattern: string, each: (v: string) => void): Promise<void> {
    let cursor = '0';
    // a Redis Cluster is scanned node by node (all our keys share one slot, so one node has them)
    for (const node of scanTargets(this.pub)) {
      cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length === 0) continue;
        const values = await this.pub.mget(...keys);
        for (const v of values) if (v) each(v);
      } while (cursor !== '0');
    }
  }

  private async loadEntries(): Promise<void> {
    const sigs = new Map<string, string>();
    for (const t of this.dir.all()) sigs.set(t.name, signatureOf(t));
    await this.scanValues(this.names.entryPattern, (v) => {
      let e: { s: string; t: string; k: string; d: number[] };
      try {
        e = JSON.parse(v);
      } catch {
        return;
      }
      if (typeof e !== 'object' || e === null) return;
      const t = this.dir.get(e.t);
      if (!t || sigs.get(e.t) !== e.s || typeof e.k !== 'string' || !Array.isArray(e.d)) return;
      if (this.clears.blocks(t, e.k, Number(e.d[TOUCH]))) return;
      if (mergeSnapshot(t, e.k, e.d, Date.now())) this.stats.loaded++;
    });
  }

  private async loadAdmin(): Promise<void> {
    const recs: unknown[] = [];
    await this.scanValues(this.names.serverPattern, (v) => {
      try {
        recs.push(JSON.parse(v));
      } catch {}
    });
    for (const r of recs) this.applyAdmin(r);
  }

  /**
   * Oldest use time of the entries a hello is answered with: the last few seconds (what Redis may
   * lack), or since our own last outage if it was recent (a peer that loaded Redis before our
   * write-back would otherwise never see what changed here meanwhile).
   */
  private helloSince(now: number): number {
    const recent = now - 3 * REFRESH_MS;
    if (this.downSince > 0 && now - this.downSince < HELLO_OUTAGE_WINDOW_MS)
      return Math.min(recent, this.downSince - 3 * REFRESH_MS);
    return recent;
  }

  /** A message on the channel: `NODEID\nJSON`, so a node skips its own without parsing them. */
  private frame(m: Message): string {
    return `${this.nodeId}\n${JSON.stringify(m)}`;
  }

  private onMessage(raw: string): void {
    if (raw.startsWith(this.selfPrefix)) return;
    const from = raw.slice(0, Math.max(0, raw.indexOf('\n')));
    if (from && (this.peers.has(from) || this.peers.size < MAX_PEERS)) this.peers.set(from, Date.now());
    let m: Message;
    try {
      m = JSON.parse(raw.slice(raw.indexOf('\n') + 1));
    } catch {
      return;
    }
    if (typeof m !== 'object' || m === null) return;
    const now = Date.now();
    this.stats.applied += this.applyTables(m.t, now);
    if (Array.isArray(m.a)) for (const r of m.a) this.applyAdmin(r);
    this.stats.cleared += this.applyClears(m.c, now);
    if (m.hello) {
      this.helloPending = true;
      // the newcomer may have loaded Redis before our last admin write: tell it again
      for (const [k, rec] of this.adminKnown) this.adminDirty.set(k, rec);
    }
  }

  /** Timer tick: flush unless one is running or Redis is down (changes keep accumulating). */
  private flush(): void {
    if (!this.connected || this.flushing || this.syncing) return;
    this.flushNow().then(
      () => {
        if (!this.degraded) return;
        // writes fail no more: what was lost meanwhile is repaired by a full resync
        this.degraded = false;
        this.log('notice', `Redis at ${redactUrl(this.opts.url)} answering again: resynchronising`);
        void this.resync();
      },
      (e: Error) => {
        this.stats.writeErrors++;
        if (this.pub.status !== 'ready') {
          this.onDown(e);
          return;
        }
        // connected but slow or failing (command timeout, OOM, ...): the connection stays up, so
        // no reconnect will resynchronise; keep flushing and resync once a flush succeeds
        this.health.lastError = e.message;
        this.health.lastErrorAt = Date.now();
        if (!this.degraded && !this.stopped) {
          this.degraded = true;
          this.health.outages++;
          this.log(
            'warning',
            `Redis at ${redactUrl(this.opts.url)} slow or failing (${e.message}); serving from local state`,
          );
        }
      },
    );
  }

  private async flushNow(forceRefresh = false): Promise<void> {
    const now = Date.now();
    const refreshDue = forceRefresh || now - this.lastTouchFlush >= REFRESH_MS;
    const refreshWork = this.touched.size > 0 || this.stored.size > 0 || this.helloPending;
    if (
      this.dirty.size === 0 &&
      this.adminDirty.size === 0 &&
      this.clearsDirty.size === 0 &&
      !(refreshDue && refreshWork)
    )
      return;
    this.flushing = true;
    const cpu0 = performance.now();
    try {
      const p = this.pub.pipeline() as unknown as Commander;
      const msgs: string[] = [];
      const out = entryGroups(CHUNK, (t) => msgs.push(this.frame({ t })));
      // changed entries: values and counts to the peers now; their full copy to Redis at the refresh
      const published = this.dirty;
      this.dirty = new Map();
      let storeDue = false;
      for (const [t, keys] of published) {
        for (const key of keys) {
          const idx = t.lookup(key, now);
          if (idx < 0) continue;
          out.push(t, changeTuple(t, idx));
          mark(this.stored, t, key);
        }
      }
      if (refreshDue && refreshWork) {
        this.lastTouchFlush = now;
        // peers keep used entries alive (touch times); Redis gets the copies of everything changed or used
        for (const [t, keys] of this.touched) {
          for (const key of keys) {
            const idx = t.lookup(key, now);
            if (idx < 0) continue;
            out.push(t, touchTuple(t, key, idx));
            mark(this.stored, t, key);
          }
        }
        this.touched.clear();
        storeDue = true;
        if (this.helloPending) {
          this.helloPending = false;
          // the joiner loaded Redis, which lags by up to a refresh: only entries used since then matter
          for (const t of this.dir.all()) {
            for (const [key, idx] of t.recent(this.helloSince(now))) out.push(t, copyTuple(t, key, idx));
          }
        }
      }
      out.end();
      if (storeDue) {
        for (const [t, keys] of this.stored) {
          const batch = new EntryBatch(t, this.names);
          for (const key of keys) {
            const idx = t.lookup(key, now);
            if (idx < 0) continue;
            batch.add(key, idx);
            if (batch.size >= MERGE_BATCH) batch.flushInto(p);
          }
          batch.flushInto(p);
        }
        this.stored.clear();
      }
      // removals: Redis copies deleted, peers told (the message goes after the deletes)
      const cleared = this.clearsDirty;
      this.clearsDirty = new Map();
      for (const [t, keys] of cleared) {
        const list = [...keys];
        for (let i = 0; i < list.length; i += CHUNK) {
          const part = list.slice(i, i + CHUNK);
          p.del(...part.map((k) => this.names.entry(t.name, k)));
          msgs.push(this.frame({ c: { [t.name]: part } }));
        }
      }
      this.clears.purge(now);
      const admin = [...this.adminDirty.values()];
      this.adminDirty.clear();
      for (const rec of admin) p.lwwset(this.names.server(rec.b, rec.s, rec.f), JSON.stringify(rec));
      if (admin.length) msgs.push(this.frame({ a: admin }));
      for (const msg of msgs) p.publish(this.names.channel, msg);
      const sent = msgs.length;
      this.stats.flushCpuMs += performance.now() - cpu0;
      try {
        const results = await p.exec();
        for (const [err] of results ?? []) if (err) throw err;
      } catch (e) {
        // values must not be lost: their entries are published again (counts taken are lost,
        // the full-copy merge of the next resync covers them)
        for (const [t, keys] of published) for (const k of keys) mark(this.dirty, t, k);
        for (const [t, keys] of cleared) for (const k of keys) mark(this.clearsDirty, t, k);
        // admin changes must not be lost: queue them again unless a newer one replaced them
        for (const rec of admin) {
          const k = this.names.server(rec.b, rec.s, rec.f);
          if (!this.adminDirty.has(k)) this.adminDirty.set(k, rec);
        }
        throw e;
      }
      this.stats.flushes++;
      this.stats.published += sent;
    } finally {
      this.flushing = false;
    }
  }
}
