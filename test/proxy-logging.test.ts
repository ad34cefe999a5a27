/**
 * Request logging: syslog over UDP framed exactly like HAProxy 2.6's packets (compared with the
 * real haproxy), `--log-format json`, and silence without any `log` target.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import {
  defaults,
  freePort,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  until,
  writeFile,
} from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

/** A UDP syslog receiver on a free loopback port. */
async function syslogReceiver() {
  const sock = createSocket('udp4');
  const messages: string[] = [];
  sock.on('message', (m) => messages.push(m.toString()));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, messages, close: () => sock.close() };
}

function config(syslogPort: number, httpPort: number, serverPort: number, deadPort = 1): string {
  return `${defaults('', `127.0.0.1:${syslogPort} local3 info`)}frontend fe
  bind 127.0.0.1:${httpPort}
  use_backend dead if { path_beg /dead }
  default_backend be
backend be
  server s1 127.0.0.1:${serverPort}
backend dead
  server d1 127.0.0.1:${deadPort}
`;
}

/** Replaces the parts that differ between runs (time, pid, ports, timers, sizes). */
function shape(msg: string): string {
  return msg
    .replace(/^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d /, '<$1>DATE ')
    .replace(/^(<\d+>DATE )\w+\[\d+\]: /, '$1PROG[PID]: ')
    .replace(/127\.0\.0\.1:\d+ /, '127.0.0.1:PORT ')
    .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/, '[ACCEPT]')
    .replace(/ -?\d+\/-?\d+\/-?\d+\/-?\d+\/\d+ (\d{3}) \d+ /, ' TIMERS $1 BYTES ');
}

