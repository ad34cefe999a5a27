/**
 * Logs where syslog expects them: `log /path`, `log unix@PATH` (unix datagrams through the
 * unixsock addon) received by Debian's rsyslogd on a private socket, in each of haproxy 2.6's eight
 * formats, with `len` and level filters (`sample` counts differ run to run in haproxy's threads: not compared); every datagram compared with haproxy 2.6's.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { freePort, rawRequest, startProxy, startUpstream, tempDir, until, writeFile } from './helpers/proxy.ts';
import { startRsyslog } from './helpers/servers.ts';
import { needs } from './helpers/system.ts';

function config(sock: string, tag: string, httpPort: number, serverPort: number): string {
  return `global
  log-tag ${tag}
  log ${sock} local0
  log unix@${sock} format rfc3164 local1
  log unix@${sock} format rfc5424 local2
  log unix@${sock} format short local3
  log unix@${sock} format priority local4
  log unix@${sock} format timed local5
  log unix@${sock} format iso local6
  log unix@${sock} format local local7
  log unix@${sock} format raw daemon
  log unix@${sock} len 110 format priority user
  log unix@${sock} format priority mail notice
  log unix@${sock} format priority ftp debug emerg
defaults
  mode http
  log global
  option httplog
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
  return line
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d/g, 'ISO')
    .replace(/\w{3} [ \d]\d \d\d:\d\d:\d\d /, 'DATE ')
    .replace(/\b(sy|hp)(\[| )\d+/, 'TAG$2PID')
    .replace(/127\.0\.0\.1:\d+ /, '127.0.0.1:PORT ')
    .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/, '[ACCEPT]')
    .replace(/ -?\d+\/-?\d+\/-?\d+\/-?\d+\/\d+ (\d{3}) \d+ /, ' TIMERS $1 BYTES ')
    .replace(/GET \/(sy|hp)-/, 'GET /REQ-')
    .replace(/a+$/, 'A');
}

test('unix datagram logs to rsyslog: eight formats, len, level, minlevel as haproxy 2.6', {
  skip: needs('rsyslogd', 'haproxy'),
}, async (t) => {
  const rs = await startRsyslog();
  const up = await startUpstream('s1');
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    await rs.stop();
    tmp.cleanup();
  });
  const ours = await freePort();
  const theirs = await freePort();
  const px = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', config(rs.socket, 'sy', ours, up.port))]);
  t.after(() => px.stop());
  const hp = spawn('haproxy', ['-db', '-f', writeFile(tmp.dir, 'hp.cfg', config(rs.socket, 'hp', theirs, up.port))], {
    stdio: 'ignore',
  });
  t.after(() => hp.kill('SIGKILL'));
  const get = (port: number, path: string) =>
    rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, 5000);
  await until(async () => (await get(theirs, '/up').catch(() => '')).startsWith('HTTP/1.1 200'), 20000, 'haproxy up');
  // one request each before (haproxy's was /up): the frontend's `sample 2-3:4` then sends /X-0,1,4,5
  assert.match(await get(ours, '/up'), /^HTTP\/1\.1 200 /);
  for (let i = 0; i < 8; i++) {
    assert.match(await get(ours, `/sy-${i}-${'a'.repeat(60)}`), /^HTTP\/1\.1 200 /);
    assert.match(await get(theirs, `/hp-${i}-${'a'.repeat(60)}`), /^HTTP\/1\.1 200 /);
  }
  const of = (who: 'sy' | 'hp') => rs.raw().filter((l) => l.includes(`GET /${who}-`));
  // per request: 8 formats, raw, len, ftp (mail notice takes none), and the sampled ones
  const want = 8 * 11;
  await until(() => of('sy').length >= want && of('hp').length >= want, 20000, 'all lines').catch(() => {
    throw new Error(
      `rsyslog has ${of('sy').length} lines of switchyard, ${of('hp').length} of haproxy:\n${rs.raw().join('\n')}`,
    );
  });
  await new Promise((r) => setTimeout(r, 300));
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
        .replaceAll(pid, 'PID'),
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
