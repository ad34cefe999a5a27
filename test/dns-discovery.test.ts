/**
 * Service discovery against a real dnsmasq: a server follows its name's A record without a reload
 * (state and counters kept), goes to MAINT (resolution) when the name stops resolving and comes
 * back when it resolves again; a server-template is filled from SRV records (port and weight
 * from the records), slots appear and leave as the records change, unfilled slots stay in MAINT.
 * The same configuration run by Debian's haproxy 2.6 gives the same status words.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type Dnsmasq, serveOn, servePair, startDnsmasq } from './helpers/dnsmasq.ts';
import { defaults, freePort, type ProxyProcess, startProxy, tempDir, until, writeFile } from './helpers/proxy.ts';
import { findBinary, needs } from './helpers/system.ts';

function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

type Row = Record<string, string>;
/** Two addresses for the A-record template (three slots). */
const POOL = '127.0.0.11 pool.svc.local\n127.0.0.12 pool.svc.local\n';
async function csv(port: number): Promise<Row[]> {
  const { body } = await get(port, '/stats;csv');
  const [head, ...lines] = body.trim().split('\n');
  const cols = head.replace(/^# /, '').split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}
async function row(port: number, be: string, sv: string): Promise<Row | undefined> {
  return (await csv(port)).find((r) => r.pxname === be && r.svname === sv);
}

function config(dnsPort: number, fe: number, stats: number, appPort: number): string {
  return `${defaults()}resolvers dns
  nameserver ns1 127.0.0.1:${dnsPort}
  accepted_payload_size 1232
  resolve_retries 2
  timeout resolve 200ms
  timeout retry 200ms
  hold valid 1s
  hold nx 600ms
  hold other 600ms
  hold refused 600ms
  hold timeout 600ms
frontend f
  bind 127.0.0.1:${fe}
  use_backend t if { path_beg /t }
  use_backend p if { path_beg /p }
  default_backend b
backend b
  server s1 app.svc.local:${appPort} resolvers dns resolve-prefer ipv4 init-addr none
backend t
  server-template web 3 _http._tcp.svc.local resolvers dns resolve-prefer ipv4 init-addr none
backend p
  server-template pool 3 pool.svc.local:${appPort} resolvers dns resolve-prefer ipv4 init-addr none
listen stats
  bind 127.0.0.1:${stats}
  stats enable
  stats uri /stats
`;
}

describe('service discovery with dnsmasq', { skip: needs('dnsmasq') }, () => {
  const tmp = tempDir();
  let dns: Dnsmasq;
  let proxy: ProxyProcess;
  let fe = 0;
  let stats = 0;
  let appPort = 0;
  const servers: Server[] = [];
  const srvA = { port: 0 };
  const srvB = { port: 0 };
  const srvRecords = () => [
    `_http._tcp.svc.local,t1.svc.local,${srvA.port},0,100`,
    `_http._tcp.svc.local,t2.svc.local,${srvB.port},0,512`,
  ];

  before(async () => {
    // two servers on one port, one per address: only the DNS tells them apart
    const pair = await servePair();
    appPort = pair.port;
    servers.push(...pair.servers);
    srvA.port = await freePort();
    srvB.port = await freePort();
    servers.push(await serveOn('127.0.0.21', srvA.port, 'T1'));
    servers.push(await serveOn('127.0.0.22', srvB.port, 'T2'));
    const hosts = `127.0.0.11 app.svc.local\n${POOL}127.0.0.21 t1.svc.local\n127.0.0.22 t2.svc.local\n`;
    dns = await startDnsmasq(tmp.dir, await freePort(), 'svc.local', hosts, srvRecords());
    fe = await freePort();
    stats = await freePort();
    const cfg = writeFile(tmp.dir, 'dns.cfg', config(dns.port, fe, stats, appPort));
    proxy = await startProxy(['-f', cfg]);
  });

  after(async () => {
    await proxy?.stop();
    await dns?.stop();
    for (const s of servers) s.close();
    tmp.cleanup();
  });

  test('a server follows its A record without a reload, counters kept; a name gone goes MAINT (resolution)', async (t) => {
    await until(async () => (await get(fe)).body === 'A', 10_000, 'traffic to A');
    assert.match(proxy.stderr(), /b\/s1 changed its IP from \(none\) to 127\.0\.0\.11 by dns\/ns1\./);
    for (let i = 0; i < 5; i++) assert.equal((await get(fe)).body, 'A');
    const before = Number((await row(stats, 'b', 's1'))?.stot);
    assert.ok(before >= 5, `stot ${before}`);

    const moved = Date.now();
    await dns.setHosts(`127.0.0.12 app.svc.local\n${POOL}127.0.0.21 t1.svc.local\n127.0.0.22 t2.svc.local\n`);
    await until(async () => (await get(fe)).body === 'B', 10_000, 'traffic to B');
    t.diagnostic(
      `traffic followed the new A record ${Date.now() - moved} ms after the hosts file was rewritten (timeout resolve 200ms)`,
    );
    assert.match(proxy.stderr(), /b\/s1 changed its IP from 127\.0\.0\.11 to 127\.0\.0\.12 by dns\/ns1\./);
    const r = await row(stats, 'b', 's1');
    assert.equal(r?.status, 'no check');
    assert.ok(Number(r?.stot) > before, `counters kept: ${r?.stot} > ${before}`);
    assert.doesNotMatch(proxy.stderr(), /reload complete/);

    // a reload keeps the address the DNS gave and the counters (the server line is unchanged)
    const stot = Number(r?.stot);
    proxy.proc.kill('SIGHUP');
    await proxy.waitFor('reload complete.');
    const afterReload = await row(stats, 'b', 's1');
    assert.equal(afterReload?.addr, `127.0.0.12:${appPort}`);
    assert.ok(Number(afterReload?.stot) >= stot, `stot ${afterReload?.stot} after reload, ${stot} before`);
    assert.equal((await get(fe)).body, 'B');

    // the name disappears: NXDOMAIN for longer than 'hold nx' -> MAINT (resolution), 503
    await dns.setHosts(`${POOL}127.0.0.21 t1.svc.local\n127.0.0.22 t2.svc.local\n`);
    await until(
      async () => (await row(stats, 'b', 's1'))?.status === 'MAINT (resolution)',
      10_000,
      'MAINT (resolution)',
    );
    assert.match(
      proxy.stderr(),
      /Server b\/s1 is going DOWN for maintenance \(DNS NX status\)\. 0 active and 0 backup servers left\./,
    );
    assert.equal((await get(fe)).status, 503);

    // back again
    await dns.setHosts(`127.0.0.11 app.svc.local\n${POOL}127.0.0.21 t1.svc.local\n127.0.0.22 t2.svc.local\n`);
    await until(async () => (await get(fe)).body === 'A', 10_000, 'traffic back to A');
    assert.match(proxy.stderr(), /Server b\/s1 administratively READY thanks to valid DNS answer\./);
    assert.match(proxy.stderr(), /Server b\/s1 \('app\.svc\.local'\) is UP\/READY \(resolves again\)/);
  });

  test('server-template filled from SRV records: target address, port and weight; slots follow the records', async () => {
    await until(async () => (await row(stats, 't', 'web2'))?.status === 'no check', 10_000, 'web2 filled');
    const rows = async () =>
      Object.fromEntries((await csv(stats)).filter((r) => r.pxname === 't').map((r) => [r.svname, r]));
    let t = await rows();
    const bySlot = (addr: string) => Object.values(t).find((r) => r.addr === addr);
    assert.equal(bySlot(`127.0.0.21:${srvA.port}`)?.weight, '1', 'SRV weight 100 -> 1');
    assert.equal(bySlot(`127.0.0.22:${srvB.port}`)?.weight, '2', 'SRV weight 512 -> 2');
    assert.equal(t.web3.status, 'MAINT (resolution)', 'two records, the third slot stays in MAINT');
    assert.equal(t.web3.addr, '', 'an unfilled slot has no address');
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add((await get(fe, '/t')).body);
    assert.deepEqual([...seen].sort(), ['T1', 'T2']);

    // t1's record leaves: its slot goes MAINT (resolution), t2's slot keeps serving
    const t1Slot = Object.keys(t).find((k) => t[k].addr === `127.0.0.21:${srvA.port}`) ?? '';
    await dns.restart([`_http._tcp.svc.local,t2.svc.local,${srvB.port},0,512`]);
    await until(
      async () => (await row(stats, 't', t1Slot))?.status === 'MAINT (resolution)',
      10_000,
      `${t1Slot} MAINT`,
    );
    assert.match(
      proxy.stderr(),
      new RegExp(`Server t/${t1Slot} is going DOWN for maintenance \\(entry removed from SRV record\\)`),
    );
    for (let i = 0; i < 6; i++) assert.equal((await get(fe, '/t')).body, 'T2');

    // and comes back, in a free slot
    await dns.restart(srvRecords());
    await until(
      async () => {
        t = await rows();
        return Object.values(t).filter((r) => r.status === 'no check').length === 2;
      },
      10_000,
      'two slots filled again',
    );
    assert.ok(
      bySlot(`127.0.0.21:${srvA.port}`),
      `T1 has a slot again: ${JSON.stringify(Object.values(t).map((r) => [r.svname, r.status, r.addr]))}`,
    );
  });

  test('server-template from A records: one address per slot, the slot left over in MAINT (resolution)', async () => {
    await until(async () => (await row(stats, 'p', 'pool2'))?.status === 'no check', 10_000, 'pool2 filled');
    const p = (await csv(stats)).filter((r) => r.pxname === 'p' && r.svname !== 'BACKEND');
    assert.deepEqual(
      p.map((r) => r.addr).sort(),
      ['', `127.0.0.11:${appPort}`, `127.0.0.12:${appPort}`],
      'no address given twice (prevent-dup-ip, the default)',
    );
    assert.equal(p.find((r) => r.addr === '')?.status, 'MAINT (resolution)');
    // (it started in MAINT with 'init-addr none' and stays there: no transition, no line)
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add((await get(fe, '/p')).body);
    assert.deepEqual([...seen].sort(), ['A', 'B']);
  });

  test('haproxy 2.6 on the same configuration shows the same status words', { skip: needs('haproxy') }, async () => {
    const hfe = await freePort();
    const hstats = await freePort();
    const cfg = writeFile(tmp.dir, 'haproxy.cfg', config(dns.port, hfe, hstats, appPort));
    const hp = spawn(findBinary('haproxy') ?? 'haproxy', ['-db', '-dR', '-f', cfg], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let herr = '';
    hp.stderr.on('data', (d) => {
      herr += d;
    });
    try {
      await until(
        async () => {
          try {
            const r = await row(hstats, 't', 'web2');
            return r?.status === 'no check' || r?.status === 'UP';
          } catch {
            return false;
          }
        },
        10_000,
        `haproxy web slots (${herr})`,
      );
      await until(async () => (await row(hstats, 'b', 's1'))?.status === 'no check', 10_000, 'haproxy s1');
      await until(async () => (await row(hstats, 'p', 'pool2'))?.status === 'no check', 10_000, 'haproxy pool2');
      const ours = (r: Row) => ['t', 'b', 'p'].includes(r.pxname);
      const mine = (await csv(stats)).filter(ours);
      const theirs = (await csv(hstats)).filter(ours);
      // (haproxy's CSV shows no addr column without 'stats show-legends')
      const words = (rows: Row[]) => rows.map((r) => `${r.pxname}/${r.svname}=${r.status} w${r.weight}`).sort();
      assert.deepEqual(words(mine), words(theirs));
      assert.equal((await get(hfe)).body, 'A');
    } finally {
      hp.kill('SIGTERM');
    }
  });
});
