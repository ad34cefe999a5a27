/**
 * Discovery over real UDP sockets with a scripted nameserver: address choice (family preference,
 * resolve-net, no duplicates in a template), hold periods before MAINT (resolution), forced MAINT
 * kept across a resolution outage, `hold obsolete`, SRV slots and weights, answers after stop dropped.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { parseConfig } from '@switchyard/config';
import { setServerAdmin } from '../src/control/server-control.ts';
import { createDiscovery } from '../src/dns/discovery.ts';
import { encodeName, RTYPE } from '../src/dns/wire.ts';
import type { ProxyLogger } from '../src/model/log-types.ts';
import { statusWord } from '../src/model/server-state.ts';
import { buildRuntime } from '../src/runtime/build.ts';

type Rec = { type: number; data: Buffer };
const A = (ip: string): Rec => ({ type: RTYPE.A, data: Buffer.from(ip.split('.').map(Number)) });
const AAAA = (hex: string): Rec => ({ type: RTYPE.AAAA, data: Buffer.from(hex, 'hex') });
const SRV = (w: number, port: number, target: string): Rec => {
  const d = Buffer.alloc(6);
  d.writeUInt16BE(0, 0);
  d.writeUInt16BE(w, 2);
  d.writeUInt16BE(port, 4);
  return { type: RTYPE.SRV, data: Buffer.concat([d, encodeName(target) as Buffer]) };
};

/** A nameserver answering from `zone` (name -> records; missing name: NXDOMAIN). */
async function nameserver(zone: Map<string, Rec[]>): Promise<{ port: number; sock: Socket; queries: string[] }> {
  const sock = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (q, from) => {
    // question: name at 12, then type
    let p = 12;
    const labels: string[] = [];
    while (q[p] !== 0) {
      labels.push(q.toString('latin1', p + 1, p + 1 + q[p]));
      p += q[p] + 1;
    }
    const qtype = q.readUInt16BE(p + 1);
    const qend = p + 5;
    const name = labels.join('.');
    queries.push(`${name}/${qtype}`);
    const recs = zone.get(name);
    const answers = (recs ?? []).filter((r) => r.type === qtype);
    const head = Buffer.from(q.subarray(0, 12));
    head.writeUInt16BE(recs ? 0x8180 : 0x8183, 2);
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(answers.length, 6);
    head.writeUInt16BE(0, 8);
    head.writeUInt16BE(0, 10);
    const rrs = answers.map((r) => {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt16BE(r.type, 0);
      fixed.writeUInt16BE(1, 2);
      fixed.writeUInt32BE(5, 4);
      fixed.writeUInt16BE(r.data.length, 8);
      return Buffer.concat([Buffer.from([0xc0, 12]), fixed, r.data]);
    });
    sock.send(Buffer.concat([head, q.subarray(12, qend), ...rrs]), from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { port: sock.address().port, sock, queries };
}

function runtime(text: string) {
  const lines: string[] = [];
  const logger: ProxyLogger = { log: (_p, _l, msg) => void lines.push(msg) };
  const parsed = parseConfig([{ file: 't.cfg', text }], { env: {} });
  assert.deepEqual(
    parsed.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const { runtime: rt, diagnostics } = buildRuntime(parsed.model, { logger });
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return { rt, lines };
}

// a slow answer on a loaded machine is retried (timeout retry), not taken as a failed resolution
const resolvers = (port: number, extra = '') => `resolvers dns
  nameserver ns1 127.0.0.1:${port}
  timeout resolve 50ms
  timeout retry 500ms
  resolve_retries 3
${extra}
`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// the client's sockets and timers are unref'd (they never hold a process open): the tests hold it
const hold = setInterval(() => {}, 1000);
test.after(() => clearInterval(hold));

test('address choice: preferred family, resolve-net, one address per template slot', async () => {
  const zone = new Map<string, Rec[]>([
    ['dual.test', [A('10.0.0.1'), A('192.168.1.5'), AAAA('20010db8000000000000000000000009')]],
    ['pool.test', [A('10.1.0.1'), A('10.1.0.2')]],
  ]);
  const ns = await nameserver(zone);
  const { rt } = runtime(`${resolvers(ns.port)}
backend b
  server v6 dual.test:80 resolvers dns
  server v4 dual.test:80 resolvers dns resolve-prefer ipv4
  server net dual.test:80 resolvers dns resolve-prefer ipv4 resolve-net 192.168.0.0/16
  server-template p 3 pool.test:80 resolvers dns resolve-prefer ipv4 init-addr none
  server-template d 3 pool.test:81 resolvers dns resolve-prefer ipv4 resolve-opts allow-dup-ip init-addr none
`);
  const d = createDiscovery(rt);
  try {
    await d.refresh();
    const b = rt.backends.get('b');
    const s = (n: string) => b?.serversByName.get(n);
    assert.equal(s('v6')?.host, '2001:db8::9', 'ipv6 preferred by default');
    assert.deepEqual(ns.queries.slice(0, 1), ['dual.test/28'], 'AAAA asked first by default');
    assert.equal(s('v4')?.host, '10.0.0.1');
    assert.equal(s('net')?.host, '192.168.1.5', 'resolve-net wins over answer order');
    const p = ['p1', 'p2', 'p3'].map((n) => [s(n)?.addressKnown === false ? '' : s(n)?.host, statusWord(s(n)!)]);
    assert.deepEqual(p, [
      ['10.1.0.1', 'no check'],
      ['10.1.0.2', 'no check'],
      ['', 'MAINT (resolution)'],
    ]);
    // allow-dup-ip: distinct addresses first, then a shared one rather than a slot in MAINT
    assert.deepEqual(
      ['d1', 'd2', 'd3'].map((n) => [s(n)?.host, statusWord(s(n)!)]),
      [
        ['10.1.0.1', 'no check'],
        ['10.1.0.2', 'no check'],
        ['10.1.0.1', 'no check'],
      ],
    );
  } finally {
    d.stop();
    ns.sock.close();
  }
});

test('hold nx: MAINT (resolution) only once the error outlasts it; forced MAINT survives the outage', async () => {
  const zone = new Map<string, Rec[]>([['app.test', [A('10.0.0.7')]]]);
  const ns = await nameserver(zone);
  const { rt, lines } = runtime(`${resolvers(ns.port, '  hold nx 300ms')}
backend b
  server s1 app.test:80 resolvers dns resolve-prefer ipv4
  server s2 app.test:80 resolvers dns resolve-prefer ipv4 resolve-opts allow-dup-ip
`);
  const be = rt.backends.get('b');
  const s1 = be?.serversByName.get('s1');
  const s2 = be?.serversByName.get('s2');
  assert.ok(be && s1 && s2);
  const d = createDiscovery(rt);
  try {
    d.start();
    await d.refresh();
    assert.equal(s1.host, '10.0.0.7');
    s1.counters.stot = 42;
    setServerAdmin(rt, be, s2, 'MAINT', 'api');
    zone.delete('app.test');
    const gone = Date.now();
    while (statusWord(s1) !== 'MAINT (resolution)' && Date.now() - gone < 20_000) await sleep(10);
    const took = Date.now() - gone;
    assert.equal(statusWord(s1), 'MAINT (resolution)');
    assert.ok(took >= 250, `MAINT after the hold (${took} ms)`);
    assert.ok(lines.some((l) => /^Server b\/s1 is going DOWN for maintenance \(DNS NX status\)\. /.test(l)));
    assert.equal(statusWord(s2), 'MAINT (resolution)');
    zone.set('app.test', [A('10.0.0.8')]);
    while (statusWord(s1) === 'MAINT (resolution)' && Date.now() - gone < 30_000) await sleep(10);
    assert.equal(statusWord(s1), 'no check');
    assert.equal(s1.host, '10.0.0.8');
    assert.equal(s1.counters.stot, 42, 'counters kept');
    await d.refresh();
    assert.equal(statusWord(s2), 'MAINT', 'forced MAINT stays once the name resolves again');
    assert.ok(
      lines.some((l) => l === "Server b/s2 ('app.test') resolves again but remains in maintenance"),
      lines.join('\n'),
    );
  } finally {
    d.stop();
    ns.sock.close();
  }
});

test('SRV slots: port and weight from the record, a removed record frees its slot; stop drops late answers', async () => {
  const zone = new Map<string, Rec[]>([
    ['_h._tcp.svc.test', [SRV(10, 8001, 'a.svc.test'), SRV(65535, 8002, 'b.svc.test')]],
    ['a.svc.test', [A('10.2.0.1')]],
    ['b.svc.test', [A('10.2.0.2')]],
  ]);
  const ns = await nameserver(zone);
  const { rt, lines } = runtime(`${resolvers(ns.port)}
backend b
  server-template w 2 _h._tcp.svc.test resolvers dns resolve-prefer ipv4
`);
  const be = rt.backends.get('b');
  const w1 = be?.serversByName.get('w1');
  const w2 = be?.serversByName.get('w2');
  assert.ok(w1 && w2);
  assert.equal(statusWord(w1), 'MAINT (resolution)', 'SRV slots wait for the DNS');
  const d = createDiscovery(rt);
  try {
    await d.refresh();
    assert.deepEqual(
      [w1.host, w1.port, w1.weight, w2.host, w2.port, w2.weight],
      ['10.2.0.1', 8001, 1, '10.2.0.2', 8002, 256],
    );
    assert.ok(lines.includes('b/w1 changed its IP from (none) to 10.2.0.1 by dns/ns1.'), lines.join('\n'));
    zone.set('_h._tcp.svc.test', [SRV(10, 8002, 'b.svc.test')]);
    await d.refresh();
    assert.equal(statusWord(w1), 'MAINT (resolution)');
    assert.ok(
      lines.some((l) => l.startsWith('Server b/w1 is going DOWN for maintenance (entry removed from SRV record).')),
    );
    assert.equal(statusWord(w2), 'no check');
    zone.set('_h._tcp.svc.test', [SRV(10, 8002, 'b.svc.test'), SRV(300, 8003, 'a.svc.test')]);
    await d.refresh();
    assert.deepEqual([w1.host, w1.port, w1.weight, statusWord(w1)], ['10.2.0.1', 8003, 2, 'no check']);
    // after stop, an answer in flight changes nothing
    zone.clear();
    const late = d.refresh();
    d.stop();
    await late;
    assert.equal(statusWord(w1), 'no check');
  } finally {
    d.stop();
    ns.sock.close();
  }
});
