/**
 * Re-encryption to an HTTPS origin with a private CA, compared with Debian's haproxy 2.6 on
 * the same configuration: `ca-file` + `verify required` on proxied traffic (a wrong CA is a
 * 503), `sni req.hdr(...)` evaluated per request, `crt` as the client certificate, server
 * `ssl-max-ver`, and `ssl-default-server-ciphers`. The origin reports what it saw.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { makePki, type Pki } from './helpers/pki.ts';
import { freePort, type ProxyProcess, startProxy, tempDir, writeFile } from './helpers/proxy.ts';
import { waitForPort } from './helpers/servers.ts';
import { needs } from './helpers/system.ts';

const skip = needs('openssl', 'haproxy', 'curl');
const tmp = tempDir();
let pki: Pki;
let origin: Server;
let sy: ProxyProcess;
let ha: ChildProcess;
const FRONTENDS = ['good', 'wrongca', 'none', 'nosni', 'vhost', 'vhostsni', 'vhostbad'] as const;
const ports: Record<'sy' | 'ha', Record<string, number>> = { sy: {}, ha: {} };

async function config(who: 'sy' | 'ha', originPort: number): Promise<string> {
  const o = `127.0.0.1:${originPort}`;
  const servers: Record<(typeof FRONTENDS)[number], string> = {
    good: `${o} ssl ca-file ${pki.ca} verify required sni req.hdr(x-sni) crt ${join(tmp.dir, 'client.pem')} ssl-max-ver TLSv1.2`,
    wrongca: `${o} ssl ca-file ${join(tmp.dir, 'other-ca.crt')} verify required`,
    none: `${o} ssl verify none`,
    nosni: `${o} ssl ca-file ${pki.ca} verify required sni req.hdr(x-absent)`,
    vhost: `${o} ssl ca-file ${pki.ca} verify required verifyhost localhost`,
    vhostsni: `${o} ssl ca-file ${pki.ca} verify required sni str(other.test) verifyhost localhost`,
    vhostbad: `${o} ssl ca-file ${pki.ca} verify required verifyhost other.test`,
  };
  let out =
    'global\n  ssl-default-server-ciphers ECDHE-ECDSA-AES256-GCM-SHA384\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n';
  for (const f of FRONTENDS) {
    ports[who][f] = await freePort();
    out += `frontend fe_${f}\n  bind 127.0.0.1:${ports[who][f]}\n  default_backend be_${f}\n`;
    out += `backend be_${f}\n  server s ${servers[f]}\n`;
  }
  return out;
}

before(async () => {
  if (skip) return;
  pki = makePki(tmp.dir);
  const pem = readFileSync(pki.server);
  origin = createServer(
    { key: pem, cert: pem, ca: readFileSync(pki.ca), requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const s = req.socket as TLSSocket;
      const peer = s.getPeerCertificate();
      res.end(
        JSON.stringify({
          sni: s.servername || null,
          client: peer?.subject?.CN ?? null,
          protocol: s.getProtocol(),
          cipher: s.getCipher().name,
        }),
      );
    },
  );
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const port = (origin.address() as { port: number }).port;
  sy = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', await config('sy', port))]);
  ha = spawn('haproxy', ['-db', '-dR', '-f', writeFile(tmp.dir, 'ha.cfg', await config('ha', port))], {
    stdio: 'ignore',
  });
  for (const p of Object.values(ports.ha)) await waitForPort(p, 20000, ha);
});

after(async () => {
  await sy?.stop();
  if (ha && ha.exitCode === null) {
    const done = new Promise((r) => ha.once('exit', r));
    ha.kill('SIGTERM');
    await done;
  }
  origin?.closeAllConnections();
  await new Promise<void>((r) => (origin ? origin.close(() => r()) : r()));
  tmp.cleanup();
});

/** Status and body of a GET through the frontend. */
function get(port: number, headers: string[] = []): Promise<string> {
  const argv = ['-s', '-w', ' %{http_code}', ...headers.flatMap((h) => ['-H', h]), `http://127.0.0.1:${port}/`];
  return new Promise((resolve) => {
    execFile('curl', argv, { timeout: 10000 }, (e, stdout) => resolve(e ? `curl failed: ${e.message}` : stdout));
  });
}

const PROBES: Array<[(typeof FRONTENDS)[number], string, string[], RegExp]> = [
  ['good', 'sni from the request, client certificate, TLSv1.2', ['x-sni: localhost'], / 200$/],
  ['good', 'an SNI the server certificate does not name is refused', ['x-sni: other.test'], / 503$/],
  ['wrongca', 'a server certificate of another CA is refused', [], / 503$/],
  ['none', 'verify none: no SNI, no client certificate', [], / 200$/],
  ['nosni', 'an empty sni expression sends no SNI', [], /"sni":null/],
  ['vhost', 'verifyhost names the certificate', [], /"sni":null.* 200$/],
  ['vhostsni', 'the SNI sent is checked before verifyhost', [], / 503$/],
  ['vhostbad', 'verifyhost the certificate does not carry is refused', [], / 503$/],
];

describe('ssl to servers as haproxy 2.6', { skip }, () => {
  for (const [f, what, headers, shape] of PROBES) {
    test(`${f}: ${what}`, async () => {
      const haproxy = await get(ports.ha[f], headers);
      const switchyard = await get(ports.sy[f], headers);
      assert.match(haproxy, shape);
      assert.equal(switchyard, haproxy);
    });
  }
});
