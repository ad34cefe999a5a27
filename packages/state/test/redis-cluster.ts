/**
 * A Redis Cluster of three masters (redis-server --cluster-enabled, `redis-cli --cluster create`)
 * on free loopback ports, each in its own temporary directory (nodes.conf); killed by pid.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually, type RedisProcess, startRedis } from './redis-server.ts';

export interface RedisClusterSet {
  nodes: RedisProcess[];
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3` */
  url: string;
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisClusterSet> {
  const dirs: string[] = [];
  const nodes: RedisProcess[] = [];
  const stop = async () => {
    for (const n of nodes) await n.kill();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'sy-rcluster-'));
      dirs.push(dir);
      nodes.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'], dir));
    }
    execFileSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { stdio: 'ignore', timeout: 30_000 },
    );
    await eventually(
      'cluster_state:ok on every node',
      async () => {
        for (const n of nodes) {
          const r = new Redis({ port: n.port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null });
          r.on('error', () => {});
          try {
            await r.connect();
            if (!/cluster_state:ok/.test(String(await r.call('CLUSTER', 'INFO')))) return false;
          } finally {
            r.disconnect();
          }
        }
        return true;
      },
      30_000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { nodes, url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`, stop };
}
