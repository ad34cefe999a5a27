/**
 * Runtime API map commands against Debian's haproxy 2.6 on the same config and map file: `show
 * map` (list and contents), `add map`, `set map` (by key and by `#0x` entry id), `del map`,
 * `clear map`, their error replies, the converter seeing each edit on the next request, and the
 * `http-request set-map`/`del-map` actions (they run after the lookups here, so a request sees
 * the map as it was; the next one sees the edit). Map ids match haproxy's when the maps are
 * used before any ACL (haproxy numbers ACL pattern lists from the same counter).
 * Entry ids (haproxy prints addresses) and the config file's path are normalized.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { test } from 'node:test';
import { cliQuery, waitCliSocket as waitSocket } from '../packages/admin/test/helpers/socket.ts';
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
frontend fe
  bind 127.0.0.1:${port}
  http-request set-var(txn.h) req.hdr(host),map(${dir}/hosts.map,none)
  http-request set-var(txn.p) req.hdr(host),map_beg_int(${dir}/ports.map,0)
  http-request set-map(${dir}/hosts.map) %[req.hdr(x-key)] %[req.hdr(x-val)] if { req.hdr(x-op) set }
  http-request del-map(${dir}/hosts.map) %[req.hdr(x-key)] if { req.hdr(x-op) del }
  http-request return status 200 content-type text/plain lf-string "%[var(txn.h)] %[var(txn.p)]"
`;
}

const norm = (s: string) =>
  s.replace(/0x[0-9a-f]+/g, 'ID').replace(/at file '[^']*\/(haproxy|switchyard)\.cfg'/g, "at file 'CFG'");

test('map commands: same replies and lookups as haproxy 2.6', { skip: needs('haproxy') }, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  writeFile(tmp.dir, 'hosts.map', '# hosts\na.example be1\nb.example be2 with words\n');
  writeFile(tmp.dir, 'ports.map', 'a 80\nb 443\n');
  const hport = await freePort();
  const hcfg = writeFile(tmp.dir, 'haproxy.cfg', config(tmp.dir, hport, 'hap'));
  const hap: ChildProcess = spawn('haproxy', ['-db', '-dR', '-f', hcfg], { stdio: 'ignore' });
  t.after(() => {
    hap.kill('SIGTERM');
  });
  const sport = await freePort();
  const scfg = writeFile(tmp.dir, 'switchyard.cfg', config(tmp.dir, sport, 'sy'));
  const px = await startProxy(['-f', scfg]);
  t.after(() => px.stop());
  await waitSocket(`${tmp.dir}/hap.sock`);
  await waitSocket(`${tmp.dir}/sy.sock`);
  const both = async (cmd: string): Promise<string> => {
    const theirs = norm(await cliQuery({ path: `${tmp.dir}/hap.sock` }, cmd));
    assert.equal(norm(await cliQuery({ path: `${tmp.dir}/sy.sock` }, cmd)), theirs, cmd);
    return theirs;
  };
  const get = async (host: string, extra = ''): Promise<string> => {
    const req = `GET / HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;
    const theirs = (await rawRequest(hport, req)).body;
    assert.equal((await rawRequest(sport, req)).body, theirs, host);
    return theirs;
  };
  const hosts = `${tmp.dir}/hosts.map`;
  await both('show map');
  await both(`show map ${hosts}`);
  await both(`show map #1`);
  await both('show map /nope');
  assert.equal(await get('a.example'), 'be1 80');
  await both(`add map ${hosts} c.example be3`);
  // extra words are dropped, as haproxy reads one value word
  await both(`add map ${hosts} k v1 v2`);
  await both(`set map ${hosts} k w1 w2`);
  await both(`show map ${hosts}`);
  await both(`del map ${hosts} k`);
  await both(`add map ${hosts}`);
  await both(`set map ${hosts} a.example beX`);
  await both(`set map ${hosts} zz beX`);
  await both(`set map ${hosts} a.example`);
  await both(`del map ${hosts} b.example`);
  await both(`del map ${hosts} nope`);
  await both(`del map ${hosts}`);
  await both(`add map #1 b 8080`);
  assert.equal(await get('c.example'), 'be3 0');
  assert.equal(await get('a.example'), 'beX 80');
  assert.equal(await get('b.example'), 'none 443');
  const listed = await both(`show map ${hosts}`);
  // set by entry id: the id of c.example as each process prints it
  const idOf = async (sock: string) =>
    /^(0x[0-9a-f]+) c\.example/m.exec(await cliQuery({ path: sock }, `show map ${hosts}`))?.[1];
  for (const s of ['hap', 'sy']) {
    const sock = `${tmp.dir}/${s}.sock`;
    assert.equal(await cliQuery({ path: sock }, `set map ${hosts} #${await idOf(sock)} byid`), '\n');
  }
  assert.equal(await get('c.example'), 'byid 0');
  // set-map / del-map actions
  assert.equal(await get('d.example', 'x-op: set\r\nx-key: d.example\r\nx-val: be4\r\n'), 'none 0');
  assert.equal(await get('d.example'), 'be4 0');
  assert.equal(await get('c.example', 'x-op: set\r\nx-key: c.example\r\nx-val: be5\r\n'), 'byid 0');
  assert.equal(await get('c.example'), 'be5 0');
  assert.equal(await get('a.example', 'x-op: del\r\nx-key: a.example\r\n'), 'beX 80');
  assert.equal(await get('a.example'), 'none 80');
  await both(`show map ${hosts}`);
  await both(`clear map ${hosts}`);
  await both(`show map ${hosts}`);
  await both('show map');
  assert.equal(await get('a.example'), 'none 80');
  assert.match(listed, /ID a\.example beX\nID c\.example be3\n/);
});
