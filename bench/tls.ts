/**
 * `node --import tsx bench/tls.ts`: TLS termination, Switchyard next to HAProxy in the same run.
 *
 * Layout (2 cores): the proxy under test on CPU 0 (HAProxy `nbthread 1`, one Switchyard process);
 * the load generators and the nginx origin on CPU 1. Each round starts each proxy in turn (order
 * rotated per round), runs every scenario, and stops it; the table gives medians over rounds and
 * the ratio to HAProxy.
 *
 * Scenarios (the proxy answers `http-request return` for the handshake ones, so the handshake is
 * what is measured):
 * - full handshakes, ECDSA P-256 and RSA 2048 certificates: wrk with `Connection: close` (a new
 *   connection, and a full TLS 1.3 handshake, per request: wrk keeps no session);
 * - resumed handshakes: `openssl s_time -reuse` (TLS 1.3 session tickets), --stime parallel processes,
 *   connections/s summed (ECDSA certificate);
 * - HTTPS keep-alive small GETs: wrk 50 connections through the proxy to the nginx origin (ECDSA).
 *
 * Options: --rounds N (3) --seconds S (5) --warm S (1) --stime N (8) --only a,b --out DIR
 *          SWITCHYARD_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" adds node options to Switchyard.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type Proc, startPinned, stop, waitPort } from './lib/procs.ts';
import { markdown, type Sample, summarize } from './lib/report.ts';
import { shebangNodeFlags } from './lib/shebang.ts';
import { runWrk } from './lib/wrk.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : def;
};
const num = (name: string, def: string): number => {
  const n = Number(opt(name, def));
  if (!Number.isFinite(n) || n < 0) {
    console.error(`bench/tls: --${name} takes a number >= 0`);
    process.exit(2);
  }
  return n;
};
const ROUNDS = Math.max(1, num('rounds', '3'));
const SECONDS = Math.max(1, num('seconds', '5'));
const WARM_S = num('warm', '1');
const STIME = Math.max(1, num('stime', '8'));
const ONLY = opt('only', '').split(',').filter(Boolean);
const OUT = opt('out', join(import.meta.dirname, 'results'));
const PROXY_CPU = 0;
const LOAD_CPU = cpus().length > 1 ? 1 : 0;
const root = join(import.meta.dirname, '..');
const BIN = join(root, 'packages/cli/bin/switchyard.mjs');
const NODE_ARGS = [
  ...shebangNodeFlags(readFileSync(BIN, 'utf8')),
  ...(process.env.SWITCHYARD_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
];
const tmp = mkdtempSync(join(tmpdir(), 'sy-bench-tls-'));

/** Writes `NAME.pem` (self-signed certificate + key) for `localhost` with openssl. */
function makeCert(name: string, key: string[]): string {
  const pem = join(tmp, `${name}.pem`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', ...key, '-nodes', '-days', '2', '-keyout', `${pem}.k`].concat([
      '-out',
      `${pem}.c`,
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ]),
    { stdio: 'ignore' },
  );
  writeFileSync(pem, readFileSync(`${pem}.c`, 'utf8') + readFileSync(`${pem}.k`, 'utf8'));
  return pem;
}

interface Ports {
  ec: number;
  rsa: number;
  proxied: number;
}

/** One configuration for both proxies: an ECDSA bind, an RSA bind, and a bind proxying to the origin. */
function config(p: Ports, ec: string, rsa: string, origin: number): string {
  return `global
  maxconn 9990
  nbthread 1

defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive

frontend fe_ec
  bind 127.0.0.1:${p.ec} ssl crt ${ec}
  http-request return status 200 content-type text/plain string ok

frontend fe_rsa
  bind 127.0.0.1:${p.rsa} ssl crt ${rsa}
  http-request return status 200 content-type text/plain string ok

frontend fe_proxied
  bind 127.0.0.1:${p.proxied} ssl crt ${ec}
  default_backend be_web

backend be_web
  server web1 127.0.0.1:${origin}
`;
}

const ulimit = (cmd: string[]): [string, string[]] => [
  'bash',
  ['-c', 'ulimit -n $(ulimit -Hn); exec "$@"', 'sh', ...cmd],
];

const PROXIES = [
  { name: 'haproxy', cmd: (cfg: string) => ulimit(['haproxy', '-db', '-f', cfg]) },
  { name: 'switchyard', cmd: (cfg: string) => ulimit([process.execPath, ...NODE_ARGS, BIN, '-f', cfg]) },
];

