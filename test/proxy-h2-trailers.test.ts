/**
 * Trailers end to end, HTTP/2 on a TLS bind without ALPN, and the bytes counted per HTTP/2
 * stream, each beside Debian's haproxy 2.6 on the same configuration:
 * - request trailers from a chunked HTTP/1.1 client and from an HTTP/2 client reach an HTTP/1
 *   server (last chunk) and an h2c server (trailing HEADERS);
 * - response trailers of a chunked HTTP/1 server and of an h2c server reach HTTP/2 clients
 *   (with or without `te: trailers`) and HTTP/1.1 clients (last chunk);
 * - a client sending the h2 preface on a TLS bind where ALPN chose nothing speaks HTTP/2;
 * - `%U`/`%B` of an HTTP/2 stream and the stats' bytes out of a stats page served over h2.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer as createH1Server, type Server } from 'node:http';
import { createServer as createH2Server, type Http2Server, connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeCert } from './helpers/certs.ts';
import { freePort, tempDir, until } from './helpers/proxy.ts';
import { type SideBySide, startSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

const skip = needs('haproxy', 'curl', 'openssl');
const tmp = tempDir();
let h1: Server;
let h2: Http2Server;
let pair: SideBySide;
/** Ports of each side: HTTP/1 bind, h2c bind, TLS bind without alpn. */
const ports = { sy: { h1: 0, h2c: 0, tls: 0 }, hx: { h1: 0, h2c: 0, tls: 0 } };

/** Trailers as a server saw them, by request path. */
const seen = new Map<string, Record<string, string>>();

function flat(raw: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) o[raw[i].toLowerCase()] = raw[i + 1];
  return o;
}

before(async () => {
  if (skip) return;
  // HTTP/1 origin: records request trailers; /chunk answers chunked with a trailer, else a length
  h1 = createH1Server((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.set(`h1 ${req.url}`, flat(req.rawTrailers));
      res.sendDate = false;
      if (req.url?.startsWith('/chunk')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part one,');
        res.addTrailers({ 'x-checksum': 'abc123' });
        res.end(' part two');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '12' });
      res.end('hello world\n');
    });
  });
  // no `Keep-Alive: timeout=` field: Switchyard does not forward it (haproxy does, and counts it)
  h1.keepAliveTimeout = 0;
  await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
  // h2c origin: records request trailers, answers with grpc-status in its trailers
  h2 = createH2Server();
  h2.on('stream', (st, headers) => {
    st.on('error', () => {});
    const path = String(headers[':path']);
    let t: Record<string, string> = {};
    st.on('trailers', (_h: unknown, _f: unknown, raw: string[]) => {
      t = flat(raw);
    });
    st.resume();
    st.on('end', () => {
      seen.set(`h2 ${path}`, t);
      st.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      st.on('wantTrailers', () => st.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }));
      st.end('grpc body');
    });
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
  const h1Port = (h1.address() as { port: number }).port;
  const h2Port = (h2.address() as { port: number }).port;
  const certs = join(tmp.dir, 'certs');
  mkdirSync(certs);
  const pem = makeCert(certs, 'trailers.example', tmp.dir).pem;
  for (const side of ['sy', 'hx'] as const)
    ports[side] = { h1: await freePort(), h2c: await freePort(), tls: await freePort() };
  pair = await startSideBySide(
    tmp.dir,
    (side) => `global
  log stdout format raw local0
${side === 'hx' ? `  stats socket ${tmp.dir}/hx.sock level admin\n` : ''}defaults
  mode http
  log global
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${ports[side].h1}
  bind 127.0.0.1:${ports[side].h2c} proto h2
  bind 127.0.0.1:${ports[side].tls} ssl crt ${pem}
  log-format "LOG %HV %HU %ST U=%U B=%B alpn=%[ssl_fc_alpn]"
  stats enable
  stats uri /stats
  use_backend h2 if { path_beg /h2 }
  default_backend h1
backend h1
  server s1 127.0.0.1:${h1Port}
backend h2
  server s1 127.0.0.1:${h2Port} proto h2
`,
  );
});

after(async () => {
  await pair?.stop();
  h1?.close();
  h2?.close();
  tmp.cleanup();
});

