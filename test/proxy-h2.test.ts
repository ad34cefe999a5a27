/**
 * HTTP/2 from clients (the h2 front): ALPN on `bind ... ssl alpn h2,http/1.1`, cleartext prior
 * knowledge on `bind ... proto h2`, the same stream and analyzers as HTTP/1 (fetches, rules,
 * redirects, stats, logs, shared server pools), bodies both ways with flow control, HEAD/204/304,
 * `tune.h2.*`, keep-alive timeout and GOAWAY on stop, hostile frames written by hand, curl,
 * nghttp and h2load as real clients, and haproxy 2.6 on the same config for comparison.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type ClientHttp2Session, connect as h2connect } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeCert } from './helpers/certs.ts';
import {
  BIN,
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
import { waitForPort } from './helpers/servers.ts';
import { needs } from './helpers/system.ts';

const skip = needs('openssl', 'curl', 'h2load', 'nghttp');
const tmp = tempDir();
let up: Upstream;
let px: ProxyProcess;
let tlsPort: number;
let h2cPort: number;
let h1Port: number;
let plainTlsPort: number;
let pem: string;

/** The upstream echoes what it saw in response headers; /big is 5 MB, /slow answers after 700 ms. */
async function origin(name: string): Promise<Upstream> {
  return startUpstream(name, (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
    });
    req.on('end', () => {
      const h = req.headers;
      const seen = {
        'x-seen-host': h.host ?? '',
        'x-seen-alpn': String(h['x-alpn'] ?? ''),
        'x-seen-ver': String(h['x-ver'] ?? ''),
        'x-seen-cookie': h.cookie ?? '',
        'x-seen-len': String(n),
        'x-seen-te': String(h['transfer-encoding'] ?? ''),
        'x-upstream': name,
      };
      const u = req.url ?? '/';
      if (u === '/big') {
        res.writeHead(200, { ...seen, 'content-length': String(5_000_000) });
        res.end(Buffer.alloc(5_000_000, 97));
      } else if (u === '/stream') {
        // no content-length, written in pieces: chunked from the server
        res.writeHead(200, seen);
        let i = 0;
        const t = setInterval(() => {
          res.write(`part${i}\n`);
          if (++i === 5) {
            clearInterval(t);
            res.end();
          }
        }, 10);
      } else if (u === '/204') {
        res.writeHead(204, seen);
        res.end();
      } else if (u === '/304') {
        res.writeHead(304, { ...seen, etag: '"x"' });
        res.end();
      } else if (u === '/slow') {
        setTimeout(() => {
          res.writeHead(200, seen);
          res.end('slow done\n');
        }, 700);
      } else {
        res.writeHead(200, { ...seen, 'content-type': 'text/plain', connection: 'keep-alive' });
        res.end(`${name} ${req.method} ${u}\n`);
      }
    });
  });
}

function frontendLines(opts: { tlsPort: number; h2cPort: number; h1Port: number; plainTlsPort: number }): string {
  return `frontend fe
  bind 127.0.0.1:${opts.tlsPort} ssl crt ${pem} alpn h2,http/1.1
  bind 127.0.0.1:${opts.h2cPort} proto h2
  bind 127.0.0.1:${opts.h1Port}
  bind 127.0.0.1:${opts.plainTlsPort} ssl crt ${pem}
  log-format "%HM %HU %HV %ST fe=%f srv=%s"
  http-request set-header x-alpn %[ssl_fc_alpn]
  http-request set-header x-ver %[req.ver]
  http-request deny deny_status 403 if { req.hdr(x-evil) -m found }
  http-request redirect location /elsewhere if { path /redir }
  http-request return status 200 content-type text/plain string "host-ok" if { hdr(host) -i h2.example:${opts.h2cPort} }
  http-response set-header x-resp-rule yes
  stats enable
  stats uri /stats
  default_backend be
backend be
  server s1 127.0.0.1:${up.port}
`;
}

before(async () => {
  if (skip) return;
  const certs = join(tmp.dir, 'certs');
  mkdirSync(certs);
  pem = makeCert(certs, 'h2.example', tmp.dir).pem;
  up = await origin('up');
  tlsPort = await freePort();
  h2cPort = await freePort();
  h1Port = await freePort();
  plainTlsPort = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'h2.cfg',
    `${defaults('  timeout http-keep-alive 10s')}${frontendLines({ tlsPort, h2cPort, h1Port, plainTlsPort })}`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  await up?.close();
  tmp.cleanup();
});