test('syslog over UDP: same framing and fields as haproxy 2.6', { skip: needs('haproxy') }, async (t) => {
  const up = await startUpstream('s1');
  const rx = await syslogReceiver();
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    rx.close();
    tmp.cleanup();
  });
  const ours = await freePort();
  const theirs = await freePort();
  const dead = await freePort();
  const px = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', config(rx.port, ours, up.port, dead))]);
  t.after(() => px.stop());
  const hp = spawn(
    'haproxy',
    ['-db', '-dR', '-f', writeFile(tmp.dir, 'hp.cfg', config(rx.port, theirs, up.port, dead))],
    {
      stdio: 'ignore',
    },
  );
  t.after(() => hp.kill('SIGKILL'));
  await until(
    async () =>
      (
        await rawRequest(theirs, 'GET /probe HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 2000).catch(() => '')
      ).startsWith('HTTP/1.1 200'),
    20000,
    'haproxy up',
  );
  await rawRequest(ours, 'GET /logged?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  await rawRequest(theirs, 'GET /logged?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  await until(() => rx.messages.filter((m) => m.includes('/logged?x=1')).length === 2, 10000, 'two syslog lines');
  const [a, b] = rx.messages.filter((m) => m.includes('/logged?x=1'));
  const mine = a.includes('switchyard[') ? a : b;
  const haproxy = a.includes('switchyard[') ? b : a;
  assert.match(mine, new RegExp(`^<158>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d switchyard\\[${px.proc.pid}\\]: `));
  assert.ok(mine.endsWith('"GET /logged?x=1 HTTP/1.1"\n'));
  assert.equal(shape(mine), shape(haproxy));

  // a refused server: 3 retries, then 503 with the same flags, counters and timers shape
  await Promise.all([
    rawRequest(ours, 'GET /dead HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 15000),
    rawRequest(theirs, 'GET /dead HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 15000),
  ]);
  await until(() => rx.messages.filter((m) => m.includes('"GET /dead')).length === 2, 20000, 'two /dead lines');
  const dl = rx.messages.filter((m) => m.includes('"GET /dead'));
  assert.match(dl[0], / fe dead\/d1 \d+\/\d+\/-1\/-1\/\d+ 503 \d+ - - SC-- \d+\/\d+\/\d+\/\d+\/3 0\/0 /);
  assert.equal(shape(dl[0]), shape(dl[1]));
});

function appletConfig(syslogPort: number, statsPort: number, otherPort: number): string {
  return `${defaults('', `127.0.0.1:${syslogPort} local3 info`)}frontend stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
  stats auth admin:switchyard
  http-request use-service prometheus-exporter if { path /metrics }
frontend other
  bind 127.0.0.1:${otherPort}
  http-request use-service prometheus-exporter if { path /metrics }
  default_backend be
backend be
  stats enable
  stats uri /bstats
  server s1 127.0.0.1:1
`;
}

test('stats page and exporter requests are logged as <STATS> and <PROMEX>, as haproxy 2.6 does', {
  skip: needs('haproxy'),
}, async (t) => {
  const rx = await syslogReceiver();
  const tmp = tempDir();
  t.after(() => {
    rx.close();
    tmp.cleanup();
  });
  const [ourStats, ourOther, theirStats, theirOther] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const px = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', appletConfig(rx.port, ourStats, ourOther))]);
  t.after(() => px.stop());
  const hp = spawn(
    'haproxy',
    ['-db', '-dR', '-f', writeFile(tmp.dir, 'hp.cfg', appletConfig(rx.port, theirStats, theirOther))],
    {
      stdio: 'ignore',
    },
  );
  t.after(() => hp.kill('SIGKILL'));
  const get = (port: number, target: string, auth = false) =>
    rawRequest(
      port,
      `GET ${target} HTTP/1.1\r\nHost: a\r\n${auth ? `Authorization: Basic ${Buffer.from('admin:switchyard').toString('base64')}\r\n` : ''}Connection: close\r\n\r\n`,
    );
  await until(
    async () => (await get(theirOther, '/metrics').catch(() => '')).startsWith('HTTP/1.1 200'),
    20000,
    'haproxy up',
  );
  await until(() => rx.messages.some((m) => m.includes('haproxy[')), 10000, 'haproxy logging');
  rx.messages.length = 0;
  const cases: Array<[string, (stats: number, other: number) => [number, string, boolean], RegExp]> = [
    ['stats page', (st) => [st, '/stats', true], / stats stats\/<STATS> /],
    ['stats CSV', (st) => [st, '/stats;csv', true], / stats stats\/<STATS> /],
    ['exporter on the stats frontend', (st) => [st, '/metrics', false], / stats stats\/<PROMEX> /],
    ['exporter on another frontend', (_, o) => [o, '/metrics', false], / other other\/<PROMEX> /],
    ["a backend's stats page", (_, o) => [o, '/bstats', false], / other be\/<STATS> /],
  ];
  for (const [what, target, fields] of cases) {
    const [mp, mt, ma] = target(ourStats, ourOther);
    const [tp, tt, ta] = target(theirStats, theirOther);
    assert.match(await get(mp, mt, ma), /^HTTP\/1\.1 200 /, what);
    assert.match(await get(tp, tt, ta), /^HTTP\/1\.1 200 /, what);
    const line = (prog: string) => rx.messages.find((m) => m.includes(prog) && m.includes(`"GET ${mt} HTTP/1.1"`));
    await until(() => !!line('switchyard[') && !!line('haproxy['), 10000, `${what}: both lines`);
    const mine = line('switchyard[') as string;
    const haproxy = line('haproxy[') as string;
    assert.match(haproxy, fields, `${what}: haproxy wrote\n${haproxy}`);
    assert.equal(shape(mine), shape(haproxy), what);
    // an applet has no queue and no connect time: Tw and Tc are 0, Tr is set
    for (const l of [mine, haproxy]) assert.match(l, / \d+\/0\/0\/\d+\/\d+ 200 /, `${what}: ${l}`);
    rx.messages.length = 0;
  }
});

test('--log-format json: one JSON object per request with the httplog fields', async (t) => {
  const up = await startUpstream('s1');
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'json.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${up.port}\n`,
  );
  const px = await startProxy(['-f', cfg, '--log-format', 'json']);
  t.after(() => px.stop());
  await rawRequest(port, 'GET /j HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  await until(() => px.stdout().includes('"/j"'), 10000, 'json line');
  const rec = JSON.parse(
    px
      .stdout()
      .split('\n')
      .find((l) => l.includes('"/j"')) ?? '{}',
  );
  assert.equal(rec.frontend, 'fe');
  assert.equal(rec.backend, 'be');
  assert.equal(rec.server, 's1');
  assert.equal(rec.status, 200);
  assert.equal(rec.termination_state, '----');
  assert.equal(rec.method, 'GET');
  assert.equal(rec.request, 'GET /j HTTP/1.1');
  assert.equal(typeof rec.Ta, 'number');
  assert.ok(rec.bytes > 0);
});

test('without any log target nothing is logged per request', async (t) => {
  const up = await startUpstream('s1');
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'quiet.cfg',
    `defaults\n  mode http\n  option httplog\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\nfrontend fe\n  bind 127.0.0.1:${port}\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${up.port}\n`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  const res = await rawRequest(port, 'GET /quiet HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(res, /^HTTP\/1\.1 200 /);
  await px.stop();
  assert.equal(px.stdout(), '');
  assert.doesNotMatch(px.stderr(), /GET \/quiet/);
});

test('option dontlog-normal logs only failed requests; dontlognull skips silent connections', async (t) => {
  const up = await startUpstream('s1');
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'dln.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n  option dontlog-normal\n  option dontlognull\n  timeout http-request 300ms\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${up.port}\n`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  await rawRequest(port, 'GET /normal HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  await rawRequest(port, 'GET /bad\u0000 HTTP/1.1\r\nHost: a\r\n\r\n');
  // a connection that sends nothing gets its 408 but no log line
  assert.match(await rawRequest(port, ''), /^HTTP\/1\.1 408 /);
  await rawRequest(port, 'GET /marker HTTP/1.1\r\nHost: a\r\nbad header\r\n\r\n');
  await until(() => (px.stdout().match(/PR--/g) ?? []).length === 2, 10000, 'two error lines');
  assert.doesNotMatch(px.stdout(), /\/normal/);
  assert.doesNotMatch(px.stdout(), / 408 /);
});

test('log-format: a custom line with log-time variables and a sample', async (t) => {
  const up = await startUpstream('s1');
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'lf.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n  log-format "custom %ci %ST %B %b/%s %tsc %{+Q}r host=%[req.hdr(host)]"\n  default_backend be\nbackend be\n  server s1 127.0.0.1:${up.port}\n`,
  );
  const px = await startProxy(['-f', cfg]);
  t.after(() => px.stop());
  await rawRequest(port, 'GET /lf HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n');
  await until(() => px.stdout().includes('custom '), 10000, 'custom line');
  assert.match(px.stdout(), /^custom 127\.0\.0\.1 200 \d+ be\/s1 ---- "GET \/lf HTTP\/1\.1" host=shop\.example$/m);
});
