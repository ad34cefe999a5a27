/**
 * The DNS wire parser against hostile packets (pointer loops, forward pointers, lengths past the
 * end, truncation, poisoned names, huge counts, random mutations) and the UDP client against
 * real sockets sending them: every bad packet is refused with a reason, nothing throws.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { newResolvers } from '../../config/src/resolvers.ts';
import { ResolverClient } from '../src/dns/client.ts';
import { encodeName, encodeQuery, parseResponse, RTYPE } from '../src/dns/wire.ts';

const NAME = 'app.svc.local';

function header(id: number, flags: number, qd: number, an: number, ns = 0, ar = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  b.writeUInt16BE(ns, 8);
  b.writeUInt16BE(ar, 10);
  return b;
}
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const name = (n: string) => encodeName(n) as Buffer;
const question = (n: string, type: number) => Buffer.concat([name(n), u16(type), u16(1)]);
/** A record whose name is a pointer to the question's name (offset 12). */
function rr(type: number, rdata: Buffer, owner: Buffer = Buffer.from([0xc0, 12])): Buffer {
  return Buffer.concat([owner, u16(type), u16(1), Buffer.from([0, 0, 0, 60]), u16(rdata.length), rdata]);
}
const a = (ip: string) => rr(RTYPE.A, Buffer.from(ip.split('.').map(Number)));
function answer(records: Buffer[], flags = 0x8180, qtype: number = RTYPE.A, qname = NAME): Buffer {
  return Buffer.concat([header(7, flags, 1, records.length), question(qname, qtype), ...records]);
}

test('a valid answer: A records, compression pointers, EDNS query encoding', () => {
  const r = parseResponse(answer([a('10.0.0.1'), a('10.0.0.2')]), NAME, RTYPE.A);
  assert.equal(r.kind, 'valid');
  assert.deepEqual(r.kind === 'valid' && r.answers.map((x) => x.address), ['10.0.0.1', '10.0.0.2']);
  const q = encodeQuery(0x1234, NAME, RTYPE.SRV, 1232);
  assert.equal(q.readUInt16BE(0), 0x1234);
  assert.equal(q.readUInt16BE(2), 0x0100, 'RD only');
  assert.equal(q.readUInt16BE(10), 1, 'one OPT record');
  assert.equal(q.readUInt16BE(q.length - 8), 1232, 'OPT class = payload size');
  assert.equal(q.readUInt16BE(q.length - 15), RTYPE.SRV, 'QTYPE before QCLASS and the 11-byte OPT');
  const six = rr(RTYPE.AAAA, Buffer.from('20010db8000000000000000000000001', 'hex'));
  const r6 = parseResponse(answer([six], 0x8180, RTYPE.AAAA), NAME, RTYPE.AAAA);
  assert.equal(r6.kind === 'valid' && r6.answers[0].address, '2001:db8::1');
});

