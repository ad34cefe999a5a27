import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needs } from '../../../test/helpers/system.ts';
import { type CliContext, runCommand } from '../src/runtime-api/commands.ts';
import { CliSocketError, closeCliSocket, listenCliSocket } from '../src/runtime-api/socket-server.ts';
import { buildRuntime, proxyModel, sampleRuntime, serverModel, socketModel, testControl } from './helpers/runtime.ts';
import { cliQuery, cliSession, socat } from './helpers/socket.ts';

const dir = mkdtempSync(join(tmpdir(), 'sy-cli-'));
const rt = sampleRuntime();
const ctx: CliContext = {
  runtime: () => rt,
  control: testControl,
  info: { version: '0.1.0-test', releaseDate: '2026/11/21', pid: process.pid },
};
const socks = {
  admin: socketModel({ path: join(dir, 'admin.sock'), level: 'admin', mode: 0o600 }),
  oper: socketModel({ path: join(dir, 'oper.sock'), level: 'operator', mode: 0o660 }),
  user: socketModel({ path: join(dir, 'user.sock'), level: 'user' }),
  tcp: socketModel({ kind: 'tcp', host: '127.0.0.1', port: 0, level: 'admin', path: undefined }),
};
const servers: Array<[Server, typeof socks.admin]> = [];
let tcpPort = 0;
const admin = (cmd: string) => cliQuery({ path: socks.admin.path as string }, cmd);

before(async () => {
  for (const s of Object.values(socks)) servers.push([await listenCliSocket(s, ctx), s]);
  const addr = servers[3][0].address();
  tcpPort = typeof addr === 'object' && addr ? addr.port : 0;
});
after(async () => {
  for (const [srv, s] of servers) await closeCliSocket(srv, s);
  rmSync(dir, { recursive: true, force: true });
});

