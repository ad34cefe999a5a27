/**
 * The upstream side through the real proxy, with raw servers that write exact bytes: connection
 * reuse, servers that close idle connections, HTTP/1.0 close-delimited answers, chunked uploads
 * re-framed, HEAD, and a connect timeout (sC--).
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { nonAccepting } from '../packages/proxy/test/health-helpers.ts';
import { defaults, freePort, type ProxyProcess, startProxy, tempDir, until, writeFile } from './helpers/proxy.ts';

let px: ProxyProcess;
let port: number;
const tmp = tempDir();
const servers: Server[] = [];
let na: Awaited<ReturnType<typeof nonAccepting>>;
/** Connections each raw server accepted, and the request heads it saw. */
const seen = { conns: new Map<string, number>(), heads: [] as string[] };

/** A raw HTTP server: `answer(head, body, socket)` writes the response. Reads CL/chunked bodies. */
async function raw(name: string, answer: (head: string, body: string, s: Socket) => void): Promise<number> {
  const srv = createServer((s) => {
    seen.conns.set(name, (seen.conns.get(name) ?? 0) + 1);
    let buf = '';
    s.on('error', () => {});
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.slice(0, end);
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
        let body = '';
        let used = end + 4;
        if (cl) {
          if (buf.length < used + Number(cl[1])) return;
          body = buf.slice(used, used + Number(cl[1]));
          used += Number(cl[1]);
        } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
          const term = buf.indexOf('\r\n0\r\n\r\n', used - 2);
          if (term < 0) return;
          body = buf.slice(used, term + 7);
          used = term + 7;
        }
        buf = buf.slice(used);
        seen.heads.push(head);
        answer(head, body, s);
      }
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as { port: number }).port;
}

before(async () => {
  const keep = await raw('keep', (h, _b, s) => {
    const text = h.startsWith('HEAD') ? '' : 'kept';
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${h.startsWith('HEAD') ? 4 : text.length}\r\n\r\n${text}`);
  });
  // Closes every idle connection 300 ms after its last answer, announcing 1 s (as a server
  // whose keep-alive timer is shorter than it says would).
  const closer = await raw('closer', (_h, _b, s) => {
    s.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 6\r\n\r\ncloser');
    s.setTimeout(300, () => s.destroy());
  });
  const old = await raw('old', (_h, _b, s) => {
    s.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nclose-delimited body');
  });
  const echo = await raw('echo', (h, b, s) => {
    const te = /transfer-encoding: chunked/i.test(h) ? 'chunked' : 'length';
    const text = `${te}:${b.length}`;
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
  });
  na = await nonAccepting();
  port = await freePort();
  const cfg = writeFile(
    tmp.dir,
    'upstream.cfg',
    `${defaults()}
frontend fe
  bind 127.0.0.1:${port}
  stats enable
  stats uri /stats
  use_backend closer if { path_beg /closer }
  use_backend old if { path_beg /old }
  http-request set-header X-From-Param %[url_param(v),url_dec] if { path_beg /inject }
  use_backend echo if { path_beg /echo } || { path_beg /inject }
  use_backend stuck if { path_beg /stuck }
  default_backend keep
backend keep
  server k 127.0.0.1:${keep}
backend closer
  server c 127.0.0.1:${closer}
backend old
  server o 127.0.0.1:${old}
backend echo
  server e 127.0.0.1:${echo}
backend stuck
  timeout connect 300ms
  retries 1
  server s 127.0.0.1:${na?.port ?? 9}
`,
  );
  px = await startProxy(['-f', cfg]);
});

after(async () => {
  await px?.stop();
  na?.close();
  for (const s of servers) s.close();
  tmp.cleanup();
});

test('keep-alive: many requests, one upstream connection; HEAD gets the head only', async () => {
  for (let i = 0; i < 20; i++) {
    const r = await request(`http://127.0.0.1:${port}/`);
    assert.equal(await r.body.text(), 'kept');
  }
  const h = await request(`http://127.0.0.1:${port}/`, { method: 'HEAD' });
  assert.equal(h.statusCode, 200);
  assert.equal(h.headers['content-length'], '4');
  assert.equal(await h.body.text(), '');
  assert.equal(seen.conns.get('keep'), 1);
  assert.match(seen.heads.at(-1) ?? '', /^HEAD \/ HTTP\/1\.1\r\n/);
});

test('the CSV counts requests on new and on reused server connections (connect / reuse)', async () => {
  const csv = await (await request(`http://127.0.0.1:${port}/stats;csv`)).body.text();
  const head = (csv.split('\n')[0] as string).replace(/^# /, '').split(',');
  const row = csv.split('\n').find((l) => l.startsWith('keep,k,')) as string;
  const f = row.split(',');
  // 21 requests above on one connection
  assert.equal(f[head.indexOf('connect')], '1');
  assert.equal(f[head.indexOf('reuse')], '20');
});

test('a server that closes idle connections early: requests after the close still succeed', async () => {
  for (let i = 0; i < 4; i++) {
    const r = await request(`http://127.0.0.1:${port}/closer`);
    assert.equal(r.statusCode, 200);
    assert.equal(await r.body.text(), 'closer');
    await new Promise((res) => setTimeout(res, 400));
  }
  assert.ok((seen.conns.get('closer') ?? 0) >= 4, 'a new connection after each close');
});

test('HTTP/1.0 server with a close-delimited body', async () => {
  const r = await request(`http://127.0.0.1:${port}/old`);
  assert.equal(r.statusCode, 200);
  assert.equal(await r.body.text(), 'close-delimited body');
});

test('request bodies: Content-Length kept, chunked uploads re-framed as chunked', async () => {
  const a = await request(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: 'x'.repeat(1000) });
  assert.equal(await a.body.text(), 'length:1000');
  const b = await request(`http://127.0.0.1:${port}/echo`, {
    method: 'POST',
    body: Readable.from(
      (async function* () {
        yield Buffer.from('abc');
        yield Buffer.from('defg');
      })(),
    ),
  });
  // the server saw chunked framing: 3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n
  assert.equal(await b.body.text(), `chunked:${'3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n'.length}`);
});

test('connect timeout: 503 after retries, termination sC--', async (t) => {
  if (!na) {
    assert.notEqual(process.env.CI, 'true', 'CI=true and python3 is missing (a listener that never accepts)');
    return t.skip('needs python3 for a listener that never accepts');
  }
  const r = await request(`http://127.0.0.1:${port}/stuck`);
  assert.equal(r.statusCode, 503);
  await r.body.text();
  await until(() => /stuck\/s .* 503 .* sC--/.test(px.stdout()), 5000, 'log line with sC--');
});

test('a rule that puts CR/LF into a header value: 400, and nothing reaches the server', async () => {
  const before = seen.heads.length;
  const r = await request(`http://127.0.0.1:${port}/inject?v=x%0d%0aInjected:%201`);
  assert.equal(r.statusCode, 400);
  await r.body.text();
  const ok = await request(`http://127.0.0.1:${port}/inject?v=plain`);
  assert.equal(ok.statusCode, 200);
  await ok.body.text();
  assert.equal(seen.heads.length, before + 1, 'only the clean request was forwarded');
  assert.match(seen.heads.at(-1) ?? '', /\r\nX-From-Param: plain\r\n/);
  assert.doesNotMatch(seen.heads.join('\n'), /Injected/);
});
