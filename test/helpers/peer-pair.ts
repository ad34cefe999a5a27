/**
 * Differential tests: the same config body (sections after global/defaults, `@PORT@` for the
 * frontend port) run by Debian's haproxy and by Switchyard, both stopped when the test ends.
 */
import type { TestContext } from 'node:test';
import { startHaproxy } from '../../packages/proxy/test/acl-haproxy-peer.ts';
import { freePort, startProxy, tempDir, writeFile } from './proxy.ts';

/** Starts both; returns haproxy's port and Switchyard's. */
export async function startPair(t: TestContext, body: string): Promise<{ theirs: number; ours: number }> {
  const hap = await startHaproxy(body);
  t.after(() => hap.stop());
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'sy.cfg',
    `defaults\n  mode http\n  timeout connect 5s\n  timeout client 20s\n  timeout server 20s\n${body.replaceAll('@PORT@', String(port))}`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  return { theirs: hap.port, ours: port };
}
