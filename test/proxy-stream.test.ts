/**
 * Bodies stream through the proxy with back-pressure: 200 MB each way while the proxy's RSS stays
 * flat (nothing is buffered whole), and an Upgrade request becomes a raw tunnel.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { request } from 'undici';
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

const MB = 1024 * 1024;
/**
 * Body size for the memory tests. V8 frees socket buffers lazily (tens of MB of slack), so the
 * body is several times that slack: a proxy that buffered it would grow by at least SIZE.
 */
const SIZE = 200 * MB;
/** Largest RSS growth accepted while SIZE bytes stream through. */
const MAX_GROWTH = SIZE / 2;
let px: ProxyProcess;
let port: number;
let up: Upstream;
const tmp = tempDir();
const upgrades: IncomingHttpHeaders[] = [];
/** Random bytes: a reused read buffer overwritten too early would show in their hash. */
const RANDOM = randomBytes(12 * MB);
const RANDOM_SHA = createHash('sha1').update(RANDOM).digest('hex');

before(async () => {
  up = await startUpstream('stream', (req, res) => {
    if (req.url === '/upload') {
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
      });
      req.on('end', () => res.end(String(n)));
      return;
    }
    if (req.url === '/reject') {
      // answers before reading the body, like nginx's 413
      res.writeHead(413, { 'content-length': '0' });
      res.end();
      return;
    }
    if (req.url === '/upload-sha' || req.url === '/upload-sha-slow' || req.url === '/close/upload-sha') {
      // hashes what it receives; the slow one stops reading now and then (the proxy's writes
      // to it queue up)
      const h = createHash('sha1');
      let n = 0;
      req.on('data', (c: Buffer) => {
        h.update(c);
        const before = n;
        n += c.length;
        if (req.url === '/upload-sha-slow' && Math.floor(before / MB) !== Math.floor(n / MB)) {
          req.pause();
          setTimeout(() => req.resume(), 30);
        }
      });
      req.on('end', () => res.end(`${n} ${h.digest('hex')}`));
      return;
    }
    if (req.url === '/random' || req.url === '/random-chunked') {
      // written in uneven pieces, with a length or chunked
      if (req.url === '/random') res.writeHead(200, { 'content-length': String(RANDOM.length) });
      let off = 0;
      const next = (): void => {
        while (off < RANDOM.length) {
          const n = Math.min(RANDOM.length - off, 1000 + ((off * 7919) % 150000));
          const ok = res.write(RANDOM.subarray(off, off + n));
          off += n;
          if (!ok) {
            res.once('drain', next);
            return;
          }
        }
        res.end();
      };
      next();
      return;
    }
    if (req.url === '/download') {
      res.writeHead(200, { 'content-length': String(SIZE) });
      Readable.from(chunks(SIZE)).pipe(res);
      return;
    }
    res.end('ok');
  });
  up.server.on('upgrade', (req, socket) => {
    upgrades.push(req.headers);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${req.headers.upgrade}\r\nConnection: Upgrade\r\nX-Up: tunnel\r\n\r\n`,
    );
    socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
  });
  port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'stream.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  use_backend be_close if { path_beg /close/ }
  default_backend be
backend be_close
  option http-server-close
  server s 127.0.0.1:${up.port}
backend be
  timeout tunnel 800ms
  server s 127.0.0.1:${up.port}
`,
  );
  px = await startProxy(['-f', cfg]);
  // Warm up the code paths (module loading, JIT) so RSS growth measures buffering only.
  for (const path of ['/upload', '/upload']) {
    const r = await request(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: Readable.from(chunks(4 * MB)) });
    await r.body.text();
  }
  const r = await request(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: Readable.from(chunks(4 * MB)) });
  await r.body.text();
});

after(async () => {
  await px?.stop();
  await up?.close();
  tmp.cleanup();
});

function* chunks(total: number): Generator<Buffer> {
  const block = Buffer.alloc(64 * 1024, 0x61);
  for (let sent = 0; sent < total; sent += block.length) yield block.subarray(0, Math.min(block.length, total - sent));
}

/** Resident set size of the proxy process in bytes (Linux /proc). */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples the proxy's RSS while `fn` runs; returns [baseline, peak]. */
async function measure(fn: () => Promise<void>): Promise<[number, number]> {
  const pid = px.proc.pid as number;
  const base = rss(pid);
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, rss(pid));
  }, 10);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return [base, Math.max(peak, rss(pid))];
}

test('200 MB upload streams through with flat memory', async () => {
  let answer = '';
  const [base, peak] = await measure(async () => {
    const r = await request(`http://127.0.0.1:${port}/upload`, {
      method: 'POST',
      body: Readable.from(chunks(SIZE)),
      headers: { 'content-length': String(SIZE) },
    });
    answer = await r.body.text();
  });
  assert.equal(answer, String(SIZE));
  assert.ok(
    peak - base < MAX_GROWTH,
    `proxy RSS grew by ${((peak - base) / MB).toFixed(1)} MB for a ${SIZE / MB} MB body`,
  );
});

test('50 MB chunked upload streams through', async () => {
  const r = await request(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: Readable.from(chunks(50 * MB)) });
  assert.equal(await r.body.text(), String(50 * MB));
});

