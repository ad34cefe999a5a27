/**
 * Runtime API crt-list commands (`show|add|del ssl crt-list`, `del ssl cert`) side by side with
 * Debian's haproxy 2.6 on the same crt-list, directory and certificate files: the same replies
 * byte for byte, and a certificate made with `new ssl cert` + `set` + `commit` + `add ssl
 * crt-list` served on the bind at once with no reload, then taken off again. Also under --workers.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { makeCert, tlsFrontendConfig } from './helpers/certs.ts';
import { freePort, startProxy, tempDir } from './helpers/proxy.ts';
import { startSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

/** The CN of the certificate a new handshake on `port` with SNI `name` gets. */
function servedName(port: number, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: name, rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject.CN;
      s.destroy();
      resolve(String(cn));
    });
    s.once('error', reject);
  });
}

/** certs/a.pem, certs/b.pem (and d/a.pem, d/b.pem for the directory), the list and the new certificate. */
function files(dir: string): { list: string; d: string; fresh: string } {
  const certs = join(dir, 'certs');
  const d = join(dir, 'd');
  const parts = join(dir, 'parts');
  for (const p of [certs, d, parts]) mkdirSync(p);
  for (const n of ['a', 'b', 'c']) makeCert(certs, n, parts);
  for (const n of ['da', 'db']) makeCert(d, n, parts);
  makeCert(parts, 'fresh');
  const list = join(dir, 'list.txt');
  // comments and empty lines count in the line numbers, as haproxy's
  writeFileSync(list, `# the default first\n${certs}/a.pem\n\n${certs}/b.pem b *.b !x.b\n${certs}/b.pem other\n`);
  return { list, d, fresh: join(parts, 'fresh.pem') };
}

const config = (dir: string, side: 'sy' | 'hx', ports: number[]) =>
  tlsFrontendConfig(dir, side, [
    `127.0.0.1:${ports[0]} ssl crt-list ${dir}/list.txt`,
    `127.0.0.1:${ports[1]} ssl crt-list ${dir}/list.txt`,
    `127.0.0.1:${ports[2]} ssl crt ${dir}/d/`,
    `127.0.0.1:${ports[3]} ssl crt ${dir}/certs/c.pem`,
  ]);