function sh(cmd: string, args: string[], input?: Buffer): Promise<{ out: string; err: string; code: number }> {
  return new Promise((resolve) => {
    const p = execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'latin1' }, (e, out, err) =>
      resolve({ out, err, code: e ? ((e as { code?: number }).code ?? 1) : 0 }),
    );
    if (input) p.stdin?.end(input);
  });
}

/** curl -i: [http_version, status, headers (lower-case), body]. */
async function curl(args: string[], input?: Buffer) {
  const r = await sh('curl', ['-sk', '-i', '-w', '\n@@%{http_version}', ...args], input);
  const at = r.out.lastIndexOf('\n@@');
  const version = r.out.slice(at + 3);
  const text = r.out.slice(0, at);
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of head.slice(1)) {
    const c = l.indexOf(':');
    headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
  }
  return { version, status: Number(head[0].split(' ')[1]), headers, body: text.slice(split + 4), err: r.err };
}

describe('HTTP/2 client side', { skip }, () => {
  test('TLS ALPN h2: fetches, rules and Host from :authority, cookies joined, logged as HTTP/2.0', async () => {
    const r = await curl(['--http2', `https://127.0.0.1:${tlsPort}/a?q=1`, '-H', 'cookie: a=1', '-H', 'cookie: b=2']);
    assert.equal(r.version, '2');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-seen-host'], `127.0.0.1:${tlsPort}`);
    assert.equal(r.headers['x-seen-alpn'], 'h2');
    assert.equal(r.headers['x-seen-ver'], '2.0');
    assert.equal(r.headers['x-seen-cookie'], 'a=1; b=2');
    assert.equal(r.headers['x-resp-rule'], 'yes');
    // the server's `connection: keep-alive` is not carried over HTTP/2
    assert.equal(r.headers.connection, undefined);
    assert.equal(r.body, 'up GET /a?q=1\n');
    await px.waitFor(`GET https://127.0.0.1:${tlsPort}/a?q=1 HTTP/2.0 200 fe=fe srv=s1`, 5000, 'stdout');
    // the same URL over HTTP/1.1 on the same bind (ALPN http/1.1)
    const h1 = await curl(['--http1.1', `https://127.0.0.1:${tlsPort}/b`]);
    assert.equal(h1.version, '1.1');
    assert.equal(h1.headers['x-seen-alpn'], 'http/1.1');
    assert.equal(h1.headers['x-seen-ver'], '1.1');
    await px.waitFor('GET /b HTTP/1.1 200 fe=fe srv=s1', 5000, 'stdout');
  });

  test('a TLS bind without alpn stays HTTP/1.1; a plain bind is HTTP/1.1', async () => {
    const r = await curl(['--http2', `https://127.0.0.1:${plainTlsPort}/c`]);
    assert.equal(r.version, '1.1');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-seen-alpn'], '');
    const p = await curl(['--http2', `http://127.0.0.1:${h1Port}/c`]);
    assert.equal(p.version, '1.1');
  });

  test('proto h2: prior knowledge, deny, redirect, return on hdr(host) from :authority, stats page', async () => {
    const base = `http://127.0.0.1:${h2cPort}`;
    const ok = await curl(['--http2-prior-knowledge', `${base}/x`]);
    assert.equal(ok.version, '2');
    assert.equal(ok.headers['x-seen-ver'], '2.0');
    assert.equal(ok.headers['x-seen-alpn'], '');
    const denied = await curl(['--http2-prior-knowledge', '-H', 'x-evil: 1', `${base}/x`]);
    assert.equal(denied.status, 403);
    const redir = await curl(['--http2-prior-knowledge', `${base}/redir`]);
    assert.equal(redir.status, 302);
    assert.equal(redir.headers.location, '/elsewhere');
    const ret = await curl([
      '--http2-prior-knowledge',
      '--connect-to',
      `h2.example:${h2cPort}:127.0.0.1:${h2cPort}`,
      `http://h2.example:${h2cPort}/any`,
    ]);
    assert.equal(ret.status, 200);
    assert.equal(ret.body, 'host-ok');
    const stats = await curl(['--http2-prior-knowledge', `${base}/stats;csv`]);
    assert.equal(stats.status, 200);
    assert.match(stats.body, /^# pxname,svname/);
    await px.waitFor(`GET http://127.0.0.1:${h2cPort}/stats;csv HTTP/2.0 200 fe=fe srv=<STATS>`, 5000, 'stdout');
  });

  test('request body without content-length (3 MB upload) and a 5 MB response through flow control', async () => {
    const body = Buffer.alloc(3_000_000, 98);
    const r = await curl(
      ['--http2-prior-knowledge', '-T', '-', '-X', 'POST', `http://127.0.0.1:${h2cPort}/upload`],
      body,
    );
    assert.equal(r.status, 200, r.err);
    assert.equal(r.headers['x-seen-len'], '3000000');
    // forwarded to the HTTP/1.1 server chunked
    assert.equal(r.headers['x-seen-te'], 'chunked');
    const big = await sh('curl', ['-sk', '--http2', '-o', '-', `https://127.0.0.1:${tlsPort}/big`]);
    assert.equal(big.out.length, 5_000_000);
    const streamed = await curl(['--http2-prior-knowledge', `http://127.0.0.1:${h2cPort}/stream`]);
    assert.equal(streamed.body, 'part0\npart1\npart2\npart3\npart4\n');
  });

  test('HEAD, 204 and 304 end with their HEADERS frame', async () => {
    const c = h2connect(`http://127.0.0.1:${h2cPort}`);
    try {
      for (const [method, path, status] of [
        ['HEAD', '/a', 200],
        ['GET', '/204', 204],
        ['GET', '/304', 304],
      ] as const) {
        const r = await h2get(c, { ':method': method, ':path': path });
        assert.equal(r.status, status, `${method} ${path}`);
        assert.equal(r.body.length, 0, `${method} ${path}`);
      }
    } finally {
      c.close();
    }
  });

  test('h1 and h2 clients share the server connections of the backend', async () => {
    const before = up.connections;
    // sequential requests: each finds the previous one's idle server connection
    for (let i = 0; i < 3; i++) await curl(['--http2-prior-knowledge', `http://127.0.0.1:${h2cPort}/seq`]);
    for (let i = 0; i < 3; i++) await curl([`http://127.0.0.1:${h1Port}/seq`]);
    assert.ok(up.connections - before <= 1, `${up.connections - before} new server connections for 6 requests`);
  });

  test('h2load -c 10 -m 10: every request succeeds over TLS and cleartext, counted in the stats', async () => {
    for (const url of [`https://127.0.0.1:${tlsPort}/load`, `http://127.0.0.1:${h2cPort}/load`]) {
      const r = await sh('h2load', ['-c', '10', '-m', '10', '-n', '2000', url]);
      assert.match(r.out, /2000 succeeded, 0 failed, 0 errored/, r.out);
      assert.match(r.out, /status codes: 2000 2xx/, r.out);
      assert.match(r.out, /Application protocol: h2/, r.out);
    }
    const csv = await curl([`http://127.0.0.1:${h1Port}/stats;csv`]);
    const s1 = csv.body.split('\n').find((l) => l.startsWith('be,s1,')) as string;
    // column 8 is stot: at least the 4000 h2load requests went to s1
    assert.ok(Number(s1.split(',')[7]) >= 4000, s1);
  });

  test('nghttp: the response over h2c with its headers', async () => {
    const r = await sh('nghttp', ['-v', `http://127.0.0.1:${h2cPort}/ng`]);
    assert.match(r.out, /:status: 200/);
    assert.match(r.out, /x-seen-ver: 2\.0/);
    assert.match(r.out, /up GET \/ng/);
  });
});

// ---- hostile input, frames written by hand ------------------------------------------------------

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const DATA = 0;
const HEADERS = 1;
const RST_STREAM = 3;
const SETTINGS = 4;
const PING = 6;
const GOAWAY = 7;
const END_STREAM = 1;
const END_HEADERS = 4;

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** HPACK integer with a 7-bit prefix. */
function hpackInt(n: number): number[] {
  if (n < 127) return [n];
  const out = [127];
  n -= 127;
  while (n >= 128) {
    out.push((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A header block of literals without indexing (no Huffman). */
function block(fields: Array<[string, string]>): Buffer {
  const parts: number[] = [];
  for (const [n, v] of fields) {
    parts.push(
      0,
      ...hpackInt(n.length),
      ...Buffer.from(n, 'latin1'),
      ...hpackInt(v.length),
      ...Buffer.from(v, 'latin1'),
    );
  }
  return Buffer.from(parts);
}

function request(path: string, extra: Array<[string, string]> = [], method = 'GET'): Buffer {
  return block([[':method', method], [':scheme', 'http'], [':path', path], [':authority', 'raw.test'], ...extra]);
}

interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** A raw connection: writes bytes, collects the frames the proxy sends. */
class RawH2 {
  readonly sock: Socket;
  readonly frames: Frame[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private seenPreface = false;

  constructor(port: number) {
    this.sock = netConnect(port, '127.0.0.1');
    this.sock.on('error', () => {});
    this.sock.on('close', () => {
      this.closed = true;
    });
    this.sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 9) {
        const len = this.buf.readUIntBE(0, 3);
        if (this.buf.length < 9 + len) break;
        const f = {
          type: this.buf[3],
          flags: this.buf[4],
          stream: this.buf.readUInt32BE(5) & 0x7fffffff,
          payload: this.buf.subarray(9, 9 + len),
        };
        this.buf = this.buf.subarray(9 + len);
        this.frames.push(f);
        // ack the server's SETTINGS so it considers the connection established
        if (f.type === SETTINGS && (f.flags & 1) === 0 && !this.sock.destroyed) this.sock.write(frame(SETTINGS, 1, 0));
      }
    });
  }

  open(): void {
    if (this.seenPreface) return;
    this.seenPreface = true;
    this.sock.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0)]));
  }

  write(b: Buffer): void {
    if (!this.sock.destroyed) this.sock.write(b);
  }

  goaway(): Frame | undefined {
    return this.frames.find((f) => f.type === GOAWAY);
  }

  rst(stream: number): Frame | undefined {
    return this.frames.find((f) => f.type === RST_STREAM && f.stream === stream);
  }

  headers(stream: number): Frame | undefined {
    return this.frames.find((f) => f.type === HEADERS && f.stream === stream);
  }

  close(): void {
    this.sock.destroy();
  }
}

