/**
 * A reload (SIGHUP) with the real `switchyard` process keeps each server's check state: a DOWN
 * server stays DOWN (no false UP line), the old engine stops (no duplicate checks), and the new
 * one brings the server back when it recovers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaults, freePort, startProxy, startUpstream, tempDir, until, writeFile } from './helpers/proxy.ts';

test('SIGHUP reload keeps a DOWN server DOWN, one engine checks afterwards, recovery still seen', async (t) => {
  const tmp = tempDir();
  let healthy = false;
  const web = await startUpstream('web', (req, res) => {
    req.resume();
    res.writeHead(req.url === '/health' && !healthy ? 503 : 200).end('web\n');
  });
  const other = await startUpstream('other');
  t.after(async () => {
    await web.close();
    await other.close();
    tmp.cleanup();
  });
  const fe = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'reload.cfg',
    `${defaults('  timeout check 5s')}
frontend www
  bind 127.0.0.1:${fe}
  default_backend app
backend app
  option httpchk GET /health
  server web 127.0.0.1:${web.port} check inter 300 fall 1 rise 2
  server other 127.0.0.1:${other.port} check inter 300
`,
  );
  const proxy = await startProxy(['-f', cfg]);
  t.after(async () => {
    await proxy.stop();
  });
  await proxy.waitFor(/Server app\/web is DOWN, reason: Layer7 wrong status, code: 503/);
  proxy.proc.kill('SIGHUP');
  await proxy.waitFor('reload complete.');
  // Checks keep running after the reload, at one engine's pace.
  const heads = () => web.requests.filter((r) => r.url === '/health').length;
  const n0 = heads();
  const t0 = Date.now();
  await until(() => heads() >= n0 + 6, 20000, '6 more checks');
  const perSecond = ((heads() - n0) * 1000) / (Date.now() - t0);
  t.diagnostic(
    `checks on web after reload: ${perSecond.toFixed(1)}/s (inter 300 ms: one engine ~3.3/s, two would be ~6.6/s)`,
  );
  // A loaded machine only slows checks down, so this bound cannot fail spuriously; two engines would double the rate.
  assert.ok(perSecond < 5.5, `one engine checks after a reload (${perSecond.toFixed(1)} checks/s)`);
  assert.doesNotMatch(proxy.stderr(), /Server app\/web is UP/, 'no false UP after the reload');
  for (let i = 0; i < 4; i++) {
    const r = await fetch(`http://127.0.0.1:${fe}/x${i}`);
    assert.equal((await r.text()).trim().startsWith('other'), true, 'the DOWN server gets no traffic after the reload');
  }
  healthy = true;
  await proxy.waitFor(/Server app\/web is UP, reason: Layer7 check passed, code: 200/);
});
