/**
 * GOAWAY from an HTTP/2 server (`server ... proto h2`), against a hand-written h2 server (raw
 * frames, no nghttp2 on that side): on its first connection it waits for two streams, sends
 * GOAWAY with the first one's id as last-stream-id, then answers that stream only. As HAProxy
 * 2.6, the stream below the limit finishes on the old connection and the one above it (never
 * processed) is retried on a new connection.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { defaults, freePort, type ProxyProcess, startProxy, tempDir, writeFile } from './helpers/proxy.ts';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
let px: ProxyProcess;
let port: number;
let origin: Server;
const tmp = tempDir();
let connections = 0;
/** Stream ids the server received, per connection number. */
const received: number[][] = [];

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

/** HEADERS `:status 200` (static table index 8) then DATA with END_STREAM. */
function answer(sock: Socket, stream: number, body: string): void {
  sock.write(frame(1, 0x4, stream, Buffer.from([0x88])));
  sock.write(frame(0, 0x1, stream, Buffer.from(body)));
}

function serve(sock: Socket): void {
  const n = connections++;
  const ids: number[] = [];
  received[n] = ids;
  let buf = Buffer.alloc(0);
  let preface = false;
  sock.on('error', () => {});
  sock.write(frame(4, 0, 0)); // our SETTINGS (none)
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    if (!preface) {
      if (buf.length < PREFACE.length) return;
      buf = buf.subarray(PREFACE.length);
      preface = true;
    }
    while (buf.length >= 9) {
      const len = buf.readUIntBE(0, 3);
      if (buf.length < 9 + len) return;
      const type = buf[3];
      const flags = buf[4];
      const stream = buf.readUInt32BE(5) & 0x7fffffff;
      buf = buf.subarray(9 + len);
      if (type === 4 && (flags & 1) === 0) sock.write(frame(4, 1, 0)); // SETTINGS ack
      if (type !== 1) continue; // HEADERS only (the requests have no body)
      ids.push(stream);
      if (n > 0) {
        answer(sock, stream, `conn ${n} stream ${stream}`);
        continue;
      }
      if (ids.length < 2) continue;
      // GOAWAY NO_ERROR, last-stream-id = the first stream: the second one is not processed
      const g = Buffer.alloc(8);
      g.writeUInt32BE(ids[0], 0);
      g.writeUInt32BE(0, 4);
      sock.write(frame(7, 0, 0, g));
      answer(sock, ids[0], `conn ${n} stream ${ids[0]}`);
    }
  });
}

before(async () => {
  origin = createServer(serve);
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const op = (origin.address() as { port: number }).port;
  port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'goaway.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  http-reuse always
  timeout server 10s
  server s1 127.0.0.1:${op} proto h2
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  origin?.close();
  tmp.cleanup();
});

test('GOAWAY: the stream below last-stream-id finishes, the one above is retried on a new connection', async () => {
  const t0 = Date.now();
  const get = async (path: string) => {
    const r = await request(`http://127.0.0.1:${port}${path}`);
    return { status: r.statusCode, body: await r.body.text() };
  };
  const [a, b] = await Promise.all([get('/a'), get('/b')]);
  assert.ok(Date.now() - t0 < 5000, 'no stream waited for timeout server');
  const bodies = [a.body, b.body].sort();
  assert.deepEqual([a.status, b.status], [200, 200]);
  assert.equal(received[0].length, 2, 'both streams went to the first connection');
  assert.deepEqual(bodies, [`conn 0 stream ${received[0][0]}`, `conn 1 stream ${received[1][0]}`]);
  assert.equal(connections, 2);
  // the next request goes to the new connection, never to the one that sent GOAWAY
  const c = await get('/c');
  assert.match(c.body, /^conn 1 /);
});
