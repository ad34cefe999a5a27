/**
 * Certificate sidecar files and OCSP stapling side by side with Debian's haproxy 2.6 on the same
 * files (a CA and OCSP responses made here with openssl): `FILE.key`, `FILE.issuer` and
 * `FILE.ocsp` beside a `crt`, the issuer taken from the chain, a broken `.ocsp` ignored;
 * `openssl s_client -status` sees the same staple on both. Runtime API: `show ssl
 * ocsp-response`, `set ssl ocsp-response`, `set ssl cert FILE.ocsp|.key|.issuer` in a
 * transaction, with the same replies; bad payloads are refused and change nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { tlsFrontendConfig } from './helpers/certs.ts';
import { makeCa, makeLeaf, makeOcspResponse } from './helpers/pki.ts';
import { freePort, startProxy, tempDir } from './helpers/proxy.ts';
import { startSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

/** What `openssl s_client -status` says of the stapled response: good, revoked or none. */
function staple(port: number, name: string): string {
  const out = execFileSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name, '-status'], {
    input: '',
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 10000,
  });
  const m = /Cert Status: (\w+)/.exec(out);
  if (m) return m[1];
  return /OCSP response: no response sent/.test(out) ? 'none' : `?${out}`;
}

const b64 = (file: string) => readFileSync(file).toString('base64');

function config(dir: string, side: 'sy' | 'hx', ports: number[]): string {
  const names = ['site', 'chained', 'split', 'junk'];
  return tlsFrontendConfig(
    dir,
    side,
    names.map((n, i) => `127.0.0.1:${ports[i]} ssl crt ${dir}/certs/${n}.pem`),
  );
}