function code(f: Frame | undefined, at: number): number | undefined {
  return f?.payload.readUInt32BE(at);
}

/** One request with node's http2 client on an open session. */
function h2get(
  c: ClientHttp2Session,
  headers: Record<string, string>,
): Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const r = c.request(headers, { endStream: true });
    const chunks: Buffer[] = [];
    let status = 0;
    let h: Record<string, unknown> = {};
    r.on('response', (x) => {
      status = Number(x[':status']);
      h = x;
    });
    r.on('data', (d: Buffer) => chunks.push(d));
    r.on('end', () => resolve({ status, body: Buffer.concat(chunks), headers: h }));
    r.on('error', reject);
  });
}

describe('HTTP/2 hostile input', { skip }, () => {
  let hx: ProxyProcess;
  let port: number;
  let slow: Upstream;

  before(async () => {
    if (skip) return;
    slow = await origin('slow');
    port = await freePort();
    const cfg = writeFile(
      tmp.dir,
      'hostile.cfg',
      `${defaults('  timeout http-keep-alive 10s')}global
  tune.h2.max-concurrent-streams 4
frontend fe
  bind 127.0.0.1:${port} proto h2
  default_backend be
backend be
  server s1 127.0.0.1:${slow.port}
`,
    );
    hx = await startProxy(['-f', cfg]);
  });

  after(async () => {
    await hx?.stop();
    await slow?.close();
  });

  async function stillServing(): Promise<void> {
    const r = await curl(['--http2-prior-knowledge', `http://127.0.0.1:${port}/alive`]);
    assert.equal(r.status, 200);
    assert.equal(hx.proc.exitCode, null);
  }

  test('SETTINGS announce tune.h2.* (max-concurrent-streams 4, haproxy defaults elsewhere)', async () => {
    const c = new RawH2(port);
    c.open();
    await until(() => c.frames.some((f) => f.type === SETTINGS && (f.flags & 1) === 0), 5000, 'server SETTINGS');
    const s = c.frames.find((f) => f.type === SETTINGS && (f.flags & 1) === 0) as Frame;
    const settings = new Map<number, number>();
    for (let i = 0; i + 6 <= s.payload.length; i += 6)
      settings.set(s.payload.readUInt16BE(i), s.payload.readUInt32BE(i + 2));
    assert.equal(settings.get(3), 4, 'MAX_CONCURRENT_STREAMS');
    // 4096 header table, 65535 window and 16384 frame size are the RFC defaults: may be omitted
    for (const [id, v] of [
      [1, 4096],
      [4, 65535],
      [5, 16384],
    ])
      assert.ok(!settings.has(id) || settings.get(id) === v, `setting ${id} = ${settings.get(id)}`);
    assert.equal(settings.get(2) ?? 0, 0, 'ENABLE_PUSH off');
    c.close();
  });

  test('an invalid frame (PING on a stream) is a connection error: GOAWAY PROTOCOL_ERROR', async () => {
    const c = new RawH2(port);
    c.open();
    c.write(frame(PING, 0, 1, Buffer.alloc(8)));
    await until(() => c.goaway() !== undefined, 5000, 'GOAWAY');
    assert.equal(code(c.goaway(), 4), 1);
    c.close();
    await stillServing();
  });

  test('connection-specific and uppercase fields, content-length against DATA: RST_STREAM PROTOCOL_ERROR', async () => {
    const c = new RawH2(port);
    c.open();
    c.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, request('/conn', [['connection', 'keep-alive']])));
    c.write(frame(HEADERS, END_STREAM | END_HEADERS, 3, request('/te', [['transfer-encoding', 'chunked']])));
    c.write(frame(HEADERS, END_STREAM | END_HEADERS, 5, request('/upper', [['X-Upper', '1']])));
    c.write(frame(HEADERS, END_HEADERS, 7, request('/cl', [['content-length', '10']], 'POST')));
    c.write(frame(DATA, END_STREAM, 7, Buffer.from('abc')));
    await until(() => [1, 3, 5, 7].every((s) => c.rst(s) !== undefined), 5000, 'RSTs');
    // a good stream on the same connection still works
    c.write(frame(HEADERS, END_STREAM | END_HEADERS, 9, request('/good')));
    await until(() => c.headers(9) !== undefined, 5000, 'the good stream');
    for (const s of [1, 3, 5, 7]) assert.equal(code(c.rst(s), 0), 1, `stream ${s}`);
    assert.equal(c.goaway(), undefined);
    // the refused heads never reach the server (the /cl one does: its body is cut after the head went)
    assert.equal(slow.requests.filter((r) => ['/conn', '/te', '/upper'].includes(r.url)).length, 0);
    c.close();
    await stillServing();
  });

  test('rapid reset (HEADERS then RST_STREAM, 3000 times) and a PING flood: bounded, others unaffected', async () => {
    const c = new RawH2(port);
    c.open();
    const parts: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const id = 1 + 2 * i;
      parts.push(frame(HEADERS, END_STREAM | END_HEADERS, id, request('/rr')));
      parts.push(frame(RST_STREAM, 0, id, Buffer.from([0, 0, 0, 8])));
    }
    for (let i = 0; i < 20000; i++) parts.push(frame(PING, 0, 0, Buffer.alloc(8)));
    c.write(Buffer.concat(parts));
    await until(() => c.closed || c.goaway() !== undefined, 10000, 'the flood ends');
    c.close();
    // at most a handful of the reset streams reached the server
    assert.ok(slow.requests.filter((r) => r.url === '/rr').length < 3000);
    await stillServing();
  });

  test('an oversized header list (20 KB > tune.bufsize) is refused, the connection or proxy goes on', async () => {
    const c = new RawH2(port);
    c.open();
    c.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, request('/huge', [['x-big', 'a'.repeat(20000)]])));
    c.write(frame(HEADERS, END_STREAM | END_HEADERS, 3, request('/after')));
    await until(
      () => c.rst(1) !== undefined || c.goaway() !== undefined || c.headers(1) !== undefined,
      5000,
      'refusal',
    );
    const h = c.headers(1);
    // refused without reaching the server: RST_STREAM, GOAWAY, or a 431 from nghttp2
    assert.equal(slow.requests.filter((r) => r.url === '/huge').length, 0);
    if (h !== undefined) assert.ok(h.payload.length > 0);
    c.close();
    await stillServing();
  });

  /** The proxy's resident memory (MiB), from /proc. */
  function rssMiB(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${hx.proc.pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0) / 1024;
  }

  test('an HPACK bomb (one 4 KB table entry referenced 2000 times: 8 MB decoded) is refused, memory bounded', async () => {
    const before = rssMiB();
    const c = new RawH2(port);
    c.open();
    // literal with incremental indexing (entry 62), then 2000 one-byte references to it
    const entry = Buffer.from([0x40, 6, ...Buffer.from('x-bomb'), ...hpackInt(4000), ...Buffer.alloc(4000, 98)]);
    const refs = Buffer.alloc(2000, 0x80 | 62);
    const head = Buffer.concat([request('/bomb'), entry, refs]);
    c.write(frame(HEADERS, END_STREAM | END_HEADERS, 1, head));
    await until(
      () => c.rst(1) !== undefined || c.goaway() !== undefined || c.headers(1) !== undefined,
      5000,
      'refusal',
    );
    const h = c.headers(1);
    // refused (RST_STREAM, GOAWAY, or nghttp2's 431) without reaching the server
    if (h !== undefined) assert.ok(h.payload.length > 0);
    assert.equal(slow.requests.filter((r) => r.url === '/bomb').length, 0);
    c.close();
    assert.ok(rssMiB() - before < 64, `RSS grew from ${before} to ${rssMiB()} MiB`);
    await stillServing();
  });

  test('a SETTINGS flood from a client that does not read the ACKs: bounded, others unaffected', async () => {
    const before = rssMiB();
    const c = new RawH2(port);
    c.open();
    c.sock.pause();
    const one = frame(SETTINGS, 0, 0, Buffer.from([0, 4, 0, 1, 0, 0])); // INITIAL_WINDOW_SIZE 65536
    c.write(Buffer.concat(Array.from({ length: 100000 }, () => one)));
    // nghttp2 stops reading once too many ACKs wait (its flood limit): GOAWAY or a closed socket
    await until(() => c.sock.writableLength === 0 || c.closed, 10000, 'the flood is taken or refused');
    await stillServing();
    assert.ok(rssMiB() - before < 64, `RSS grew from ${before} to ${rssMiB()} MiB`);
    c.sock.resume();
    await until(() => c.closed || c.goaway() !== undefined, 10000, 'GOAWAY (ENHANCE_YOUR_CALM) or close');
    const g = c.goaway();
    if (g !== undefined) assert.equal(code(g, 4), 11, 'ENHANCE_YOUR_CALM');
    c.close();
  });

  test('a zero-window client (INITIAL_WINDOW_SIZE 0) asking 4 x 5 MB does not pin the bodies in memory', async () => {
    const before = rssMiB();
    const c = new RawH2(port);
    // the window it announces is 0: nothing of a response body may be sent
    c.sock.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, Buffer.from([0, 4, 0, 0, 0, 0]))]));
    for (let i = 0; i < 4; i++) c.write(frame(HEADERS, END_STREAM | END_HEADERS, 1 + 2 * i, request('/big')));
    await until(() => [1, 3, 5, 7].every((s) => c.headers(s) !== undefined), 10000, 'the response heads');
    // the server side is paused by back-pressure: the 20 MB stay at the origin's side
    await new Promise((r) => setTimeout(r, 500));
    const data = c.frames.filter((f) => f.type === DATA && f.payload.length > 0);
    assert.equal(data.length, 0, 'no DATA within a zero window');
    assert.ok(rssMiB() - before < 16, `RSS grew from ${before} to ${rssMiB()} MiB`);
    await stillServing();
    c.close();
  });

  test('streams over tune.h2.max-concurrent-streams (4) are refused, the others answered', async () => {
    const c = new RawH2(port);
    c.open();
    const ids = [1, 3, 5, 7, 9, 11];
    for (const id of ids) c.write(frame(HEADERS, END_STREAM | END_HEADERS, id, request('/slow')));
    await until(() => ids.every((s) => c.rst(s) !== undefined || c.headers(s) !== undefined), 10000, 'answers');
    const answered = ids.filter((s) => c.headers(s) !== undefined);
    const refused = ids.filter((s) => c.rst(s) !== undefined);
    assert.deepEqual(answered, [1, 3, 5, 7]);
    assert.deepEqual(refused, [9, 11]);
    // REFUSED_STREAM (7) or PROTOCOL_ERROR (1): RFC 9113 5.1.2 allows either
    for (const s of refused)
      assert.ok([1, 7].includes(code(c.rst(s), 0) as number), `stream ${s}: ${code(c.rst(s), 0)}`);
    assert.equal(c.goaway(), undefined);
    c.close();
  });

  test('a CONTINUATION flood without END_HEADERS ends the connection, not the proxy', async () => {
    const c = new RawH2(port);
    c.open();
    const parts: Buffer[] = [frame(HEADERS, 0, 1, request('/cont'))];
    for (let i = 0; i < 2000; i++) parts.push(frame(9, 0, 1, block([[`x-c${i}`, 'v'.repeat(50)]])));
    c.write(Buffer.concat(parts));
    await until(() => c.closed || c.goaway() !== undefined || c.rst(1) !== undefined, 10000, 'refusal');
    c.close();
    await stillServing();
  });
});