test('show/add/del ssl crt-list, del ssl cert: same replies as haproxy 2.6, the bind serves the change at once', {
  skip: needs('haproxy', 'openssl'),
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const { list, d, fresh } = files(tmp.dir);
  const certs = join(tmp.dir, 'certs');
  const four = async () => [await freePort(), await freePort(), await freePort(), await freePort()];
  const ports = { sy: await four(), hx: await four() };
  const pair = await startSideBySide(tmp.dir, (side) => config(tmp.dir, side, ports[side]));
  t.after(() => pair.stop());
  // the bind lines are named by the configuration file, sy.cfg or hx.cfg
  const same = (text: string) => text.replace(/\/(?:sy|hx)\.cfg:/g, '/CFG:');
  const both = async (cmd: string): Promise<string> => {
    const theirs = await cliQuery({ path: `${tmp.dir}/hx.sock` }, cmd);
    assert.equal(same(await cliQuery({ path: `${tmp.dir}/sy.sock` }, cmd)), same(theirs), cmd.split('\n')[0]);
    return theirs;
  };
  const served = async (name: string, want: string, what: string) => {
    for (const side of ['sy', 'hx'] as const)
      for (const port of ports[side].slice(0, 2)) assert.equal(await servedName(port, name), want, `${side} ${what}`);
  };

  assert.equal(await both('show ssl crt-list'), `${d}\n${list}\n\n`);
  assert.match(await both(`show ssl crt-list -n ${list}`), /a\.pem:2\n.*b\.pem:4 b \*\.b !x\.b\n.*b\.pem:5 other\n/);
  for (const c of [`show ssl crt-list ${list}`, `show ssl crt-list -n ${d}/`, 'show ssl crt-list -n']) await both(c);
  await both('show ssl crt-list /nowhere');
  await served('y.b', 'b', 'wildcard filter');
  await served('x.b', 'a', 'excluded name');

  // refusals: nothing changes
  for (const c of [
    `add ssl crt-list ${list}`,
    `add ssl crt-list /nolist ${certs}/a.pem`,
    `add ssl crt-list ${list} ${certs}/none.pem`,
    `add ssl crt-list ${d} ${certs}/a.pem`,
    `add ssl crt-list ${d}/ ${d}/da.pem`,
    `add ssl crt-list ${list} <<\n${certs}/a.pem one\n${certs}/a.pem two\n`,
    `del ssl crt-list ${list}`,
    `del ssl crt-list ${list} ${certs}/a.pem`,
    `del ssl crt-list ${list} ${certs}/a.pem:x`,
    `del ssl crt-list ${list} ${certs}/b.pem`,
    `del ssl crt-list ${list} ${certs}/b.pem:3`,
    `del ssl crt-list ${list} ${certs}/c.pem`,
    `del ssl crt-list /nolist ${certs}/b.pem`,
    `del ssl cert ${certs}/a.pem`,
    `del ssl cert ${certs}/none.pem`,
    'del ssl cert',
  ])
    await both(c);
  assert.match(
    await cliQuery({ path: `${tmp.dir}/sy.sock` }, `add ssl crt-list ${list} <<\n${certs}/c.pem [alpn h2] c\n`),
    /^Can't edit the crt-list: per-certificate SSL options '\[alpn h2\]' are not supported/,
  );
  await both(`show ssl crt-list -n ${list}`);

  // a new certificate, put on both binds of the list with a filter, no reload
  const freshName = `${certs}/fresh.pem`;
  await both(`new ssl cert ${freshName}`);
  await both(`add ssl crt-list ${list} ${freshName}`);
  await both(`set ssl cert ${freshName} <<\n${readFileSync(fresh, 'utf8').replace(/\n$/, '')}\n`);
  await both(`commit ssl cert ${freshName}`);
  assert.match(
    await both(`add ssl crt-list ${list} <<\n${freshName} fresh.example *.fresh.example\n`),
    /^Inserting certificate '.*fresh\.pem' in crt-list '.*list\.txt'\.\.\nSuccess!\n/,
  );
  await served('fresh.example', 'fresh', 'after add');
  await served('www.fresh.example', 'fresh', 'after add (wildcard)');
  await served('x.b', 'a', 'after add, other names');
  await both(`show ssl crt-list -n ${list}`);
  await both(`show ssl cert ${freshName}`);
  await both(`del ssl cert ${freshName}`);
  // the same file twice: line numbers pick one
  assert.match(await both(`add ssl crt-list ${list} ${freshName}`), /Success!/);
  assert.match(await both(`del ssl crt-list ${list} ${freshName}`), /in several entries.*\(6, 7\)/);
  assert.match(await both(`del ssl crt-list ${list} ${freshName}:8`), /line number is incorrect/);
  assert.match(await both(`del ssl crt-list ${list} ${freshName}:7`), /^Entry .* deleted/);
  await served('fresh.example', 'fresh', 'after deleting the other line');
  assert.match(await both(`del ssl crt-list ${list} ${freshName}:6`), /^Entry .* deleted/);
  await served('fresh.example', 'a', 'after del');
  await both(`show ssl crt-list ${list}`);
  await both(`del ssl cert ${freshName}`);
  await both('show ssl cert');

  // a directory takes a file of its own directory, without filters
  assert.match(await both(`add ssl crt-list ${d} ${freshName}`), /is a directory/);
  await both(`del ssl crt-list ${d} ${d}/db.pem`);
  await both(`show ssl crt-list -n ${d}`);
  assert.equal(
    new X509Certificate(readFileSync(`${certs}/b.pem`)).subject,
    'CN=b',
    'the files on disk are not changed by the runtime API',
  );
});

test('--workers: add/del ssl crt-list made through one worker reaches every worker', {
  skip: needs('openssl'),
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const { list, fresh } = files(tmp.dir);
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const cfg = join(tmp.dir, 'w.cfg');
  writeFileSync(cfg, config(tmp.dir, 'sy', ports));
  const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
  t.after(() => px.stop());
  await px.waitFor('ready with 2 workers');
  const cli = (cmd: string) => cliQuery({ path: `${tmp.dir}/sy.sock` }, cmd);
  // connections are spread over the workers: enough of them reach both
  const seen = async (name: string) => {
    const cns = new Set<string>();
    for (let i = 0; i < 8; i++) cns.add(await servedName(ports[0], name));
    return [...cns];
  };
  const freshName = `${tmp.dir}/certs/fresh.pem`;
  assert.match(await cli(`new ssl cert ${freshName}`), /^New empty certificate store/);
  assert.match(await cli(`set ssl cert ${freshName} <<\n${readFileSync(fresh, 'utf8')}`), /^Transaction created/);
  assert.match(await cli(`commit ssl cert ${freshName}`), /Success!/);
  assert.match(await cli(`add ssl crt-list ${list} <<\n${freshName} fresh.example\n`), /Success!/);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await seen('fresh.example'), ['fresh']);
  for (let i = 0; i < 4; i++) assert.match(await cli(`show ssl crt-list -n ${list}`), /fresh\.pem:6 fresh\.example\n/);
  assert.match(await cli(`del ssl crt-list ${list} ${freshName}`), /^Entry .* deleted/);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await seen('fresh.example'), ['a']);
});
