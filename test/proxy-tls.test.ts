/**
 * TLS termination: `bind ... ssl crt FILE|DIR`, certificates chosen by SNI from a directory,
 * the `ssl_fc` fetch, and `redirect scheme https if !{ ssl_fc }` on the plain bind.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect } from 'node:tls';
import { makeCert } from './helpers/certs.ts';
import {
  defaults,
  freePort,
  type ProxyProcess,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  writeFile,
} from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

const skip = needs('openssl');
let px: ProxyProcess;
let up: Upstream;
let plainPort: number;
let tlsPort: number;
const tmp = tempDir();

before(async () => {
  if (skip) return;
  const certs = join(tmp.dir, 'certs');
  mkdirSync(certs);
  makeCert(certs, 'a.example', tmp.dir);
  makeCert(certs, 'b.example', tmp.dir);
  up = await startUpstream('up');
  plainPort = await freePort();
  tlsPort = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'tls.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${plainPort}
  bind 127.0.0.1:${tlsPort} ssl crt ${certs}
  redirect scheme https if !{ ssl_fc }
  http-request set-header X-Proto https if { ssl_fc }
  default_backend be
backend be
  server s 127.0.0.1:${up.port}
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  await up?.close();
  tmp.cleanup();
});

/** One HTTPS request with `servername` as SNI; returns the peer certificate CN and the response. */
function httpsGet(servername: string, path: string): Promise<{ cn: string; response: string }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: tlsPort, servername, rejectUnauthorized: false }, () => {
      const cn = String(s.getPeerCertificate().subject?.CN ?? '');
      let response = '';
      s.on('data', (d) => {
        response += d.toString();
      });
      s.on('end', () => resolve({ cn, response }));
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
    });
    s.on('error', reject);
  });
}

test('certificate chosen by SNI from a crt directory', { skip }, async () => {
  assert.equal((await httpsGet('a.example', '/')).cn, 'a.example');
  assert.equal((await httpsGet('b.example', '/')).cn, 'b.example');
  // unknown name: the first certificate loaded is the default
  assert.equal((await httpsGet('c.example', '/')).cn, 'a.example');
});

test('TLS requests are proxied and ssl_fc is true', { skip }, async () => {
  const r = await httpsGet('b.example', '/secure');
  assert.match(r.response, /^HTTP\/1\.1 200 /);
  assert.equal(up.requests.at(-1)?.headers['x-proto'], 'https');
  assert.equal(up.requests.at(-1)?.url, '/secure');
});

test('plain HTTP is redirected to https (redirect scheme https if !{ ssl_fc })', { skip }, async () => {
  const res = await rawRequest(plainPort, 'GET /login?next=1 HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n');
  assert.match(res, /^HTTP\/1\.1 302 Found\r\n/);
  assert.match(res, /\r\nlocation: https:\/\/a\.example\/login\?next=1\r\n/i);
});

test('a bind whose certificate is missing refuses to start with FILE:LINE', { skip }, async () => {
  const port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'bad-tls.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port} ssl crt ${tmp.dir}/missing.pem\n  default_backend be\nbackend be\n  server s 127.0.0.1:1\n`,
  );
  const p = await startProxy(['-f', cfg], { waitReady: false });
  assert.equal(await p.exited, 1);
  assert.match(p.stderr(), /bad-tls\.cfg:13: .*missing\.pem/);
});

test('server ... ssl verify none: HTTPS to the backend', { skip }, async (t) => {
  const pem = readFileSync(join(tmp.dir, 'certs', 'a.example.pem'), 'utf8');
  const tlsUp = createHttpsServer({ key: pem, cert: pem }, (req, res) => {
    res.end(`tls upstream saw ${req.url} over ${(req.socket as { encrypted?: boolean }).encrypted ? 'TLS' : 'plain'}`);
  });
  await new Promise<void>((r) => tlsUp.listen(0, '127.0.0.1', r));
  const port = await freePort();
  const upPort = (tlsUp.address() as { port: number }).port;
  const cfg = writeFile(
    tmp.dir,
    'up-tls.cfg',
    `${defaults()}\nfrontend fe\n  bind 127.0.0.1:${port}\n  default_backend be\nbackend be\n  server s 127.0.0.1:${upPort} ssl verify none\n`,
  );
  const p = await startProxy(['-f', cfg]);
  t.after(async () => {
    await p.stop();
    tlsUp.closeAllConnections();
    tlsUp.close();
  });
  const res = await rawRequest(port, 'GET /enc HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(res, /^HTTP\/1\.1 200 /);
  assert.ok(res.endsWith('tls upstream saw /enc over TLS'));
});