test('hostile packets are refused with a reason, never thrown', () => {
  const cases: Array<[string, Buffer, string, RegExp?]> = [
    ['empty', Buffer.alloc(0), 'invalid', /shorter than a DNS header/],
    ['header cut', header(7, 0x8180, 1, 1).subarray(0, 7), 'invalid'],
    ['a query, not an answer', answer([a('1.2.3.4')], 0x0100), 'invalid', /query/],
    [
      'two questions',
      Buffer.concat([header(7, 0x8180, 2, 1), question(NAME, 1), question(NAME, 1), a('1.1.1.1')]),
      'invalid',
    ],
    ['no answer', answer([]), 'empty'],
    ['NXDOMAIN', answer([], 0x8183), 'nx'],
    ['REFUSED', answer([], 0x8185), 'refused'],
    ['SERVFAIL', answer([], 0x8182), 'error'],
    ['question cut', answer([a('1.1.1.1')]).subarray(0, 20), 'invalid'],
    ['rdata past the end', answer([a('1.1.1.1')]).subarray(0, -1), 'invalid', /past the end/],
    ['A record of 5 bytes', answer([rr(RTYPE.A, Buffer.from([1, 2, 3, 4, 5]))]), 'invalid', /A record of 5 bytes/],
    ['AAAA of 4 bytes', answer([rr(RTYPE.AAAA, Buffer.from([1, 2, 3, 4]))], 0x8180, RTYPE.AAAA), 'invalid'],
    [
      'poisoned: question for another name',
      answer([a('6.6.6.6')], 0x8180, RTYPE.A, 'evil.example'),
      'invalid',
      /not 'app\.svc\.local'/,
    ],
    [
      'poisoned: record for another name',
      answer([rr(RTYPE.A, Buffer.from([6, 6, 6, 6]), name('evil.example'))]),
      'invalid',
    ],
    ['answer for another type', answer([a('1.1.1.1')]), 'invalid', /type/],
    ['TC bit on an A answer', answer([a('1.1.1.1')], 0x8380), 'truncated'],
    [
      '65535 answers announced',
      Buffer.concat([header(7, 0x8180, 1, 65535), question(NAME, 1), a('1.1.1.1')]),
      'invalid',
      /announced/,
    ],
    [
      'pointer to itself',
      Buffer.concat([
        header(7, 0x8180, 1, 1),
        question(NAME, 1),
        rr(RTYPE.A, Buffer.from([1, 1, 1, 1]), Buffer.from([0xc0, 31])),
      ]),
      'invalid',
      /backwards/,
    ],
    [
      'forward pointer',
      Buffer.concat([
        header(7, 0x8180, 1, 1),
        question(NAME, 1),
        rr(RTYPE.A, Buffer.from([1, 1, 1, 1]), Buffer.from([0xc0, 200])),
      ]),
      'invalid',
    ],
    [
      'label type 0x40',
      Buffer.concat([
        header(7, 0x8180, 1, 1),
        question(NAME, 1),
        rr(RTYPE.A, Buffer.from([1, 1, 1, 1]), Buffer.from([0x40, 0])),
      ]),
      'invalid',
      /label type/,
    ],
    ['CNAME with no address', answer([rr(RTYPE.CNAME, name('other.svc.local'))]), 'cname'],
    [
      'record outside the CNAME chain',
      answer([rr(RTYPE.CNAME, name('x.svc.local')), rr(RTYPE.A, Buffer.from([1, 1, 1, 1]), name('y.svc.local'))]),
      'cname',
    ],
    [
      'larger than accepted_payload_size',
      Buffer.concat([answer([a('1.1.1.1')]), Buffer.alloc(600)]),
      'invalid',
      /accepted_payload_size/,
    ],
  ];
  for (const [what, pkt, kind, re] of cases) {
    const r = parseResponse(
      pkt,
      NAME,
      what === 'AAAA of 4 bytes' || what === 'answer for another type' ? RTYPE.AAAA : RTYPE.A,
      512,
    );
    assert.equal(r.kind, kind, `${what}: ${JSON.stringify(r)}`);
    if (re) assert.match((r as { reason: string }).reason, re, what);
  }
});

test('compression: a chain of 100 pointers is followed, 101 are refused; names over 255 bytes refused', () => {
  const longLabel = Buffer.concat(
    Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x61)])),
  );
  const long = Buffer.concat([header(7, 0x8180, 1, 1), longLabel, Buffer.from([0]), u16(1), u16(1)]);
  assert.match((parseResponse(long, NAME, RTYPE.A) as { reason: string }).reason, /longer than 255/);
  // a record name made of 101 pointers in a row (each to the previous)
  const loop = (count: number) => {
    const q = question(NAME, 1);
    const rdataAt = 12 + q.length + 12; // after the holder record's owner pointer and fixed fields
    const ptrs: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const target = i === 0 ? 12 : rdataAt + (i - 1) * 2;
      ptrs.push(Buffer.from([0xc0 | (target >> 8), target & 0xff]));
    }
    // first record: a TXT-like record holding the pointers in its rdata; second: the A whose name is the last pointer
    const holder = rr(16, Buffer.concat(ptrs));
    const last = rdataAt + (count - 1) * 2;
    const rec = rr(RTYPE.A, Buffer.from([1, 2, 3, 4]), Buffer.from([0xc0 | (last >> 8), last & 0xff]));
    return Buffer.concat([header(7, 0x8180, 1, 2), q, holder, rec]);
  };
  const ok = parseResponse(loop(99), NAME, RTYPE.A); // 99 in the holder + the record name = 100
  assert.equal(ok.kind, 'valid', JSON.stringify(ok));
  const bad = parseResponse(loop(100), NAME, RTYPE.A); // 101 pointers with the record's own
  assert.match((bad as { reason: string }).reason, /too many compression pointers/);
});

test('TC bit: a truncated SRV answer with whole records is used, one cut mid-record is refused', () => {
  const target = name('t1.svc.local');
  const srv = rr(RTYPE.SRV, Buffer.concat([u16(0), u16(100), u16(8080), target]));
  const SRV = '_http._tcp.svc.local';
  const whole = answer([srv], 0x8380, RTYPE.SRV, SRV);
  const r = parseResponse(whole, SRV, RTYPE.SRV);
  assert.equal(r.kind, 'valid');
  assert.equal(r.kind === 'valid' && r.answers[0].port, 8080);
  assert.equal(r.kind === 'valid' && r.truncated, true);
  const cut = Buffer.concat([header(7, 0x8380, 1, 2), question(SRV, RTYPE.SRV), srv, srv.subarray(0, 8)]);
  const c = parseResponse(cut, SRV, RTYPE.SRV);
  assert.equal(c.kind, 'invalid');
  assert.match((c as { reason: string }).reason, /truncated answer/);
});