test('sidecar files and OCSP stapling: same staples and runtime API replies as haproxy 2.6', {
  skip: needs('haproxy', 'openssl'),
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const pki = join(tmp.dir, 'pki');
  const certs = join(tmp.dir, 'certs');
  mkdirSync(pki);
  mkdirSync(certs);
  makeCa(pki, 'ca');
  for (const n of ['site', 'chained', 'split', 'junk']) makeLeaf(pki, 'ca', n, `/CN=${n}`, `subjectAltName=DNS:${n}\n`);
  const pem = (n: string) => readFileSync(join(pki, `${n}.pem`), 'utf8');
  const part = (n: string, ext: string) => readFileSync(join(pki, `${n}.${ext}`), 'utf8');
  // site: certificate+key, the CA in site.pem.issuer, a good response in site.pem.ocsp
  writeFileSync(join(certs, 'site.pem'), pem('site'));
  copyFileSync(join(pki, 'ca.crt'), join(certs, 'site.pem.issuer'));
  makeOcspResponse(pki, 'ca', 'site.crt', join(certs, 'site.pem.ocsp'), 'good');
  makeOcspResponse(pki, 'ca', 'site.crt', join(pki, 'site-revoked.ocsp'), 'revoked');
  // chained: the CA in the chain (the issuer comes from there)
  writeFileSync(join(certs, 'chained.pem'), part('chained', 'crt') + part('ca', 'crt') + part('chained', 'key'));
  makeOcspResponse(pki, 'ca', 'chained.crt', join(certs, 'chained.pem.ocsp'), 'good');
  // split: the certificate alone, its key in split.pem.key, no OCSP
  writeFileSync(join(certs, 'split.pem'), part('split', 'crt'));
  copyFileSync(join(pki, 'split.key'), join(certs, 'split.pem.key'));
  makeOcspResponse(pki, 'ca', 'split.crt', join(pki, 'split.ocsp'), 'good');
  // junk: a .ocsp that is not an OCSP response (ignored with a warning, no staple)
  writeFileSync(join(certs, 'junk.pem'), pem('junk'));
  copyFileSync(join(pki, 'ca.crt'), join(certs, 'junk.pem.issuer'));
  writeFileSync(join(certs, 'junk.pem.ocsp'), 'not DER at all\n');

  const four = async () => [await freePort(), await freePort(), await freePort(), await freePort()];
  const ports = { sy: await four(), hx: await four() };
  const pair = await startSideBySide(tmp.dir, (side) => config(tmp.dir, side, ports[side]));
  t.after(() => pair.stop());
  const both = async (cmd: string): Promise<string> => {
    const theirs = await cliQuery({ path: `${tmp.dir}/hx.sock` }, cmd);
    assert.equal(await cliQuery({ path: `${tmp.dir}/sy.sock` }, cmd), theirs, cmd.slice(0, 80));
    return theirs;
  };
  const staples = (want: string[], what: string) => {
    const names = ['site', 'chained', 'split', 'junk'];
    for (const side of ['hx', 'sy'] as const)
      assert.deepEqual(
        names.map((n, i) => staple(ports[side][i], n)),
        want,
        `${side} ${what}`,
      );
  };
  const site = `${certs}/site.pem`;

  staples(['good', 'good', 'none', 'none'], 'at load');
  const list = await both('show ssl ocsp-response');
  // site, chained and junk have an ID (junk's slot is empty), split has none
  assert.equal(list.match(/^Certificate ID key : /gm)?.length, 3, list);
  for (const n of ['site', 'chained', 'split', 'junk']) {
    await both(`show ssl cert ${certs}/${n}.pem`);
    await both(`show ssl cert ${certs}/${n}.pem.ocsp`);
  }
  // one response's text, as OpenSSL prints it (junk's empty slot prints nothing)
  const ids = [...list.matchAll(/^Certificate ID key : (\w+)$/gm)].map((m) => m[1]);
  for (const id of ids) await both(`show ssl ocsp-response ${id}`);
  assert.match(
    await both(`show ssl ocsp-response ${ids[0]}`),
    /^OCSP Response Data:\n {4}OCSP Response Status: successful/,
  );
  assert.match(await both(`show ssl cert ${site}`), /\nOCSP Response Key: 30[0-9a-f]+\n/);

  // bad payloads: refused, nothing changed
  for (const bad of [
    'AAAA',
    '!!!!',
    'AAA',
    new X509Certificate(pem('site')).raw.toString('base64'),
    b64(join(pki, 'split.ocsp')),
  ])
    await both(`set ssl ocsp-response ${bad}`);
  await both('set ssl ocsp-response');
  await both('show ssl ocsp-response 00');
  await both(`show ssl ocsp-response ${'ab'.repeat(129)}`);
  staples(['good', 'good', 'none', 'none'], 'after refused responses');

  // a new response for site: stapled at once; the payload form with wrapped base64
  assert.equal(
    await both(`set ssl ocsp-response ${b64(join(pki, 'site-revoked.ocsp'))}`),
    'OCSP Response updated!\n\n',
  );
  staples(['revoked', 'good', 'none', 'none'], 'after set ssl ocsp-response');
  for (const id of ids) await both(`show ssl ocsp-response ${id}`);
  const wrapped = b64(join(certs, 'site.pem.ocsp')).replace(/(.{64})/g, '$1\n');
  await both(`set ssl ocsp-response <<\n${wrapped.replace(/\n$/, '')}\n`);
  staples(['good', 'good', 'none', 'none'], 'after the payload form');

  // `set ssl cert FILE.ocsp` in a transaction: the commit staples the new response
  await both(`set ssl cert ${site}.ocsp <<\n!!!!\n`);
  // Node cannot send SCTs: refused with its reason (haproxy 2.6 takes a valid .sctl payload)
  assert.match(
    await cliQuery({ path: `${tmp.dir}/sy.sock` }, `set ssl cert ${site}.sctl <<\nAAAA\n`),
    /^'set ssl cert' of a \.sctl part is not supported by Switchyard .*\nCan't update .*\.sctl!\n/,
  );
  assert.match(
    await both(`set ssl cert ${site}.ocsp <<\n${b64(join(pki, 'site-revoked.ocsp'))}\n`),
    /^Transaction created/,
  );
  await both(`set ssl cert ${site}.issuer <<\nnot a certificate\n`);
  assert.match(await both(`set ssl cert ${site}.issuer <<\n${part('ca', 'crt')}`), /^Transaction updated/);
  await both(`show ssl cert *${site}`);
  assert.match(await both(`show ssl cert *${site}.ocsp`), /Cert Status: revoked\n {4}Revocation Time: /);
  staples(['good', 'good', 'none', 'none'], 'before the commit');
  assert.match(await both(`commit ssl cert ${site}`), /^Committing .*\nSuccess!\n/);
  staples(['revoked', 'good', 'none', 'none'], 'after the commit');
  await both(`show ssl cert ${site}`);

  // `.key` parts: a key that is not the certificate's is refused at commit; the right one works
  const split = `${certs}/split.pem`;
  await both(`set ssl cert ${split}.key <<\nnot a key\n`);
  assert.match(await both(`set ssl cert ${split}.key <<\n${part('site', 'key')}`), /^Transaction created/);
  await both(`commit ssl cert ${split}`);
  await both(`set ssl cert ${split}.key <<\n${part('split', 'key')}`);
  assert.match(await both(`commit ssl cert ${split}`), /Success!/);
  // an `.ocsp` for split, whose issuer is in no chain and no .issuer: the commit fails
  await both(`set ssl cert ${split}.ocsp <<\n${b64(join(pki, 'split.ocsp'))}\n`);
  const sy = await cliQuery({ path: `${tmp.dir}/sy.sock` }, `commit ssl cert ${split}`);
  assert.match(sy, /^Committing .*\n.*impossible to compute the OCSP certificate ID.*\nFailed!\n/);
  await cliQuery({ path: `${tmp.dir}/hx.sock` }, `commit ssl cert ${split}`);
  await cliQuery({ path: `${tmp.dir}/hx.sock` }, `abort ssl cert ${split}`);
  await cliQuery({ path: `${tmp.dir}/sy.sock` }, `abort ssl cert ${split}`);
  staples(['revoked', 'good', 'none', 'none'], 'at the end');
});

