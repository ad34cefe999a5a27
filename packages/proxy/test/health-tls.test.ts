/** TLS health checks (`ssl` / `check-ssl`) against real loopback TLS servers: L6OK, L6RSP, L6TOUT, L7 over TLS, verify. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createServer } from 'node:tls';
import { compileHttpCheck } from '../src/health/http-check.ts';
import { type ProbeSpec, probeCheck } from '../src/health/probe.ts';
import type { CheckResult } from '../src/model/server-state.ts';
import { httpchk, tcpServer } from './health-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'sy-health-tls-'));
let cert: Buffer | undefined;
let key: Buffer | undefined;
try {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      join(dir, 'k.pem'),
      '-out',
      join(dir, 'c.pem'),
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'c.pem'));
  key = readFileSync(join(dir, 'k.pem'));
} catch {}
rmSync(dir, { recursive: true, force: true });
const skip = cert ? false : 'needs openssl to make a test certificate';

async function tlsServer(response: string) {
  const srv = createServer({ cert, key }, (s) => {
    s.on('error', () => {});
    s.on('data', () => s.end(response));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

function run(spec: Partial<ProbeSpec> & { port: number }, withHttp: boolean): Promise<CheckResult> {
  const http = withHttp
    ? compileHttpCheck(httpchk('GET', '/health', 'HTTP/1.1', { headers: [['Host', 'localhost']] }))
    : undefined;
  return new Promise((resolve) =>
    probeCheck(
      { host: '127.0.0.1', connectMs: 2000, readMs: 2000, tls: { rejectUnauthorized: false }, ...spec },
      http,
      resolve,
    ),
  );
}

test('TLS checks: handshake only -> L6OK, HTTP over TLS -> L7OK / L7STS', { skip }, async (t) => {
  const ok = await tlsServer('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  const err = await tlsServer('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
  t.after(async () => {
    await ok.close();
    await err.close();
  });
  assert.equal((await run({ port: ok.port }, false)).status, 'L6OK');
  assert.equal((await run({ port: ok.port }, true)).status, 'L7OK');
  const r = await run({ port: err.port }, true);
  assert.deepEqual([r.status, r.code, r.info], ['L7STS', 503, 'Service Unavailable']);
});

test('TLS checks: plain server -> L6RSP, silent server -> L6TOUT', { skip }, async (t) => {
  // A plain HTTP server answering the ClientHello with an HTTP error, as nginx does.
  const plain = await tcpServer((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
  const silent = await tcpServer(() => {});
  t.after(async () => {
    await plain.close();
    await silent.close();
  });
  const r = await run({ port: plain.port }, true);
  assert.equal(r.status, 'L6RSP');
  assert.equal((await run({ port: silent.port, readMs: 300 }, false)).status, 'L6TOUT');
});

test('TLS checks: verify required refuses a self-signed certificate unless its CA is given', { skip }, async (t) => {
  const ok = await tlsServer('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  t.after(() => ok.close());
  const refused = await run({ port: ok.port, tls: { rejectUnauthorized: true, servername: 'localhost' } }, true);
  assert.equal(refused.status, 'L6RSP');
  assert.match(refused.info ?? '', /self[- ]signed/i);
  const trusted = await run(
    { port: ok.port, tls: { rejectUnauthorized: true, servername: 'localhost', ca: cert } },
    true,
  );
  assert.equal(trusted.status, 'L7OK');
});