test('200 MB download read slowly streams with back-pressure and flat memory', async () => {
  let got = 0;
  const [base, peak] = await measure(async () => {
    const r = await request(`http://127.0.0.1:${port}/download`);
    for await (const c of r.body) {
      got += (c as Buffer).length;
      // a slow reader: the proxy must pause the upstream instead of buffering
      if (got % MB < 65536) await new Promise((res) => setTimeout(res, 10));
    }
  });
  assert.equal(got, SIZE);
  assert.ok(
    peak - base < MAX_GROWTH,
    `proxy RSS grew by ${((peak - base) / MB).toFixed(1)} MB for a ${SIZE / MB} MB body`,
  );
});

test('random bytes reach slow and fast readers intact, with a length and chunked, four at a time', async () => {
  const one = async (path: string, slow: boolean): Promise<string> => {
    const r = await request(`http://127.0.0.1:${port}${path}`);
    const h = createHash('sha1');
    let n = 0;
    for await (const c of r.body) {
      h.update(c as Buffer);
      n += (c as Buffer).length;
      // a reader that stalls now and then: the proxy's writes to it queue up
      if (slow && n % (2 * MB) < 70000) await new Promise((res) => setTimeout(res, 30));
    }
    assert.equal(n, RANDOM.length, path);
    return h.digest('hex');
  };
  const sums = await Promise.all([
    one('/random', true),
    one('/random', false),
    one('/random-chunked', true),
    one('/random-chunked', false),
  ]);
  assert.deepEqual(sums, [RANDOM_SHA, RANDOM_SHA, RANDOM_SHA, RANDOM_SHA]);
});

test('random bytes uploaded reach the server intact, to slow and fast readers, with a length and chunked', async () => {
  const pieces = function* (): Generator<Buffer> {
    for (let off = 0; off < RANDOM.length; ) {
      const n = Math.min(RANDOM.length - off, 500 + ((off * 7919) % 120000));
      yield RANDOM.subarray(off, off + n);
      off += n;
    }
  };
  const one = async (path: string, chunked: boolean): Promise<string> => {
    const r = await request(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      body: Readable.from(pieces()),
      headers: chunked ? {} : { 'content-length': String(RANDOM.length) },
    });
    return r.body.text();
  };
  const want = `${RANDOM.length} ${RANDOM_SHA}`;
  const got = await Promise.all([
    one('/upload-sha', false),
    one('/upload-sha-slow', false),
    one('/upload-sha', true),
    one('/upload-sha-slow', true),
  ]);
  assert.deepEqual(got, [want, want, want, want]);
});

test('bodies that start in the read of their head stay intact while other connections read', async () => {
  // Each head and the start of its body arrive in one read, into the read buffer idle
  // connections share; the body's start waits for a new server connection (http-server-close)
  // while the other connections' heads are read into that same buffer.
  const size = 100_000;
  const one = async (i: number): Promise<[string, string]> => {
    const body = RANDOM.subarray(i * size, (i + 1) * size);
    const head = `POST /close/upload-sha HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: ${size}\r\n\r\n`;
    const out = await rawRequest(port, Buffer.concat([Buffer.from(head, 'latin1'), body]), 10000);
    return [out.slice(out.indexOf('\r\n\r\n') + 4), `${size} ${createHash('sha1').update(body).digest('hex')}`];
  };
  for (let round = 0; round < 3; round++) {
    const got = await Promise.all(Array.from({ length: 40 }, (_, i) => one(i)));
    for (const [have, want] of got) assert.equal(have, want);
  }
});

test('Upgrade: 101 from the server, then a raw two-way tunnel closed after timeout tunnel', async () => {
  const s = connect(port, '127.0.0.1');
  let data = '';
  s.on('data', (d) => {
    data += d.toString();
  });
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  s.write(
    'GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  await until(() => data.includes('\r\n\r\n'), 10000, '101 head');
  assert.match(data, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(data, /\r\nX-Up: tunnel\r\n/);
  data = '';
  s.write('ping');
  await until(() => data === 'echo:ping', 10000, 'echo through the tunnel');
  assert.equal(upgrades[0]?.upgrade, 'websocket');
  assert.equal(upgrades[0]?.['sec-websocket-key'], 'dGhlIHNhbXBsZSBub25jZQ==');
  // idle longer than `timeout tunnel` (800ms): the proxy closes both sides
  await closed;
});

test('a response before the whole request body: the body still goes through, the connection is kept (as haproxy 2.6)', async () => {
  // haproxy 2.6, compared by hand with a server answering 413 without reading: the 413 has no
  // `connection: close`, the rest of the body is forwarded, the next request on the connection
  // is served.
  const s = connect(port, '127.0.0.1');
  let data = '';
  s.on('data', (d) => {
    data += d.toString();
  });
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  const size = 8 * MB;
  s.write(`POST /reject HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`);
  // the rest of the body, with bytes that would look like a request if they were read as one
  const block = Buffer.from('GET /stray HTTP/1.1\r\nHost: a\r\n\r\n'.padEnd(64 * 1024, 'x'));
  let sent = 0;
  for (; sent < MB; sent += block.length) s.write(block);
  await until(() => data.includes('\r\n\r\n'), 10000, 'response head');
  assert.match(data, /^HTTP\/1\.1 413 /);
  assert.doesNotMatch(data, /\r\nConnection: close\r\n/i);
  for (; sent < size; sent += block.length) {
    if (!s.write(block)) await new Promise((r) => s.once('drain', r));
  }
  s.write('GET /after-reject HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  await closed;
  const statuses = data.match(/HTTP\/1\.1 \d+/g) ?? [];
  assert.deepEqual(statuses, ['HTTP/1.1 413', 'HTTP/1.1 200'], 'the body was not read as requests');
  assert.match(data, /ok$/);
});
