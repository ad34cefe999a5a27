/**
 * The upstream HTTP/1.1 client (h1-client.ts) against raw loopback servers that write exact
 * bytes: framing, reuse, timeouts, upgrades, errors and what it refuses to send.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { H1Pool, requestHead, type UpstreamHandler, type UpstreamRequest } from '../src/datapath/h1-client.ts';
import { nonAccepting } from './health-helpers.ts';

interface Outcome {
  status?: number;
  headers?: string[];
  body: string;
  error?: string;
  upgraded?: Socket;
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A raw server: `onRequest(text so far, socket)` decides what to write. Returns its port. */
function rawServer(
  onData: (s: Socket, text: string, conn: number) => void,
): Promise<{ port: number; conns: () => number }> {
  let n = 0;
  const srv = createServer((s) => {
    const id = ++n;
    let text = '';
    s.on('error', () => {});
    s.on('data', (d) => {
      text += d.toString('latin1');
      onData(s, text, id);
      if (text.includes('\r\n\r\n') && !/content-length|transfer-encoding/i.test(text)) text = '';
    });
  });
  servers.push(srv);
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as { port: number }).port, conns: () => n })),
  );
}

function run(pool: H1Pool, req: Partial<UpstreamRequest>, o: { pauseAt?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = { body: '' };
    let resume: (() => void) | undefined;
    const h: UpstreamHandler = {
      onConnect() {},
      onHeaders(status, headers, r) {
        if (status < 200) return true;
        out.status = status;
        out.headers = headers;
        resume = r;
        return true;
      },
      onData(chunk) {
        out.body += chunk.toString('latin1');
        if (o.pauseAt !== undefined && out.body.length >= o.pauseAt) {
          setTimeout(() => resume?.(), 20);
          return false;
        }
        return true;
      },
      onComplete() {
        resolve(out);
      },
      onError(err) {
        out.error = err.code ?? err.message;
        resolve(out);
      },
      onUpgrade(status, headers, socket) {
        out.status = status;
        out.headers = headers;
        out.upgraded = socket as Socket; // an HTTP/1 pool hands over its socket
        resolve(out);
      },
    };
    pool.dispatch({ path: '/', method: 'GET', headers: ['Host', 'h'], body: null, ...req }, h);
  });
}

const pool = (port: number, connectTimeout = 2000) =>
  new H1Pool({ host: '127.0.0.1', port, authority: `127.0.0.1:${port}`, connectTimeout });

