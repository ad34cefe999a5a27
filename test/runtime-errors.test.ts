/**
 * `show errors` against Debian's haproxy 2.6 on the same configuration: invalid request heads
 * sent to both, the captured snapshot compared line by line (dates, source ports and HAProxy's
 * internal H1 flags aside): header, event numbers, lengths, error position, the dumped bytes.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
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
  const pair = await startSideBySide(
    tmp.dir,
    (side) => `global
  stats socket ${tmp.dir}/${side}.sock level admin
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind 127.0.0.1:${ports[side]}
  default_backend be
backend be
  server s1 127.0.0.1:${up.port}
`,
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
