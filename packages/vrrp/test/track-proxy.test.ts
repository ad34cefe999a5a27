/**
 * track_proxy against the real HAProxy 2.6: frontends OPEN and a server UP make the node healthy;
 * the web server going away (health check DOWN) and HAProxy stopping make it unhealthy.
 * Also the `show stat` verdict on fixed CSV dumps.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findBinary, needs } from '../../../test/helpers/system.ts';
import { judgeStat, ProxyTracker, parseShowStat, type StatRow, socketAddress } from '../src/track/index.ts';

const HEADER =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type';
const row = (px: string, sv: string, status: string, type: number) =>
  `${px},${sv},0,0,0,0,,0,0,0,,0,,0,0,0,0,${status},1,1,0,0,0,1,0,,1,1,1,,0,,${type}`;

function rows(...r: string[]): StatRow[] {
  const parsed = parseShowStat(`${HEADER}\n${r.join('\n')}\n\n`);
  assert.ok(Array.isArray(parsed));
  return parsed;
}

test('judgeStat: OPEN frontends and one UP server are healthy; everything else says why not', () => {
  const fe = row('web', 'FRONTEND', 'OPEN', 0);
  const be = row('app', 'BACKEND', 'UP', 1);
  assert.equal(judgeStat(rows(fe, row('app', 's1', 'DOWN', 2), row('app', 's2', 'UP 1/2', 2), be), [], []).ok, true);
  assert.equal(judgeStat(rows(fe, row('app', 's1', 'no check', 2), be), [], []).ok, true);
  assert.deepEqual(judgeStat(rows(fe, row('app', 's1', 'DOWN', 2), row('app', 's2', 'MAINT', 2), be), [], []), {
    ok: false,
    why: 'no server UP in any backend',
  });
  assert.deepEqual(judgeStat(rows(row('web', 'FRONTEND', 'STOP', 0), row('app', 's1', 'UP', 2), be), [], []), {
    ok: false,
    why: 'frontend web is STOP',
  });
  assert.equal(judgeStat(rows(fe, row('app', 's1', 'UP', 2), be), ['other'], []).why, 'frontend other not found');
  assert.equal(judgeStat(rows(fe, row('app', 's1', 'UP', 2), be), [], ['nope']).why, 'backend nope not found');
  assert.equal(judgeStat(rows(row('app', 's1', 'UP', 2), be), [], []).why, 'no frontend');
  assert.equal(typeof parseShowStat('Unknown command\n'), 'string');
});

test('socketAddress: unix paths and HOST:PORT forms', () => {
  assert.deepEqual(socketAddress('/run/haproxy.sock'), { path: '/run/haproxy.sock' });
  assert.deepEqual(socketAddress('unix@/run/x.sock'), { path: '/run/x.sock' });
  assert.deepEqual(socketAddress('127.0.0.1:9999'), { host: '127.0.0.1', port: 9999 });
  assert.deepEqual(socketAddress('ipv6@[::1]:9999'), { host: '::1', port: 9999 });
  assert.equal(typeof socketAddress('nonsense'), 'string');
});

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function until(cond: () => Promise<boolean> | boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('ProxyTracker against real HAProxy 2.6 over its stats socket', { skip: needs('haproxy') }, async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'sy-trackproxy-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  let web: Server | undefined = createServer((_q, s) => s.end('ok'));
  await new Promise<void>((r) => web!.listen(0, '127.0.0.1', r));
  const webPort = (web.address() as { port: number }).port;
  t.after(() => web?.close());
  const fePort = await freePort();
  const sock = join(d, 'haproxy.sock');
  const cfg = join(d, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  stats socket ${sock} mode 600 level admin
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend web
  bind 127.0.0.1:${fePort}
  default_backend app
backend app
  server s1 127.0.0.1:${webPort} check inter 200 fall 1 rise 1
`,
  );
  const haproxy: ChildProcess = spawn(findBinary('haproxy')!, ['-f', cfg, '-db'], { stdio: 'ignore' });
  t.after(() => {
    if (haproxy.exitCode === null) haproxy.kill('SIGKILL');
  });
  const tracker = new ProxyTracker({
    socket: sock,
    interval: 0.1,
    timeout: 2,
    rise: 1,
    fall: 1,
    weight: 0,
    weightReverse: false,
    frontends: [],
    backends: ['app'],
    loc: { file: '/t.conf', line: 1 },
  });
  t.after(() => tracker.stop());
  await until(async () => (await tracker.check()).ok, 'HAProxy healthy');
  tracker.start();
  await tracker.settled();
  assert.equal(tracker.ok, true, 'decided healthy');
  // The web server goes away: HAProxy's check marks s1 DOWN, the node is unhealthy.
  await new Promise((r) => web!.close(r));
  web = undefined;
  await until(() => !tracker.ok, 'unhealthy after the server went DOWN');
  assert.match((await tracker.check()).why, /no server UP in backend app/);
  // HAProxy itself stops: the socket is gone.
  haproxy.kill('SIGTERM');
  await until(() => haproxy.exitCode !== null || haproxy.signalCode !== null, 'haproxy exit');
  const r = await tracker.check();
  assert.equal(r.ok, false);
  assert.match(r.why, /ENOENT|ECONNREFUSED/);
});
