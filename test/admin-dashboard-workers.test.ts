/**
 * The dashboard's JSON under `--workers 2` (real processes, real loopback servers): a worker
 * samples the node-wide figures once someone watches its dashboard, its timelines follow the
 * primary's checks (a killed server turns DOWN with the check's reason), and the answering pid is
 * a worker's.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { freePort, startProxy, startUpstream, tempDir, until, writeFile } from './helpers/proxy.ts';

interface Data {
  pid: number;
  sampling: string;
  times: number[];
  metrics: string[];
  proxies: Array<{
    kind: string;
    name: string;
    series: Array<Array<number | null>>;
    servers?: Array<{ name: string; bands?: Array<{ state: string; reason: string }> }>;
  }>;
}

test('--workers 2: a watched worker samples the node-wide view; timelines follow the primary', async (t) => {
  const s1 = await startUpstream('s1');
  const s2 = await startUpstream('s2');
  const tmp = tempDir();
  const [web, stats] = [await freePort(), await freePort()];
  const cfg = writeFile(
    tmp.dir,
    'w.cfg',
    `defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend web
  bind 127.0.0.1:${web}
  default_backend app
backend app
  server s1 127.0.0.1:${s1.port} check inter 300 fall 2 rise 2
  server s2 127.0.0.1:${s2.port} check inter 300 fall 2 rise 2
listen stats
  bind 127.0.0.1:${stats}
  stats enable
  stats uri /stats
`,
  );
  const px = await startProxy(['--workers', '2', '-f', cfg], { waitReady: false });
  // one kept-alive connection: every poll reaches the same worker, as a browser's does
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(async () => {
    agent.destroy();
    await px.stop('SIGKILL');
    await s1.close().catch(() => {});
    await s2.close();
    tmp.cleanup();
  });
  await px.waitFor('ready with 2 workers');
  const get = (since: number) =>
    new Promise<Data>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: stats, path: `/stats;dashboard;data;since=${since}`, agent },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve(JSON.parse(body) as Data));
        },
      );
      req.on('error', reject);
      req.end();
    });

  const first = await get(0);
  assert.equal(first.sampling, 'while-watched');
  assert.notEqual(first.pid, px.proc.pid, 'a worker answers, not the primary');
  // sampling starts with the first watch: the rate is the delta from the first sample on
  await until(async () => (await get(0)).times.length >= 1, 10_000, 'a first sample');
  // traffic through both workers, counted node-wide
  for (let i = 0; i < 40; i++) await (await fetch(`http://127.0.0.1:${web}/`)).arrayBuffer();
  const req = first.metrics.indexOf('req');
  // the rates integrate to the 40 requests both workers served (one worker's counters: about 20)
  let total = 0;
  await until(
    async () => {
      const d = await get(0);
      assert.equal(d.pid, first.pid, 'the same worker on the kept-alive connection');
      const rates = d.proxies.find((p) => p.kind === 'backend' && p.name === 'app')?.series[req] ?? [];
      total = 0;
      for (let i = 1; i < d.times.length; i++) total += ((rates[i] ?? 0) * (d.times[i] - d.times[i - 1])) / 1000;
      return Math.abs(total - 40) < 0.5;
    },
    15_000,
    'node-wide request count in the worker',
  ).catch((e) => {
    throw new Error(`${(e as Error).message}: ${total}`);
  });
  await s1.close();
  await until(
    async () => {
      const app = (await get(0)).proxies.find((p) => p.kind === 'backend' && p.name === 'app');
      const bands = app?.servers?.find((s) => s.name === 's1')?.bands ?? [];
      const down = bands.at(-1);
      return down?.state === 'DOWN' && /Connection refused/.test(down.reason);
    },
    15_000,
    's1 DOWN with the check reason in the worker',
  );
});
