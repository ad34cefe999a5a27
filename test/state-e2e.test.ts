/**
 * Two (then three) real Switchyard processes sharing one real redis-server: `stick on src`
 * pinning across nodes, a rate limit enforced across both, `disable server` on one node puts the
 * server in MAINT on the other, a late joiner has everything before its first request, and Redis
 * killed mid-traffic fails no client request and converges after a restart.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { eventually, startRedis } from '../packages/state/test/redis-server.ts';
import { freePort, type ProxyProcess, startProxy, startUpstream, tempDir, writeFile } from './helpers/proxy.ts';
import { needs } from './helpers/system.ts';

function cfg(port: number, sock: string, redisUrl: string, ups: number[]): string {
  return `
global
  redis-url ${redisUrl}
  cluster-name e2e
  stats socket ${sock} level admin

defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s

frontend fe
  bind 127.0.0.1:${port}
  acl limited path_beg /limited
  http-request track-sc0 src table per_ip if limited
  http-request deny deny_status 429 if limited { sc_http_req_rate(0) gt 20 }
  default_backend app

backend per_ip
  stick-table type ip size 100k expire 30s store http_req_rate(10s)

backend app
  stick-table type ip size 1m expire 30m
  stick on src
${ups.map((p, i) => `  server s${i + 1} 127.0.0.1:${p}`).join('\n')}
`;
}

/** One request on a fresh connection from `src` (a 127/8 address): status and body. */
function get(port: number, src: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, localAddress: src, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** One runtime API command on a stats socket: the reply. */
function cli(sock: string, cmd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(sock);
    let out = '';
    c.on('data', (d) => {
      out += d;
    });
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.write(`${cmd}\n`);
  });
}

/** srv_admin_state of a server from `show servers state BACKEND` (0 ready, 1 forced MAINT, 8 DRAIN). */
async function adminState(sock: string, backend: string, server: string): Promise<number> {
  const out = await cli(sock, `show servers state ${backend}`);
  const line = out.split('\n').find((l) => l.split(' ')[3] === server);
  return line ? Number(line.split(' ')[6]) : -1;
}

const upstreamOf = (body: string) => body.split(' ')[0];

