/**
 * Logs where syslog expects them: `log /path`, `log unix@PATH` (unix datagrams through the
 * unixsock addon) received by Debian's rsyslogd on a private socket, in each of haproxy 2.6's eight
 * formats, with `len` and level filters (`sample` counts differ run to run in haproxy's threads: not compared); every datagram compared with haproxy 2.6's.
 *
 * Deterministic whatever the load: a unix datagram socket holds 11 datagrams at most (EAGAIN after,
 * and haproxy as Switchyard drop the line), so the 11 lines of a request go to two sockets (6 + 5),
 * requests are sent one at a time, each after rsyslog has written the previous one's lines, and
 * the startup messages are drained first (a marker datagram through each socket).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { test } from 'node:test';
import { UnixDgramSender } from '../packages/unixsock/src/index.ts';
import { freePort, rawRequest, startProxy, startUpstream, tempDir, until, writeFile } from './helpers/proxy.ts';
import { startRsyslog } from './helpers/servers.ts';
import { needs } from './helpers/system.ts';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

function config([a, b]: string[], tag: string, httpPort: number, serverPort: number): string {
  return `global
  log-tag ${tag}
  log ${a} local0
  log unix@${a} format rfc3164 local1
  log unix@${a} format rfc5424 local2
  log unix@${a} format short local3
  log unix@${a} format priority local4
  log unix@${a} format timed local5
  log unix@${b} format iso local6
  log unix@${b} format local local7
  log unix@${b} format raw daemon
  log unix@${b} len 110 format priority user
  log unix@${b} format priority mail notice
  log unix@${b} format priority ftp debug emerg
defaults
  mode http
  log global
  option httplog
  option dontlognull
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${httpPort}
  default_backend be
backend be
  server s1 127.0.0.1:${serverPort}
`;
}

/** What differs between two runs and two programs: dates, tags and pids, ports, timers, sizes. */
function shape(line: string): string {
  return (
    line
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d/g, 'ISO')
      .replace(/\w{3} [ \d]\d \d\d:\d\d:\d\d /, 'DATE ')
      .replace(/\b(sy|hp)(\[| )\d+/, 'TAG$2PID')
      .replace(/127\.0\.0\.1:\d+ /, '127.0.0.1:PORT ')
      .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/, '[ACCEPT]')
      .replace(/ -?\d+\/-?\d+\/-?\d+\/-?\d+\/\d+ (\d{3}) \d+ /, ' TIMERS $1 BYTES ')
      .replace(/GET \/(sy|hp)-/, 'GET /REQ-')
      .replace(/a+$/, 'A')
      // `len 110` cuts where the variable-width fields (ports, timers, sizes) put byte 110: the
      // lengths are checked below, the cut text not
      .replace(/^(<14>.* BYTES ).*$/, '$1CUT')
  );
}

test('unix datagram logs to rsyslog: eight formats, len, level, minlevel as haproxy 2.6', {
  skip: needs('rsyslogd', 'haproxy'),
}, async (t) => {
  const rs = await startRsyslog(2);
  const up = await startUpstream('s1');
  const tmp = tempDir();
  const marker = new UnixDgramSender();
  t.after(async () => {
    marker.close();
    await up.close();
    await rs.stop();
    tmp.cleanup();
  });
  const ours = await freePort();
  const theirs = await freePort();
  const px = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', config(rs.sockets, 'sy', ours, up.port))]);
  t.after(() => px.stop());
  const hp = spawn(
    'haproxy',
    ['-db', '-dR', '-f', writeFile(tmp.dir, 'hp.cfg', config(rs.sockets, 'hp', theirs, up.port))],
    {
      stdio: 'ignore',
    },
  );
  t.after(() => hp.kill('SIGKILL'));
  const get = (port: number, path: string) =>
    rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, 5000);
  // haproxy is up when it accepts (an empty connection logs nothing: dontlognull)
  await until(() => accepts(theirs), 20000, 'haproxy up');
  // drain the startup messages: once a marker is written, what was queued before it has been read
  for (const [i, sock] of rs.sockets.entries()) {
    await until(() => marker.send(sock, Buffer.from(`<14>marker-${i}`)) === 0, 20000, `marker ${i} sent`);
    await until(() => rs.raw().some((l) => l.includes(`marker-${i}`)), 20000, `marker ${i} written`);
  }
  const of = (who: 'sy' | 'hp') => rs.raw().filter((l) => l.includes(`GET /${who}-`));
  // per request: 8 formats, raw, len, ftp (mail notice takes none)
  const per = 11;
  const linesOf = async (who: 'sy' | 'hp', n: number) =>
    until(() => of(who).length >= n, 20000, `${n} lines`).catch(() => {
      throw new Error(`rsyslog has ${of(who).length} lines of ${who}, not ${n}:\n${rs.raw().join('\n')}`);
    });
  for (let i = 0; i < 8; i++) {
    assert.match(await get(ours, `/sy-${i}-${'a'.repeat(60)}`), /^HTTP\/1\.1 200 /);
    await linesOf('sy', per * (i + 1));
    assert.match(await get(theirs, `/hp-${i}-${'a'.repeat(60)}`), /^HTTP\/1\.1 200 /);
    await linesOf('hp', per * (i + 1));
  }
  const want = 8 * per;
  const mine = of('sy');
  const haproxy = of('hp');
  assert.equal(mine.length, want);
  assert.equal(haproxy.length, want);
  assert.deepEqual(mine.map(shape).sort(), haproxy.map(shape).sort());
  // the headers of one request's lines, as rsyslog received them
  const pid = String(px.proc.pid);
  const heads = mine
    .filter((l) => l.includes('/sy-1-'))
    .map((l) =>
      l
        .replace(/127\.0\.0\.1:\d+ .*/, '')
        .replace(/\d{4}-\d\d-\d\dT[\d:.+-]+/, 'ISO')
        .replace(/\w{3} [ \d]\d \d\d:\d\d:\d\d/, 'DATE')
        .replace(`[${pid}]`, '[PID]')
        .replace(` sy ${pid} `, ' sy PID '),
    );
  assert.deepEqual(heads.sort(), [
    '',
    '<134>DATE sy[PID]: ',
    '<142>DATE localhost sy[PID]: ',
    '<14>',
    '<150>1 ISO - sy PID - - ',
    '<166>',
    '<190>DATE sy[PID]: ',
    '<6>',
    '<6>ISO ',
    '<94>',
    'ISO ',
  ]);
  // len 110: header and message cut at 110 bytes (rsyslog drops the newline)
  for (const l of [...mine, ...haproxy].filter((h) => h.startsWith('<14>'))) assert.equal(l.length, 110, l);
  // rsyslog's own reading of facility and severity
  const parsed = rs.parsed().filter((l) => l.includes('/sy-'));
  assert.equal(parsed.filter((l) => l.startsWith('local4.info ')).length, 8);
  assert.equal(parsed.filter((l) => l.startsWith('ftp.info ')).length, 8);
  assert.ok(!parsed.some((l) => l.startsWith('mail.')));
});