// ---- timeouts, stop, config errors ---------------------------------------------------------------

describe('HTTP/2 connection lifetime', { skip }, () => {
  test('timeout http-keep-alive closes an idle h2 connection with GOAWAY; a soft stop (SIGUSR1) lets a stream finish', async () => {
    const slow = await origin('slow');
    const port = await freePort();
    const cfg = writeFile(
      tmp.dir,
      'life.cfg',
      `${defaults('  timeout http-keep-alive 300ms')}frontend fe
  bind 127.0.0.1:${port} proto h2
  default_backend be
backend be
  server s1 127.0.0.1:${slow.port}
`,
    );
    const lp = await startProxy(['-f', cfg]);
    try {
      const c = h2connect(`http://127.0.0.1:${port}`);
      c.on('error', () => {});
      let goaway = -1;
      c.on('goaway', (code) => {
        goaway = code;
      });
      const t0 = Date.now();
      const r = await h2get(c, { ':path': '/first' });
      assert.equal(r.status, 200);
      await until(() => c.closed || c.destroyed, 5000, 'keep-alive timeout');
      const idle = Date.now() - t0;
      assert.equal(goaway, 0);
      assert.ok(idle >= 250 && idle < 3000, `closed after ${idle} ms`);

      // soft stop while a stream is in flight: GOAWAY, the stream completes, then the proxy exits
      // (SIGTERM is haproxy's hard stop, which cuts it: test/proxy-lifecycle)
      const c2 = h2connect(`http://127.0.0.1:${port}`);
      c2.on('error', () => {});
      let goaway2 = -1;
      c2.on('goaway', (code) => {
        goaway2 = code;
      });
      const pending = h2get(c2, { ':path': '/slow' });
      await until(() => slow.requests.some((q) => q.url === '/slow'), 5000, 'slow request at the server');
      const exit = lp.stop('SIGUSR1');
      const done = await pending;
      assert.equal(done.status, 200);
      assert.equal(done.body.toString(), 'slow done\n');
      assert.equal(goaway2, 0);
      assert.equal(await exit, 0);
    } finally {
      await lp.stop();
      await slow.close();
    }
  });

  test('config errors name FILE:LINE: unknown proto, tune.h2 out of range, proto h2 on mode tcp', async () => {
    const bad = [
      [
        'frontend fe\n  bind 127.0.0.1:1 proto h3\n  default_backend be\nbackend be\n  server s 127.0.0.1:2\n',
        ':2:',
        /unknown MUX protocol 'h3'/,
      ],
      ['global\n  tune.h2.max-frame-size 100\n', ':2:', /tune\.h2\.max-frame-size/],
      ['global\n  tune.h2.header-table-size 100000\n', ':2:', /tune\.h2\.header-table-size/],
      [
        'frontend fe\n  mode tcp\n  bind 127.0.0.1:1 proto h2\n  default_backend be\nbackend be\n  mode tcp\n  server s 127.0.0.1:2\n',
        ':3:',
        /MUX protocol 'h2' is not usable on a 'mode tcp' frontend/,
      ],
    ] as const;
    for (const [text, where, msg] of bad) {
      const f = join(tmp.dir, `bad${Math.random().toString(36).slice(2)}.cfg`);
      writeFileSync(
        f,
        `defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n${text}`,
      );
      const r = await sh(process.execPath, [BIN, '-c', '-f', f]);
      const lineNo = Number(where.slice(1, -1)) + 5;
      assert.notEqual(r.code, 0, text);
      assert.match(r.err + r.out, new RegExp(`${f.replace(/[.]/g, '\\.')}:${lineNo}`), r.err + r.out);
      assert.match(r.err + r.out, msg);
    }
  });
});