test('content-length response, then the connection is reused', async () => {
  const srv = await rawServer((s, t) => {
    if (t.endsWith('\r\n\r\n')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello');
  });
  const p = pool(srv.port);
  const a = await run(p, {});
  const b = await run(p, {});
  assert.equal(a.status, 200);
  assert.equal(a.body, 'hello');
  assert.deepEqual(a.headers, ['Content-Length', '5', 'X-A', '1']);
  assert.equal(b.body, 'hello');
  assert.equal(srv.conns(), 1, 'one connection for both');
  await p.close();
});

test('chunked and close-delimited responses; HEAD has no body; 1xx is skipped', async () => {
  const srv = await rawServer((s, t) => {
    if (!t.endsWith('\r\n\r\n')) return;
    if (t.startsWith('GET /chunked'))
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
    else if (t.startsWith('GET /close')) s.end('HTTP/1.0 200 OK\r\n\r\nuntil the end');
    else if (t.startsWith('HEAD')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
    else if (t.startsWith('GET /continue'))
      s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok');
  });
  const p = pool(srv.port);
  assert.equal((await run(p, { path: '/chunked' })).body, 'abcde');
  assert.equal((await run(p, { path: '/close' })).body, 'until the end');
  const head = await run(p, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  const c = await run(p, { path: '/continue' });
  assert.equal(c.status, 201);
  assert.equal(c.body, 'ok');
  await p.close();
});

test('request heads: host added when missing, connection close, chunked re-framing of a body', async () => {
  assert.equal(
    requestHead({ path: '/x', method: 'GET', headers: ['Accept', '*/*'], body: null }, '10.0.0.1:80'),
    'GET /x HTTP/1.1\r\nAccept: */*\r\nhost: 10.0.0.1:80\r\nconnection: keep-alive\r\n\r\n',
  );
  assert.match(
    requestHead({ path: '/', method: 'GET', headers: ['Host', 'a'], body: null, reset: true }, 'x'),
    /connection: close\r\n\r\n$/,
  );
  let got = '';
  const srv = await rawServer((s, t) => {
    got = t;
    if (t.endsWith('0\r\n\r\n')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  });
  const p = pool(srv.port);
  const r = await run(p, { method: 'POST', body: Readable.from([Buffer.from('abc'), Buffer.from('defgh')]) });
  assert.equal(r.status, 200);
  assert.match(got, /transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n$/);
  await p.close();
});

test('values that would break the framing are refused before anything is sent', () => {
  const bad: Partial<UpstreamRequest>[] = [
    { headers: ['X-A', 'v\r\nInjected: 1'] },
    { headers: ['Bad Name', 'v'] },
    { path: '/a b' },
    { method: 'GE T' },
  ];
  for (const b of bad) {
    assert.throws(
      () => requestHead({ path: '/', method: 'GET', headers: [], body: null, ...b }, 'x'),
      /invalid/,
      JSON.stringify(b),
    );
  }
});

test('a connection left paused at the end of a response carries the next one', async () => {
  const big = 'x'.repeat(200000);
  const srv = await rawServer((s, t) => {
    if (t.endsWith('\r\n\r\n')) s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big}`);
  });
  const p = pool(srv.port);
  const a = await run(p, {}, { pauseAt: big.length - 10 });
  assert.equal(a.body.length, big.length);
  const b = await run(p, {});
  assert.equal(b.body.length, big.length);
  await p.close();
});

test('errors: refused, headers timeout, body timeout, invalid response, closed early', async () => {
  const closed = await rawServer(() => {});
  const refusedPort = closed.port;
  servers.pop()?.close();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await run(pool(refusedPort), {})).error, 'ECONNREFUSED');
  // (connect timeouts need a listener that never completes the handshake: test/health-* and
  // test/proxy-errors cover them with real processes)
  const silent = await rawServer(() => {});
  assert.equal((await run(pool(silent.port), { timeout: 100 })).error, 'UND_ERR_HEADERS_TIMEOUT');
  const stalls = await rawServer((s, t) => {
    if (t.endsWith('\r\n\r\n')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
  });
  const st = await run(pool(stalls.port), { timeout: 100 });
  assert.equal(st.error, 'UND_ERR_BODY_TIMEOUT');
  assert.equal(st.body, 'abc');
  const invalid = await rawServer((s, t) => {
    if (t.endsWith('\r\n\r\n')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');
  });
  assert.match((await run(pool(invalid.port), {})).error ?? '', /^HPE_/);
  const early = await rawServer((s, t) => {
    if (t.endsWith('\r\n\r\n')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
  });
  assert.equal((await run(pool(early.port), {})).error, 'UND_ERR_SOCKET');
});

test('upgrade: the 101 hands over the socket with bytes that followed the head', async () => {
  const srv = await rawServer((s, t) => {
    if (t.endsWith('\r\n\r\n')) {
      assert.match(t, /connection: upgrade\r\nupgrade: websocket\r\n/);
      s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nearly');
      s.on('data', (d) => s.write(`echo:${d}`));
    }
  });
  const p = pool(srv.port);
  const r = await run(p, { upgrade: 'websocket' });
  assert.equal(r.status, 101);
  const sock = r.upgraded as Socket;
  let got = '';
  sock.on('data', (d) => {
    got += d;
  });
  sock.resume();
  sock.write('ping');
  for (let i = 0; i < 100 && !got.includes('echo:ping'); i++) await new Promise((res) => setTimeout(res, 10));
  assert.equal(got, 'earlyecho:ping');
  sock.destroy();
  await p.destroy();
});

test('idle connections close after the server keep-alive hint minus a second', async () => {
  const srv = await rawServer((s, t) => {
    if (t.endsWith('\r\n\r\n')) s.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=2\r\nContent-Length: 0\r\n\r\n');
  });
  const p = pool(srv.port);
  await run(p, {});
  assert.equal(p.idleCount, 1);
  await new Promise((r) => setTimeout(r, 2100));
  assert.equal(p.idleCount, 0, 'closed before the server would');
  await p.close();
});

test('a server whose accept queue is full: UND_ERR_CONNECT_TIMEOUT after connectTimeout', async (t) => {
  const na = await nonAccepting();
  if (!na) {
    assert.notEqual(process.env.CI, 'true', 'CI=true and python3 is missing (a listener that never accepts)');
    return t.skip('needs python3 for a listener that never accepts');
  }
  t.after(() => na.close());
  const t0 = Date.now();
  const r = await run(pool(na.port, 300), {});
  assert.equal(r.error, 'UND_ERR_CONNECT_TIMEOUT');
  assert.ok(Date.now() - t0 >= 290);
});

test('a response written a few bytes at a time: head split across reads, body by length', async () => {
  const resp = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Long: abcdefghij\r\n\r\nhello world');
  const srv = await rawServer((s, t) => {
    if (!t.endsWith('\r\n\r\n')) return;
    let i = 0;
    const step = () => {
      if (i >= resp.length) return;
      s.write(resp.subarray(i, i + 3));
      i += 3;
      setTimeout(step, 1);
    };
    step();
  });
  const p = pool(srv.port);
  const a = await run(p, {});
  assert.equal(a.status, 200);
  assert.equal(a.body, 'hello world');
  assert.deepEqual(a.headers, ['Content-Length', '11', 'X-Long', 'abcdefghij']);
  const b = await run(p, {});
  assert.equal(b.body, 'hello world', 'the parser starts afresh for the next response');
  assert.equal(srv.conns(), 1);
  await p.close();
});

test('bytes after a complete response are a protocol error: the connection is not reused', async () => {
  const srv = await rawServer((s, t) => {
    if (t.endsWith('\r\n\r\n')) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA');
  });
  const p = pool(srv.port);
  assert.equal((await run(p, {})).body, 'ok');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(p.idleCount, 0);
  assert.equal((await run(p, {})).body, 'ok');
  assert.equal(srv.conns(), 2);
  await p.close();
});
