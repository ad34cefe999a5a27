/**
 * `on-marked-down shutdown-sessions` and `on-marked-up shutdown-backup-sessions` with real
 * processes. What haproxy 2.6 does (run by hand with the same servers and config): a request
 * still waiting for its response gets the 502 page and `DH--` (Tr -1); a response in progress is
 * cut and logged `DD--`; on a backup server the first letter is `U`.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import {
  defaults,
  freePort,
  type ProxyProcess,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  until,
  writeFile,
} from './helpers/proxy.ts';

let px: ProxyProcess;
let port: number;
let main: Upstream;
let spare: Upstream;
let mainHealthy = true;
const spareHealthy = true;
const tmp = tempDir();

/** Slow answers: /slow after 4 s; /stream sends a first part at once and the rest after 4 s. */
function handler(healthy: () => boolean) {
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    req.resume();
    if (req.url === '/health') {
      res.statusCode = healthy() ? 200 : 500;
      res.end();
    } else if (req.url === '/slow') {
      setTimeout(() => res.end('slow done'), 4000).unref();
    } else if (req.url?.startsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part1\n');
      setTimeout(() => res.end('part2\n'), 4000).unref();
    } else res.end('hi');
  };
}

/** Sends a raw GET and collects until the proxy closes (or 6 s). */
function get(path: string, host = 'a'): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => {
      got += d;
    });
    s.on('error', () => {});
    const t = setTimeout(() => s.destroy(), 6000);
    s.on('close', () => {
      clearTimeout(t);
      resolve(got);
    });
    s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

before(async () => {
  main = await startUpstream(
    'main',
    handler(() => mainHealthy),
  );
  spare = await startUpstream(
    'spare',
    handler(() => spareHealthy),
  );
  port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'shutdown.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  use_backend withbackup if { hdr(host) -i b }
  default_backend down
backend down
  option httpchk GET /health
  server m 127.0.0.1:${main.port} check inter 200 fall 1 rise 1 on-marked-down shutdown-sessions
backend withbackup
  option httpchk GET /health
  server act 127.0.0.1:${main.port} check inter 200 fall 1 rise 1 on-marked-up shutdown-backup-sessions
  server bak 127.0.0.1:${spare.port} check inter 200 fall 1 rise 1 backup
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  await main?.close();
  await spare?.close();
  tmp.cleanup();
});

test('on-marked-down shutdown-sessions: waiting request gets 502 DH--, streaming response cut DD--', async () => {
  const slow = get('/slow');
  const stream = get('/stream');
  await until(() => main.requests.filter((r) => r.url === '/slow' || r.url === '/stream').length === 2, 5000);
  mainHealthy = false;
  const [a, b] = await Promise.all([slow, stream]);
  assert.match(a, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.match(a, /The server returned an invalid or incomplete response/);
  assert.match(b, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(b, /part1/);
  assert.doesNotMatch(b, /part2/);
  await until(() => /down\/m .* 502 .* DH-- .*"GET \/slow/.test(px.stdout()), 5000, 'DH-- log line');
  await until(() => /down\/m .* 200 .* DD-- .*"GET \/stream/.test(px.stdout()), 5000, 'DD-- log line');
  assert.match(px.stderr(), /Server down\/m is DOWN, reason: Layer7 wrong status, code: 500/);
});

test('on-marked-up shutdown-backup-sessions: sessions on the backup end when the active server is back', async () => {
  // main is unhealthy since the previous test: withbackup/act is DOWN, bak serves
  await until(() => /Server withbackup\/act is DOWN/.test(px.stderr()), 5000, 'act DOWN');
  const onBackup = get('/stream-b', 'b');
  await until(() => spare.requests.some((r) => r.url === '/stream-b'), 5000, 'request on the backup');
  mainHealthy = true;
  const got = await onBackup;
  assert.match(got, /part1/);
  assert.doesNotMatch(got, /part2/);
  await until(() => /withbackup\/bak .* 200 .* UD-- .*"GET \/stream-b/.test(px.stdout()), 5000, 'UD-- log line');
  // new requests go to the active server again
  assert.match(await get('/x', 'b'), /\r\n\r\nhi$/);
});
