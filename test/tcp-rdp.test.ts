/**
 * Remote Desktop farms, Switchyard and Debian's haproxy 2.6 on the same config side by side:
 * `balance rdp-cookie` (the mstshash cookie of the RDP Connection Request hashed onto the
 * servers: the same user lands on the same server, and on the same one as with haproxy),
 * `persist rdp-cookie` (the broker's `msts=ADDR.PORT.0000` picks that server), `stick on
 * req.rdp_cookie(mstshash)`, and `tcp-request content accept if RDP_COOKIE` refusing what is not
 * an RDP Connection Request.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { freePort, type ProxyProcess, tempDir } from './helpers/proxy.ts';
import { type SideBySide, startSideBySide } from './helpers/side-by-side.ts';
import { type HaproxyProcess, needs } from './helpers/system.ts';

const skip = needs('haproxy');
const tmp = tempDir();
const servers: Server[] = [];
const srvPort: number[] = [];
const fe: Record<'sy' | 'hx', Record<string, number>> = { sy: {}, hx: {} };
let sy: ProxyProcess;
let hx: HaproxyProcess | undefined;
let pair: SideBySide | undefined;

/** An RDP X.224 Connection Request (TPKT + CR TPDU, 11 bytes) carrying `cookie` (`NAME=VALUE`). */
function connectionRequest(cookie: string): Buffer {
  const body = Buffer.from(`Cookie: ${cookie}\r\n`, 'latin1');
  const b = Buffer.alloc(11 + body.length);
  b.writeUInt8(3, 0); // TPKT version
  b.writeUInt16BE(b.length, 2);
  b.writeUInt8(6 + body.length, 4); // X.224 length indicator
  b.writeUInt8(0xe0, 5); // CR
  body.copy(b, 11);
  return b;
}

/** The broker's routing token for 127.0.0.1:`port`: the address bytes little-endian, the port swapped. */
function brokerToken(port: number): string {
  const addr = (1 << 24) | 127; // 127.0.0.1 read little-endian
  const swapped = ((port & 0xff) << 8) | (port >> 8);
  return `msts=${addr >>> 0}.${swapped}.0000`;
}

/** Sends `data`; resolves with the server name that answered ('' when the proxy closed). */
function send(p: number, data: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(p, '127.0.0.1', () => s.write(data));
    let got = '';
    const t = setTimeout(() => s.destroy(), 3000);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\n')) s.destroy();
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve(got.split('\n')[0]);
    });
  });
}

function config(side: 'sy' | 'hx'): string {
  const p = fe[side];
  const srv = srvPort.map((port, i) => `  server s${i + 1} 127.0.0.1:${port}`).join('\n');
  return `global
  stats socket ${tmp.dir}/${side}.sock level admin
defaults
  mode tcp
  timeout connect 1s
  timeout client 5s
  timeout server 5s
listen hashed
  bind 127.0.0.1:${p.hashed}
  tcp-request inspect-delay 2s
  tcp-request content accept if RDP_COOKIE
  tcp-request content reject
  balance rdp-cookie
${srv}
listen persisted
  bind 127.0.0.1:${p.persisted}
  tcp-request inspect-delay 2s
  tcp-request content accept if RDP_COOKIE
  balance roundrobin
  persist rdp-cookie
${srv}
listen sticky
  bind 127.0.0.1:${p.sticky}
  tcp-request inspect-delay 2s
  tcp-request content accept if RDP_COOKIE
  balance roundrobin
  stick-table type string len 32 size 1k expire 1h
  stick on req.rdp_cookie(mstshash)
${srv}
`;
}

before(async () => {
  if (skip) return;
  for (let i = 1; i <= 4; i++) {
    const srv = createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.write(`s${i}\n`));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push(srv);
    srvPort.push((srv.address() as { port: number }).port);
  }
  for (const side of ['sy', 'hx'] as const)
    for (const n of ['hashed', 'persisted', 'sticky']) fe[side][n] = await freePort();
  pair = await startSideBySide(tmp.dir, config);
  sy = pair.sy;
  hx = pair.hx;
});

after(async () => {
  await pair?.stop();
  for (const s of servers) s.close();
  tmp.cleanup();
});

describe('RDP (differential with haproxy 2.6)', { skip }, () => {
  const users = Array.from({ length: 12 }, (_, i) => `user${i}`);

  test('balance rdp-cookie: each user always on one server, the same one as with haproxy', async () => {
    const ours: string[] = [];
    const theirs: string[] = [];
    for (const u of users) {
      const req = connectionRequest(`mstshash=${u}`);
      const a = await send(fe.sy.hashed, req);
      assert.equal(await send(fe.sy.hashed, req), a, `${u} moved`);
      ours.push(a);
      theirs.push(await send(fe.hx.hashed, req));
    }
    assert.deepEqual(ours, theirs);
    assert.ok(new Set(ours).size > 1, `all users on ${ours[0]}`);
  });

  test('RDP_COOKIE: bytes that are not an RDP Connection Request are refused, as by haproxy', async () => {
    const junk = Buffer.from('GET / HTTP/1.0\r\n\r\n');
    assert.equal(await send(fe.sy.hashed, junk), '');
    assert.equal(await send(fe.hx.hashed, junk), '');
  });

  test("persist rdp-cookie: the broker's msts token picks its server on both", async () => {
    for (let i = 0; i < srvPort.length; i++) {
      const req = connectionRequest(brokerToken(srvPort[i]));
      for (let k = 0; k < 3; k++) {
        assert.equal(await send(fe.sy.persisted, req), `s${i + 1}`);
        assert.equal(await send(fe.hx.persisted, req), `s${i + 1}`);
      }
    }
    // a token naming no server: round robin as usual
    const stray = connectionRequest(brokerToken(1));
    assert.match(await send(fe.sy.persisted, stray), /^s[1-4]$/);
  });

  test('stick on req.rdp_cookie(mstshash): a user stays where it first went', async () => {
    for (const u of users.slice(0, 6)) {
      const req = connectionRequest(`mstshash=${u}`);
      const first = await send(fe.sy.sticky, req);
      assert.match(first, /^s[1-4]$/);
      for (let k = 0; k < 3; k++) assert.equal(await send(fe.sy.sticky, req), first, u);
    }
  });
});