test('two Switchyard nodes share pinning, rate limits and admin state through Redis; Redis loss fails nothing', {
  skip: needs('redis-server'),
  timeout: 180_000,
}, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.kill());
  const ups = await Promise.all(['u1', 'u2', 'u3'].map((n) => startUpstream(n)));
  t.after(() => Promise.all(ups.map((u) => u.close())));
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const nodes: ProxyProcess[] = [];
  t.after(() => Promise.all(nodes.map((n) => n.stop())));
  const start = async (name: string) => {
    const port = await freePort();
    const sock = `${tmp.dir}/${name}.sock`;
    const file = writeFile(
      tmp.dir,
      `${name}.cfg`,
      cfg(
        port,
        sock,
        redis.url,
        ups.map((u) => u.port),
      ),
    );
    const proc = await startProxy(['-f', file]);
    nodes.push(proc);
    return { port, sock, proc };
  };
  const a = await start('a');
  const b = await start('b');
  const probe = new Redis(redis.url);
  t.after(() => probe.disconnect());
  probe.on('error', () => {}); // Redis is killed on purpose below
  /** http_req_rate buckets (curr + prev) of 127.0.0.20 as stored in Redis. */
  const ratePerIp = async () => {
    const v = await probe.get('switchyard:e2e:st:per_ip:127.0.0.20');
    if (!v) return 0;
    const d = JSON.parse(v).d as number[];
    return d[3] + d[4];
  };
  const inRedis = (table: string, key: string) => async () =>
    (await probe.exists(`switchyard:e2e:st:${table}:${key}`)) === 1;

  // pinning: balanced on A, the same server on B
  const pins = new Map<string, string>();
  for (const src of ['127.0.0.11', '127.0.0.12', '127.0.0.13']) {
    const r = await get(a.port, src);
    assert.equal(r.status, 200);
    pins.set(src, upstreamOf(r.body));
  }
  assert.equal(new Set(pins.values()).size, 3, 'round robin spread the three clients');
  for (const src of pins.keys()) await eventually(`pin of ${src} shared`, inRedis('app', src), 15_000);
  for (const [src, up] of pins) {
    for (let i = 0; i < 3; i++) assert.equal(upstreamOf((await get(b.port, src)).body), up, `${src} on B`);
  }

  // rate limit of 20 per 10 s across both nodes: 10 on A, then B allows only 10 more
  for (let i = 0; i < 10; i++) assert.equal((await get(a.port, '127.0.0.20', '/limited')).status, 200);
  await eventually(
    "A's 10 requests known to Redis (so published to B before)",
    async () => (await ratePerIp()) >= 10,
    15_000,
  );
  const onB: number[] = [];
  for (let i = 0; i < 15; i++) onB.push((await get(b.port, '127.0.0.20', '/limited')).status);
  assert.deepEqual(onB, [...Array(10).fill(200), ...Array(5).fill(429)]);
  await eventually(
    "B's requests known to Redis (so published to A before)",
    async () => (await ratePerIp()) >= 25,
    15_000,
  );
  await eventually(
    "B's requests applied on A",
    async () => {
      const m = /http_req_rate\(10000\)=(\d+)/.exec(await cli(a.sock, 'show table per_ip key 127.0.0.20'));
      return m !== null && Number(m[1]) >= 25;
    },
    15_000,
  );
  assert.equal((await get(a.port, '127.0.0.20', '/limited')).status, 429, 'A sees B counts too');

  // disable server on A -> MAINT on B; enable again -> READY on B
  const victim = [...pins.values()].indexOf(pins.get('127.0.0.12') as string);
  const sname = `s${ups.findIndex((u) => u.name === pins.get('127.0.0.12')) + 1}`;
  assert.ok(victim >= 0);
  await cli(a.sock, `disable server app/${sname}`);
  const t0 = Date.now();
  await eventually('MAINT on B', async () => (await adminState(b.sock, 'app', sname)) === 1, 10_000);
  t.diagnostic(`disable server on A seen as MAINT on B after ${Date.now() - t0} ms`);
  const moved = await get(b.port, '127.0.0.12');
  assert.notEqual(upstreamOf(moved.body), pins.get('127.0.0.12'), 'the MAINT server gets no more traffic on B');
  await cli(a.sock, `enable server app/${sname}`);
  await eventually('READY on B', async () => (await adminState(b.sock, 'app', sname)) === 0, 10_000);

  // a late joiner has the tables and admin state before its first request
  await cli(a.sock, `set server app/${sname} state drain`);
  await eventually('DRAIN on B', async () => (await adminState(b.sock, 'app', sname)) === 8, 10_000);
  const c = await start('c');
  assert.equal(await adminState(c.sock, 'app', sname), 8, 'late joiner loaded the DRAIN state');
  assert.equal(upstreamOf((await get(c.port, '127.0.0.11')).body), pins.get('127.0.0.11'), 'late joiner pinned');
  await cli(a.sock, `set server app/${sname} state ready`);

  // Redis killed mid-traffic: every client request still answered 200
  let stop = false;
  const statuses = new Map<number, number>();
  let sent = 0;
  const traffic = (async () => {
    for (let i = 0; !stop; i++) {
      const node = i % 2 ? a : b;
      const r = await get(node.port, `127.0.2.${(i % 200) + 1}`);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      sent++;
    }
  })();
  await eventually('some traffic', () => sent > 20, 15_000);
  await redis.kill();
  const during = await get(a.port, '127.0.3.1');
  assert.equal(during.status, 200);
  await eventually('traffic continues while Redis is down', () => sent > 80, 30_000);
  stop = true;
  await traffic;
  assert.deepEqual([...statuses.keys()], [200], `statuses: ${JSON.stringify([...statuses])}`);
  t.diagnostic(`${sent} requests across the Redis kill, all 200`);
  assert.match(a.proc.stderr(), /Redis at redis:\/\/127\.0\.0\.1:\d+ unavailable/);

  // Redis back: the pin made on A during the outage reaches B
  await redis.restart();
  await eventually('pin made during the outage written back', inRedis('app', '127.0.3.1'), 30_000);
  // B's own table (runtime API), not a request: a request before B knows the pin would pin the
  // client itself, and that later write would rightly win everywhere
  await eventually(
    'B has the pin made on A during the outage',
    async () => / key=127\.0\.3\.1 /.test(await cli(b.sock, 'show table app key 127.0.3.1')),
    30_000,
  );
  assert.equal(upstreamOf((await get(b.port, '127.0.3.1')).body), upstreamOf(during.body));
  assert.match(b.proc.stderr(), /reachable again: resynchronising/);
});

test('one node with --workers 2 and no Redis: workers share pinning and rate limits', {
  timeout: 120_000,
}, async (t) => {
  const ups = await Promise.all(['u1', 'u2', 'u3'].map((n) => startUpstream(n)));
  t.after(() => Promise.all(ups.map((u) => u.close())));
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const port = await freePort();
  const text = cfg(
    port,
    `${tmp.dir}/w.sock`,
    'none',
    ups.map((u) => u.port),
  ).replace(/ {2}redis-url none\n/, '');
  const proxyProc = await startProxy(['-f', writeFile(tmp.dir, 'w.cfg', text), '--workers', '2'], { waitReady: false });
  t.after(() => proxyProc.stop());
  await proxyProc.waitFor(/Switchyard ready/, 60_000);
  // each request is a new connection: node:cluster spreads them over both workers
  for (const src of ['127.0.0.81', '127.0.0.82', '127.0.0.83']) {
    const first = upstreamOf((await get(port, src)).body);
    // replication between workers runs every 50 ms; give it ten intervals on a loaded machine
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 6; i++) assert.equal(upstreamOf((await get(port, src)).body), first, `${src} request ${i}`);
  }
  const statuses: number[] = [];
  for (let i = 0; i < 25; i++) {
    statuses.push((await get(port, '127.0.0.90', '/limited')).status);
    await new Promise((r) => setTimeout(r, 100)); // pacing: counts cross over between workers
  }
  // precision is one replication interval: a request may land on a worker that has not yet
  // heard of the other's last counts
  const allowed = statuses.filter((s) => s === 200).length;
  assert.ok(allowed >= 20 && allowed <= 22, `allowed ${allowed}: ${statuses.join(' ')}`);
  assert.deepEqual(statuses.slice(-3), [429, 429, 429]);
  assert.ok(statuses.every((s) => s === 200 || s === 429));
});