/** Raw bytes to `port`, everything read until the server closes. */
function raw(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
    });
    s.on('error', reject);
    s.on('close', () => resolve(out));
    s.write(data);
  });
}

interface H2Answer {
  status: number;
  body: string;
  trailers?: Record<string, unknown>;
}

/** One HTTP/2 request (node's client) with a body and request trailers. */
function h2post(port: number, path: string, te: boolean): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const c = h2connect(`http://127.0.0.1:${port}`);
    c.on('error', reject);
    const r = c.request(
      { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', ...(te ? { te: 'trailers' } : {}) },
      { waitForTrailers: true },
    );
    r.on('wantTrailers', () => r.sendTrailers({ 'x-req-trailer': 'from-h2' }));
    let status = 0;
    let body = '';
    let trailers: Record<string, unknown> | undefined;
    r.on('response', (h) => {
      status = Number(h[':status']);
    });
    r.on('data', (d: Buffer) => {
      body += d;
    });
    r.on('trailers', (t) => {
      trailers = { ...t };
    });
    r.on('end', () => {
      c.close();
      resolve({ status, body, trailers });
    });
    r.on('error', reject);
    r.end('payload');
  });
}

const CHUNKED_POST = (path: string) =>
  `POST ${path} HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n` +
  '7\r\npayload\r\n0\r\nx-req-trailer: from-h1\r\n\r\n';

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'latin1' }, (_e, out) => resolve(out));
  });
}

