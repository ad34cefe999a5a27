/**
 * `tcp-request session track-sc0 src`: every connection counts once in the table (conn_cnt,
 * conn_cur), shown by `show table` the same as Debian's haproxy 2.6 on the same config. Entry
 * addresses and expiry are normalized.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { test } from 'node:test';
import { cliQuery, waitCliSocket } from '../packages/admin/test/helpers/socket.ts';
import { rawRequest } from '../packages/proxy/test/acl-haproxy-peer.ts';
import { freePort, startProxy, tempDir, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

function config(dir: string, port: number, who: string): string {
  return `global
  stats socket ${dir}/${who}.sock level admin
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
backend st
  stick-table type ip size 1k expire 1m store conn_cnt,conn_cur
frontend fe
  bind 127.0.0.1:${port}
  tcp-request session reject if { src 127.0.0.9 }
  tcp-request session track-sc0 src table st
  http-request return status 200 content-type text/plain string ok
`;
}

const norm = (s: string) => s.replace(/^0x[0-9a-f]+:/gm, 'ID:').replace(/exp=[0-9]+/g, 'exp=X');

test('tcp-request session track-sc counts connections as haproxy 2.6', { skip: needs('haproxy') }, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const hport = await freePort();
  const hap: ChildProcess = spawn(
    'haproxy',
    ['-db', '-dR', '-f', writeFile(tmp.dir, 'h.cfg', config(tmp.dir, hport, 'hap'))],
    {
      stdio: 'ignore',
    },
  );
  t.after(() => {
    hap.kill('SIGTERM');
  });
  const sport = await freePort();
  const px = await startProxy(['-f', writeFile(tmp.dir, 's.cfg', config(tmp.dir, sport, 'sy'))]);
  t.after(() => px.stop());
  await waitCliSocket(`${tmp.dir}/hap.sock`);
  await waitCliSocket(`${tmp.dir}/sy.sock`);
  const req = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  for (const port of [hport, sport]) {
    for (let i = 0; i < 3; i++) assert.equal((await rawRequest(port, req)).status, 200);
    await rawRequest(port, req, '127.0.0.2');
  }
  const show = async (who: string) => norm(await cliQuery({ path: `${tmp.dir}/${who}.sock` }, 'show table st'));
  // conn_cur drops when each connection has closed: poll both until it has
  const deadline = Date.now() + 10_000;
  let theirs = '';
  let ours = '';
  while (Date.now() < deadline) {
    theirs = await show('hap');
    ours = await show('sy');
    if (!/conn_cur=[1-9]/.test(theirs + ours)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(ours, theirs);
  assert.match(ours, /key=127\.0\.0\.1 use=0 exp=X conn_cnt=3 conn_cur=0/);
  assert.match(ours, /key=127\.0\.0\.2 use=0 exp=X conn_cnt=1 conn_cur=0/);
});
