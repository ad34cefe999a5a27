/**
 * `compression` through the public CLI: a slow origin's first chunk reaches the client compressed
 * (and decodable) before the origin sends the rest; HTTP/2 clients get the same filter (gzip and
 * the `br` addition, no Content-Length, Vary); a server that dies mid-body while its response is
 * compressed cuts that response only (the process serves the next one; srv_abrt counted); the
 * Prometheus exporter shows the comp counters.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { createServer as createH2Server, type Http2Server, connect as h2connect } from 'node:http2';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
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

const TEXT = 'All work and no play makes Jack a dull boy. '.repeat(500);

let up: Upstream;
/** Part `i` (64 KiB) of the 8 MiB body of `/big`: numbered lines, different in every part. */
const bigPart = (i: number) => {
  let s = '';
  for (let n = 0; s.length < 65536; n++) s += `part ${i} line ${n} ${(n * 2654435761) % 1000003}\n`;
  return s.slice(0, 65536);
};
/** An HTTP/2 (h2c) server answering without Content-Length. */
let h2up: Http2Server;
let px: ProxyProcess;
let port: number;
let h2port: number;
let promPort: number;
const tmp = tempDir();
/** Released by the test: the slow origin sends the rest of its body then. */
let release: () => void = () => {};

before(async () => {
  up = await startUpstream('o', (q, res) => {
    q.resume();
    if (q.url === '/slow') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part of a slow answer\n');
      new Promise<void>((r) => {
        release = r;
      }).then(() => res.end('and the rest\n'));
      return;
    }
    if (q.url === '/big') {
      // 8 MiB in 64 KiB writes, with the origin's own back-pressure
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const more = () => {
        while (i < 128) {
          const ok = res.write(bigPart(i++));
          if (!ok) return void res.once('drain', more);
        }
        res.end();
      };
      more();
      return;
    }
    if (q.url === '/dies') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(TEXT.length * 2) });
      res.write(TEXT);
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(TEXT.length), etag: '"e1"' });
    res.end(TEXT);
  });
  h2up = createH2Server((_q, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write(TEXT.slice(0, 100));
    res.end(TEXT.slice(100));
  });
  await new Promise<void>((r) => h2up.listen(0, '127.0.0.1', r));
  const h2upPort = (h2up.address() as { port: number }).port;
  [port, h2port, promPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const cfg = `${defaults('', 'stdout format raw local0')}frontend fe
  bind 127.0.0.1:${port}
  bind 127.0.0.1:${h2port} proto h2
  compression algo gzip br
  compression type text/plain
  use_backend be_h2 if { path /h2 }
  default_backend be
frontend prom
  bind 127.0.0.1:${promPort}
  http-request use-service prometheus-exporter if { path /metrics }
backend be
  server s 127.0.0.1:${up.port}
backend be_h2
  server s 127.0.0.1:${h2upPort} proto h2
`;
  px = await startProxy(['-f', writeFile(tmp.dir, 'sy.cfg', cfg)]);
});

after(async () => {
  await px?.stop();
  await up?.close();
  await new Promise((r) => h2up?.close(r));
  tmp.cleanup();
});

test('a slow origin: the client decodes the first chunk before the origin ends', async () => {
  const decoded: Buffer[] = [];
  let headers: Record<string, unknown> = {};
  const done = new Promise<string>((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: '/slow', headers: { 'accept-encoding': 'gzip' }, agent: false });
    r.on('response', (res) => {
      headers = res.headers;
      const gunzip = zlib.createGunzip();
      res.pipe(gunzip);
      gunzip.on('data', (d: Buffer) => decoded.push(d));
      gunzip.on('end', () => resolve(Buffer.concat(decoded).toString()));
      gunzip.on('error', reject);
    });
    r.on('error', reject);
    r.end();
  });
  // the origin has not ended: what the client decoded came through the compressor as it arrived
  await until(
    () => Buffer.concat(decoded).toString() === 'first part of a slow answer\n',
    20000,
    'first chunk decoded',
  );
  assert.equal(headers['content-encoding'], 'gzip');
  assert.equal(headers['transfer-encoding'], 'chunked');
  assert.equal(headers['content-length'], undefined);
  release();
  assert.equal(await done, 'first part of a slow answer\nand the rest\n');
});

