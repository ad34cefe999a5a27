/**
 * Runtime API CA and CRL files (`new|set|commit|abort|del|show ssl ca-file|crl-file`) side by side
 * with Debian's haproxy 2.6 on the same configuration and files: the same replies, and after a
 * commit new handshakes verify with the new CAs/CRLs, with no reload, on a bind checking client
 * certificates and on a server with `ssl verify required ca-file`.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { makeCrl, makePki } from './helpers/pki.ts';
import { freePort, startProxy, tempDir, writeFile } from './helpers/proxy.ts';
import { startSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

/** Ports: mTLS bind, TLS origin (no client check), plain listen proxying to the origin. */
function config(dir: string, side: 'sy' | 'hx', p: number[]): string {
  return `global
  stats socket ${dir}/${side}.sock level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend mtls
  bind 127.0.0.1:${p[0]} ssl crt ${dir}/server.pem ca-file ${dir}/clients.crt crl-file ${dir}/clients.crl verify required
  http-request return status 200 content-type text/plain string ok
frontend origin
  bind 127.0.0.1:${p[1]} ssl crt ${dir}/server.pem
  http-request return status 200 content-type text/plain string origin
listen reencrypt
  bind 127.0.0.1:${p[2]}
  server o 127.0.0.1:${p[1]} ssl verify required ca-file ${dir}/servers.crt sni str(localhost)
`;
}

/** 'ok' when a request over TLS (with the client certificate `pair`) gets a 200, else 'refused'. */
function mtls(port: number, pair?: { crt: string; key: string }): Promise<'ok' | 'refused'> {
  return new Promise((resolve) => {
    const s = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      rejectUnauthorized: false,
      ...(pair ? { cert: readFileSync(pair.crt), key: readFileSync(pair.key) } : {}),
    });
    let buf = '';
    const done = (r: 'ok' | 'refused') => {
      s.destroy();
      resolve(r);
    };
    s.on('secureConnect', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) done(buf.startsWith('HTTP/1.1 200') ? 'ok' : 'refused');
    });
    s.on('error', () => done('refused'));
    s.on('close', () => done('refused'));
  });
}

/** The status line of a plain GET through the re-encrypting proxy. */
function plainStatus(port: number): Promise<string> {
  return fetch(`http://127.0.0.1:${port}/`).then(
    async (r) => {
      const body = await r.text();
      return r.status === 200 ? `200 ${body}` : String(r.status);
    },
    (e: Error) => e.message,
  );
}

const pem = (f: string) => readFileSync(f, 'utf8').replace(/\n$/, '');

/**
 * The files both tests start from, in a fresh temp dir: clients.crt trusts the PKI's CA, an empty
 * clients.crl, and servers.crt trusting the wrong CA (the origin's certificate is refused at first).
 */
function caFiles(t: { after: (fn: () => void) => void }) {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const dir = tmp.dir;
  const pki = makePki(dir);
  copyFileSync(pki.ca, join(dir, 'clients.crt'));
  copyFileSync(join(dir, 'other-ca.crt'), join(dir, 'servers.crt'));
  makeCrl(dir, 'ca', [], join(dir, 'clients.crl'));
  return { dir, pki };
}