test('10,000 random mutations of valid answers never throw', () => {
  const seeds = [
    answer([a('10.0.0.1'), a('10.0.0.2')]),
    answer(
      [rr(RTYPE.SRV, Buffer.concat([u16(0), u16(5), u16(80), name('t.svc.local')]))],
      0x8180,
      RTYPE.SRV,
      '_h._tcp.svc.local',
    ),
  ];
  let x = 12345;
  const rnd = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x;
  };
  for (let i = 0; i < 10_000; i++) {
    const seed = seeds[i % 2];
    const b = Buffer.from(seed.subarray(0, rnd() % 3 === 0 ? rnd() % seed.length : seed.length));
    for (let k = 0; k < 1 + (rnd() % 4); k++) if (b.length) b[rnd() % b.length] = rnd() & 0xff;
    const r = parseResponse(b, i % 2 ? '_h._tcp.svc.local' : NAME, i % 2 ? RTYPE.SRV : RTYPE.A);
    assert.ok(typeof r.kind === 'string');
  }
});

/** A UDP "nameserver" answering each query with `reply(query)` (undefined: no answer). */
async function fakeNameserver(reply: (q: Buffer) => Buffer[] | undefined): Promise<{ port: number; sock: Socket }> {
  const sock = createSocket('udp4');
  sock.on('message', (q, from) => {
    for (const r of reply(q) ?? []) sock.send(r, from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, sock };
}
/** An answer to query `q` (same id) with `records`. */
function reply(q: Buffer, records: Buffer[], flags = 0x8180, qname = NAME): Buffer {
  const b = answer(records, flags, q.readUInt16BE(q.length - 11 - 4), qname);
  b.writeUInt16BE(q.readUInt16BE(0), 0);
  return b;
}

test('client over UDP: a poisoned answer from one nameserver is logged and ignored, the good one wins', async () => {
  const keep = setInterval(() => {}, 1000);
  const evil = await fakeNameserver((q) => [reply(q, [a('6.6.6.6')], 0x8180, 'evil.example'), Buffer.from([1])]);
  const good = await fakeNameserver((q) => [reply(q, [a('10.1.2.3')])]);
  const rs = newResolvers('dns', { file: 't', line: 1 });
  rs.nameservers.push({ id: 'evil', host: '127.0.0.1', port: evil.port, loc: rs.loc });
  rs.nameservers.push({ id: 'good', host: '127.0.0.1', port: good.port, loc: rs.loc });
  const logs: string[] = [];
  const c = new ResolverClient(rs, (m) => logs.push(m));
  try {
    const r = await c.resolve(NAME, RTYPE.A);
    assert.equal(r.status, 'valid');
    assert.equal(r.status === 'valid' && r.answers[0].address, '10.1.2.3');
    assert.equal(r.status === 'valid' && r.nameserver, 'good');
    await new Promise((res) => setTimeout(res, 50));
    assert.ok(
      logs.some((l) =>
        /nameserver 'evil': answer for 'app\.svc\.local' ignored: answer is for 'evil\.example'/.test(l),
      ),
      logs.join('\n'),
    );
    const evilCounters = c.counters().find((n) => n.id === 'evil')?.counters;
    assert.ok((evilCounters?.invalid ?? 0) >= 1);
  } finally {
    c.close();
    evil.sock.close();
    good.sock.close();
    clearInterval(keep);
  }
});

test('client over UDP: truncated A answers and silence end in other / timeout after resolve_retries', async () => {
  const keep = setInterval(() => {}, 1000);
  let queries = 0;
  const tc = await fakeNameserver((q) => {
    queries++;
    return [reply(q, [a('1.1.1.1')], 0x8380)];
  });
  const mute = await fakeNameserver(() => undefined);
  const mk = (port: number) => {
    const rs = newResolvers('dns', { file: 't', line: 1 });
    rs.nameservers.push({ id: 'ns', host: '127.0.0.1', port, loc: rs.loc });
    rs.timeoutRetry = 100;
    rs.resolveRetries = 2;
    return new ResolverClient(rs, () => {});
  };
  const c1 = mk(tc.port);
  const c2 = mk(mute.port);
  try {
    const r1 = await c1.resolve(NAME, RTYPE.A);
    assert.equal(r1.status, 'other');
    // A, then AAAA at once (fallback), then after timeout retry A and AAAA again
    assert.equal(queries, 4);
    const t0 = Date.now();
    const r2 = await c2.resolve(NAME, RTYPE.A);
    assert.equal(r2.status, 'timeout');
    assert.ok(Date.now() - t0 >= 190, 'two tries of timeout retry');
  } finally {
    c1.close();
    c2.close();
    tc.sock.close();
    mute.sock.close();
    clearInterval(keep);
  }
});
