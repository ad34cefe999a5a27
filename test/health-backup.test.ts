/**
 * Backup servers end to end with the real `switchyard` process: when the last active server goes
 * DOWN the first backup (or every backup with `option allbackups`) takes the traffic, logged
 * `Running on backup.`; when an active server rises again it gets the traffic back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaults, freePort, startProxy, startUpstream, tempDir, type Upstream, writeFile } from './helpers/proxy.ts';

/** An upstream whose health answer can be switched between 200 and 503. */
async function switchable(name: string) {
  const state = { healthy: true };
  const u = await startUpstream(name, (req, res) => {
    req.resume();
    if (req.url === '/health') res.writeHead(state.healthy ? 200 : 503).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name}\n`);
  });
  return { u, state };
}

async function spread(port: number, n: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/x${i}`);
    const body = (await r.text()).trim();
    const key = r.status === 200 ? body : `HTTP ${r.status}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return seen;
}

for (const allbackups of [false, true]) {
  test(`last active DOWN -> ${allbackups ? 'all backups' : 'first backup'} take over; active UP -> hands back`, async (t) => {
    const tmp = tempDir();
    const act = await switchable('act');
    const bk1 = await switchable('bk1');
    const bk2 = await switchable('bk2');
    const ups: Upstream[] = [act.u, bk1.u, bk2.u];
    t.after(async () => {
      for (const u of ups) await u.close();
      tmp.cleanup();
    });
    const fe = await freePort();
    const cfg = writeFile(
      tmp.dir,
      'backup.cfg',
      `${defaults('  timeout check 5s')}
frontend www
  bind 127.0.0.1:${fe}
  default_backend app
backend app
  balance roundrobin
  option httpchk GET /health
${allbackups ? '  option allbackups\n' : ''}  default-server check inter 500 fall 2 rise 2
  server act 127.0.0.1:${act.u.port}
  server bk1 127.0.0.1:${bk1.u.port} backup
  server bk2 127.0.0.1:${bk2.u.port} backup
`,
    );
    const proxy = await startProxy(['-f', cfg]);
    t.after(async () => {
      await proxy.stop();
    });
    assert.deepEqual([...(await spread(fe, 6))], [['act', 6]]);
    act.state.healthy = false;
    await proxy.waitFor(
      /Server app\/act is DOWN, reason: Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: \d+ms\. 0 active and 2 backup servers left\. Running on backup\./,
    );
    const during = await spread(fe, 8);
    if (allbackups)
      assert.deepEqual([...during].sort(), [
        ['bk1', 4],
        ['bk2', 4],
      ]);
    else assert.deepEqual([...during], [['bk1', 8]]);
    act.state.healthy = true;
    await proxy.waitFor(
      /Server app\/act is UP, reason: Layer7 check passed, code: 200, check duration: \d+ms\. 1 active and 2 backup servers online\./,
    );
    assert.deepEqual([...(await spread(fe, 6))], [['act', 6]]);
  });
}