// ---- differential: haproxy 2.6 on the same frontend --------------------------------------------

test('haproxy 2.6 on the same config: same statuses, same Host and req.ver at the server, same %HV', {
  skip: skip || needs('haproxy'),
}, async () => {
  const ports = {
    tlsPort: await freePort(),
    h2cPort: await freePort(),
    h1Port: await freePort(),
    plainTlsPort: await freePort(),
  };
  const cfg = writeFile(
    tmp.dir,
    'hp.cfg',
    `global
  log stdout format raw local0
defaults
  mode http
  log global
  timeout connect 2s
  timeout client 10s
  timeout server 10s
${frontendLines(ports)}`,
  );
  let out = '';
  const hp: ChildProcess = spawn('haproxy', ['-db', '-dR', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  hp.stdout?.on('data', (d) => {
    out += d;
  });
  hp.stderr?.on('data', (d) => {
    out += d;
  });
  try {
    await waitForPort(ports.h2cPort, 10000, hp);
    await waitForPort(ports.tlsPort, 10000, hp);
    const cases: Array<[string, string[]]> = [
      ['tls h2', ['--http2', `https://127.0.0.1:PORT_TLS/d?x=1`]],
      ['h2c', ['--http2-prior-knowledge', `http://127.0.0.1:PORT_H2C/d`]],
      ['h2c deny', ['--http2-prior-knowledge', '-H', 'x-evil: 1', `http://127.0.0.1:PORT_H2C/d`]],
      ['h2c redirect', ['--http2-prior-knowledge', `http://127.0.0.1:PORT_H2C/redir`]],
      ['h2c 204', ['--http2-prior-knowledge', `http://127.0.0.1:PORT_H2C/204`]],
      ['tls h1', ['--http1.1', `https://127.0.0.1:PORT_TLS/d`]],
      ['no alpn', ['--http2', `https://127.0.0.1:PORT_PLAIN/d`]],
    ];
    const mine = { PORT_TLS: tlsPort, PORT_H2C: h2cPort, PORT_PLAIN: plainTlsPort };
    const theirs = { PORT_TLS: ports.tlsPort, PORT_H2C: ports.h2cPort, PORT_PLAIN: ports.plainTlsPort };
    const fill = (a: string[], p: Record<string, number>) =>
      a.map((s) => s.replace(/PORT_[A-Z0-9]+/, (k) => String(p[k])));
    for (const [what, args] of cases) {
      const a = await curl(fill(args, mine));
      const b = await curl(fill(args, theirs));
      assert.equal(a.version, b.version, `${what}: version`);
      assert.equal(a.status, b.status, `${what}: status`);
      for (const h of ['x-seen-alpn', 'x-seen-ver', 'x-resp-rule', 'location', 'connection'])
        assert.equal(a.headers[h], b.headers[h], `${what}: ${h}`);
      // Host as the server saw it: :authority, with each proxy's own port
      assert.equal(
        a.headers['x-seen-host']?.replace(/:\d+$/, ''),
        b.headers['x-seen-host']?.replace(/:\d+$/, ''),
        `${what}: host`,
      );
    }
    await until(
      () => out.includes(`GET https://127.0.0.1:${ports.tlsPort}/d?x=1 HTTP/2.0 200 fe=fe srv=s1`),
      5000,
      `haproxy log line:\n${out}`,
    );
    // %HU of an HTTP/2 request is its absolute form, as haproxy writes it
    await px.waitFor(`GET https://127.0.0.1:${tlsPort}/d?x=1 HTTP/2.0 200 fe=fe srv=s1`, 5000, 'stdout');
  } finally {
    hp.kill('SIGKILL');
  }
});
