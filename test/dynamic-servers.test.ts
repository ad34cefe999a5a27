/**
 * `add server` / `del server` on the runtime API against Debian's haproxy 2.6: the same replies,
 * byte for byte, to the same commands (good and bad), the same `show servers state` after them,
 * and a server added at runtime taking traffic once enabled, in the stats, then deleted.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { freePort, rawRequest, startProxy, startUpstream, tempDir, until, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

const config = (sock: string, port: number) => `global
  stats socket ${sock} level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:9001
backend st
  balance static-rr
  server s1 127.0.0.1:9001
backend hs
  balance source
  server s1 127.0.0.1:9001
`;

const COMMANDS = [
  'add server be',
  'add server be/',
  'add server nope/x 127.0.0.1:1',
  'add server st/x 127.0.0.1:1',
  'add server hs/x 127.0.0.1:1',
  'add server be/s1 127.0.0.1:1',
  'add server be/x',
  'add server be/x 127.0.0.1:abc',
  'add server be/x 127.0.0.1:9002 bogus',
  'add server be/x 127.0.0.1:9002 weight 300',
  'add server be/x 127.0.0.1:9002 cookie c',
  'del server be/s1',
  'add server be/x 127.0.0.1:9002 weight 5',
  'add server be/y 127.0.0.1:9003 disabled',
  'add server be/z 127.0.0.1:9003 check',
  // a host name is not resolved: no address, the name as srv_fqdn
  'add server be/h localhost:9004',
  'add server be/h2 nonexistent.invalid:9004 check',
  'show servers state be',
  'del server be/h2',
  'del server be/x',
  'del server be/x',
  'del server nope/x',
  'del server be',
  'disable server be/s1',
  'del server be/s1',
  'add server be/a 127.0.0.1:9009',
  'show servers state be',
  'enable server be/a',
  'show servers state be',
];

/** srv_time_since_last_change (field 9) differs by the second. */
const strip = (t: string) =>
  t
    .split('\n')
    .map((l) => (/^\d+ /.test(l) ? l.split(' ').toSpliced(9, 1).join(' ') : l))
    .join('\n');

test('add server / del server: the same replies as haproxy 2.6, byte for byte', {
  skip: needs('haproxy'),
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const hs = join(tmp.dir, 'h.sock');
  const ys = join(tmp.dir, 'y.sock');
  const hp = spawn('haproxy', ['-db', '-dR', '-f', writeFile(tmp.dir, 'h.cfg', config(hs, await freePort()))], {
    stdio: 'ignore',
  });
  t.after(() => hp.kill('SIGKILL'));
  const sy = await startProxy(['-f', writeFile(tmp.dir, 'y.cfg', config(ys, await freePort()))]);
  t.after(() => sy.stop());
  await until(() => existsSync(hs), 20000, 'haproxy socket');
  for (const c of COMMANDS) {
    assert.equal(strip(await cliQuery({ path: ys }, c)), strip(await cliQuery({ path: hs }, c)), c);
  }
});

test('a server added at runtime takes traffic once enabled, shows in the stats and Prometheus, and goes when deleted', async (t) => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const tmp = tempDir();
  const sock = join(tmp.dir, 'y.sock');
  const port = await freePort();
  t.after(async () => {
    await a.close();
    await b.close();
    tmp.cleanup();
  });
  const cfg = config(sock, port)
    .replace('127.0.0.1:9001\nbackend st', `127.0.0.1:${a.port}\nbackend st`)
    .replace(
      '  default_backend be',
      '  http-request use-service prometheus-exporter if { path /metrics }\n  default_backend be',
    );
  const sy = await startProxy(['-f', writeFile(tmp.dir, 'y.cfg', cfg)]);
  t.after(() => sy.stop());
  const q = (c: string) => cliQuery({ path: sock }, c);
  const who = async () => {
    const r = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    return /x-upstream: (\w+)/i.exec(r)?.[1] ?? r.slice(0, 40);
  };
  assert.equal(await q(`add server be/b 127.0.0.1:${b.port} weight 3`), 'New server registered.\n\n');
  // in maintenance until enabled, as haproxy
  for (let i = 0; i < 4; i++) assert.equal(await who(), 'a');
  assert.match(await q('show stat'), /\nbe,b,.*,MAINT,3,/);
  assert.equal(await q('enable server be/b'), '\n');
  const seen: string[] = [];
  for (let i = 0; i < 8; i++) seen.push(await who());
  assert.equal(seen.filter((s) => s === 'b').length, 6, seen.join(' ')); // weight 3 against 1
  assert.match(await q('show stat'), /\nbe,b,.*,no check,3,/);
  const metrics = () => rawRequest(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(await metrics(), /\nhaproxy_server_status\{proxy="be",server="b",state="UP"\} 1\n/);
  assert.equal(await q('del server be/b'), 'Only servers in maintenance mode can be deleted.\n');
  assert.equal(await q('disable server be/b'), '\n');
  assert.equal(await q('del server be/b'), 'Server deleted.\n');
  assert.doesNotMatch(await q('show stat'), /\nbe,b,/);
  assert.doesNotMatch(await metrics(), /server="b"/);
  for (let i = 0; i < 4; i++) assert.equal(await who(), 'a');
});