test('8 MiB through gzip to a client that pauses: every byte arrives, in order', async () => {
  const expected = createHash('sha256');
  for (let i = 0; i < 128; i++) expected.update(bigPart(i));
  const got = await new Promise<{ len: number; sha: string }>((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: '/big', headers: { 'accept-encoding': 'gzip' }, agent: false });
    r.on('response', (res) => {
      assert.equal(res.headers['content-encoding'], 'gzip');
      const gunzip = zlib.createGunzip();
      const h = createHash('sha256');
      let len = 0;
      let seen = 0;
      res.on('data', (d: Buffer) => {
        seen += d.length;
        // a slow reader: the proxy's socket fills and the compressor must wait
        if (seen > 64 * 1024) {
          seen = 0;
          res.pause();
          setTimeout(() => res.resume(), 5);
        }
      });
      res.pipe(gunzip);
      gunzip.on('data', (d: Buffer) => {
        len += d.length;
        h.update(d);
      });
      gunzip.on('end', () => resolve({ len, sha: h.digest('hex') }));
      gunzip.on('error', reject);
    });
    r.on('error', reject);
    r.end();
  });
  assert.deepEqual(got, { len: 128 * 65536, sha: expected.digest('hex') });
});

function h2get(ae: string, path = '/'): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  const c = h2connect(`http://127.0.0.1:${h2port}`);
  return new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const s = c.request({ ':path': path, 'accept-encoding': ae });
    const chunks: Buffer[] = [];
    let headers: Record<string, unknown> = {};
    s.on('response', (h) => {
      headers = h;
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve({ headers, body: Buffer.concat(chunks) }));
    s.on('error', reject);
    s.end();
  }).finally(() => c.close());
}

test('HTTP/2 clients: gzip and br through the same filter', async () => {
  const gz = await h2get('gzip, br;q=0.5');
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers.vary, 'Accept-Encoding');
  assert.equal(gz.headers.etag, 'W/"e1"');
  assert.equal(gz.headers['content-length'], undefined);
  assert.equal(zlib.gunzipSync(gz.body).toString(), TEXT);
  const br = await h2get('gzip;q=0.5, br');
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(zlib.brotliDecompressSync(br.body).toString(), TEXT);
  assert.ok(br.body.length < TEXT.length / 10, `br: ${br.body.length} bytes`);
});

test('an HTTP/2 server answering without Content-Length: compressed for both client protocols', async () => {
  const viaH2 = await h2get('gzip', '/h2');
  assert.equal(viaH2.headers['content-encoding'], 'gzip');
  assert.equal(zlib.gunzipSync(viaH2.body).toString(), TEXT);
  const viaH1 = await new Promise<{ enc: unknown; body: Buffer }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/h2', headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ enc: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
  assert.equal(viaH1.enc, 'gzip');
  assert.equal(zlib.gunzipSync(viaH1.body).toString(), TEXT);
});

test('a server dying mid-body cuts only that compressed response; the comp counters are exported', async () => {
  const cut = await new Promise<string>((resolve) => {
    const r = request({ host: '127.0.0.1', port, path: '/dies', headers: { 'accept-encoding': 'gzip' }, agent: false });
    r.on('response', (res) => {
      res.on('data', () => {});
      res.on('error', () => resolve('cut'));
      res.on('aborted', () => resolve('cut'));
      res.on('end', () => resolve(res.complete ? 'complete' : 'cut'));
    });
    r.on('error', () => resolve('cut'));
    r.end();
  });
  assert.equal(cut, 'cut');
  const next = await h2get('gzip');
  assert.equal(zlib.gunzipSync(next.body).toString(), TEXT);
  const metrics = async () =>
    new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port: promPort, path: '/metrics', agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => {
          b += d;
        });
        res.on('end', () => resolve(b));
      })
        .on('error', reject)
        .end();
    });
  const m = await metrics();
  const value = (name: string, labels: string) =>
    Number(new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(m)?.[1] ?? Number.NaN);
  assert.ok(value('haproxy_frontend_http_comp_bytes_in_total', 'proxy="fe"') >= TEXT.length * 3, m);
  assert.ok(value('haproxy_frontend_http_comp_bytes_out_total', 'proxy="fe"') > 0);
  assert.ok(value('haproxy_backend_http_comp_responses_total', 'proxy="be"') >= 3);
  assert.equal(value('haproxy_backend_server_aborts_total', 'proxy="be"'), 1);
});
