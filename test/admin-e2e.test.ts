/**
 * The admin side through the real `switchyard` process: runtime API over socat (Unix) and TCP,
 * MAINT and DRAIN taking effect on live traffic (with cookie persistence), the stats page and
 * `;csv`, `use-service prometheus-exporter` with latency histograms fed by the datapath, hatop.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../packages/admin/test/helpers/haproxy-ref.ts';
import { cliQuery, socat } from '../packages/admin/test/helpers/socket.ts';
import { seed } from './helpers/seeds.ts';
import { needs } from './helpers/system.ts';

const root = new URL('..', import.meta.url).pathname;
const basic = `Basic ${Buffer.from('ops:pw').toString('base64')}`;

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('admin side through the switchyard process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-e2e-'));
  const sock = join(dir, 'admin.sock');
  const origins: Server[] = [];
  let proc: ChildProcess | undefined;
  let stderr = '';
  let web = 0;
  let stats = 0;
  let tcpCli = 0;

  before(async () => {
    const ports: number[] = [];
    for (const name of ['s1', 's2']) {
      const srv = createServer((req, res) => {
        req.resume();
        // /slow answers late, so a test can change the server's state while it is in flight
        if (req.url?.startsWith('/slow')) setTimeout(() => res.end(name), 1500);
        else res.end(name);
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      origins.push(srv);
      ports.push((srv.address() as AddressInfo).port);
    }
    [web, stats, tcpCli] = [await freePort(), await freePort(), await freePort()];
    const cfg = `global
  maxconn 1000
  stats socket ${sock} mode 600 level admin
  stats socket ipv4@127.0.0.1:${tcpCli} level user

defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s

frontend web
  bind 127.0.0.1:${web}
  http-request use-service prometheus-exporter if { path /metrics }
  default_backend app

backend app
  balance roundrobin
  cookie SRV insert indirect nocache
  server s1 127.0.0.1:${ports[0]} cookie s1
  server s2 127.0.0.1:${ports[1]} cookie s2

listen stats
  bind 127.0.0.1:${stats}
  stats enable
  stats uri /
  stats realm Ops
  stats auth ops:pw
  stats admin if TRUE
`;
    writeFileSync(join(dir, 'switchyard.cfg'), cfg);
    proc = spawn(process.execPath, [join(root, 'packages/cli/bin/switchyard.mjs'), '-f', join(dir, 'switchyard.cfg')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr?.on('data', (d) => {
      stderr += d;
    });
    await waitFor('the runtime socket and the frontend', async () => {
      if (proc?.exitCode !== null) throw new Error(`switchyard exited: ${stderr}`);
      if (!existsSync(sock)) return false;
      return (await fetch(`http://127.0.0.1:${web}/`)).ok;
    }).catch((e) => {
      throw new Error(`${(e as Error).message}\n${stderr}`);
    });
  });

  after(async () => {
    if (proc && proc.exitCode === null) {
      const done = new Promise((r) => proc?.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    for (const s of origins) {
      s.closeAllConnections();
      s.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = (cmd: string) => cliQuery({ path: sock }, cmd);
  async function hits(n: number, cookie?: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await fetch(`http://127.0.0.1:${web}/x`, { headers: cookie ? { cookie } : {} });
      const body = await r.text();
      out[body] = (out[body] ?? 0) + 1;
    }
    return out;
  }

  test('show stat over the real socat', { skip: needs('socat') }, async () => {
    const out = await socat(`UNIX-CONNECT:${sock}`, 'show stat\n');
    const names = out
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(',').slice(0, 2).join(','));
    assert.deepEqual(names, ['web,FRONTEND', 'app,s1', 'app,s2', 'app,BACKEND', 'stats,FRONTEND', 'stats,BACKEND']);
  });

  test('stats socket mode 600 is applied to the socket file', () => {
    assert.equal(statSync(sock).mode & 0o777, 0o600);
  });

  test('TCP socket at level user: reads yes, changes no', async () => {
    assert.equal(await cliQuery({ host: '127.0.0.1', port: tcpCli }, 'show backend'), '# name\napp\nstats\n\n');
    assert.equal(await cliQuery({ host: '127.0.0.1', port: tcpCli }, 'disable server app/s1'), 'Permission denied\n\n');
  });

  test('MAINT over the socket: no new requests, not even persistent ones', async () => {
    assert.deepEqual(await hits(4), { s1: 2, s2: 2 });
    assert.equal(await admin('set server app/s1 state maint'), '\n');
    assert.deepEqual(await hits(6), { s2: 6 });
    assert.deepEqual(await hits(3, 'SRV=s1'), { s2: 3 });
    assert.equal(await admin('set server app/s1 state ready'), '\n');
    const back = await hits(4);
    assert.equal(back.s1, 2);
  });

  test('MAINT lets a request already in flight on the server finish', async () => {
    const inflight = fetch(`http://127.0.0.1:${web}/slow`, { headers: { cookie: 'SRV=s1' } });
    await waitFor('the request to reach s1', async () => /^app,s1,0,0,1,/m.test(await admin('show stat')));
    assert.equal(await admin('set server app/s1 state maint'), '\n');
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 's1');
    assert.equal(await admin('set server app/s1 state ready'), '\n');
  });

  test('DRAIN: persistence only', async () => {
    assert.equal(await admin('set server app/s1 state drain'), '\n');
    assert.deepEqual(await hits(6), { s2: 6 }, 'no new non-persistent traffic');
    assert.deepEqual(await hits(3, 'SRV=s1'), { s1: 3 }, 'persistent traffic still served');
    const row = (await admin('show stat')).split('\n').find((l) => l.startsWith('app,s1,')) ?? '';
    assert.equal(row.split(',')[17], 'DRAIN');
    assert.equal(await admin('set server app/s1 state ready'), '\n');
  });

  test('weight 0 over the socket takes the server out; get weight reports it', async () => {
    assert.equal(await admin('set weight app/s2 0'), '\n');
    assert.equal(await admin('get weight app/s2'), '0 (initial 1)\n\n');
    assert.deepEqual(await hits(4), { s1: 4 });
    assert.equal(await admin('set weight app/s2 100%'), '\n');
  });

  test('stats page: auth, HTML and ;csv, admin form changes state', async () => {
    const denied = await fetch(`http://127.0.0.1:${stats}/`);
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('www-authenticate'), 'Basic realm="Ops"');
    const html = await (await fetch(`http://127.0.0.1:${stats}/`, { headers: { authorization: basic } })).text();
    assert.match(html, /data-proxy="app"/);
    const csv = await (await fetch(`http://127.0.0.1:${stats}/;csv`, { headers: { authorization: basic } })).text();
    assert.match(csv.split('\n')[0], /^# pxname,svname,qcur,/);
    const r = await fetch(`http://127.0.0.1:${stats}/`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: 's=s2&action=maint&b=app',
      redirect: 'manual',
    });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/;st=DONE');
    assert.deepEqual(await hits(3), { s1: 3 });
    assert.match(await admin('show servers state app'), /\n3 app 2 s2 127\.0\.0\.1 0 1 /);
    await admin('set server app/s2 state ready');
  });

  test('prometheus-exporter: HAProxy metrics and latency histograms fed by the datapath', async () => {
    const text = await (await fetch(`http://127.0.0.1:${web}/metrics`)).text();
    assert.match(text, /^haproxy_server_status\{proxy="app",server="s1",state="UP"\} 1$/m);
    const m = /^haproxy_server_http_responses_total\{proxy="app",server="s1",code="2xx"\} (\d+)$/m.exec(text);
    assert.ok(m && Number(m[1]) > 0, 'responses counted');
    const c = /^haproxy_backend_http_request_duration_seconds_count\{proxy="app"\} (\d+)$/m.exec(text);
    assert.ok(c && Number(c[1]) > 0, 'latency observed');
    const metricsOnStats = await fetch(`http://127.0.0.1:${stats}/metrics`, { headers: { authorization: basic } });
    assert.match(await metricsOnStats.text(), /^haproxy_process_build_info\{version="/m);
  });

  test('hatop connects and shows the farm', { skip: needs('hatop', 'tmux') }, async () => {
    const session = `sy-hatop-${process.pid}`;
    const r = spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '200', '-y', '50', `hatop -s ${sock}`]);
    assert.equal(r.status, 0, String(r.stderr));
    try {
      let screen = '';
      await waitFor('hatop to draw the farm', () => {
        screen = spawnSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' }).stdout;
        return /app/.test(screen) && /s1/.test(screen) && /s2/.test(screen) && /BACKEND/.test(screen);
      }).catch(() => {
        throw new Error(`hatop screen:\n${screen}`);
      });
      assert.match(screen, /Switchyard/);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
    }
  });
});

describe('the 1.4-era seed config: stats uri /admin?stats from defaults', () => {
  test('every frontend serves the stats page and ;csv', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-seed-'));
    const port = await freePort();
    const text = readFileSync(seed('haproxy-1.4-seed.cfg'), 'utf8')
      // loopback only: the listener on a free port, the servers on closed local ports
      .replace(/^bind :80$/m, `bind 127.0.0.1:${port}`)
      .replace(/192\.168\.1\.187:8000/g, '127.0.0.1:2')
      .replace(/192\.168\.1\.187:80/g, '127.0.0.1:1')
      .replace(/^pidfile .*$/m, `pidfile ${join(dir, 'pid')}`);
    assert.doesNotMatch(text, /^(server|bind) .*192\.168/m, 'no traffic leaves loopback');
    writeFileSync(join(dir, 'seed.cfg'), text);
    const p = spawn(process.execPath, [join(root, 'packages/cli/bin/switchyard.mjs'), '-f', join(dir, 'seed.cfg')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr?.on('data', (d) => {
      err += d;
    });
    t.after(async () => {
      if (p.exitCode === null) {
        const done = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
        if (p.exitCode === null) p.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    });
    await waitFor('the seed frontend', async () => {
      if (p.exitCode !== null) throw new Error(`switchyard exited: ${err}`);
      return (await fetch(`http://127.0.0.1:${port}/admin?stats`)).status === 200;
    });
    const html = await (
      await fetch(`http://127.0.0.1:${port}/admin?stats`, { headers: { host: 'test.domain.com' } })
    ).text();
    for (const px of ['http_server', 'info_cache', 'cache_test']) assert.match(html, new RegExp(`data-proxy="${px}"`));
    const csv = await (await fetch(`http://127.0.0.1:${port}/admin?stats;csv`)).text();
    assert.deepEqual(
      csv
        .split('\n')
        .slice(1, -1)
        .map((l) => l.split(',').slice(0, 2).join(',')),
      ['http_server,FRONTEND', 'info_cache,inst2', 'info_cache,BACKEND', 'cache_test,inst1', 'cache_test,BACKEND'],
    );
  });
});