describe('runtime API', () => {
  test('unix socket mode is applied', () => {
    assert.equal(statSync(socks.admin.path as string).mode & 0o777, 0o600);
    assert.equal(statSync(socks.oper.path as string).mode & 0o777, 0o660);
  });

  test('show stat over the real socat, CSV header first', { skip: needs('socat') }, async () => {
    const out = await socat(`UNIX-CONNECT:${socks.admin.path}`, 'show stat\n');
    const lines = out.split('\n');
    assert.match(lines[0], /^# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,/);
    assert.ok(lines.some((l) => l.startsWith('app,s1,')));
    assert.ok(lines.some((l) => l.startsWith('app,BACKEND,')));
    assert.ok(out.endsWith('\n\n'), 'output ends with the empty line');
  });

  test('TCP socket (ipv4@) answers like the Unix one', async () => {
    const out = await cliQuery({ host: '127.0.0.1', port: tcpPort }, 'show backend');
    assert.equal(out, '# name\napp\nstats\n\n');
  });

  test('get/set weight with HAProxy replies', async () => {
    assert.equal(await admin('get weight app/s2'), '50 (initial 50)\n\n');
    assert.equal(await admin('set weight app/s2 25%'), '\n');
    assert.equal(await admin('get weight app/s2'), '12 (initial 50)\n\n');
    assert.equal(await admin('set weight app/s2 300'), 'Absolute weight can only be between 0 and 256 inclusive.\n\n');
    assert.equal(await admin('set weight app/s2 abc'), 'Empty weight string empty or preceded by garbage\n');
    assert.equal(await admin('set weight app/s2'), 'Require <weight> or <weight%>.\n\n');
    assert.equal(await admin('get weight app/s2'), '12 (initial 50)\n\n', 'bad input changed nothing');
    assert.equal(await admin('set server app/s2 weight 50'), '\n');
    assert.equal(rt.backends.get('app')?.serversByName.get('s2')?.weight, 50);
  });

  test('unknown backend / server / missing slash', async () => {
    assert.equal(await admin('disable server app/nope'), 'No such server.\n\n');
    assert.equal(await admin('disable server nope/s1'), 'No such backend.\n\n');
    assert.equal(await admin('disable server app'), "Require 'backend/server'.\n\n");
    assert.equal(await admin('get weight'), "Require 'backend/server'.\n\n");
    assert.equal(await admin('show servers state nope'), "Can't find backend.\n\n");
  });

  test('set server state / disable / enable go through the control and emit events', async () => {
    const seen: string[] = [];
    const onState = (e: { server: { name: string }; toAdmin: string; origin: string }) =>
      seen.push(`${e.server.name}:${e.toAdmin}:${e.origin}`);
    rt.events.on('server-state', onState);
    try {
      const s1 = rt.backends.get('app')?.serversByName.get('s1');
      assert.equal(await admin('set server app/s1 state drain'), '\n');
      assert.equal(s1?.admin, 'DRAIN');
      assert.equal(await admin('set server app/s1 state maint'), '\n');
      assert.equal(s1?.admin, 'MAINT');
      assert.equal(
        await admin('set server app/s1 state bogus'),
        "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n",
      );
      assert.equal(s1?.admin, 'MAINT');
      assert.equal(await admin('enable server app/s1'), '\n');
      assert.equal(s1?.admin, 'READY');
      assert.equal(await admin('disable server app/s1'), '\n');
      assert.equal(await admin('set server app/s1 state ready'), '\n');
      assert.deepEqual(seen, ['s1:DRAIN:api', 's1:MAINT:api', 's1:READY:api', 's1:MAINT:api', 's1:READY:api']);
    } finally {
      rt.events.off('server-state', onState);
    }
  });

  test('set maxconn server', async () => {
    assert.equal(await admin('set maxconn server app/s1 20'), '\n');
    assert.equal(rt.backends.get('app')?.serversByName.get('s1')?.maxconn, 20);
    assert.equal(await admin('set maxconn server app/s1'), 'Require <maxconn>.\n\n');
    assert.equal(await admin('set maxconn server app/s1 abc'), 'maxconn string empty or preceded by garbage\n');
    assert.equal(await admin('set maxconn server app/s1 0'), '\n');
    assert.equal(rt.backends.get('app')?.serversByName.get('s1')?.maxconn, undefined);
  });

  test('levels: user and operator sockets refuse admin commands', async () => {
    const user = (c: string) => cliQuery({ path: socks.user.path as string }, c);
    const oper = (c: string) => cliQuery({ path: socks.oper.path as string }, c);
    assert.equal(await user('disable server app/s1'), 'Permission denied\n\n');
    assert.equal(await user('set weight app/s2 3'), 'Permission denied\n\n');
    assert.equal(await user('show sess'), 'Permission denied\n\n');
    assert.equal(await oper('set server app/s1 state maint'), 'Permission denied\n\n');
    assert.equal(await oper('clear counters all'), 'Permission denied\n\n');
    assert.equal(await oper('show sess'), '\n', 'no stream in progress');
    assert.equal(rt.backends.get('app')?.serversByName.get('s1')?.admin, 'READY');
    assert.equal(await user('show cli level'), 'user\n\n');
    assert.match(await user('show info'), /^Name: Switchyard\nVersion: 0\.1\.0-test\n/);
  });

  test('unknown command and empty line get the help text', async () => {
    const out = await admin('foo bar');
    assert.match(out, /^Unknown command, but maybe one of the following ones is a better match:\n {2}/);
    assert.match(out, / {2}quit {36}: disconnect\n\n$/);
    const sh = await admin('show servers');
    assert.match(sh, /show servers state \[<backend>\]/);
    assert.match(await admin(''), /^Unknown command\. Please enter one of the following commands only:\n/);
    assert.match(await admin('help'), /^The following commands are valid at this level:\n/);
  });

  test('several commands on one line, separated by ;', async () => {
    const out = await admin('show backend;get weight app/s1;foo');
    assert.ok(out.startsWith('# name\napp\nstats\n\n1 (initial 1)\n\nUnknown command'), out);
  });

  test('a command ending with << takes the following lines as its payload, up to an empty line', async () => {
    const out = await admin('show cli level;set ssl cert /x.pem <<\n-----BEGIN CERTIFICATE-----\nabc\n');
    assert.equal(
      out,
      "admin\n\nCan't replace a certificate which is not referenced by the configuration!\nCan't update /x.pem!\n\n",
    );
    // `<<` glued to a word is no payload pattern (haproxy: the command gets no payload)
    const glued = await admin('set ssl cert /x.pem<<\nabc\n');
    assert.equal(glued, "'set ssl cert expects a filename and a certificate as a payload\n\n");
  });

  test('interactive mode: prompt, several commands, quit', async () => {
    const s = await cliSession({ path: socks.admin.path as string });
    try {
      assert.equal(await s.send('prompt'), '\n> ');
      assert.equal(await s.send('show backend'), '# name\napp\nstats\n\n> ');
      assert.equal(await s.send('set timeout cli 60'), '\n> ');
      assert.equal(await s.send('show cli level'), 'admin\n\n> ');
      assert.equal(await s.send('operator'), '\n> ');
      assert.equal(await s.send('disable server app/s1'), 'Permission denied\n\n> ');
      s.close();
    } finally {
      s.close();
    }
  });

  test('quit closes the session', async () => {
    const s = await cliSession({ path: socks.admin.path as string });
    await s.send('prompt');
    void s.send('quit').catch(() => {});
    await s.waitClosed();
    assert.ok(s.closed);
  });

  test('show servers state: format version 1 header', async () => {
    const out = await admin('show servers state app');
    const lines = out.split('\n');
    assert.equal(lines[0], '1');
    assert.match(lines[1], /^# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state/);
    assert.match(lines[2], /^3 app 1 s1 127\.0\.0\.1 2 0 1 1 \d+ 1 0 2 6 0 0 0 - 1 - 0 0 - - 0$/);
    assert.match(lines[4], /^3 app 3 s3 127\.0\.0\.1 0 5 1 1 \d+ 1 0 0 8 0 0 0 - 3 - 0 0 - - 0$/);
  });

  test('show stat filters and json', async () => {
    const servers = (await admin('show stat -1 4 -1')).split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(
      servers.map((l) => l.split(',').slice(0, 2).join(',')),
      ['app,s1', 'app,s2', 'app,s3'],
    );
    const json = JSON.parse(await admin('show stat json')) as Array<Array<{ field: { name: string } }>>;
    assert.equal(json.length, 7);
    assert.equal(json[0][0].field.name, 'pxname');
  });

  test('set vrrp state / show vrrp (Switchyard extension)', async () => {
    assert.equal(await admin('set vrrp state VI_1 master'), '\n');
    assert.equal(rt.vrrp.get('VI_1'), 'MASTER');
    assert.match(await admin('set vrrp state VI_1 LEADER'), /^'set vrrp state' expects 'INIT'/);
    assert.equal(await admin('show vrrp'), '# instance state\nVI_1 MASTER\n\n');
    assert.equal(
      await cliQuery({ path: socks.user.path as string }, 'set vrrp state VI_1 BACKUP'),
      'Permission denied\n\n',
    );
  });

  test('a socket path that is a regular file, or a live socket, is refused; a stale socket is replaced', async () => {
    const file = join(dir, 'file.sock');
    writeFileSync(file, 'keep me');
    await assert.rejects(
      listenCliSocket(socketModel({ path: file }), ctx),
      (e: unknown) => e instanceof CliSocketError && e.code === 'ADM_CLI_SOCKET',
    );
    assert.equal(readFileSync(file, 'utf8'), 'keep me');
    await assert.rejects(
      listenCliSocket(socketModel({ path: socks.admin.path }), ctx),
      (e: unknown) => e instanceof CliSocketError && /in use by a running process/.test(e.message),
    );
    assert.equal(await admin('show backend'), '# name\napp\nstats\n\n', 'the running socket still answers');
    // a stale socket: the file a crashed process left behind (bound, nobody listening)
    const stalePath = join(dir, 'stale.sock');
    const r = spawnSync('python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      stalePath,
    ]);
    assert.equal(r.status, 0, String(r.stderr));
    assert.ok(statSync(stalePath).isSocket(), 'stale socket file present');
    const fresh = await listenCliSocket(socketModel({ path: stalePath }), ctx);
    try {
      assert.equal(await cliQuery({ path: stalePath }, 'show backend'), '# name\napp\nstats\n\n');
    } finally {
      await closeCliSocket(fresh, socketModel({ path: stalePath }));
    }
  });

  test('overlong input line is refused, server keeps running', async () => {
    const out = await admin('x'.repeat(20000));
    assert.match(out, /Command line too long/);
    assert.equal(await admin('show backend'), '# name\napp\nstats\n\n');
  });
});

describe('weights on static algorithms (as haproxy 2.6 answers)', () => {
  const st = proxyModel('backend', 'st', 2, {
    balance: { algo: 'static-rr', options: {} },
    servers: [serverModel('a', 1, { weight: 10 })],
  });
  const hs = proxyModel('backend', 'hs', 3, {
    balance: { algo: 'source', options: {} },
    servers: [serverModel('a', 1, { weight: 10 })],
  });
  const srt = buildRuntime([st, hs]);
  const sctx: CliContext = {
    runtime: () => srt,
    control: testControl,
    info: { version: 'x', releaseDate: 'y', pid: 1 },
  };
  const run = (c: string) => runCommand(sctx, { level: 'admin', interactive: false, timeoutMs: 1000, quit: false }, c);
  const msg = "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n";

  test('only 0 and the initial weight are accepted', () => {
    assert.equal(run('set weight st/a 5'), msg);
    assert.equal(run('set weight st/a 50%'), msg);
    assert.equal(run('set weight st/a 99999%'), msg);
    assert.equal(run('set weight hs/a 5'), msg, 'map-based hashing is static too');
    assert.equal(srt.backends.get('st')?.serversByName.get('a')?.weight, 10);
    assert.equal(run('set weight st/a 0'), '');
    assert.equal(run('set weight st/a 100%'), '');
    assert.equal(run('get weight st/a'), '10 (initial 10)\n');
  });
});
