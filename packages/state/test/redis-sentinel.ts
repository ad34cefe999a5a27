/**
 * A Redis master, one replica and three redis-sentinel processes (quorum 2, 1 s down-after) on
 * free loopback ports, for failover tests; every process is killed by pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { eventually, freePort, type RedisProcess, startRedis } from './redis-server.ts';

export interface SentinelSet {
  master: RedisProcess;
  replica: RedisProcess;
  sentinelPorts: number[];
  /** The master name the sentinels monitor. */
  name: string;
  /** `redis+sentinel://127.0.0.1:P1,.../NAME` */
  url: string;
  /** Port of the master as the sentinels see it now. */
  currentMasterPort(): Promise<number>;
  stop(): Promise<void>;
}

async function sentinelQuery<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** Starts the set and waits until every sentinel knows the replica and the two other sentinels. */
export async function startSentinelSet(name = 'sy-master'): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-sentinel-'));
  const master = await startRedis();
  const replica = await startRedis(['--replicaof', '127.0.0.1', String(master.port)]);
  const sentinels: ChildProcess[] = [];
  const sentinelPorts: number[] = [];
  const stop = async () => {
    for (const c of sentinels) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const done = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await done;
    }
    await master.kill();
    await replica.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      // sentinel rewrites its file: one per process
      writeFileSync(
        conf,
        `port ${port}\nbind 127.0.0.1\ndaemonize no\ndir ${dir}\n` +
          `sentinel monitor ${name} 127.0.0.1 ${master.port} 2\n` +
          `sentinel down-after-milliseconds ${name} 1000\n` +
          `sentinel failover-timeout ${name} 10000\n` +
          `sentinel parallel-syncs ${name} 1\n`,
      );
      sentinels.push(spawn('redis-sentinel', [conf], { stdio: 'ignore' }));
      sentinelPorts.push(port);
    }
    await eventually(
      'sentinels see the replica and each other',
      async () => {
        for (const port of sentinelPorts) {
          const ok = await sentinelQuery(port, async (r) => {
            const reps = (await r.call('SENTINEL', 'REPLICAS', name)) as unknown[];
            const others = (await r.call('SENTINEL', 'SENTINELS', name)) as unknown[];
            return reps.length === 1 && others.length === 2;
          }).catch(() => false);
          if (!ok) return false;
        }
        return true;
      },
      30_000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    master,
    replica,
    sentinelPorts,
    name,
    url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${name}`,
    currentMasterPort: () =>
      sentinelQuery(sentinelPorts[0], async (r) => {
        const a = (await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[];
        return Number(a[1]);
      }),
    stop,
  };
}
