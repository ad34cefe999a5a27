/** Redis key and channel names of a cluster: everything under `switchyard:{cluster}:`. */

export interface RedisNames {
  prefix: string;
  /** Pub/sub channel every node publishes its changes on. */
  channel: string;
  /** Key of one stick-table entry: `switchyard:{cluster}:st:{table}:{key}`. */
  entry(table: string, key: string): string;
  /** Pattern matching every entry key (SCAN). */
  entryPattern: string;
  /** Key of a server's shared admin field (`admin` or `weight`). */
  server(backend: string, server: string, field: 'admin' | 'weight'): string;
  serverPattern: string;
}

/** Key names for `cluster`. */
export function redisNames(cluster: string): RedisNames {
  const prefix = `switchyard:${cluster}:`;
  return {
    prefix,
    channel: `${prefix}events`,
    entry: (table, key) => `${prefix}st:${table}:${key}`,
    entryPattern: `${prefix}st:*`,
    server: (b, s, f) => `${prefix}srv:${b}/${s}:${f}`,
    serverPattern: `${prefix}srv:*`,
  };
}

/** Checks a `redis-url`: redis:// or rediss://, host, optional port and /DB. Returns an error message or undefined. */
export function checkRedisUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `redis-url '${url}' is not a URL (expected redis://HOST:PORT[/DB])`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    return `redis-url '${url}': scheme must be redis:// or rediss://`;
  }
  if (!u.hostname) return `redis-url '${url}': missing host`;
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) return `redis-url '${url}': database must be a number, got '${db}'`;
  return undefined;
}
