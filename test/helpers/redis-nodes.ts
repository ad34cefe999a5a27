/** What the tests of Switchyard nodes sharing state through Redis set up alike. */
import type { TestContext } from 'node:test';
import { startUpstream, tempDir, type Upstream } from './proxy.ts';

/**
 * The `global` and `defaults` sections of such a node: `redis-url`, `cluster-name` when given,
 * an admin stats socket at `sock`, HTTP mode with 2s/10s/10s timeouts.
 */
export function redisNodeHead(redisUrl: string, sock: string, cluster?: string): string {
  return `global
  redis-url ${redisUrl}
${cluster ? `  cluster-name ${cluster}\n` : ''}  stats socket ${sock} level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
`;
}

/** Upstreams named `names` and a temporary directory, closed and removed after `t`. */
export async function upstreamsAndDir(
  t: TestContext,
  ...names: string[]
): Promise<{ ups: Upstream[]; tmp: { dir: string; cleanup(): void } }> {
  const ups: Upstream[] = [];
  for (const n of names) ups.push(await startUpstream(n));
  const tmp = tempDir();
  t.after(async () => {
    for (const u of ups) await u.close();
    tmp.cleanup();
  });
  return { ups, tmp };
}