describe('trailers, TLS without ALPN, h2 byte counts: switchyard beside haproxy 2.6', { skip }, () => {
  for (const side of ['sy', 'hx'] as const) {
    test(`${side}: request trailers from a chunked HTTP/1.1 client reach HTTP/1 and h2c servers`, async () => {
      const a = await raw(ports[side].h1, CHUNKED_POST(`/len-${side}`));
      assert.match(a, /^HTTP\/1\.1 200/);
      assert.equal(seen.get(`h1 /len-${side}`)?.['x-req-trailer'], 'from-h1');
      const b = await raw(ports[side].h1, CHUNKED_POST(`/h2-${side}`));
      assert.match(b, /^HTTP\/1\.1 200/);
      assert.equal(seen.get(`h2 /h2-${side}`)?.['x-req-trailer'], 'from-h1');
    });

    test(`${side}: request trailers from an HTTP/2 client reach HTTP/1 (chunked) and h2c servers`, async () => {
      const a = await h2post(ports[side].h2c, `/chunk-h2in-${side}`, false);
      assert.equal(a.status, 200);
      assert.equal(seen.get(`h1 /chunk-h2in-${side}`)?.['x-req-trailer'], 'from-h2');
      const b = await h2post(ports[side].h2c, `/h2-h2in-${side}`, true);
      assert.equal(b.status, 200);
      assert.equal(seen.get(`h2 /h2-h2in-${side}`)?.['x-req-trailer'], 'from-h2');
    });

    test(`${side}: response trailers reach HTTP/2 clients, with and without te: trailers`, async () => {
      // chunked HTTP/1 server
      const a = await h2post(ports[side].h2c, '/chunk-resp', false);
      assert.equal(a.body, 'part one, part two');
      assert.equal(a.trailers?.['x-checksum'], 'abc123');
      // h2c server (gRPC shape), te: trailers and without
      for (const te of [true, false]) {
        const b = await h2post(ports[side].h2c, '/h2-resp', te);
        assert.equal(b.body, 'grpc body');
        assert.equal(b.trailers?.['grpc-status'], '0', `te ${te}`);
        assert.equal(b.trailers?.['grpc-message'], 'ok', `te ${te}`);
      }
      // a body with a length has no trailers
      const c = await h2post(ports[side].h2c, '/len-resp', false);
      assert.equal(c.body, 'hello world\n');
      assert.equal(c.trailers, undefined);
    });

    test(`${side}: response trailers reach an HTTP/1.1 client in the last chunk`, async () => {
      for (const path of ['/chunk-h1', '/h2-h1']) {
        const out = await raw(ports[side].h1, `GET ${path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n`);
        assert.match(out, /transfer-encoding: chunked/i, path);
        const want = path === '/chunk-h1' ? /\r\n0\r\nx-checksum: abc123\r\n\r\n$/ : /\r\n0\r\ngrpc-status: 0\r\n/;
        assert.match(out, want, path);
      }
    });

    test(`${side}: the h2 preface on a TLS bind where ALPN chose nothing gets HTTP/2`, async () => {
      const get = (args: string[], path: string) =>
        run('curl', [
          '-sk',
          ...args,
          '-o',
          '/dev/null',
          '-w',
          '%{http_version} %{http_code}',
          `https://127.0.0.1:${ports[side].tls}${path}`,
        ]);
      assert.equal(await get(['--http2-prior-knowledge', '--no-alpn'], '/tls-noalpn'), '2 200');
      // an HTTP/1.1 client of the same bind still gets HTTP/1.1
      assert.equal(await get(['--http1.1'], '/tls-h1'), '1.1 200');
    });
  }

  test('%U and %B of HTTP/2 streams are the ones haproxy 2.6 logs', async () => {
    const logs = { sy: () => pair.sy.stdout(), hx: () => pair.hx.log() };
    const counts: Record<string, string[]> = { sy: [], hx: [] };
    for (const side of ['sy', 'hx'] as const) {
      const h2c = ports[side].h2c;
      const base = `http://127.0.0.1:${h2c}`;
      await run('curl', ['-s', '--http2-prior-knowledge', '-o', '/dev/null', `${base}/bytes-get`]);
      await run('curl', ['-s', '--http2-prior-knowledge', '-o', '/dev/null', '-d', 'abcdefghij', `${base}/bytes-post`]);
      await run('curl', ['-s', '--http2-prior-knowledge', '-o', '/dev/null', '-H', 'x-p: a', `${base}/chunk-bytes`]);
      await h2post(h2c, '/h2-bytes', true);
      for (const p of ['/bytes-get', '/bytes-post', '/chunk-bytes', '/h2-bytes']) {
        const re = new RegExp(`LOG HTTP/2\\.0 \\S+${p} 200 U=(\\d+) B=(\\d+)`);
        await until(() => re.test(logs[side]()), 5000, `${side} log of ${p}:\n${logs[side]()}`);
        const m = re.exec(logs[side]()) as RegExpExecArray;
        counts[side].push(`${p} U=${m[1]} B=${m[2]}`);
      }
    }
    // the URL (absolute form, with each side's port) has the same length on both sides. The
    // chunked response: haproxy also counts the server's `transfer-encoding: chunked` field
    // (24 bytes), which Switchyard's HTTP/2 side never sees (README, Known gaps)
    const adjusted = counts.sy.map((c) =>
      c.startsWith('/chunk-bytes') ? c.replace(/B=(\d+)/, (_m, b: string) => `B=${Number(b) + 24}`) : c,
    );
    assert.deepEqual(adjusted, counts.hx);
  });

  test('a stats page served over HTTP/2 counts its bytes out (logged %B, stats bout)', async () => {
    const base = `http://127.0.0.1:${ports.sy.h2c}`;
    const page = await run('curl', ['-s', '--http2-prior-knowledge', `${base}/stats;csv`]);
    assert.match(page, /^# pxname,svname/);
    await until(() => /LOG HTTP\/2\.0 \S+\/stats;csv 200 U=\d+ B=(\d+)/.test(pair.sy.stdout()), 5000, 'stats log');
    const b = Number(/LOG HTTP\/2\.0 \S+\/stats;csv 200 U=\d+ B=(\d+)/.exec(pair.sy.stdout())?.[1]);
    assert.ok(b > page.length, `B=${b} for a ${page.length}-byte page`);
    // the next CSV shows the frontend's bytes out including that page
    const csv = await run('curl', ['-s', '--http2-prior-knowledge', `${base}/stats;csv`]);
    const cols = csv.split('\n')[0].replace(/^# /, '').split(',');
    const fe = csv.split('\n').find((l) => l.startsWith('fe,FRONTEND,')) as string;
    const bout = Number(fe.split(',')[cols.indexOf('bout')]);
    assert.ok(bout >= b, `frontend bout ${bout} >= ${b}`);
  });
});
