/**
 * The client-side HTTP/1 front end (packages/proxy/src/datapath/front.ts) through the real proxy,
 * on raw sockets: pipelining, heads split over reads, request bodies (length, chunked with
 * extensions and trailers), HTTP/1.0 clients, HEAD, Expect: 100-continue, limits, and the
 * connection headers of responses.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import {
  defaults,
  freePort,
  type ProxyProcess,
  rawRequest,
  startProxy,
  startUpstream,
  tempDir,
  type Upstream,
  until,
  writeFile,
} from './helpers/proxy.ts';

let up: Upstream;
let px: ProxyProcess;
let port: number;
const tmp = tempDir();

before(async () => {
  up = await startUpstream('up', (req, res) => {
    const h = createHash('sha1');
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      h.update(c);
    });
    req.on('end', () => {
      const line = `${req.method} ${req.url} len=${n} sha=${h.digest('hex').slice(0, 12)}\n`;
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part1 ');
        setTimeout(() => res.end(`part2 ${line}`), 20);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(line) });
      res.end(line);
    });
  });
  port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'front.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server up 127.0.0.1:${up.port}
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  await up?.close();
  tmp.cleanup();
});

function sha(s: string | Buffer): string {
  return createHash('sha1').update(s).digest('hex').slice(0, 12);
}

/** Splits a raw reply stream into responses (status line + body text). */
function statuses(raw: string): string[] {
  return raw.match(/^HTTP\/1\.1 \d+/gm) ?? [];
}

test('pipelined requests (GET, POST with length, chunked POST, GET) are answered in order', async () => {
  const body = 'x'.repeat(3000);
  const data =
    'GET /one HTTP/1.1\r\nHost: a\r\n\r\n' +
    `POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
    'POST /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n' +
    'GET /four HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
  const out = await rawRequest(port, data);
  assert.deepEqual(statuses(out), ['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200']);
  const lines = out.match(/^(GET|POST) \S+ len=\d+ sha=\w+$/gm);
  assert.deepEqual(lines, [
    `GET /one len=0 sha=${sha('')}`,
    `POST /two len=3000 sha=${sha(body)}`,
    `POST /three len=11 sha=${sha('hello world')}`,
    `GET /four len=0 sha=${sha('')}`,
  ]);
  assert.match(out, /connection: close\r\n\r\nGET \/four/);
});

test('a head that arrives a few bytes at a time is read whole', async () => {
  const s = connect(port, '127.0.0.1');
  let out = '';
  s.on('data', (d) => {
    out += d.toString('latin1');
  });
  await new Promise<void>((r) => s.once('connect', () => r()));
  const req = 'GET /split HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789\r\n\r\n';
  for (let i = 0; i < req.length; i += 7) {
    s.write(req.slice(i, i + 7));
    await new Promise((r) => setTimeout(r, 5));
  }
  await until(() => out.includes('len=0'), 5000, 'response');
  assert.match(out, /^HTTP\/1\.1 200 /);
  assert.match(out, /GET \/split len=0/);
  s.destroy();
});

test('chunked request bodies: extensions and trailers accepted, the body arrives intact', async () => {
  const data =
    'POST /ext HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
    '3;name=value\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
  const out = await rawRequest(port, data);
  assert.match(out, /^HTTP\/1\.1 200 /);
  assert.match(out, new RegExp(`POST /ext len=13 sha=${sha('abc0123456789')}`));
});

test('a chunk without its CRLF: 400 with the HAProxy page, the connection closes', async () => {
  const data = 'POST /badchunk HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n';
  const out = await rawRequest(port, data);
  assert.match(out, /^HTTP\/1\.1 400 Bad request\r\n/);
  assert.match(out, /connection: close/i);
});

test('HTTP/1.0 client: a body without length is sent until close, keep-alive is announced when kept', async () => {
  const chunked = await rawRequest(port, 'GET /chunked HTTP/1.0\r\nHost: a\r\n\r\n');
  assert.match(chunked, /^HTTP\/1\.1 200 /);
  assert.doesNotMatch(chunked, /transfer-encoding/i);
  assert.match(chunked, /connection: close\r\n/i);
  assert.match(chunked, /\r\n\r\npart1 part2 GET \/chunked len=0/);
  // keep-alive asked by an HTTP/1.0 client, response with a length: kept, and said so
  const two = await rawRequest(
    port,
    'GET /a HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\nHost: a\r\n\r\n',
  );
  assert.deepEqual(statuses(two), ['HTTP/1.1 200', 'HTTP/1.1 200']);
  assert.match(two, /connection: keep-alive\r\n\r\nGET \/a/i);
  assert.match(two, /connection: close\r\n\r\nGET \/b/i);
});

test('HTTP/1.1 keep-alive responses carry no Connection or Keep-Alive header; chunked ones are re-chunked', async () => {
  const out = await rawRequest(
    port,
    'GET /plain HTTP/1.1\r\nHost: a\r\n\r\nGET /chunked HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );
  const [first, second] = out.split(/(?=HTTP\/1\.1 200)/);
  assert.doesNotMatch(first, /^connection:|^keep-alive:/im);
  assert.match(second, /transfer-encoding: chunked\r\n/i);
  assert.match(second, /\r\n\r\n6\r\npart1 \r\n/);
  assert.match(second, /\r\n0\r\n\r\n$/);
});

test('HEAD: the head only, even when the server states a length', async () => {
  const out = await rawRequest(port, 'HEAD /head HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(out, /^HTTP\/1\.1 200 /);
  assert.match(out, /content-length: \d+\r\n/i);
  assert.ok(out.endsWith('\r\n\r\n'), 'nothing after the head');
});

test('Expect: 100-continue gets 100 Continue before the body is sent', async () => {
  const s: Socket = connect(port, '127.0.0.1');
  let out = '';
  s.on('data', (d) => {
    out += d.toString('latin1');
  });
  s.write('POST /expect HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n');
  await until(() => out.includes('100 Continue'), 5000, '100 Continue');
  assert.match(out, /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
  s.write('hello');
  await until(() => out.includes('len=5'), 5000, 'final response');
  assert.match(out, new RegExp(`POST /expect len=5 sha=${sha('hello')}`));
  s.destroy();
});

test('a request head over 16 KiB: 400, nothing forwarded', async () => {
  const before = up.requests.length;
  const out = await rawRequest(port, `GET /big HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(17000)}\r\n\r\n`);
  assert.match(out, /^HTTP\/1\.1 400 /);
  assert.equal(up.requests.length, before);
});

test('requests pipelined behind a slow response wait for it, then go through', async () => {
  const s = connect(port, '127.0.0.1');
  let out = '';
  s.on('data', (d) => {
    out += d.toString('latin1');
  });
  // the first response is chunked and takes 20 ms; the next requests arrive meanwhile
  s.write('GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n');
  await new Promise((r) => setTimeout(r, 5));
  s.write('GET /after1 HTTP/1.1\r\nHost: a\r\n\r\nGET /after2 HTTP/1.1\r\nHost: a\r\n\r\n');
  await until(() => out.includes('/after2'), 5000, 'three responses');
  const order = [...out.matchAll(/GET (\/\w+) len/g)].map((m) => m[1]);
  assert.deepEqual(order, ['/chunked', '/after1', '/after2']);
  s.destroy();
});
