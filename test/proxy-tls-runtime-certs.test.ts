/**
 * Runtime API certificate updates (`show|set|commit|abort|new ssl cert`) side by side with
 * Debian's haproxy 2.6 on the same configuration and certificate files: the same replies, and
 * a real TLS client sees the old certificate until the commit and the new one right after on
 * every bind using the file, while a connection opened before keeps working. Bad payloads are
 * refused and change nothing.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { makeCert, tlsFrontendConfig } from './helpers/certs.ts';
import { freePort, startProxy, tempDir, writeFile } from './helpers/proxy.ts';
import { startSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

function config(dir: string, side: 'sy' | 'hx', ports: number[]): string {
  const binds = [
    `127.0.0.1:${ports[0]} ssl crt ${dir}/certs/site.pem`,
    `127.0.0.1:${ports[1]} ssl crt ${dir}/certs/site.pem`,
    `127.0.0.1:${ports[2]} ssl crt ${dir}/certs/other.pem`,
  ];
  if (ports[3]) binds.push(`127.0.0.1:${ports[3]} ssl crt-list ${dir}/list.txt`);
  return tlsFrontendConfig(dir, side, binds);
}

/** Opens a TLS connection (SNI `name`) and resolves with the socket once the handshake is done. */
function handshake(port: number, name = 'site.example'): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: name, rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
  });
}

/** The SHA-256 fingerprint of the certificate a new handshake on `port` gets. */
async function servedFingerprint(port: number, name?: string): Promise<string> {
  const s = await handshake(port, name);
  const fp = s.getPeerCertificate().fingerprint256;
  s.destroy();
  return fp;
}

/** One HTTP/1.1 keep-alive request on an open TLS socket; resolves with the response head line. */
function get(s: TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\nok')) {
        s.off('data', onData);
        resolve(buf.slice(0, buf.indexOf('\r\n')));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.write('GET / HTTP/1.1\r\nHost: site.example\r\n\r\n');
  });
}

const fingerprintOf = (pem: string) => new X509Certificate(readFileSync(pem)).fingerprint256;

