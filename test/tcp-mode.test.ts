/**
 * `mode tcp` through the real `switchyard` process: relay and balancing, a 1 GiB transfer each way
 * with other connections coming and going, half close, timeouts, retries and redispatch,
 * tcp-request connection/content rules, TLS passthrough routed by SNI (curl and openssl as
 * clients), the PROXY protocol both ways against Debian's haproxy, hostile input, the tcplog
 * line and the stats CSV row.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { makeCert } from './helpers/certs.ts';
import {
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
import { findBinary, needs, startHaproxyProcess } from './helpers/system.ts';

const exec = promisify(execFile);
const skip = needs('haproxy', 'openssl', 'curl');
const tmp = tempDir();
const servers: Server[] = [];
let px: ProxyProcess;
let web: Upstream;
let hx: { stop(): Promise<void>; log(): string } | undefined;
const port: Record<string, number> = {};

/** A loopback TCP server (half-open allowed); returns its port. */
async function listen(handler: (s: Socket) => void): Promise<number> {
  const srv = createServer({ allowHalfOpen: true }, handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(srv);
  return (srv.address() as { port: number }).port;
}

/** Echoes every byte, prefixed once by `name:`; passes the client's FIN on. */
function echo(name: string): (s: Socket) => void {
  return (s) => {
    s.write(`${name}:`);
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
    s.on('error', () => {});
  };
}

/** Sends `data` (then FIN) and reads everything until the other side closes. */
function exchange(
  p: number,
  data: string | Buffer,
  opts: { localAddress?: string; ms?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port: p, host: '127.0.0.1', localAddress: opts.localAddress, allowHalfOpen: true });
    let out = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close within ${opts.ms ?? 5000} ms; got ${JSON.stringify(out)}`));
    }, opts.ms ?? 5000);
    s.on('data', (d) => {
      out += d.toString('latin1');
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.end(data);
  });
}

/** Chunk `i` of a deterministic stream: 64 KiB, its index in the first 8 bytes. */
function chunk(seed: number, i: number): Buffer {
  const b = Buffer.alloc(65536, (seed * 31 + i) & 0xff);
  b.writeBigUInt64BE(BigInt(i), 0);
  return b;
}

/** Writes `chunks` chunks to `s` with backpressure; resolves with their sha256. */
async function pump(s: Socket, seed: number, chunks: number): Promise<string> {
  const h = createHash('sha256');
  for (let i = 0; i < chunks; i++) {
    const c = chunk(seed, i);
    h.update(c);
    if (!s.write(c)) await new Promise<void>((r) => s.once('drain', r));
  }
  s.end();
  return h.digest('hex');
}

/** Reads `s` to its end; resolves with the sha256 and byte count of what arrived. */
function drain(s: Socket): Promise<{ hash: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve) => {
    s.on('data', (d: Buffer) => {
      h.update(d);
      bytes += d.length;
    });
    s.on('end', () => resolve({ hash: h.digest('hex'), bytes }));
  });
}

/** `show stat` over the runtime API socket. */
function showStat(p: number): Promise<string> {
  return rawRequest(p, 'show stat\n', 3000);
}

before(async () => {
  if (skip) return;
  port.e1 = await listen(echo('e1'));
  port.e2 = await listen(echo('e2'));
  // a port nothing listens on and no test binds (a free port found now may be taken by another
  // test file running at the same time): tcpmux, privileged and unused here
  port.dead = 1;
  // answers only after the client's FIN (half close), then closes
  port.late = await listen((s) => {
    let got = '';
    s.on('data', (d) => {
      got += d;
    });
    s.on('end', () => s.end(`after-fin:${got}`));
  });
  // silent: never answers
  port.silent = await listen((s) => {
    s.on('error', () => {});
  });
  // bulk: sends 1 GiB while hashing what it receives; then sends the received hash
  port.bulk = await listen((s) => {
    const got = drain(s);
    void pump(s, 7, 16384).then(async (sent) => {
      bulkResults.push({ sent, ...(await got) });
    });
  });
  web = await startUpstream('web');
  // TLS origins for SNI routing (passthrough: the proxy never holds their keys)
  const certs = tmp.dir;
  for (const name of ['a.example', 'b.example']) {
    const c = makeCert(certs, name);
    const srv = createHttpsServer({ key: readFileSync(c.key), cert: readFileSync(c.crt) }, (_req, res) =>
      res.end(`tls-${name}`),
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push(srv as unknown as Server);
    port[name] = (srv.address() as { port: number }).port;
  }
  for (const k of [
    'sticky',
    'prom',
    'hxProm',
    'mux',
    'stuck',
    'hxEcho',
    'httpPp',
    'hxHttp',
    'queued',
    'rr',
    'half',
    'tmo',
    'retry',
    'rules',
    'sni',
    'pp',
    'ppOut',
    'bulkFe',
    'api',
    'hxIn',
    'hxOut',
  ])
    port[k] = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'tcp.cfg',
    `global
  log stdout format raw local0
  stats socket ipv4@127.0.0.1:${port.api} level admin
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 1s
  timeout client 10s
  timeout server 10s
listen echo
  bind 127.0.0.1:${port.rr}
  balance roundrobin
  server e1 127.0.0.1:${port.e1}
  server e2 127.0.0.1:${port.e2}
listen half
  bind 127.0.0.1:${port.half}
  server late 127.0.0.1:${port.late}
listen timeouts
  bind 127.0.0.1:${port.tmo}
  timeout server 300ms
  server silent 127.0.0.1:${port.silent}
listen retry
  bind 127.0.0.1:${port.retry}
  retries 2
  option redispatch
  balance first
  server dead 127.0.0.1:${port.dead}
  server e2 127.0.0.1:${port.e2}
frontend rules
  bind 127.0.0.1:${port.rules}
  tcp-request connection reject if { src 127.0.0.2 }
  tcp-request inspect-delay 1s
  tcp-request content reject if { req.payload(0,4) -m str EVIL }
  tcp-request content accept if { req.len gt 0 }
  use_backend be_e2 if { req.payload(0,2) -m str e2 }
  default_backend be_e1
backend be_e1
  server e1 127.0.0.1:${port.e1}
backend be_e2
  server e2 127.0.0.1:${port.e2}
frontend sni
  bind 127.0.0.1:${port.sni}
  tcp-request inspect-delay 2s
  tcp-request content accept if { req.ssl_hello_type 1 }
  use_backend tls_a if { req.ssl_sni -i a.example }
  use_backend tls_b if { req_ssl_sni -i b.example }
backend tls_a
  server a 127.0.0.1:${port['a.example']}
backend tls_b
  server b 127.0.0.1:${port['b.example']}
listen proxied_in
  bind 127.0.0.1:${port.pp} accept-proxy
  server e1 127.0.0.1:${port.e1}
listen proxied_out
  bind 127.0.0.1:${port.ppOut}
  server hx 127.0.0.1:${port.hxIn} send-proxy-v2
listen http_proxied_out
  mode http
  option httplog
  bind 127.0.0.1:${port.httpPp}
  server hx 127.0.0.1:${port.hxHttp} send-proxy
listen sticky
  bind 127.0.0.1:${port.sticky}
  balance roundrobin
  stick-table type ip size 1k expire 1m
  stick on src
  server e1 127.0.0.1:${port.e1}
  server e2 127.0.0.1:${port.e2}
listen queued
  bind 127.0.0.1:${port.queued}
  timeout queue 2s
  timeout client-fin 300ms
  server late 127.0.0.1:${port.late} maxconn 1
frontend mux
  bind 127.0.0.1:${port.mux}
  tcp-request inspect-delay 1s
  tcp-request content accept if HTTP
  use_backend web if HTTP
  default_backend be_e1
backend web
  mode http
  server u 127.0.0.1:${web.port}
frontend prom
  mode http
  bind 127.0.0.1:${port.prom}
  http-request use-service prometheus-exporter
listen stuck
  bind 127.0.0.1:${port.stuck}
  timeout server 30s
  server silent 127.0.0.1:${port.silent}
listen bulk
  bind 127.0.0.1:${port.bulkFe}
  server bulk 127.0.0.1:${port.bulk}
`,
  );
  px = await startProxy(['-f', cfg]);
  // Debian's haproxy: takes our send-proxy-v2 (and logs the client it announces), and sends
  // send-proxy (v1) to our accept-proxy listener
  const hcfg = writeFile(
    tmp.dir,
    'hx.cfg',
    `global
  log stdout format raw local0
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 1s
  timeout client 10s
  timeout server 10s
listen from_switchyard
  bind 127.0.0.1:${port.hxIn} accept-proxy
  server e2 127.0.0.1:${port.e2}
listen http_from_switchyard
  mode http
  option httplog
  bind 127.0.0.1:${port.hxHttp} accept-proxy
  http-request return status 200 content-type text/plain string ok
listen echo
  bind 127.0.0.1:${port.hxEcho}
  balance roundrobin
  server e1 127.0.0.1:${port.e1}
  server e2 127.0.0.1:${port.e2}
frontend prom
  mode http
  bind 127.0.0.1:${port.hxProm}
  http-request use-service prometheus-exporter
listen to_switchyard
  bind 127.0.0.1:${port.hxOut}
  server sy 127.0.0.1:${port.pp} send-proxy
`,
  );
  hx = await startHaproxyProcess(hcfg, () =>
    rawRequest(port.hxOut, '', 200).then(
      () => true,
      () => false,
    ),
  );
});

const bulkResults: Array<{ sent: string; hash: string; bytes: number }> = [];

after(async () => {
  await px?.stop();
  await hx?.stop();
  await web?.close();
  for (const s of servers) {
    (s as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    s.close();
  }
  tmp.cleanup();
});

describe('mode tcp', { skip }, () => {
  test('relays both ways and balances round robin; tcplog lines as HAProxy writes them', async () => {
    const got = [await exchange(port.rr, 'one'), await exchange(port.rr, 'two'), await exchange(port.rr, 'three')];
    assert.deepEqual(got, ['e1:one', 'e2:two', 'e1:three']);
    await px.waitFor(/echo echo\/e1 .*\n.*echo echo\/e2 .*\n.*echo echo\/e1 /, 3000, 'stdout');
    const line = px
      .stdout()
      .split('\n')
      .find((l) => l.includes(' echo echo/e1 ')) as string;
    // %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
    assert.match(
      line,
      /^127\.0\.0\.1:\d+ \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] echo echo\/e1 \d+\/\d+\/\d+ 6 -- 1\/1\/0\/0\/0 0\/0$/,
    );
  });

  test('tcplog lines match haproxy 2.6 on the same listen (timers and ports aside)', async () => {
    const norm = (l: string) =>
      l
        .replace(/^127\.0\.0\.1:\d+ \[[^\]]+\] /, 'CLIENT [DATE] ')
        .replace(/ \d+\/\d+\/\d+ /, ' Tw/Tc/Tt ')
        // which server is next depends on the sessions each proxy served before
        .replace(/ echo\/e[12] /, ' echo/SRV ')
        .trim();
    const lines = async (p: number, logs: () => string, from: number): Promise<string[]> => {
      for (const d of ['abc', 'defg']) await exchange(p, d);
      await until(
        () =>
          logs()
            .slice(from)
            .split('\n')
            .filter((l) => / echo echo\//.test(l)).length >= 2,
        3000,
        'log lines',
      );
      return logs()
        .slice(from)
        .split('\n')
        .filter((l) => / echo echo\//.test(l))
        .map(norm);
    };
    const ours = await lines(port.rr, px.stdout, px.stdout().length);
    const theirs = await lines(port.hxEcho, () => hx?.log() ?? '', hx?.log().length ?? 0);
    assert.deepEqual(ours, theirs);
  });

  test('a tcp frontend switches to an http backend for HTTP bytes (HAProxy implicit upgrade), to tcp otherwise', async () => {
    const http = await exchange(
      port.mux,
      'GET /up HTTP/1.1\r\nhost: a\r\n\r\nGET /two HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n',
    );
    assert.match(
      http,
      /^HTTP\/1\.1 200 [\s\S]*web GET \/up\n[\s\S]*HTTP\/1\.1 200 [\s\S]*web GET \/two\n\r\n0\r\n\r\n$/,
    );
    assert.equal(await exchange(port.mux, 'hello'), 'e1:hello');
    // first bytes that could still be a request line wait for more
    const slow = connect({ port: port.mux, host: '127.0.0.1', allowHalfOpen: true });
    let out = '';
    slow.on('data', (d) => {
      out += d;
    });
    slow.write('GE');
    await new Promise((r) => setTimeout(r, 200));
    slow.end('T /slow HTTP/1.0\r\n\r\n');
    await new Promise((r) => slow.once('close', r));
    assert.match(out, /web GET \/slow/);
    await px.waitFor(/mux web\/u \d+\/\d+\/\d+ \d+ -- /, 3000, 'stdout');
  });

  test('half close: the client FIN is passed on and the answer still arrives', async () => {
    assert.equal(await exchange(port.half, 'ping'), 'after-fin:ping');
  });

  test('stick on src keeps a client on its server; round robin moves other sources', async () => {
    const a = [];
    for (let i = 0; i < 4; i++) a.push((await exchange(port.sticky, 'x')).slice(0, 2));
    assert.equal(new Set(a).size, 1, a.join(','));
    const b = (await exchange(port.sticky, 'x', { localAddress: '127.0.0.3' })).slice(0, 2);
    assert.notEqual(b, a[0]);
  });

  test('server maxconn queues the second session until the first ends (Tw in its log line)', async () => {
    // the first session holds the only slot until its FIN; the second waits in the queue
    const first = connect({ port: port.queued, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise((r) => first.once('connect', r));
    first.write('one');
    await new Promise((r) => setTimeout(r, 100));
    const second = exchange(port.queued, 'two');
    await new Promise((r) => setTimeout(r, 300));
    first.end();
    assert.equal(await second, 'after-fin:two');
    await px.waitFor(/queued queued\/late ([1-9]\d\d+)\/\d+\/\d+ \d+ -- /, 3000, 'stdout');
    first.destroy();
  });

  test('timeout server ends a silent session with sD', async () => {
    const t0 = Date.now();
    const s = connect(port.tmo, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.once('close', r));
    const ms = Date.now() - t0;
    assert.ok(ms >= 250 && ms < 3000, `closed after ${ms} ms`);
    await px.waitFor(/timeouts timeouts\/silent \d+\/\d+\/\d+ \d+ sD /, 3000, 'stdout');
  });

  test('a refused connect is retried and redispatched to the next server', async () => {
    assert.equal(await exchange(port.retry, 'x'), 'e2:x');
    // as haproxy 2.6: the first retry already goes to the other server
    await px.waitFor(/retry retry\/e2 \d+\/\d+\/\d+ \d+ -- \d+\/\d+\/\d+\/\d+\/\+1 /, 3000, 'stdout');
  });

  test('tcp-request connection and content rules: reject by source, by payload, route by payload', async () => {
    assert.equal(await exchange(port.rules, 'hello'), 'e1:hello');
    assert.equal(await exchange(port.rules, 'e2 please'), 'e2:e2 please');
    assert.equal(await exchange(port.rules, 'EVIL bytes'), '');
    assert.equal(await exchange(port.rules, 'x', { localAddress: '127.0.0.2' }), '');
    await px.waitFor(/rules rules\/<NOSRV> -1\/-1\/\d+ 0 PR /, 3000, 'stdout');
    const csv = await showStat(port.api);
    const fe = csv.split('\n').find((l) => l.startsWith('rules,FRONTEND,')) as string;
    const head = csv.split('\n')[0].replace(/^# /, '').split(',');
    const v = fe.split(',');
    assert.equal(v[head.indexOf('mode')], 'tcp');
    assert.equal(v[head.indexOf('dcon')], '1');
    assert.equal(v[head.indexOf('dreq')], '1');
  });

  test('Prometheus: tcp proxies get no _http_ metrics (as haproxy), denied connections are counted', async () => {
    const get = async (p: number) => (await fetch(`http://127.0.0.1:${p}/metrics`)).text();
    const names = (text: string, proxy: string) =>
      new Set(
        text
          .split('\n')
          .filter((l) => l.includes(`proxy="${proxy}"`) && !l.startsWith('#'))
          .map((l) => l.slice(0, l.indexOf('{'))),
      );
    const ours = names(await get(port.prom), 'echo');
    const theirs = names(await get(port.hxProm), 'echo');
    assert.deepEqual(
      [...ours].filter((n) => n.includes('_http_')),
      [],
    );
    assert.deepEqual(
      [...theirs].filter((n) => n.includes('_http_')),
      [],
    );
    assert.ok(ours.has('haproxy_frontend_bytes_in_total') && theirs.has('haproxy_frontend_bytes_in_total'));
    assert.match(await get(port.prom), /haproxy_frontend_denied_connections_total\{proxy="rules"\} 1\n/);
  });

  test('TLS passthrough: the ClientHello SNI picks the backend (curl and openssl s_client)', async () => {
    for (const name of ['a.example', 'b.example']) {
      const { stdout } = await exec('curl', [
        '-sk',
        '--max-time',
        '5',
        '--resolve',
        `${name}:${port.sni}:127.0.0.1`,
        `https://${name}:${port.sni}/`,
      ]);
      assert.equal(stdout, `tls-${name}`);
    }
    const { stdout } = await exec(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port.sni}`, '-servername', 'b.example'],
      {
        timeout: 5000,
      },
    ).catch((e: { stdout: string }) => e);
    assert.match(stdout, /subject=CN ?= ?b\.example/);
  });

  test('PROXY protocol: haproxy send-proxy into accept-proxy, send-proxy-v2 into haproxy', async () => {
    // haproxy (to_switchyard) sends a v1 header with our client's address to proxied_in
    const viaHaproxy = await exchange(port.hxOut, 'pp1');
    assert.equal(viaHaproxy, 'e1:pp1');
    // proxied_in logs the client haproxy announced, not haproxy's own connection
    const client = connect(port.ppOut, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const myPort = client.localPort;
    client.end('pp2');
    let out = '';
    client.on('data', (d) => {
      out += d;
    });
    await new Promise((r) => client.once('close', r));
    assert.equal(out, 'e2:pp2');
    // haproxy's from_switchyard logs the address Switchyard's v2 header announced: ours
    await until(() => hx?.log().includes(`127.0.0.1:${myPort} `) === true, 3000, 'haproxy log with our address');
    assert.match(
      hx?.log() ?? '',
      new RegExp(`127\\.0\\.0\\.1:${myPort} \\[[^\\]]+\\] from_switchyard from_switchyard/e2 `),
    );
    // a hand-written v1 header: its source is what the log shows
    assert.equal(await exchange(port.pp, 'PROXY TCP4 192.0.2.7 127.0.0.1 40000 80\r\nhand'), 'e1:hand');
    await px.waitFor(/192\.0\.2\.7:40000 \[[^\]]+\] proxied_in proxied_in\/e1 /, 3000, 'stdout');
  });

  test('send-proxy on an HTTP server: haproxy sees each client, connections are not shared between clients', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const s = connect(port.httpPp, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      ports.push(s.localPort as number);
      let out = '';
      s.on('data', (d) => {
        out += d;
      });
      s.write('GET /a HTTP/1.1\r\nhost: x\r\n\r\nGET /b HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      await new Promise((r) => s.once('close', r));
      assert.equal(out.match(/HTTP\/1\.1 200/g)?.length, 2, out);
    }
    for (const p of ports)
      await until(
        () =>
          (hx?.log().match(new RegExp(`127\\.0\\.0\\.1:${p} .*http_from_switchyard/<NOSRV>`, 'g'))?.length ?? 0) === 2,
        3000,
        `two haproxy log lines for client port ${p}`,
      );
  });

  test('hostile input on accept-proxy: garbage, a truncated header, a silent client; the proxy serves on', async () => {
    assert.equal(await exchange(port.pp, 'GET / HTTP/1.0\r\n\r\n'), '');
    assert.equal(await exchange(port.pp, 'PROXY TCP4 1.2.3.4'), '');
    assert.equal(await exchange(port.pp, Buffer.from('0d0a0d0a000d0a515549540a21110000', 'hex')), '');
    await px.waitFor(
      'proxied_in/1: Received something which does not look like a PROXY protocol header',
      3000,
      'stdout',
    );
    assert.equal(await exchange(port.pp, 'PROXY UNKNOWN\r\nstill'), 'e1:still');
  });

  test('hostile input under inspect-delay: a garbage ClientHello and a silent client are closed', async () => {
    const t0 = Date.now();
    assert.equal(await exchange(port.sni, Buffer.from('16030100ff01garbage-not-a-hello', 'latin1')), '');
    const silent = connect(port.sni, '127.0.0.1');
    silent.on('error', () => {});
    await new Promise((r) => silent.once('close', r));
    // the silent client waited out the 2 s inspect-delay, then was closed (no backend matched)
    assert.ok(Date.now() - t0 >= 1900, `closed after ${Date.now() - t0} ms`);
    await px.waitFor(/sni sni\/<NOSRV> -1\/-1\/\d+ 0 SC /, 3000, 'stdout');
  });

  test('a server that never reads: backpressure holds the client, memory stays bounded', async () => {
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${px.proc.pid}/status`, 'utf8'))?.[1]) / 1024;
    const before = rss();
    const s = connect(port.stuck, '127.0.0.1');
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    const block = Buffer.alloc(1 << 20, 1);
    let written = 0;
    // write until the socket stops taking more for 1 s (the relay paused reading from us)
    for (;;) {
      if (s.write(block)) {
        written += block.length;
        continue;
      }
      written += block.length;
      const drained = await Promise.race([
        new Promise<boolean>((r) => s.once('drain', () => r(true))),
        new Promise<boolean>((r) => setTimeout(() => r(false), 1000)),
      ]);
      if (!drained || written > 512 << 20) break;
    }
    const grown = rss() - before;
    s.destroy();
    assert.ok(written < 256 << 20, `the client could write ${written >> 20} MiB into a server that reads nothing`);
    assert.ok(grown < 64, `RSS grew ${grown.toFixed(1)} MiB`);
  });

  test('1 GiB each way arrives byte-identical while other connections come and go', async () => {
    const s = connect({ port: port.bulkFe, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise((r) => s.once('connect', r));
    let churn = true;
    let churned = 0;
    const others = (async () => {
      while (churn) {
        assert.equal(await exchange(port.rr, 'c').then((x) => x.slice(3)), 'c');
        churned++;
      }
    })();
    const [sent, got] = await Promise.all([pump(s, 3, 16384), drain(s)]);
    churn = false;
    await others;
    await until(() => bulkResults.length > 0, 30000, 'the server side to finish');
    const r = bulkResults[0];
    assert.equal(got.bytes, 1 << 30);
    assert.equal(got.hash, r.sent, 'server -> client bytes differ');
    assert.equal(r.bytes, 1 << 30);
    assert.equal(r.hash, sent, 'client -> server bytes differ');
    assert.ok(churned > 5, `only ${churned} other sessions ran meanwhile`);
  });
});
