/**
 * Runtime API ACL commands and map versions against Debian's haproxy 2.6 on the same config and
 * pattern files: `show acl` (list, contents by file and `#ID`, `@VER`), `get acl|map`, `add acl`,
 * `del acl` (key and `#0x` entry), `clear acl`, `prepare|commit acl|map`, `add map @VER` and a
 * payload, their error replies; requests see every edit; `http-request add-acl`/`del-acl` and the
 * http-response form edit the file's patterns. Entry ids (haproxy prints addresses), the config
 * file's name and the two ACLs of haproxy's internal httpclient proxy are normalized away.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { test } from 'node:test';
import { cliQuery, waitCliSocket as waitSocket } from '../packages/admin/test/helpers/socket.ts';
import { rawRequest } from '../packages/proxy/test/acl-haproxy-peer.ts';
import { freePort, startProxy, startUpstream, tempDir, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

function config(dir: string, port: number, who: string, up: number): string {
  return `global
  stats socket ${dir}/${who}.sock level admin
defaults
  mode http
  timeout connect 5s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:${port}
  acl blocked req.hdr(host) -f ${dir}/hosts.acl
  acl blocked path_beg /x /y
  acl big hdr_val(x-n) gt 5 lt 3 7
  acl nets src -f ${dir}/nets.acl
  acl hi hdr(x-h) -i -m sub ab
  acl listed req.hdr(host) -M -f ${dir}/m.map
  http-request set-var(txn.m) req.hdr(host),map(${dir}/m.map,none)
  http-request set-var(txn.r) req.hdr(host),map_regm(${dir}/re.map,none)
  http-request add-acl(${dir}/hosts.acl) %[req.hdr(x-add)] if { req.hdr(x-add) -m found }
  http-request del-acl(${dir}/hosts.acl) %[req.hdr(x-del)] if { req.hdr(x-del) -m found }
  http-request return status 403 content-type text/plain string blocked if blocked
  http-request return status 200 content-type text/plain lf-string "big" if big HTTP_1.1
  http-request return status 200 content-type text/plain lf-string "%[var(txn.m)] %[var(txn.r)] nets=%[src,map_ip(${dir}/nets.map,no)]" if nets
  http-request return status 200 content-type text/plain lf-string "%[var(txn.m)] %[var(txn.r)] hi" if hi
  http-request return status 200 content-type text/plain lf-string "%[var(txn.m)] %[var(txn.r)] listed" if listed
  http-request set-var(txn.rdel) req.hdr(x-rdel)
  http-response del-acl(${dir}/hosts.acl) %[var(txn.rdel)] if { var(txn.rdel) -m found }
  use_backend up if { req.hdr(x-rdel) -m found }
  default_backend be
backend up
  server s 127.0.0.1:${up}
backend be
  http-request return status 200 content-type text/plain lf-string "%[var(txn.m)] %[var(txn.r)] plain"
`;
}

const norm = (s: string) =>
  s
    .replace(/0x[0-9a-f]+/g, 'ID')
    .replace(/file '[^']*\/(haproxy|switchyard)\.cfg'/g, "file 'CFG'")
    .replace(/^[0-9]+ \(\) acl 'var' file 'httpclient' line 0\..*\n/gm, '');

test('ACL commands and map versions: same replies and matches as haproxy 2.6', {
  skip: needs('haproxy'),
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const d = tmp.dir;
  writeFile(d, 'hosts.acl', '# blocked hosts\na.example\n  b.example\n\n');
  writeFile(d, 'nets.acl', '10.0.0.0/8\n');
  writeFile(d, 'nets.map', '10.0.0.0/8 ten\n');
  writeFile(d, 'm.map', 'k1 v1\nk2 v2\n');
  writeFile(d, 're.map', '^([a-z]+)\\.re$ got-\\1\n');
  const up = await startUpstream('o', (req, res) => {
    req.resume();
    res.end('origin');
  });
  t.after(() => up.close());
  const hport = await freePort();
  const hap: ChildProcess = spawn(
    'haproxy',
    ['-db', '-dR', '-f', writeFile(d, 'haproxy.cfg', config(d, hport, 'hap', up.port))],
    {
      stdio: 'ignore',
    },
  );
  t.after(() => {
    hap.kill('SIGTERM');
  });
  const sport = await freePort();
  const px = await startProxy(['-f', writeFile(d, 'switchyard.cfg', config(d, sport, 'sy', up.port))]);
  t.after(() => px.stop());
  await waitSocket(`${d}/hap.sock`);
  await waitSocket(`${d}/sy.sock`);
  const both = async (cmd: string): Promise<string> => {
    const theirs = norm(await cliQuery({ path: `${d}/hap.sock` }, cmd));
    assert.equal(norm(await cliQuery({ path: `${d}/sy.sock` }, cmd)), theirs, cmd);
    return theirs;
  };
  const get = async (host: string, extra = ''): Promise<string> => {
    const req = `GET /p HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;
    const r = await rawRequest(hport, req);
    const theirs = `${r.status} ${r.body}`;
    const o = await rawRequest(sport, req);
    assert.equal(`${o.status} ${o.body}`, theirs, `${host} ${extra}`);
    return theirs;
  };
  const hosts = `${d}/hosts.acl`;
  const list = await both('show acl');
  assert.match(list, /pattern loaded from file '.*hosts\.acl' used by acl at file 'CFG' line 10\./);
  assert.match(list, /acl 'path_beg' file 'CFG' line 11\. curr_ver=0 next_ver=0 entry_cnt=2/);
  await both('show map');
  await both(`show acl ${hosts}`);
  for (const id of ['#0', '#2', '#3', '#6', '#99', '#x', 'nope']) await both(`show acl ${id}`);
  for (const q of [
    `get acl ${hosts} a.example`,
    `get acl ${hosts} zz`,
    'get acl #2 /xyz',
    'get acl #3 6',
    'get acl #3 1',
    'get acl #5 10.1.2.3',
    'get acl #7 xABy',
    `get map ${d}/m.map k1`,
    `get map ${d}/m.map nope`,
    `get map ${d}/re.map abc.re`,
    `get map ${d}/nets.map 10.9.9.9`,
    'get acl',
    `get acl ${hosts}`,
    'get map /nope k',
  ])
    await both(q);
  assert.equal(await get('a.example'), '403 blocked');
  assert.equal(await get('c.example'), '200 none none plain');
  assert.equal(await get('x.re'), '200 none got-x plain');
  // add / del / clear
  await both(`add acl ${hosts} c.example`);
  assert.equal(await get('c.example'), '403 blocked');
  await both('add acl #2 /p');
  assert.equal(await get('q.example'), '403 blocked');
  await both('del acl #2 /p');
  await both('add acl #3 100');
  assert.equal(await get('q.example', 'X-N: 100\r\n'), '200 big');
  await both(`add acl ${d}/m.map k3`);
  await both(`add acl ${d}/nets.acl not-an-ip`);
  await both('add acl');
  await both(`add acl ${hosts}`);
  await both('add acl #99 x');
  await both(`del acl ${hosts} c.example`);
  await both(`del acl ${hosts} c.example`);
  await both(`del acl ${hosts}`);
  await both(`del acl ${hosts} #0xzz`);
  await both(`del acl ${d}/m.map k9`);
  assert.equal(await get('c.example'), '200 none none plain');
  // entry by id, as each process prints it
  for (const s of ['hap', 'sy']) {
    const sock = `${d}/${s}.sock`;
    const id = /^(0x[0-9a-f]+) b\.example/m.exec(await cliQuery({ path: sock }, `show acl ${hosts}`))?.[1];
    assert.equal(await cliQuery({ path: sock }, `del acl ${hosts} #${id}`), '\n');
  }
  assert.equal(await get('b.example'), '200 none none plain');
  await both(`show acl ${hosts}`);
  // versions
  await both(`prepare acl ${hosts}`);
  await both(`prepare acl ${hosts}`);
  await both(`add acl @1 ${hosts} v1.example`);
  await both(`add acl @2 ${hosts} v2.example`);
  await both(`add acl @3 ${hosts} v3.example`);
  await both(`show acl @1 ${hosts}`);
  await both('show acl');
  assert.equal(await get('v1.example'), '200 none none plain');
  await both(`commit acl @3 ${hosts}`);
  await both(`commit acl ${hosts}`);
  await both('commit acl @1');
  await both(`commit acl @1 ${hosts}`);
  assert.equal(await get('v1.example'), '403 blocked');
  assert.equal(await get('a.example'), '200 none none plain');
  await both(`show acl ${hosts}`);
  await both(`clear acl @2 ${hosts}`);
  await both(`show acl @2 ${hosts}`);
  await both('show acl');
  // maps: versions, payload, get
  const m = `${d}/m.map`;
  await both(`prepare map ${m}`);
  await both(`add map @1 ${m} k1 w1`);
  await both(`add map @1 ${m} <<\nk2 w2\nk4 w4\n`);
  await both(`show map @1 ${m}`);
  assert.equal(await get('k1'), '200 v1 none listed');
  await both(`commit map @1 ${m}`);
  assert.equal(await get('k1'), '200 w1 none listed');
  assert.equal(await get('k4'), '200 w4 none listed');
  await both(`add map ${m} <<\nk5\n`);
  await both(`get map ${m} k4`);
  await both(`show map ${m}`);
  await both('show map');
  await both(`clear map ${m}`);
  assert.equal(await get('k1'), '200 none none plain');
  // rule actions (they run before the return rules: the request sees its own edit)
  assert.equal(await get('r.example', 'X-Add: r.example\r\n'), '403 blocked');
  assert.equal(await get('r.example'), '403 blocked');
  assert.equal(await get('r.example', 'X-Add: r.example\r\n'), '403 blocked');
  await both(`show acl ${hosts}`);
  assert.equal(await get('q.example', 'X-Del: r.example\r\n'), '200 none none plain');
  assert.equal(await get('r.example'), '200 none none plain');
  await get('q.example', 'X-Add: s.example\r\n');
  assert.equal(await get('q.example', 'X-Rdel: s.example\r\n'), '200 origin');
  assert.equal(await get('s.example'), '200 none none plain');
  await both(`show acl ${hosts}`);
  await both('show acl');
});
