/**
 * Map and ACL edits under `--workers 2`: a runtime API change (`add acl`, `add map`, versions) and
 * a rule's edit (`add-acl`) made through one worker reach the other one, and a worker started
 * after the edits (one is killed, the primary starts another) gets them. Responses carry the
 * serving worker's pid, so the test knows it saw both.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cliQuery, waitCliSocket } from '../packages/admin/test/helpers/socket.ts';
import { rawRequest } from '../packages/proxy/test/acl-haproxy-peer.ts';
import { freePort, startProxy, tempDir, writeFile } from './helpers/proxy.ts';

function config(dir: string, port: number): string {
  return `global
  stats socket ${dir}/sy.sock level admin
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  acl blocked req.hdr(host) -f ${dir}/hosts.acl
  http-request add-acl(${dir}/hosts.acl) %[req.hdr(x-add)] if { req.hdr(x-add) -m found }
  http-request return status 403 content-type text/plain lf-string "%pid blocked" if blocked
  http-request return status 200 content-type text/plain lf-string "%pid %[req.hdr(host),map(${dir}/m.map,none)]"
`;
}

test('--workers: map and ACL edits reach every worker, also one started later', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  writeFile(tmp.dir, 'hosts.acl', 'a.example\n');
  writeFile(tmp.dir, 'm.map', 'k1 v1\n');
  const port = await freePort();
  const px = await startProxy(['--workers', '2', '-f', writeFile(tmp.dir, 'w.cfg', config(tmp.dir, port))], {
    waitReady: false,
  });
  t.after(() => px.stop());
  await px.waitFor('ready with 2 workers');
  await waitCliSocket(`${tmp.dir}/sy.sock`);
  const cli = (cmd: string) => cliQuery({ path: `${tmp.dir}/sy.sock` }, cmd);
  /** The answers of every worker for `host` (pid -> body after the pid), once both answered. */
  const perWorker = async (host: string, workers = 2): Promise<Map<string, string>> => {
    const seen = new Map<string, string>();
    const deadline = Date.now() + 20_000;
    while (seen.size < workers && Date.now() < deadline) {
      const r = await rawRequest(port, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      const [pid, ...rest] = r.body.split(' ');
      seen.set(pid, `${r.status} ${rest.join(' ')}`);
    }
    assert.equal(seen.size, workers, `answers of ${workers} workers for ${host}`);
    return seen;
  };
  const everywhere = async (host: string, want: string) => {
    for (const [pid, got] of await perWorker(host)) assert.equal(got, want, `worker ${pid}, ${host}`);
  };
  await everywhere('c.example', '200 none');
  assert.equal(await cli(`add acl ${tmp.dir}/hosts.acl c.example`), '\n');
  assert.equal(await cli(`add map ${tmp.dir}/m.map k2 v2`), '\n');
  assert.equal(await cli(`prepare map ${tmp.dir}/m.map`), 'New version created: 1\n\n');
  assert.equal(await cli(`add map @1 ${tmp.dir}/m.map k1 w1`), '\n');
  // every worker holds the prepared version: each query may reach either worker
  for (let i = 0; i < 4; i++) assert.match(await cli(`show map @1 ${tmp.dir}/m.map`), /^0x[0-9a-f]+ k1 w1\n\n$/);
  assert.equal(await cli(`commit map @1 ${tmp.dir}/m.map`), '\n');
  await new Promise((r) => setTimeout(r, 200));
  await everywhere('c.example', '403 blocked');
  await everywhere('k2', '200 none');
  await everywhere('k1', '200 w1');
  // a rule's edit through whichever worker serves it
  await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Add: d.example\r\nConnection: close\r\n\r\n');
  await new Promise((r) => setTimeout(r, 200));
  await everywhere('d.example', '403 blocked');
  // a worker started later gets the edits
  const pids = [...(await perWorker('k1')).keys()];
  process.kill(Number(pids[0]), 'SIGKILL');
  await px.waitFor('starting a new one');
  const deadline = Date.now() + 20_000;
  let fresh: Map<string, string> = new Map();
  while (Date.now() < deadline) {
    fresh = await perWorker('k1').catch(() => new Map());
    if (fresh.size === 2 && !fresh.has(pids[0])) break;
  }
  assert.ok(!fresh.has(pids[0]) && fresh.size === 2, 'a new worker answers');
  await everywhere('k1', '200 w1');
  await everywhere('c.example', '403 blocked');
  await everywhere('d.example', '403 blocked');
  for (let i = 0; i < 4; i++)
    assert.match(await cli(`show acl ${tmp.dir}/hosts.acl`), /a\.example\n.*c\.example\n.*d\.example\n/s);
});
