import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { needsRoot } from '../../../test/helpers/system.ts';
import { AUTH_NONE, encodePacket, parseIPv4, type ReceivedPacket } from '../src/codec/index.ts';
import { DropLog, loadAddon, RawVrrpSocket, reportVrrpState, TransportError } from '../src/transport/index.ts';

test('drop log: first drop per reason logged, then at most one line per interval with the suppressed count', () => {
  let now = 0;
  const lines: string[] = [];
  const d = new DropLog(
    (m) => lines.push(m),
    10_000,
    () => now,
  );
  for (let i = 0; i < 100; i++) d.drop('checksum', '(VI_1) Invalid VRRPv2 checksum');
  d.drop('ttl', '(VI_1) invalid TTL/HL. Received 64 and expect 255');
  assert.equal(lines.length, 2);
  now = 10_001;
  d.drop('checksum', '(VI_1) Invalid VRRPv2 checksum');
  assert.equal(lines.length, 3);
  assert.match(lines[2], /packet dropped \[checksum\] \(99 more since last report\)/);
  assert.equal(d.counts.get('checksum'), 101);
});

test('state report over a real unix socket: empty reply is success, text is a refusal, no server is an error', async (t) => {
  const path = join(tmpdir(), `sy-vrrp-${process.pid}.sock`);
  const got: string[] = [];
  let reply = '\n';
  const srv = createServer((c) => {
    let buf = '';
    c.on('data', (d) => {
      buf += d;
      if (buf.endsWith('\n')) {
        got.push(buf.trim());
        c.end(reply);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(path, r));
  t.after(() => {
    srv.close();
    rmSync(path, { force: true });
  });
  assert.equal(await reportVrrpState(path, 'VI_1', 'MASTER'), undefined);
  assert.deepEqual(got, ['set vrrp state VI_1 MASTER']);
  reply = "'set vrrp state' expects 'INIT'.\n";
  assert.match((await reportVrrpState(path, 'VI_1', 'MASTER')) ?? '', /refused 'set vrrp state VI_1 MASTER'/);
  assert.match((await reportVrrpState(`${path}.missing`, 'VI_1', 'BACKUP')) ?? '', /ENOENT/);
  assert.match(
    (await reportVrrpState('not an address', 'VI_1', 'BACKUP')) ?? '',
    /cannot parse runtime socket address/,
  );
});

test('addon: system errors carry errno codes; unknown interface is a TransportError', () => {
  const a = loadAddon();
  assert.throws(
    () => a.setsockoptInt(987654, a.constants.IPPROTO_IP, a.constants.IP_HDRINCL, 1),
    (e: Error & { code?: string }) => e.code === 'EBADF',
  );
  assert.throws(() => a.ifIndex('nosuchif0'), /if_nametoindex/);
  assert.throws(
    () =>
      new RawVrrpSocket({
        ifname: 'nosuchif0',
        group: 0xe0000012,
        unicast: false,
        onPacket: () => {},
        onMalformed: () => {},
        onError: () => {},
      }),
    (e: Error) => e instanceof TransportError && e.code === 'VRRP_NO_INTERFACE',
  );
  assert.throws(() => (a.sendTo as (...x: unknown[]) => number)(1, 'not a buffer', 0), /Buffer/);
});

test('raw socket on loopback: a sent advert comes back through uv_poll, IP header and all', {
  skip: needsRoot(),
}, async (t) => {
  const lo = parseIPv4('127.0.0.1')!;
  const got: ReceivedPacket[] = [];
  const sock = new RawVrrpSocket({
    ifname: 'lo',
    group: 0xe0000012,
    unicast: true,
    onPacket: (p) => got.push({ ...p, buf: Buffer.from(p.buf.subarray(0, p.length)) }),
    onMalformed: () => {},
    onError: (e) => assert.fail(e),
  });
  t.after(() => sock.close());
  const pkt = encodePacket(
    { version: 3, vrid: 77, priority: 123, advertIntCs: 100, authType: AUTH_NONE, addrs: [parseIPv4('127.0.0.77')!] },
    lo,
    lo,
  );
  assert.equal(sock.send(pkt, lo), undefined);
  const t0 = Date.now();
  while (!got.some((p) => p.vrid === 77) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
  const p = got.find((x) => x.vrid === 77);
  assert.ok(p, 'packet received');
  assert.equal(p.ttl, 255);
  assert.equal(p.priority, 123);
  assert.equal(p.length, pkt.length);
  sock.close();
  assert.ok(sock.send(pkt, lo) instanceof TransportError, 'send after close is an error value');
});
