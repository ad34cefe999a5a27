/** Client-side failures: a stalled request body (timeout client, 408 cD--), clients that leave early. */
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
let up: Upstream;
let port: number;
const tmp = tempDir();
let bodies = 0;

before(async () => {
  up = await startUpstream('up', (req, res) => {
    if (req.url === '/slow-body') {
      // headers now, the body trickles
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part\n');
      const t = setInterval(() => res.write('more\n'), 200);
      res.on('close', () => clearInterval(t));
      return;
    }
    if (req.url === '/wait') {
      req.resume();
      setTimeout(() => res.end('late\n'), 3000);
      return;
    }
    req.on('data', () => {});
    req.on('end', () => {
      bodies++;
      res.end('got it\n');
    });
  });
  port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'client.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  timeout client 800ms
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

function logLine(path: string): Promise<string> {
  let line = '';
  return until(
    () => {
      line =
        px
          .stdout()
          .split('\n')
          .find((l) => l.includes(` ${path} HTTP/1.1"`)) ?? '';
      return line !== '';
    },
    15000,
    `log line for ${path}`,
  ).then(() => line);
}

test('a client that stops sending its body gets 408 after timeout client (cD--)', async () => {
  const s = connect(port, '127.0.0.1');
  let data = '';
  s.on('data', (d) => {
    data += d;
  });
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  s.write('POST /stall HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly-part-of-it');
  await closed;
  assert.match(data, /^HTTP\/1\.1 408 Request Time-out\r\n/);
  assert.match(await logLine('/stall'), / 408 \d+ - - cD-- /);
  assert.equal(bodies, 0, 'the incomplete body never completed at the server');
});

test('a client that leaves while the server is still answering: CD-- (no crash, server released)', async () => {
  const s = connect(port, '127.0.0.1');
  let data = '';
  s.on('data', (d) => {
    data += d;
    if (data.includes('first part')) s.destroy();
  });
  s.write('GET /slow-body HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.match(await logLine('/slow-body'), / 200 \d+ - - CD-- /);
});

test('a client that closes while waiting for the response headers: answered anyway, 200 ---- (as haproxy 2.6)', async () => {
  // haproxy 2.6 (compared by hand, with and without abortonclose) reads the client's FIN as a
  // half-close: it still fetches the response, sends it, and logs the request as complete.
  const s = connect(port, '127.0.0.1');
  s.write('GET /wait?fin HTTP/1.1\r\nHost: a\r\n\r\n');
  await until(() => up.requests.some((r) => r.url === '/wait?fin'), 10000, 'request at the server');
  s.destroy();
  assert.match(await logLine('/wait?fin'), / 200 \d+ - - ---- /);
});

test('a client that resets while waiting for the response headers: CH--', async () => {
  // a reset is seen at once: the request ends and the server connection is released
  // (haproxy 2.6 notices it only when it writes the response, and logs 200 CD--)
  const s = connect(port, '127.0.0.1');
  s.write('GET /wait HTTP/1.1\r\nHost: a\r\n\r\n');
  await until(() => up.requests.some((r) => r.url === '/wait'), 10000, 'request at the server');
  s.resetAndDestroy();
  assert.match(await logLine('/wait'), / -1 \d+ - - CH-- /);
  // the proxy still serves
  const r = await fetch(`http://127.0.0.1:${port}/after`, { method: 'POST', body: 'x' });
  assert.equal(r.status, 200);
});

test('a head that takes its time: TR in the log is the time from its first byte to its end', async () => {
  const s = connect(port, '127.0.0.1');
  let out = '';
  s.on('data', (d) => {
    out += d;
  });
  s.write('GET /slow-head HTTP/1.1\r\nHo');
  await new Promise((r) => setTimeout(r, 300));
  s.write('st: a\r\n\r\n');
  const line = await logLine('/slow-head');
  const m = / (\d+)\/(\d+)\/(\d+)\/(\d+)\/(\d+) 200 /.exec(line);
  assert.ok(m, line);
  const [tR, , , , ta] = m.slice(1).map(Number);
  assert.ok(tR >= 250 && tR < 2000, `TR ${tR}`);
  assert.ok(ta >= tR, `Ta ${ta} includes TR ${tR}`);
  await until(() => out.includes('200'), 5000, 'response');
  s.destroy();
});
