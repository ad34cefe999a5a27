/**
 * The forms of `redis-url` and the ioredis clients made from them:
 *
 * - `redis://[USER:PASS@]HOST[:PORT][/DB]`, `rediss://...` (TLS), `unix://PATH`: one Redis;
 * - `redis+sentinel://[USER:PASS@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]` (`rediss+sentinel://`
 *   for TLS to the Redis servers and the sentinels): the master named MASTER, found through the
 *   sentinels listed; after a failover ioredis reconnects to the new master;
 * - `redis+cluster://[USER:PASS@]HOST:PORT[,HOST:PORT...]` (`rediss+cluster://`): a Redis
 *   Cluster, the nodes listed being the seeds. Every key of a Switchyard cluster carries the same
 *   hash tag (`switchyard:{NAME}:...`), so they live in one slot: multi-key scripts and pipelines
 *   work, and one shard holds the state.
 *
 * USER:PASS authenticate to the Redis servers (not to the sentinels), percent-decoded.
 */
import { createRequire } from 'node:module';
import type { Cluster, Redis, RedisOptions } from 'ioredis';

export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'unix'; path: string }
  | {
      kind: 'sentinel';
      tls: boolean;
      sentinels: Array<{ host: string; port: number }>;
      name: string;
      db: number;
      username?: string;
      password?: string;
    }
  | {
      kind: 'cluster';
      tls: boolean;
      nodes: Array<{ host: string; port: number }>;
      username?: string;
      password?: string;
    };

const FORMS =
  'redis://HOST:PORT[/DB], rediss://..., unix://PATH, redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTER[/DB] or redis+cluster://HOST:PORT[,HOST:PORT...]';

/** Parses a `redis-url`; returns an error message (string) for a bad one. */
export function parseRedisUrl(url: string): RedisTarget | string {
  const m = /^([a-z+]+):\/\/(.*)$/.exec(url);
  if (!m) return `redis-url '${url}' is not a URL (expected ${FORMS})`;
  const [, scheme, rest] = m;
  if (scheme === 'unix') return rest ? { kind: 'unix', path: rest } : `redis-url '${url}': missing socket path`;
  if (scheme === 'redis' || scheme === 'rediss') {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return `redis-url '${url}' is not a URL (expected ${FORMS})`;
    }
    if (!u.hostname) return `redis-url '${url}': missing host`;
    const db = u.pathname.replace(/^\//, '');
    if (db !== '' && !/^\d+$/.test(db)) return `redis-url '${url}': database must be a number, got '${db}'`;
    return { kind: 'single', url };
  }
  const multi = /^(rediss?)\+(sentinel|cluster)$/.exec(scheme);
  if (!multi) return `redis-url '${url}': unknown scheme '${scheme}://' (expected ${FORMS})`;
  const tls = multi[1] === 'rediss';
  const at = rest.lastIndexOf('@', rest.indexOf('/') < 0 ? rest.length : rest.indexOf('/'));
  let username: string | undefined;
  let password: string | undefined;
  if (at >= 0) {
    const cred = rest.slice(0, at);
    const colon = cred.indexOf(':');
    try {
      if (colon < 0) username = decodeURIComponent(cred);
      else {
        username = decodeURIComponent(cred.slice(0, colon)) || undefined;
        password = decodeURIComponent(cred.slice(colon + 1));
      }
    } catch {
      return `redis-url '${url}': bad percent-encoding in the credentials`;
    }
  }
  const [hostList, ...path] = rest.slice(at + 1).split('/');
  const hosts: Array<{ host: string; port: number }> = [];
  for (const h of hostList.split(',')) {
    const hm = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(h);
    const port = hm ? Number(hm[2]) : 0;
    if (!hm || port < 1 || port > 65535) return `redis-url '${url}': expected HOST:PORT in the host list, got '${h}'`;
    hosts.push({ host: hm[1].replace(/^\[(.*)\]$/, '$1'), port });
  }
  if (multi[2] === 'cluster') {
    if (path.some((p) => p !== ''))
      return `redis-url '${url}': a Redis Cluster has no database or path (only database 0)`;
    return { kind: 'cluster', tls, nodes: hosts, username, password };
  }
  const [name, db = '', ...extra] = path;
  if (!name) return `redis-url '${url}': missing the master name (redis+sentinel://HOST:PORT,.../MASTER[/DB])`;
  if (extra.length > 0 || (db !== '' && !/^\d+$/.test(db)))
    return `redis-url '${url}': after the master name only a database number may follow, got '${path.slice(1).join('/')}'`;
  return {
    kind: 'sentinel',
    tls,
    sentinels: hosts,
    name: decodeURIComponent(name),
    db: Number(db || 0),
    username,
    password,
  };
}

/** The client options common to both connections (timeouts, reconnect back-off). */
export type ClientOptions = Pick<
  RedisOptions,
  'lazyConnect' | 'enableOfflineQueue' | 'maxRetriesPerRequest' | 'connectTimeout' | 'commandTimeout'
> & { retryStrategy: (times: number) => number };

const requireDep = createRequire(import.meta.url);

/**
 * A client for `target` (ioredis is loaded here, not at import: only a process with a redis-url
 * pays for it). A Cluster client is typed as Redis: the commands used are the same.
 */
export function createClient(target: RedisTarget, common: ClientOptions): Redis {
  const io = requireDep('ioredis') as { Redis: typeof Redis; Cluster: typeof Cluster };
  switch (target.kind) {
    case 'single':
      return new io.Redis(target.url, common);
    case 'unix':
      return new io.Redis({ ...common, path: target.path });
    case 'sentinel':
      return new io.Redis({
        ...common,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        username: target.username,
        password: target.password,
        // a failover is learnt from the sentinels' +switch-master, not only from a dropped connection
        failoverDetector: true,
        sentinelRetryStrategy: common.retryStrategy,
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      });
    case 'cluster': {
      const { enableOfflineQueue, retryStrategy, ...rest } = common;
      return new io.Cluster(target.nodes, {
        enableOfflineQueue,
        clusterRetryStrategy: retryStrategy,
        redisOptions: {
          ...rest,
          username: target.username,
          password: target.password,
          ...(target.tls ? { tls: {} } : {}),
        },
      }) as unknown as Redis;
    }
  }
}

/** Each master node of a Cluster client, or the client itself (where SCAN must run). */
export function scanTargets(client: Redis): Redis[] {
  const c = client as unknown as { isCluster?: boolean; nodes?: (role: 'master') => Redis[] };
  return c.isCluster && c.nodes ? c.nodes('master') : [client];
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
