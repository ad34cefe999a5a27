/**
 * HTTP/2 with prior knowledge on a plain `mode http` bind (no `proto h2`), Switchyard and Debian's
 * haproxy 2.6 side by side: a client opening with the h2 preface gets HTTP/2 (HAProxy's mux_h1
 * switches to mux_h2), HTTP/1 clients of the same bind are unaffected, a preface arriving in
 * pieces still switches, `option disable-h2-upgrade` keeps HTTP/1 (a 400), and the preface after
 * a first HTTP/1 request is not an upgrade.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, tempDir } from './helpers/proxy.ts';
import { type SideBySide, startSideBySide } from './helpers/side-by-side.ts';
import { needs } from './helpers/system.ts';

const exec = promisify(execFile);
const skip = needs('haproxy', 'curl');
const tmp = tempDir();
const port: Record<'sy' | 'hx', { plain: number; off: number }> = {
  sy: { plain: 0, off: 0 },
  hx: { plain: 0, off: 0 },
};
let pair: SideBySide | undefined;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** An empty SETTINGS frame (the client's first frame after the preface). */
const SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

function config(side: 'sy' | 'hx'): string {
  const p = port[side];
  return `global
  stats socket ${tmp.dir}/${side}.sock level admin
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend plain
  bind 127.0.0.1:${p.plain}
  http-request return status 200 content-type text/plain lf-string "ok %[req.ver]"
frontend off
  bind 127.0.0.1:${p.off}
  option disable-h2-upgrade
  http-request return status 200 content-type text/plain lf-string "ok %[req.ver]"
`;
}

/** Writes `pieces` 20 ms apart; resolves with the first bytes the proxy sends back (or closes with). */
function exchange(p: number, pieces: Buffer[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = connect(p, '127.0.0.1');
    const got: Buffer[] = [];
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve(Buffer.concat(got));
    };
    const t = setTimeout(done, 2000);
    s.on('data', (d) => {
      got.push(d);
      if (Buffer.concat(got).length >= 9) setTimeout(done, 50);
    });
    s.on('error', () => {});
    s.on('close', done);
    let i = 0;
    const next = () => {
      if (i < pieces.length && !s.destroyed) s.write(pieces[i++], () => setTimeout(next, 20));
    };
    s.on('connect', next);
  });
}

/** What the first bytes are: an HTTP/2 frame header's type, or an HTTP/1 status line. */
function kind(b: Buffer): string {
  if (b.length >= 9 && !b.subarray(0, 5).equals(Buffer.from('HTTP/'))) return `h2 frame type ${b[3]}`;
  return b.toString('latin1').split('\r\n')[0] || '(closed)';
}

before(async () => {
  if (skip) return;
  for (const side of ['sy', 'hx'] as const) {
    port[side].plain = await freePort();
    port[side].off = await freePort();
  }
  pair = await startSideBySide(tmp.dir, config);
});

after(async () => {
  await pair?.stop();
  tmp.cleanup();
});

describe('HTTP/2 prior knowledge on a plain bind (differential with haproxy 2.6)', { skip }, () => {
  const curl = async (p: number, ...args: string[]) =>
    (await exec('curl', ['-s', ...args, '-w', ' %{http_version} %{http_code}', `http://127.0.0.1:${p}/`])).stdout;

  test('curl --http2-prior-knowledge gets HTTP/2; an HTTP/1 client of the same bind gets HTTP/1.1', async () => {
    for (const side of ['sy', 'hx'] as const) {
      assert.equal(await curl(port[side].plain, '--http2-prior-knowledge'), 'ok 2.0 2 200', side);
      assert.equal(await curl(port[side].plain), 'ok 1.1 1.1 200', side);
    }
  });

  test('the preface in pieces still switches: the answer is a SETTINGS frame', async () => {
    const pieces = [PREFACE.subarray(0, 3), PREFACE.subarray(3, 15), PREFACE.subarray(15), SETTINGS];
    for (const side of ['sy', 'hx'] as const)
      assert.equal(kind(await exchange(port[side].plain, pieces)), 'h2 frame type 4', side);
  });

  test('option disable-h2-upgrade: the preface is a bad HTTP/1 request, as with haproxy', async () => {
    const ours = kind(await exchange(port.sy.off, [PREFACE, SETTINGS]));
    assert.equal(ours, kind(await exchange(port.hx.off, [PREFACE, SETTINGS])));
    assert.match(ours, /^HTTP\/1\.1 400/);
  });

  test('the preface after a first HTTP/1 request is no upgrade', async () => {
    const h1 = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const read = async (p: number) => (await exchange(p, [h1, PREFACE])).toString('latin1');
    const ours = await read(port.sy.plain);
    assert.match(ours, /^HTTP\/1\.1 200/);
    assert.ok(!ours.includes('\x00\x00\x00\x04'), 'no SETTINGS frame after an HTTP/1 request');
    assert.match(await read(port.hx.plain), /^HTTP\/1\.1 200/);
  });
});
