/**
 * `show errors` against Debian's haproxy 2.6 on the same configuration: invalid request heads
 * sent to both, the captured snapshot compared line by line (dates, source ports and HAProxy's
 * internal H1 flags aside): header, event numbers, lengths, error position, the dumped bytes.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, connect, createServer } from 'node:net';
import { test } from 'node:test';
import { cliQuery } from '../packages/admin/test/helpers/socket.ts';
import { freePort, startUpstream, tempDir } from './helpers/proxy.ts';
import { startSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

/** Sends `bytes` and waits for the answer and the close. */
function send(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
    });
    s.on('error', () => resolve(got));
    s.on('close', () => resolve(got));
    s.end(bytes);
  });
}

/** The output with what legitimately differs masked. */
function normalise(out: string): string {
  return out
    .replace(/\[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]/g, '[DATE]')
    .replace(/src (127\.0\.0\.1|::ffff:127\.0\.0\.1):\d+/g, 'src 127.0.0.1:PORT')
    .replace(/flags 0x[0-9a-f]{8}/g, 'flags 0xF');
}

/** One side's configuration: its stats socket, frontend `fe` on `port`, then `backends`. */
function sideConfig(dir: string, side: string, port: number, backends: string, rules = ''): string {
  return `global
  stats socket ${dir}/${side}.sock level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${port}
${rules}  default_backend be
${backends}`;
}

const BAD: Array<[string, Buffer]> = [
  ['space in a header name', Buffer.from('GET / HTTP/1.1\r\nHo st: x\r\n\r\n')],
  ['control byte in the URI', Buffer.from('GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n')],
  ['bad version', Buffer.from('GET / HTTX/1.1\r\nHost: x\r\n\r\n')],
  [
    'long line of binary',
    Buffer.concat([
      Buffer.from('GET / HTTP/1.1\r\nX-A: '),
      Buffer.alloc(60, 0x41),
      Buffer.from([0x80, 0x5c, 0x09]),
      Buffer.from(' \r\nHost x\r\n\r\n'),
    ]),
  ],
];

test('show errors: the last invalid request per frontend, as haproxy 2.6 prints it', {
  skip: needs('haproxy'),
  timeout: 90_000,
}, async (t) => {
  const up = await startUpstream('a');
  const tmp = tempDir();
  t.after(async () => {
    await up.close();
    tmp.cleanup();
  });
  const ports = { sy: await freePort(), hx: await freePort() };
  const pair = await startSideBySide(tmp.dir, (side) =>
    sideConfig(tmp.dir, side, ports[side], `backend be\n  server s1 127.0.0.1:${up.port}\n`),
  );
  t.after(() => pair.stop());
  const h = { port: ports.hx, sock: `${tmp.dir}/hx.sock` };
  const s = { port: ports.sy, sock: `${tmp.dir}/sy.sock` };

  const q = (sock: string, cmd: string) => cliQuery({ path: sock }, cmd);
  assert.equal(normalise(await q(s.sock, 'show errors')), normalise(await q(h.sock, 'show errors')), 'none yet');
  for (const [what, bytes] of BAD) {
    const [theirs, ours] = await Promise.all([send(h.port, bytes), send(s.port, bytes)]);
    assert.match(theirs, /^HTTP\/1\.1 400/, what);
    assert.match(ours, /^HTTP\/1\.1 400/, what);
    const hs = normalise(await q(h.sock, 'show errors'));
    const ss = normalise(await q(s.sock, 'show errors'));
    assert.equal(ss, hs, what);
  }
  for (const cmd of [
    'show errors fe',
    'show errors fe request',
    'show errors fe response',
    'show errors be',
    'show errors nope',
    'show errors 2',
  ]) {
    assert.equal(normalise(await q(s.sock, cmd)), normalise(await q(h.sock, cmd)), cmd);
  }
});

/** Invalid response heads, by request path (the server sends it whole and closes). */
const BAD_RESPONSES: Record<string, string> = {
  // (to backend `other`)
  '/other': 'HTTP/1.1 200 OK\r\nBad Header\r\n\r\n',
  '/name': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header\r\n\r\nok',
  '/space': 'HTTP/1.1 200 OK\r\nX-A : b\r\nContent-Length: 0\r\n\r\n',
  '/two': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok',
};

test('show errors: the last invalid response per backend, as haproxy 2.6 prints it', {
  skip: needs('haproxy'),
  timeout: 90_000,
}, async (t) => {
  const bad = createServer((c) => {
    c.on('error', () => {});
    c.once('data', (d) => {
      const path = /^\w+ (\S+)/.exec(d.toString('latin1'))?.[1] ?? '';
      c.end(BAD_RESPONSES[path] ?? 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
  });
  await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
  const badPort = (bad.address() as AddressInfo).port;
  const tmp = tempDir();
  t.after(() => {
    bad.close();
    tmp.cleanup();
  });
  const ports = { sy: await freePort(), hx: await freePort() };
  const pair = await startSideBySide(tmp.dir, (side) =>
    sideConfig(
      tmp.dir,
      side,
      ports[side],
      `backend be\n  server s1 127.0.0.1:${badPort}\nbackend other\n  server s2 127.0.0.1:${badPort}\n`,
      '  use_backend other if { path /other }\n',
    ),
  );
  t.after(() => pair.stop());
  const q = (side: 'sy' | 'hx', cmd: string) => cliQuery({ path: `${tmp.dir}/${side}.sock` }, cmd);
  for (const path of Object.keys(BAD_RESPONSES)) {
    const req = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const [theirs, ours] = await Promise.all([send(ports.hx, req), send(ports.sy, req)]);
    assert.match(theirs, /^HTTP\/1\.1 502/, path);
    assert.match(ours, /^HTTP\/1\.1 502/, path);
    assert.equal(normalise(await q('sy', 'show errors')), normalise(await q('hx', 'show errors')), path);
  }
  // a request error beside them, then the filters
  const badReq = Buffer.from('GET / HTTP/1.1\r\nHo st: x\r\n\r\n');
  await Promise.all([send(ports.hx, badReq), send(ports.sy, badReq)]);
  for (const cmd of [
    'show errors',
    'show errors fe',
    'show errors fe request',
    'show errors fe response',
    'show errors be',
    'show errors be request',
    'show errors other',
    'show errors 3',
  ]) {
    assert.equal(normalise(await q('sy', cmd)), normalise(await q('hx', cmd)), cmd);
  }
});
