/** Shared by the addon's tests: a loopback listener, and a child Node process using the addon. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A loopback listener calling `onConn` per connection (socket errors ignored). */
export async function listen(onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

/**
 * Runs `body` (an ES module body with `np`, `ProbeMode` and `createServer` in scope) in a child
 * Node process; its stdout, or undefined when the addon is missing there (a failure under CI=true).
 * Asserts that the process exits with status 0 within 8 seconds.
 */
export function runWithAddon(body: string): string | undefined {
  const index = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const script = `
    import { createServer } from 'node:net';
    const { loadNetProbe, ProbeMode } = await import(${JSON.stringify(index)});
    let np;
    try { np = loadNetProbe(); } catch { console.log('missing'); process.exit(0); }
    ${body}
  `;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 10000,
  });
  if (r.stdout.trim() === 'missing') {
    assert.notEqual(process.env.CI, 'true', 'CI=true and the netprobe addon is missing');
    return undefined;
  }
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Date.now() - t0 < 8000, 'the process exits');
  return r.stdout.trim();
}