test('set/commit/abort/new/show ssl cert: same replies as haproxy 2.6, new handshakes get the new certificate', {
  skip: needs('haproxy', 'openssl'),
}, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const certs = join(tmp.dir, 'certs');
  const parts = join(tmp.dir, 'parts');
  mkdirSync(certs);
  mkdirSync(parts);
  const v1 = makeCert(certs, 'site', parts);
  makeCert(certs, 'other', parts);
  // the replacements, made apart
  const v2 = makeCert(parts, 'site2');
  const v3 = makeCert(parts, 'site3');
  // the fourth bind: a crt-list with other.pem as its default and site.pem for `site.example`
  writeFile(tmp.dir, 'list.txt', `${certs}/other.pem\n${certs}/site.pem site.example\n`);
  const four = async () => [await freePort(), await freePort(), await freePort(), await freePort()];
  const ports = { sy: await four(), hx: await four() };
  const pair = await startSideBySide(tmp.dir, (side) => config(tmp.dir, side, ports[side]));
  t.after(() => pair.stop());
  const site = `${certs}/site.pem`;
  const both = async (cmd: string): Promise<string> => {
    const theirs = await cliQuery({ path: `${tmp.dir}/hx.sock` }, cmd);
    assert.equal(await cliQuery({ path: `${tmp.dir}/sy.sock` }, cmd), theirs, cmd.split('\n')[0]);
    return theirs;
  };
  const served = async (want: string, what: string) => {
    for (const side of ['sy', 'hx'] as const) {
      for (const port of ports[side].slice(0, 2)) assert.equal(await servedFingerprint(port), want, `${side} ${what}`);
      assert.equal(await servedFingerprint(ports[side][2], 'other'), fingerprintOf(`${certs}/other.pem`));
      // the crt-list line keeps its SNI filter: site.example gets the file, other names the default
      assert.equal(await servedFingerprint(ports[side][3]), want, `${side} crt-list ${what}`);
      assert.equal(await servedFingerprint(ports[side][3], 'nomatch'), fingerprintOf(`${certs}/other.pem`));
    }
  };
  const payload = (file: string, text: string) => `set ssl cert ${file} <<\n${text.replace(/\n$/, '')}\n`;
  const oldFp = fingerprintOf(v1.pem);
  const newFp = fingerprintOf(v2.pem);

  assert.match(await both('show ssl cert'), /^# filename\n/);
  assert.match(await both(`show ssl cert ${site}`), /^Filename: .*\nStatus: Used\nSerial: [0-9A-F]+\n/);
  await both('show ssl cert /nowhere.pem');
  // refused payloads change nothing
  await both(payload(site, 'not a certificate\n'));
  await both(payload(`${certs}/unknown.pem`, readFileSync(v2.pem, 'utf8')));
  await both(`set ssl cert ${site}`);
  await both('set ssl cert');
  await both(`commit ssl cert ${site}`);
  await both(`abort ssl cert ${site}`);
  await both('commit ssl cert');
  await served(oldFp, 'after refused payloads');

  // a connection opened before the commit keeps its certificate and keeps working
  const early = await handshake(ports.sy[0]);
  t.after(() => early.destroy());
  assert.equal(await get(early), 'HTTP/1.1 200 OK');

  assert.match(await both(payload(site, readFileSync(v3.pem, 'utf8'))), /^Transaction created/);
  assert.match(await both(payload(site, readFileSync(v2.pem, 'utf8'))), /^Transaction updated/);
  assert.match(await both('show ssl cert'), /^# transaction\n\*/);
  assert.match(await both(`show ssl cert *${site}`), /^Filename: \*/);
  await both(`show ssl cert ${site}`);
  await both(`commit ssl cert ${certs}/other.pem`);
  await both(`abort ssl cert ${certs}/other.pem`);
  // another file while a transaction is open: refused, as haproxy since its fix 984d2cfb6 ("'set ssl
  // cert' does not check the transaction name correctly", for all stable versions); Debian's 2.6.12
  // predates it and updates site.pem's transaction (with the same payload here, so both stay alike)
  const other = payload(`${certs}/other.pem`, readFileSync(v2.pem, 'utf8'));
  assert.equal(
    await cliQuery({ path: `${tmp.dir}/sy.sock` }, other),
    `The ongoing transaction is about '${site}' but you are trying to set '${certs}/other.pem'\nCan't update ${certs}/other.pem!\n\n`,
  );
  await cliQuery({ path: `${tmp.dir}/hx.sock` }, other);
  await served(oldFp, 'before the commit');
  assert.match(await both(`commit ssl cert ${site}`), /^Committing .*\.{3}\nSuccess!\n/);
  await served(newFp, 'after the commit');
  await both(`show ssl cert ${site}`);
  assert.equal(early.getPeerCertificate().fingerprint256, oldFp);
  assert.equal(await get(early), 'HTTP/1.1 200 OK');

  // a certificate without its key, a key that is not the certificate's: refused at commit
  await both(payload(site, readFileSync(v1.crt, 'utf8')));
  await both(`commit ssl cert ${site}`);
  await both(`abort ssl cert ${site}`);
  await both(payload(site, readFileSync(v1.crt, 'utf8') + readFileSync(v3.key, 'utf8')));
  await both(`commit ssl cert ${site}`);
  assert.match(await both(`abort ssl cert ${site}`), /^Transaction aborted/);
  await both(`abort ssl cert ${site}`);
  await served(newFp, 'after refused commits');

  // back to the first certificate, chain order as in the file (key after the certificate)
  assert.match(await both(payload(site, readFileSync(v1.pem, 'utf8'))), /^Transaction created/);
  await both(`commit ssl cert ${site}`);
  await served(oldFp, 'after the second commit');

  // interactive mode: the `+ ` prompt while a payload is read, then the reply and `> `
  await both(`prompt\nshow cli level;set ssl cert ${certs}/none.pem <<\nline one\nline two\n\nshow cli level\nquit`);

  // a new empty entry
  await both(`new ssl cert ${certs}/fresh.pem`);
  await both(`new ssl cert ${certs}/fresh.pem`);
  await both('new ssl cert');
  await both(`show ssl cert ${certs}/fresh.pem`);
  await both(payload(`${certs}/fresh.pem`, readFileSync(v2.pem, 'utf8')));
  await both(`commit ssl cert ${certs}/fresh.pem`);
  await both(`show ssl cert ${certs}/fresh.pem`);
  await both('show ssl cert');
});

test('--workers: a change made through one worker reaches every worker', { skip: needs('openssl') }, async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const certs = join(tmp.dir, 'certs');
  mkdirSync(certs);
  const c = makeCert(certs, 'site', tmp.dir);
  makeCert(certs, 'other', tmp.dir);
  const next = makeCert(tmp.dir, 'site2');
  const ports = [await freePort(), await freePort(), await freePort()];
  const cfg = writeFile(tmp.dir, 'w.cfg', config(tmp.dir, 'sy', ports));
  const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
  t.after(() => px.stop());
  await px.waitFor('ready with 2 workers');
  const cli = (cmd: string) => cliQuery({ path: `${tmp.dir}/sy.sock` }, cmd);
  const seen = async () => {
    const fps = new Set<string>();
    // connections are spread over the workers: enough of them reach both
    for (let i = 0; i < 8; i++) fps.add(await servedFingerprint(ports[0]));
    return [...fps];
  };
  assert.deepEqual(await seen(), [fingerprintOf(c.pem)]);
  assert.match(await cli(`set ssl cert ${c.pem} <<\n${readFileSync(next.pem, 'utf8')}`), /^Transaction created/);
  // every worker holds the transaction: each of these may reach either worker
  for (let i = 0; i < 4; i++) assert.match(await cli('show ssl cert'), /^# transaction\n\*/);
  assert.deepEqual(await seen(), [fingerprintOf(c.pem)]);
  assert.match(await cli(`commit ssl cert ${c.pem}`), /^Committing .*\.\nSuccess!/);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await seen(), [fingerprintOf(next.pem)]);
  for (let i = 0; i < 4; i++) assert.match(await cli(`show ssl cert ${c.pem}`), /Subject: \/CN=site2\n/);
});
