/**
 * Upstream connection pools: one pool per server address (H1Pool, H2Pool for `proto h2`, AlpnPool
 * for `ssl alpn h2,...` without a proto), kept across reloads while the
 * address is still in use, so keep-alive connections survive a reload.
 */
import { isIP, type Socket } from 'node:net';
import type { ServerState } from '../model/server-state.ts';
import type { BackendPlan } from '../runtime/plan.ts';
import { serverTlsOptions } from '../tls/tls.ts';
import { AlpnPool } from './alpn-pool.ts';
import { H1Pool, type PoolOptions } from './h1-client.ts';
import { H2Pool } from './h2-client.ts';

/** The server side of a stream, whichever protocol carries it. */
export type ServerPool = H1Pool | H2Pool | AlpnPool;

interface PoolEntry {
  pool: ServerPool;
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
  model: ServerState['model'];
  reuse: string;
}

let served: UpstreamPools | undefined;

/** The running datapath's pools (one datapath per process) are what serverConnections() reads. */
export function servePools(pools: UpstreamPools): void {
  served = pools;
}

/** Connections in use and idle to `server` in this process (runtime API `show servers conn`). */
export function serverConnections(server: ServerState): { used: number; idle: number } | undefined {
  return served?.figures(server);
}

/** Pools by server; keyed by address, TLS settings and connect timeout. */
export class UpstreamPools {
  private readonly byKey = new Map<string, PoolEntry>();
  private readonly byServer = new WeakMap<ServerState, ServerEntry>();
  private readonly private = new WeakMap<Socket, Map<ServerState, ServerPool>>();

  /** Connections in use and idle in `server`'s pool (`show servers conn`); undefined before its first request. */
  figures(server: ServerState): { used: number; idle: number } | undefined {
    const p = this.byServer.get(server)?.entry.pool;
    if (!p) return undefined;
    const idle = p.idleCount;
    return { used: Math.max(0, p.connectionCount - idle), idle };
  }

  /** The pool for `server` (created on first use, or when its address or TLS settings changed). */
  get(server: ServerState, backend: BackendPlan, sni = ''): ServerPool {
    if (sni !== '') return this.bySni(server, backend, sni);
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
      c.sni === m.sni &&
      c.model === m &&
      c.reuse === backend.model.httpReuse
    )
      return c.entry.pool;
    const key = poolKey(server, backend);
    let entry = this.byKey.get(key);
    if (!entry) {
      const pool = newPool(server, backend);
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
      model: m,
      reuse: backend.model.httpReuse,
    });
    return entry.pool;
  }

  /** The pool of a server with `sni EXPR` for one SNI value (connections are reused only under the same name). */
  private bySni(server: ServerState, backend: BackendPlan, sni: string | undefined): ServerPool {
    const key = `${poolKey(server, backend)}|sni=${sni ?? ''}`;
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = { pool: newPool(server, backend, undefined, sni), key };
      this.byKey.set(key, entry);
    }
    return entry.pool;
  }

  /**
   * The pool of `server` for one client connection: a server with `send-proxy` gets the
   * client's addresses in a PROXY header, so its connections are private to that client, as
   * in HAProxy (never reused by another one); the pool closes with the client connection.
   */
  forClient(server: ServerState, backend: BackendPlan, client: Socket, header: Buffer): ServerPool {
    let mine = this.private.get(client);
    if (!mine) {
      const created = new Map<ServerState, ServerPool>();
      mine = created;
      this.private.set(client, created);
      client.once('close', () => {
        for (const pool of created.values()) void pool.close().catch(() => {});
      });
    }
    let pool = mine.get(server);
    if (!pool) {
      pool = newPool(server, backend, header);
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

/**
 * An HTTP/2 pool for `proto h2`, one choosing by ALPN for `ssl alpn h2,...` without a proto,
 * else an HTTP/1 one, with the server's reuse settings.
 */
function newPool(server: ServerState, backend: BackendPlan, proxyHeader?: Buffer, sni?: string): ServerPool {
  const m = server.model;
  const o = { ...poolOptions(server, backend, sni), proxyHeader };
  const negotiated = m.proto !== 'h2' && o.tls !== undefined && m.alpn?.includes('h2') === true;
  if (m.proto !== 'h2' && !negotiated) return new H1Pool({ ...o, alpn: o.tls ? m.alpn : undefined });
  const h2 = {
    ...o,
    reuse: backend.model.httpReuse,
    maxReuse: m.maxReuse ?? -1,
    poolMaxConn: m.poolMaxConn ?? -1,
    purgeDelay: m.poolPurgeDelay ?? 5000,
    alpn: m.alpn,
  };
  return negotiated ? new AlpnPool(h2) : new H2Pool(h2);
}

/** `sni`: the value of the server's `sni EXPR` for the request (its host name when it has none). */
function poolOptions(server: ServerState, backend: BackendPlan, sni?: string): PoolOptions {
  return {
    maxReuse: server.model.maxReuse,
    poolMaxConn: server.model.poolMaxConn,
    host: server.host,
    port: server.port,
    authority: `${formatHost(server.host)}:${server.port}`,
    connectTimeout: backend.timeouts.connect ?? 0,
    tls: server.model.ssl
      ? serverTlsOptions(
          server.model,
          server.model.sni !== undefined ? sni : isIP(server.host) ? undefined : server.host,
        )
      : undefined,
  };
}

function poolKey(server: ServerState, backend: BackendPlan): string {
  const m = server.model;
  return `${m.ssl ? 'https' : 'http'}://${formatHost(server.host)}:${server.port}|${backend.timeouts.connect ?? 0}|${m.verify}|${m.sni ?? ''}|${m.proto ?? 'h1'}|${m.alpn ?? ''}|${backend.model.httpReuse}|${m.maxReuse}|${m.poolMaxConn}|${m.poolPurgeDelay}|${tlsKey(m)}`;
}

/** The TLS settings that make two servers' connections not interchangeable (CAs, client certificate, names, versions). */
function tlsKey(m: ServerState['model']): string {
  return m.ssl ? `${m.caFile ?? ''}|${m.crt ?? ''}|${m.verifyhost ?? ''}|${JSON.stringify(m.tls ?? {})}` : '';
}

function formatHost(h: string): string {
  return h.includes(':') ? `[${h}]` : h;
}
