/**
 * track_proxy against the real `switchyard` process (its runtime API `show stat`), the same way as
 * against HAProxy: frontends OPEN and a server UP is healthy; the server failing its health check,
 * and the proxy stopping, are unhealthy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaults,
  freePort,
  startProxy,
  startUpstream,
  tempDir,
  until,
  writeFile,
} from '../../../test/helpers/proxy.ts';
import { ProxyTracker } from '../src/track/index.ts';

test('ProxyTracker against the switchyard runtime API', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const up = await startUpstream('s1');
  let upOpen = true;
  t.after(async () => {
    if (upOpen) await up.close();
  });
  const fe = await freePort();
  const sock = `${dir}/admin.sock`;
  const cfg = writeFile(
    dir,
    'switchyard.cfg',
    defaults().replace('global\n', `global\n  stats socket ${sock} mode 600 level admin\n`) +
      `frontend www
  bind 127.0.0.1:${fe}
  default_backend app
backend app
  server s1 127.0.0.1:${up.port} check inter 200 fall 1 rise 1
`,
  );
  const proxy = await startProxy(['-f', cfg]);
  t.after(() => proxy.stop('SIGKILL'));
  const tracker = new ProxyTracker({
    socket: sock,
    interval: 0.1,
    timeout: 2,
    rise: 1,
    fall: 1,
    weight: 0,
    weightReverse: false,
    frontends: ['www'],
    backends: ['app'],
    loc: { file: '/t.conf', line: 1 },
  });
  t.after(() => tracker.stop());
  let last = { ok: false, why: '' };
  await until(async () => (last = await tracker.check()).ok, 30_000, 'switchyard healthy').catch((e) => {
    throw new Error(`${(e as Error).message}: ${last.why}\n${proxy.stderr()}`);
  });
  assert.match(last.why, /1 frontend\(s\) OPEN, server app\/s1 UP/);
  tracker.start();
  await tracker.settled();
  assert.equal(tracker.ok, true, 'decided healthy');
  await up.close();
  upOpen = false;
  await until(() => !tracker.ok, 30_000, 'unhealthy after s1 went DOWN');
  assert.match((await tracker.check()).why, /no server UP in backend app/);
  await proxy.stop('SIGTERM');
  const r = await tracker.check();
  assert.equal(r.ok, false);
  assert.match(r.why, /ENOENT|ECONNREFUSED/);
});
