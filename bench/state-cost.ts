/**
 * Added cost per request of the state layer, measured at the hooks the datapath calls
 * (track-sc0 src + stick on src + cookie insert: trackSc, persistentServer, serverChosen,
 * responseHeaders, requestEnded), with: no state layer, in-memory tables, and Redis sharing
 * (a redis-server started here on a free port; replication timers run during the measurement,
 * so their cost is included in the wall time).
 *
 * Run: node --import tsx bench/state-cost.ts [--seconds S] [--clients N] [--rounds R]
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { parseConfig } from '@switchyard/config';
import { buildRuntime, makeTxn, type RequestHooks } from '@switchyard/proxy';
import { createStateLayer } from '@switchyard/state';

const argv = process.argv.slice(2);
const arg = (n: string, d: number) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 && argv[i + 1] ? Number(argv[i + 1]) : d;
};
const SECONDS = arg('seconds', 5);
const CLIENTS = arg('clients', 10_000);

const CFG = (redis: string) => `
global
${redis ? `  redis-url ${redis}\n  cluster-name bench` : ''}
defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:18998
  http-request track-sc0 src
  default_backend app
backend app
  stick-table type ip size 1m expire 30m store http_req_rate(10s),conn_cur
  stick on src
  cookie SRV insert indirect nocache
  server s1 127.0.0.1:9001 cookie a
  server s2 127.0.0.1:9002 cookie b
`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const srcs = Array.from({ length: CLIENTS }, (_, i) => `::ffff:10.1.${(i >>> 8) & 255}.${i & 255}`);

async function measure(label: string, hooks: RequestHooks, rt: ReturnType<typeof buildRuntime>['runtime']) {
  const be = rt.backends.get('app')!;
  const fe = rt.frontends.get('fe')!;
  let n = 0;
  const end = Date.now() + SECONDS * 1000;
  const t0 = performance.now();
  while (Date.now() < end) {
    for (let k = 0; k < 1000; k++, n++) {
      const txn = makeTxn({
        method: 'GET',
        url: '/',
        httpVersion: '1.1',
        rawHeaders: ['Host', 'x', 'Cookie', n % 2 ? 'SRV=a' : 'x=1'],
        srcIp: srcs[n % CLIENTS],
        srcPort: 1,
        dstIp: '127.0.0.1',
        dstPort: 80,
        ssl: false,
        frontend: 'fe',
      });
      hooks.trackSc?.(txn, 'fe', 0);
      const s = hooks.persistentServer?.(txn, be) ?? be.servers[n & 1];
      hooks.serverChosen?.(txn, be, s);
      hooks.responseHeaders?.(txn, be, s, 200, {});
      hooks.requestEnded?.(txn, fe, 200);
    }
    await new Promise((r) => setImmediate(r)); // let replication timers run (their cost counts)
  }
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(
    `${label.padEnd(28)} ${(n / SECONDS / 1000).toFixed(0).padStart(6)} k req/s through the hooks, ${us.toFixed(2)} µs/request`,
  );
  return { us, n };
}

const logger = { log() {} };
const ROUNDS = arg('rounds', 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const port = await freePort();
const redis = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
  {
    stdio: 'ignore',
  },
);
try {
  await new Promise((r) => setTimeout(r, 300));
  const results = { base: [] as number[], mem: [] as number[], redis: [] as number[] };
  let flushCpu = 0;
  let requestsWithRedis = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round}/${ROUNDS}`);
    // fresh runtimes and layers each round, the three variants back to back so load drifts hit all
    const mem = buildRuntime(parseConfig([{ file: 'bench.cfg', text: CFG('') }]).model, { logger }).runtime;
    results.base.push((await measure('  no state layer (baseline)', {}, mem)).us);
    const local = createStateLayer(mem);
    results.mem.push((await measure('  in-memory tables', local.hooks, mem)).us);
    await local.stop();
    const shared = buildRuntime(parseConfig([{ file: 'bench.cfg', text: CFG(`redis://127.0.0.1:${port}`) }]).model, {
      logger,
    }).runtime;
    const layer = createStateLayer(shared, { logger });
    await layer.ready();
    if (!layer.status().connected) throw new Error('redis-server did not come up');
    const r = await measure('  Redis sharing on', layer.hooks, shared);
    results.redis.push(r.us);
    const st = layer.status().sync!;
    flushCpu += st.flushCpuMs;
    requestsWithRedis += r.n;
    console.log(`    replication: ${st.flushes} flushes, ${st.published} messages, ${st.writeErrors} errors`);
    await layer.stop();
  }
  const b = median(results.base);
  const m = median(results.mem);
  const r = median(results.redis);
  console.log(
    `median over ${ROUNDS} rounds (${CLIENTS} distinct clients, ${SECONDS} s each): baseline ${b.toFixed(2)} µs, ` +
      `in-memory ${m.toFixed(2)} µs, Redis ${r.toFixed(2)} µs per request`,
  );
  console.log(
    `added per request: in-memory ${(m - b).toFixed(2)} µs, with Redis ${(r - b).toFixed(2)} µs; ` +
      `replication flush preparation ${((flushCpu * 1000) / requestsWithRedis).toFixed(2)} µs/request of event-loop time (included above)`,
  );
} finally {
  redis.kill('SIGKILL');
}
