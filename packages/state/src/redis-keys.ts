/**
 * Redis key and channel names of a cluster: everything under `switchyard:NAME:` (with a Redis
 * Cluster `switchyard:{NAME}:`, a hash tag: every key in one slot, so scripts and pipelines that
 * touch several keys work there).
 */
import { parseRedisUrl } from './redis-connect.ts';

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
export function redisNames(cluster: string, hashTag = false): RedisNames {
  const prefix = hashTag ? `switchyard:{${cluster}}:` : `switchyard:${cluster}:`;
  return {
    prefix,
    channel: `${prefix}events`,
    entry: (table, key) => `${prefix}st:${table}:${key}`,
    entryPattern: `${prefix}st:*`,
    server: (b, s, f) => `${prefix}srv:${b}/${s}:${f}`,
    serverPattern: `${prefix}srv:*`,
  };
}

/** Checks a `redis-url` (see redis-connect.ts for the forms). Returns an error message or undefined. */
export function checkRedisUrl(url: string): string | undefined {
  const t = parseRedisUrl(url);
  return typeof t === 'string' ? t : undefined;
}