test('ssl-load-extra-files: none needs the key in the PEM; key loads FILE.key; bundle is refused', {
  skip: needs('openssl'),
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  makeCa(tmp.dir, 'ca');
  makeLeaf(tmp.dir, 'ca', 'split', '/CN=split', 'subjectAltName=DNS:split\n');
  copyFileSync(join(tmp.dir, 'split.crt'), join(tmp.dir, 'split.pem'));
  copyFileSync(join(tmp.dir, 'split.key'), join(tmp.dir, 'split.pem.key'));
  const port = await freePort();
  const cfg = (extra: string) => {
    const file = join(tmp.dir, 'x.cfg');
    writeFileSync(
      file,
      `global\n  ${extra}\ndefaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend fe\n  bind 127.0.0.1:${port} ssl crt ${tmp.dir}/split.pem\n  http-request return status 200\n`,
    );
    return file;
  };
  const check = (extra: string) => {
    try {
      execFileSync('node', [join(import.meta.dirname, '../packages/cli/bin/switchyard.mjs'), '-c', '-f', cfg(extra)], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
      return 'ok';
    } catch (e) {
      return String((e as { stderr?: string }).stderr);
    }
  };
  assert.equal(check('ssl-load-extra-files key'), 'ok');
  assert.match(check('ssl-load-extra-files none'), /x\.cfg:9.*No Private Key found in '.*split\.pem'/);
  assert.match(check('ssl-load-extra-files bundle'), /x\.cfg:2.*'ssl-load-extra-files bundle' is not supported/);
  assert.match(check('ssl-load-extra-files all key'), /'none' and 'all' can be only used alone/);
  const px = await startProxy(['-f', cfg('ssl-load-extra-files ocsp key')]);
  t.after(() => px.stop());
  assert.equal(staple(port, 'split'), 'none');
});

test('--workers: set ssl ocsp-response made through one worker reaches every worker', {
  skip: needs('openssl'),
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  makeCa(tmp.dir, 'ca');
  makeLeaf(tmp.dir, 'ca', 'site', '/CN=site', 'subjectAltName=DNS:site\n');
  copyFileSync(join(tmp.dir, 'ca.crt'), join(tmp.dir, 'site.pem.issuer'));
  makeOcspResponse(tmp.dir, 'ca', 'site.crt', join(tmp.dir, 'site.pem.ocsp'), 'good');
  makeOcspResponse(tmp.dir, 'ca', 'site.crt', join(tmp.dir, 'revoked.ocsp'), 'revoked');
  const port = await freePort();
  const cfg = join(tmp.dir, 'w.cfg');
  writeFileSync(cfg, tlsFrontendConfig(tmp.dir, 'sy', [`127.0.0.1:${port} ssl crt ${tmp.dir}/site.pem`]));
  const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
  t.after(() => px.stop());
  await px.waitFor('ready with 2 workers');
  // connections are spread over the workers: enough of them reach both
  const seen = () => [...new Set(Array.from({ length: 8 }, () => staple(port, 'site')))];
  assert.deepEqual(seen(), ['good']);
  const reply = await cliQuery(
    { path: `${tmp.dir}/sy.sock` },
    `set ssl ocsp-response ${b64(join(tmp.dir, 'revoked.ocsp'))}`,
  );
  assert.equal(reply, 'OCSP Response updated!\n\n');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(seen(), ['revoked']);
});
