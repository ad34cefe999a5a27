/**
 * HTTP health checks over HTTP/2 (`check-proto h2`, a `proto h2` server's checks, `check-alpn`),
 * against node:http2 (nghttp2) servers, and Debian's haproxy 2.6 on the same configuration: the
 * same servers UP and DOWN with the same reason (a check without Host has no `:authority`, which
 * nghttp2 refuses: both report a socket error).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createSecureServer, createServer, type Http2SecureServer, type Http2Server } from 'node:http2';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeCert } from './helpers/certs.ts';
import { defaults, freePort, type ProxyProcess, startProxy, tempDir, until, writeFile } from './helpers/proxy.ts';
import { needs, startHaproxyProcess } from './helpers/system.ts';

interface Seen {
  ver: string;
  method: string;
  path: string;
  alpn: string;
  body: string;
}
const seen: Seen[] = [];
let h2c: Http2Server;
let tls: Http2SecureServer;
let cfg: string;
let fePort: number;
const tmp = tempDir();

function record(req: import('node:http2').Http2ServerRequest, res: import('node:http2').Http2ServerResponse): void {
  let body = '';
  req.on('data', (d: Buffer) => (body += d));
  req.on('end', () => {
    const alpn = (req.socket as { alpnProtocol?: string }).alpnProtocol ?? '-';
    seen.push({ ver: req.httpVersion, method: req.method, path: req.url, alpn, body });
    res.end('ok');
  });
}

before(async () => {
  h2c = createServer(record);
  const certs = join(tmp.dir, 'certs');
  mkdirSync(certs);
  const c = makeCert(certs, 'check.example', tmp.dir);
  tls = createSecureServer({ key: readFileSync(c.key), cert: readFileSync(c.crt), allowHTTP1: true }, record);
  await new Promise<void>((r) => h2c.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  const a = (h2c.address() as { port: number }).port;
  const b = (tls.address() as { port: number }).port;
  fePort = await freePort();
  cfg = writeFile(
    tmp.dir,
    'h2chk.cfg',
    `${defaults()}
frontend f
  bind 127.0.0.1:${fePort}
  default_backend b1
backend b1
  option httpchk
  http-check send meth GET uri /b1 hdr host hc.example
  server s 127.0.0.1:${a} proto h2 check inter 300
backend b2
  option httpchk
  http-check send meth POST uri /b2 hdr host hc.example body ping
  server s 127.0.0.1:${a} check-proto h2 check inter 300
backend b3
  option httpchk GET /b3
  server s 127.0.0.1:${a} proto h2 check inter 300 fall 1
backend b4
  option httpchk
  http-check send meth GET uri /b4 hdr host hc.example
  server s 127.0.0.1:${b} check-ssl verify none check-alpn h2,http/1.1 check inter 300
backend b5
  option httpchk
  http-check send meth GET uri /b5 ver HTTP/1.1 hdr host hc.example
  server s 127.0.0.1:${b} check-ssl verify none check-alpn http/1.1 check inter 300
`,
  );
});

after(() => {
  h2c?.close();
  tls?.close();
  tmp.cleanup();
});

const has = (p: Partial<Seen>) => seen.some((s) => Object.entries(p).every(([k, v]) => s[k as keyof Seen] === v));
const DOWN_B3 = /Server b3\/s is DOWN, reason: Socket error/;

async function observe(log: () => string): Promise<void> {
  await until(
    () =>
      has({ path: '/b1' }) &&
      has({ path: '/b2' }) &&
      has({ path: '/b4' }) &&
      has({ path: '/b5' }) &&
      DOWN_B3.test(log()),
    8000,
    'the checks of every backend',
  ).catch((e: Error) => {
    throw new Error(`${e.message} (seen: ${JSON.stringify(seen)}; log: ${log().slice(-1500)})`);
  });
  assert.ok(has({ path: '/b1', ver: '2.0', method: 'GET' }), 'proto h2: checks over h2c');
  assert.ok(has({ path: '/b2', ver: '2.0', method: 'POST', body: 'ping' }), 'check-proto h2 with a body');
  assert.ok(has({ path: '/b4', ver: '2.0', alpn: 'h2' }), 'check-alpn h2,...: h2 chosen');
  assert.ok(has({ path: '/b5', ver: '1.1', alpn: 'http/1.1' }), 'check-alpn http/1.1: HTTP/1.1');
  assert.ok(!has({ path: '/b3' }), 'no :authority: refused by nghttp2');
  assert.doesNotMatch(log(), /Server b[1245]\/s is DOWN/);
}

test('HTTP checks over HTTP/2: check-proto, proto h2, check-alpn (Switchyard)', async () => {
  seen.length = 0;
  let px: ProxyProcess | undefined;
  try {
    px = await startProxy(['-f', cfg]);
    const p = px;
    await observe(() => p.stdout() + p.stderr());
  } finally {
    await px?.stop();
  }
});

test('haproxy 2.6 on the same configuration: the same checks, the same verdicts', {
  skip: needs('haproxy'),
}, async () => {
  seen.length = 0;
  const hx = await startHaproxyProcess(
    cfg,
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect(fePort, '127.0.0.1');
        s.once('connect', () => resolve(true));
        s.once('error', () => resolve(false));
        s.once('close', () => s.destroy());
      }),
  );
  try {
    await observe(() => hx.log());
  } finally {
    await hx.stop();
  }
});