test('under --workers 2: add server and del server reach every worker, and a worker started later', async (t) => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const tmp = tempDir();
  const sock = join(tmp.dir, 'w.sock');
  const port = await freePort();
  t.after(async () => {
    await a.close();
    await b.close();
    tmp.cleanup();
  });
  const cfg = config(sock, port).replace('127.0.0.1:9001\nbackend st', `127.0.0.1:${a.port}\nbackend st`);
  const sy = await startProxy(['-f', writeFile(tmp.dir, 'w.cfg', cfg), '--workers', '2']);
  t.after(() => sy.stop());
  const q = (c: string) => cliQuery({ path: sock }, c);
  // new connections go to the workers in turn: 8 of them reach both
  const who = async (n = 8) => {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      seen.push(/x-upstream: (\w+)/i.exec(r)?.[1] ?? r.slice(0, 12));
    }
    return seen;
  };
  assert.equal(await q(`add server be/b 127.0.0.1:${b.port} weight 3`), 'New server registered.\n\n');
  assert.equal(await q('add server be/h localhost:1'), 'New server registered.\n\n');
  assert.equal(await q('add server be/b 127.0.0.1:1'), 'Already exists a server with the same name in backend.\n\n');
  assert.deepEqual(await who(4), ['a', 'a', 'a', 'a'], 'in maintenance until enabled');
  assert.equal(await q('disable server be/s1'), '\n');
  assert.equal(await q('enable server be/b'), '\n');
  await until(async () => (await who(4)).every((x) => x === 'b'), 10_000, 'every worker sends to be/b');
  const state = await q('show servers state be');
  assert.match(state, /\n\d+ be 2 b 127\.0\.0\.1 2 0 3 3 /);
  assert.match(state, /\n\d+ be 3 h - 0 1 1 1 \d+ 1 0 0 0 0 0 0 localhost 1 /);

  // a worker killed and started again gets the added servers replayed
  const pids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(sy.proc.pid)], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .map(Number);
  assert.equal(pids.length, 2, `worker pids: ${pids}`);
  process.kill(pids[0], 'SIGKILL');
  await sy.waitFor(`worker ${pids[0]} exited`);
  await until(
    () =>
      execFileSync('ps', ['-o', 'pid=', '--ppid', String(sy.proc.pid)], { encoding: 'utf8' })
        .trim()
        .split(/\s+/).length === 2,
    20_000,
    'a new worker',
  );
  await until(async () => (await who(4)).every((x) => x === 'b'), 10_000, 'the new worker sends to be/b');

  assert.equal(await q('set server be/b state maint'), '\n');
  assert.equal(await q('enable server be/s1'), '\n');
  assert.equal(await q('del server be/b'), 'Server deleted.\n');
  assert.equal(await q('del server be/b'), 'No such server.\n');
  await until(async () => (await who(6)).every((x) => x === 'a'), 10_000, 'every worker back to be/s1');
  assert.doesNotMatch(await q('show stat'), /\nbe,b,/);
  assert.match(await q('show stat'), /\nbe,h,/);
});
