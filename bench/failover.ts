/**
 * Failover figure: the service gap and failed requests seen by a client of the VIP when the
 * MASTER node of a Switchyard pair (proxy + VRRP sidecar on each node) dies.
 * Runs in network namespaces (root). Writes bench/results/failover.json.
 *   node --import tsx bench/failover.ts [--rounds N]
 * Cases: VRRPv2 advert_int 1 s (keepalived's default), VRRPv3 advert_int 0.1 s over IPv4 and
 * the same over IPv6 (ff02::12, unsolicited neighbour advertisements), and keepalived's VRRPv2 over
 * IPv6 (`version 2`) at advert_int 1 s.
 * Client: one GET every 20 ms on a fresh connection, 500 ms timeout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FailoverResult, runFailover } from './failover-scenario.ts';

const argv = process.argv.slice(2);
const i = argv.indexOf('--rounds');
const ROUNDS = i >= 0 ? Number(argv[i + 1]) : 3;
const OUT = join(import.meta.dirname, 'results');

const CASES = [
  { name: 'vrrp2-advert-1s', version: 2 as const, advertInt: 1, killAtMs: 2500, durationMs: 9000 },
  { name: 'vrrp3-advert-100ms', version: 3 as const, advertInt: 0.1, killAtMs: 2500, durationMs: 5000 },
  {
    name: 'vrrp3-ipv6-advert-100ms',
    version: 3 as const,
    advertInt: 0.1,
    killAtMs: 2500,
    durationMs: 5000,
    ipv6: true,
  },
  { name: 'vrrp2-ipv6-advert-1s', version: 2 as const, advertInt: 1, killAtMs: 2500, durationMs: 9000, ipv6: true },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results: Record<string, unknown> = {};
let subnet = 240;
for (const c of CASES) {
  const runs: FailoverResult[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const res = await runFailover({
      tag: `fob${subnet}`,
      subnet: subnet++,
      version: c.version,
      advertInt: c.advertInt,
      ipv6: c.ipv6 === true,
      intervalMs: 20,
      timeoutMs: 500,
      killAtMs: c.killAtMs,
      durationMs: c.durationMs,
    });
    if (res.servedAfter !== 'B') throw new Error(`${c.name}: service did not resume on B: ${JSON.stringify(res)}`);
    runs.push(res);
    process.stdout.write(`${c.name} round ${r + 1}: gap ${res.gapMs} ms, ${res.failed}/${res.requests} failed\n`);
  }
  results[c.name] = {
    version: c.version,
    family: c.ipv6 ? 'IPv6' : 'IPv4',
    advertIntS: c.advertInt,
    masterDownMs: runs[0].masterDownMs,
    gapMsMedian: median(runs.map((x) => x.gapMs)),
    gapMs: runs.map((x) => x.gapMs),
    failedMedian: median(runs.map((x) => x.failed)),
    failed: runs.map((x) => x.failed),
    requests: runs.map((x) => x.requests),
  };
}
const doc = {
  what: 'Service gap seen through the VIP when the MASTER node (proxy + sidecar SIGKILLed, link down) dies',
  command: 'node --import tsx bench/failover.ts --rounds ' + ROUNDS,
  client: 'GET every 20 ms, fresh connection each, 500 ms timeout, from a third namespace over a bridge',
  node: process.version,
  date: new Date().toISOString(),
  results,
};
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'failover.json'), `${JSON.stringify(doc, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
