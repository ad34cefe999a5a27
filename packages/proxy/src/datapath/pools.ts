/**
 * Upstream connection pools: one H1Pool per server address, kept across reloads while the
 * address is still in use, so keep-alive connections survive a reload.
 */
import { isIP, type Socket } from 'node:net';
import type { BackendPlan } from '../runtime/plan.ts';
import type { ServerState } from '../runtime/server-state.ts';
import { H1Pool, type PoolOptions } from './h1-client.ts';

interface PoolEntry {
  pool: H1Pool;
  key: string;
}

/** A server's pool and what its key was made of (compared field by field on each request). */
interface ServerEntry {
  entry: PoolEntry;
  host: string;
  port: number;
  connect: number;
  ssl: boolean | undefined;
  verify: string | undefined;
  sni: string | undefined;
}

/** Pools by server; keyed by address, TLS settings and connect timeout. */
export class UpstreamPools {
  private readonly byKey = new Map<string, PoolEntry>();
  private readonly byServer = new WeakMap<ServerState, ServerEntry>();
  private readonly private = new WeakMap<Socket, Map<ServerState, H1Pool>>();

  /** The pool for `server` (created on first use, or when its address or TLS settings changed). */
  get(server: ServerState, backend: BackendPlan): H1Pool {
    const c = this.byServer.get(server);
    const connect = backend.timeouts.connect ?? 0;
    const m = server.model;
    if (
      c !== undefined &&
      c.host === server.host &&
      c.port === server.port &&
      c.connect === connect &&
      c.ssl === m.ssl &&
      c.verify === m.verify &&
      c.sni === m.sni
    )
      return c.entry.pool;
    const key = poolKey(server, backend);
    let entry = this.byKey.get(key);
    if (!entry) {
      const pool = new H1Pool(poolOptions(server, backend));
      entry = { pool, key };
      this.byKey.set(key, entry);
    }
    this.byServer.set(server, {
      entry,
      host: server.host,
      port: server.port,
      connect,
      ssl: m.ssl,
      verify: m.verify,
      sni: m.sni,
    });
    return entry.pool;
  }

  /**
   * The pool of `server` for one client connection: a server with `send-proxy` gets the
   * client's addresses in a PROXY header, so its connections are private to that client, as
   * in HAProxy (never reused by another one); the pool closes with the client connection.
   */
  forClient(server: ServerState, backend: BackendPlan, client: Socket, header: Buffer): H1Pool {
    let mine = this.private.get(client);
    if (!mine) {
      const created = new Map<ServerState, H1Pool>();
      mine = created;
      this.private.set(client, created);
      client.once('close', () => {
        for (const pool of created.values()) void pool.close().catch(() => {});
      });
    }
    let pool = mine.get(server);
    if (!pool) {
      pool = new H1Pool({ ...poolOptions(server, backend), proxyHeader: header });
      mine.set(server, pool);
    }
    return pool;
  }

  /** Closes pools whose address no server of `inUse` uses any more (after a reload). */
  async prune(backends: Iterable<BackendPlan>): Promise<void> {
    const live = new Set<string>();
    for (const b of backends) for (const s of b.servers) live.add(poolKey(s, b));
    const closing: Promise<void>[] = [];
    for (const [k, e] of this.byKey) {
      if (!live.has(k)) {
        this.byKey.delete(k);
        closing.push(e.pool.close().catch(() => {}));
      }
    }
    await Promise.all(closing);
  }

  /** Closes every pool (waits for in-flight requests). */
  async close(): Promise<void> {
    const all = [...this.byKey.values()];
    this.byKey.clear();
    await Promise.all(all.map((e) => e.pool.close().catch(() => {})));
  }

  /** Destroys every pool now (hard stop). */
  async destroy(): Promise<void> {
    const all = [...this.byKey.values()];
    this.byKey.clear();
    await Promise.all(all.map((e) => e.pool.destroy().catch(() => {})));
  }
}

function poolOptions(server: ServerState, backend: BackendPlan): PoolOptions {
  return {
    host: server.host,
    port: server.port,
    authority: `${formatHost(server.host)}:${server.port}`,
    connectTimeout: backend.timeouts.connect ?? 0,
    tls: server.model.ssl
      ? {
          rejectUnauthorized: server.model.verify === 'required',
          servername: server.model.sni ?? (isIP(server.host) ? undefined : server.host),
        }
      : undefined,
  };
}

function poolKey(server: ServerState, backend: BackendPlan): string {
  const m = server.model;
  return `${m.ssl ? 'https' : 'http'}://${formatHost(server.host)}:${server.port}|${backend.timeouts.connect ?? 0}|${m.verify}|${m.sni ?? ''}`;
}

function formatHost(h: string): string {
  return h.includes(':') ? `[${h}]` : h;
}