test('ssl ca-file/crl-file: same replies as haproxy 2.6, new handshakes verify with the committed CA and CRL', {
  skip: needs('haproxy', 'openssl'),
  // open: with a crl-file, Switchyard refuses a client whose CA has no CRL there; haproxy 2.6 accepts it
  todo: 'CRL check of chains whose CA the crl-file does not cover differs from haproxy',
}, async (t) => {
  const { dir, pki } = caFiles(t);
  makeCrl(dir, 'ca', [pki.client.crt], join(dir, 'revoking.crl'));
  const three = async () => [await freePort(), await freePort(), await freePort()];
  const ports = { sy: await three(), hx: await three() };
  const pair = await startSideBySide(dir, (side) => config(dir, side, ports[side]));
  t.after(() => pair.stop());
  const both = async (cmd: string): Promise<string> => {
    const theirs = await cliQuery({ path: `${dir}/hx.sock` }, cmd);
    assert.equal(await cliQuery({ path: `${dir}/sy.sock` }, cmd), theirs, cmd.split('\n')[0]);
    return theirs;
  };
  const clients = async (want: { client: string; stranger: string }, what: string) => {
    for (const side of ['sy', 'hx'] as const) {
      const got = {
        client: await mtls(ports[side][0], pki.client),
        stranger: await mtls(ports[side][0], pki.stranger),
      };
      assert.deepEqual(got, want, `${side} ${what}`);
    }
  };
  const reencrypt = async (want: string, what: string) => {
    for (const side of ['sy', 'hx'] as const) assert.equal(await plainStatus(ports[side][2]), want, `${side} ${what}`);
  };
  const ca = `${dir}/clients.crt`;
  const crl = `${dir}/clients.crl`;
  const set = (kind: string, file: string, text: string) => `set ssl ${kind} ${file} <<\n${text}\n`;

  await clients({ client: 'ok', stranger: 'refused' }, 'at start');
  await reencrypt('503', 'with the wrong server CA');
  assert.match(await both('show ssl ca-file'), /@system-ca - \d+ certificate\(s\)\n\n$/);
  assert.match(await both(`show ssl ca-file ${ca}`), /^Filename: .*\nStatus: Used\n \nCertificate #1:\nSerial: /);
  await both(`show ssl ca-file ${ca}:1`);
  await both(`show ssl ca-file ${ca}:2`);
  await both(`show ssl ca-file ${ca}:0`);
  await both(`show ssl ca-file ${dir}/nowhere.crt`);
  await both('show ssl crl-file');
  assert.match(await both(`show ssl crl-file ${crl}`), /No Revoked Certificates\.\n\n$/);
  await both(`show ssl ca-file ${crl}`);

  // refused input changes nothing
  await both(set('ca-file', ca, 'not a certificate'));
  await both(set('crl-file', crl, 'not a CRL'));
  await both(set('ca-file', `${dir}/unknown.crt`, pem(pki.ca)));
  for (const verb of ['new', 'set', 'commit', 'abort', 'del'])
    for (const kind of ['ca-file', 'crl-file']) await both(`${verb} ssl ${kind}`);
  await both(`commit ssl ca-file ${ca}`);
  await both(`abort ssl crl-file ${crl}`);
  await both(`del ssl ca-file ${ca}`);
  await both(`del ssl crl-file ${dir}/nowhere.crl`);
  await clients({ client: 'ok', stranger: 'refused' }, 'after refused input');

  // the client CA file now trusts the other CA only: alice is refused, mallory gets in
  assert.match(await both(set('ca-file', ca, pem(pki.ca))), /^transaction created for CA /);
  assert.match(await both(set('ca-file', ca, pem(join(dir, 'other-ca.crt')))), /^transaction updated for CA /);
  await both('show ssl ca-file');
  await both(`show ssl ca-file *${ca}`);
  await both(set('ca-file', `${dir}/servers.crt`, pem(pki.ca)));
  await clients({ client: 'ok', stranger: 'refused' }, 'before the commit');
  assert.match(await both(`commit ssl ca-file ${ca}`), /^Committing .*\.\nSuccess!\n/);
  await clients({ client: 'refused', stranger: 'ok' }, 'after the commit');
  await both(`show ssl ca-file ${ca}`);

  // back to the first CA, then a CRL revoking alice
  await both(set('ca-file', ca, pem(pki.ca)));
  await both(`commit ssl ca-file ${ca}`);
  assert.match(await both(set('crl-file', crl, pem(`${dir}/revoking.crl`))), /^transaction created for CRL /);
  await both('show ssl crl-file');
  assert.match(await both(`show ssl crl-file *${crl}`), /Revoked Certificates:\n {4}Serial Number: [0-9A-F]+\n/);
  await both(`commit ssl crl-file ${crl}`);
  await clients({ client: 'refused', stranger: 'refused' }, 'after the revoking CRL');
  await both(`show ssl crl-file ${crl}:1`);

  // the server's CA file: proxied traffic verifies the origin with the committed CA
  assert.match(await both(set('ca-file', `${dir}/servers.crt`, pem(pki.ca))), /^transaction created/);
  await both(`commit ssl ca-file ${dir}/servers.crt`);
  await reencrypt('200 origin', 'with the right server CA');

  // new files, deleted while unused
  await both(`new ssl ca-file ${dir}/fresh.crt`);
  await both(`new ssl ca-file ${dir}/fresh.crt`);
  await both(`new ssl crl-file ${dir}/fresh.crt`);
  await both(`new ssl crl-file ${dir}/fresh.crl`);
  await both('show ssl ca-file');
  await both(set('ca-file', `${dir}/fresh.crt`, `${pem(pki.ca)}\n${pem(join(dir, 'other-ca.crt'))}`));
  assert.match(await both(`commit ssl ca-file ${dir}/fresh.crt`), /^Committing .*\nSuccess!\n\n$/);
  await both(`show ssl ca-file ${dir}/fresh.crt`);
  await both(`show ssl ca-file ${dir}/fresh.crt:2`);
  assert.match(await both(`del ssl ca-file ${dir}/fresh.crt`), /deleted!\n/);
  await both(`del ssl crl-file ${dir}/fresh.crl`);
  await both('show ssl ca-file');
  await both('show ssl crl-file');
});

test('--workers 2: a committed CA file reaches every worker', {
  skip: needs('openssl'),
  todo: 'same CRL difference as above (the stranger is refused after the CA commit)',
}, async (t) => {
  const { dir, pki } = caFiles(t);
  const ports = [await freePort(), await freePort(), await freePort()];
  const cfg = writeFile(dir, 'w.cfg', config(dir, 'sy', ports));
  const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
  t.after(() => px.stop());
  await px.waitFor('ready with 2 workers');
  const cli = (cmd: string) => cliQuery({ path: `${dir}/sy.sock` }, cmd);
  // connections are spread over the workers: enough of them reach both
  const seen = async (pairOf: { crt: string; key: string }) => {
    const r = new Set<string>();
    for (let i = 0; i < 8; i++) r.add(await mtls(ports[0], pairOf));
    return [...r];
  };
  const through = async () => {
    const r = new Set<string>();
    for (let i = 0; i < 8; i++) r.add(await plainStatus(ports[2]));
    return [...r];
  };
  assert.deepEqual(await seen(pki.stranger), ['refused']);
  assert.deepEqual(await through(), ['503']);
  assert.match(await cli(`set ssl ca-file ${dir}/clients.crt <<\n${pem(join(dir, 'other-ca.crt'))}\n`), /^transaction/);
  assert.match(await cli(`commit ssl ca-file ${dir}/clients.crt`), /^Committing .*\.\nSuccess!/);
  assert.match(await cli(`set ssl ca-file ${dir}/servers.crt <<\n${pem(pki.ca)}\n`), /^transaction/);
  assert.match(await cli(`commit ssl ca-file ${dir}/servers.crt`), /^Committing .*\.\nSuccess!/);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await seen(pki.stranger), ['ok']);
  assert.deepEqual(await seen(pki.client), ['refused']);
  assert.deepEqual(await through(), ['200 origin']);
  makeCrl(dir, 'other-ca', [pki.stranger.crt], join(dir, 'revoking.crl'));
  assert.match(
    await cli(`set ssl crl-file ${dir}/clients.crl <<\n${pem(join(dir, 'revoking.crl'))}\n`),
    /^transaction/,
  );
  assert.match(await cli(`commit ssl crl-file ${dir}/clients.crl`), /Success!/);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(await seen(pki.stranger), ['refused']);
});