/** `openssl s_time -reuse` × STIME processes on the load CPU: resumed connections per second, summed. */
async function stime(port: number, seconds: number): Promise<{ rps: number; errors: number }> {
  const one = () =>
    new Promise<number>((resolve) => {
      const started = process.hrtime.bigint();
      const c = spawn(
        'taskset',
        ['-c', String(LOAD_CPU), 'openssl', 's_time', '-connect', `127.0.0.1:${port}`, '-reuse', '-time'].concat([
          String(seconds),
          '-www',
          '/',
        ]),
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      c.stdout.on('data', (b) => {
        out += b;
      });
      c.on('exit', () => {
        // "N connections in T real seconds" (T whole seconds): N over the wall time measured here
        const m = [...out.matchAll(/(\d+) connections in \d+ real seconds/g)].pop();
        const wall = Number(process.hrtime.bigint() - started) / 1e9;
        resolve(m ? Number(m[1]) / wall : Number.NaN);
      });
    });
  const rates = await Promise.all(Array.from({ length: STIME }, one));
  const ok = rates.filter((r) => Number.isFinite(r));
  return { rps: ok.reduce((a, b) => a + b, 0), errors: rates.length - ok.length };
}

type Result = Omit<Sample, 'scenario' | 'proxy' | 'round'>;

const SCENARIOS: Array<{ name: string; run(p: Ports): Promise<Result> }> = [
  {
    name: 'TLS full handshake ECDSA P-256 (wrk, Connection: close, 50 conns)',
    run: (p) => wrkRun(`https://localhost:${p.ec}/`, ['Connection: close']),
  },
  {
    name: 'TLS full handshake RSA 2048 (wrk, Connection: close, 50 conns)',
    run: (p) => wrkRun(`https://localhost:${p.rsa}/`, ['Connection: close']),
  },
  {
    name: `TLS resumed handshake (openssl s_time -reuse x ${STIME})`,
    run: async (p) => {
      if (WARM_S) await stime(p.ec, WARM_S);
      return stime(p.ec, SECONDS);
    },
  },
  {
    name: 'HTTPS keep-alive small GET to origin (wrk, 50 conns)',
    run: (p) => wrkRun(`https://localhost:${p.proxied}/`, []),
  },
];

async function wrkRun(url: string, headers: string[]): Promise<Result> {
  const base = { url, connections: 50, cpu: LOAD_CPU, headers, tmpDir: tmp };
  if (WARM_S) await runWrk({ ...base, seconds: WARM_S });
  const r = await runWrk({ ...base, seconds: SECONDS });
  return { rps: r.rps, p50ms: r.p50ms, p99ms: r.p99ms, errors: r.errors + r.non2xx };
}

async function main(): Promise<void> {
  const ec = makeCert('ec', ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']);
  const rsa = makeCert('rsa', ['rsa:2048']);
  const originPort = await freePort();
  writeFileSync(
    join(tmp, 'origin.conf'),
    `worker_processes 1;\npid ${tmp}/origin.pid;\nerror_log ${tmp}/origin.err warn;\ndaemon off;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  keepalive_requests 1000000;\n  server {\n    listen 127.0.0.1:${originPort};\n    location = / { default_type text/plain; return 200 "hello from origin\\n"; }\n  }\n}\n`,
  );
  const origin = startPinned(LOAD_CPU, 'nginx', ['-c', join(tmp, 'origin.conf'), '-p', tmp]);
  const samples: Sample[] = [];
  try {
    await waitPort(originPort);
    const scenarios = ONLY.length ? SCENARIOS.filter((s) => ONLY.some((o) => s.name.includes(o))) : SCENARIOS;
    for (let round = 0; round < ROUNDS; round++) {
      const order = PROXIES.map((_, i) => PROXIES[(i + round) % PROXIES.length]);
      for (const px of order) {
        const ports: Ports = { ec: await freePort(), rsa: await freePort(), proxied: await freePort() };
        const cfg = join(tmp, `${px.name}.cfg`);
        writeFileSync(cfg, config(ports, ec, rsa, originPort));
        const [c, a] = px.cmd(cfg);
        const proc: Proc = startPinned(PROXY_CPU, c, a);
        try {
          await waitPort(ports.proxied);
          for (const sc of scenarios) {
            try {
              samples.push({ scenario: sc.name, proxy: px.name, round, ...(await sc.run(ports)) });
            } catch (e) {
              console.error(`${px.name} / ${sc.name}: ${(e as Error).message}`);
              samples.push({ scenario: sc.name, proxy: px.name, round, errors: 1, note: 'failed' });
            }
          }
        } finally {
          await stop(proc);
        }
        console.error(`round ${round + 1}/${ROUNDS} ${px.name} done`);
      }
    }
  } finally {
    await stop(origin);
  }
  const rows = summarize(samples);
  const meta = {
    date: new Date().toISOString(),
    command: `node --import tsx bench/tls.ts ${argv.join(' ')}`.trim(),
    layout: `proxy pinned to CPU ${PROXY_CPU} (haproxy nbthread 1, one switchyard process); wrk / openssl s_time and the nginx origin on CPU ${LOAD_CPU}`,
    rounds: String(ROUNDS),
    seconds: `${SECONDS} measured after ${WARM_S} s of the same load`,
    haproxy: execFileSync('haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0],
    node: process.version,
    noise: 'a shared 2-core machine with other jobs running: figures move by 10-20 % between runs',
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'tls.json'), `${JSON.stringify({ meta, rows, samples }, null, 2)}\n`);
  writeFileSync(join(OUT, 'tls.md'), markdown(rows, meta));
  console.log(markdown(rows, meta));
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
