/**
 * `npm run bench`: Switchyard vs HAProxy vs nginx vs node-http-proxy on the same machine, in one go.
 *
 * Layout (2 cores): the proxy under test is pinned to CPU 0; wrk and the nginx origin share CPU 1.
 * Each round starts every proxy in turn (order rotated per round), runs every scenario against it,
 * and stops it. The table reports the median over rounds and the ratio to HAProxy from this run.
 *
 * Every proxy, once started, first serves --start-warm seconds of small GETs unmeasured (a JIT-compiled
 * proxy is still compiling its hot path in its first seconds: Switchyard's small-GET p99 was 11.6 ms
 * over its first 3 s, 3.0 ms over the next 3 s, then 1.7-2.0 ms); then every scenario first runs its
 * own load for --warm seconds unmeasured. Both apply to every proxy alike.
 * Switchyard runs with the node flags of its bin's shebang, as the `switchyard` command does.
 *
 * The cold-start scenario instead starts each proxy fresh for its round and measures the first
 * --seconds of small keep-alive GETs from the moment its port accepts a connection (no warm-up at
 * all): what a restart, an upgrade or a failover onto a cold node meets. Its note gives the time
 * from the spawn of the process to that first accepted connection (polled every 5 ms).
 *
 * After the proxies of a round, the proxies that run active health checks (HAProxy, Switchyard) each
 * start on a configuration of --check-servers servers (1,000) with `option httpchk` and `inter 1s`:
 * their CPU over --check-seconds (10), and the check requests per second the servers received.
 *
 * Options: --rounds N (3) --seconds S (5) --start-warm S (10) --warm S (1) --only a,b (scenarios) --proxies a,b --out DIR
 *          --idle N (9900 idle connections) --settle S (30: seconds before their RSS is read)
 *          SWITCHYARD_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes more node options to Switchyard
 *          --workers (adds Switchyard with --workers 2 over both cores, the multi-core figure)
 *          --baseline DIR (adds the Switchyard of another checkout, e.g. before a change, to the same run)
 *          --baseline-full (that checkout has mode tcp and h2: it runs the tcp and h2c scenarios too)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runH2load } from './lib/h2load.ts';
import { nginxHead } from './lib/nginx.ts';
import { cpuSeconds, freePort, freePorts, type Proc, rssMiB, startPinned, stop, waitPort } from './lib/procs.ts';
import { markdown, type Sample, summarize, svgChart } from './lib/report.ts';
import { shebangNodeFlags } from './lib/shebang.ts';
import { runWrk } from './lib/wrk.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  // the options are the ones of the comment at the top of this file
  const text = readFileSync(new URL(import.meta.url), 'utf8');
  console.log((/\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? '').replace(/^ \* ?/gm, '').trim());
  process.exit(0);
}
const opt = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : def;
};
/** A numeric option: a number >= 0 (>= 1 with `min` 1), else the bench stops with a clear message. */
const num = (name: string, def: string, min = 0): number => {
  const v = opt(name, def);
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min) {
    console.error(`bench: --${name} takes a number >= ${min}, not "${v}"`);
    process.exit(2);
  }
  return n;
};
const ROUNDS = num('rounds', '3', 1);
const SECONDS = num('seconds', '5', 1);
/** Unmeasured seconds of each scenario's load before it is measured (`--warm 0`: none). */
const WARM_S = num('warm', '1');
/** Unmeasured seconds of small GETs after each proxy starts, before its first scenario. */
const START_WARM_S = num('start-warm', '10');
const ONLY = opt('only', '').split(',').filter(Boolean);
const OUT = opt('out', join(import.meta.dirname, 'results'));
const root = join(import.meta.dirname, '..');
const IDLE = num('idle', '9900', 1);
const SETTLE_MS = num('settle', '30', 1) * 1000;
const PROXY_CPU = 0;
const LOAD_CPU = cpus().length > 1 ? 1 : 0;
const tmp = mkdtempSync(join(tmpdir(), 'sy-bench-'));
const BIN = join(root, 'packages/cli/bin/switchyard.mjs');
/** Switchyard runs as its bin's shebang runs it (`#!/usr/bin/env -S node FLAGS`): with those flags. */
const BIN_FLAGS = shebangNodeFlags(readFileSync(BIN, 'utf8'));
/** Extra node options for the Switchyard processes (e.g. `--cpu-prof`), from SWITCHYARD_BENCH_NODE_ARGS. */
const NODE_ARGS = [...BIN_FLAGS, ...(process.env.SWITCHYARD_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];

interface ProxyDef {
  name: string;
  /** Serves the `tcp_fe` listen (mode tcp) of the configuration too. */
  tcp?: boolean;
  start(port: number, origin: number[], lcOrigins: number[]): Proc;
  /** Starts the proxy on a given haproxy.cfg (the proxies that run active health checks). */
  run?(cfg: string): Proc;
  note?: string;
  /** Has no `compression` nor `cache` (an older checkout): those scenarios are skipped, their lines left out. */
  noComp?: boolean;
}

/** The global and defaults sections of the bench's configurations. */
function cfgHead(maxconn: number, defaults: string[]): string {
  return `global
  maxconn ${maxconn}
  nbthread 1

defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
${defaults.map((l) => `  ${l}`).join('\n')}
`;
}

function haproxyCfg(port: number, origin: number[], lc: number[]): string {
  return `${cfgHead(9990, ['option http-keep-alive', 'option forwardfor'])}
cache small
  total-max-size 16
  max-age 3600

frontend fe
  bind 127.0.0.1:${port}
  acl is_lc path_beg /lc
  acl is_static hdr_dom(host) -i static.example.com
  use_backend be_lc if is_lc
  use_backend be_cache if { path /cached }
  use_backend be_comp if { path_beg /20k }
  use_backend be_static if is_static
  default_backend be_web

backend be_web
  balance roundrobin
${origin.map((p, i) => `  server web${i + 1} 127.0.0.1:${p}`).join('\n')}

backend be_static
  balance roundrobin
  server static1 127.0.0.1:${origin[0]}

# a 20 KB response served from the cache (the cache-hit scenario)
backend be_cache
  http-request cache-use small
  http-response cache-store small
  server web1 127.0.0.1:${origin[0]}

# gzip of a 20 KB text response (the compression scenario)
backend be_comp
  compression algo gzip
  compression type text/plain
  server web1 127.0.0.1:${origin[0]}

backend be_lc
  balance leastconn
${lc.map((p, i) => `  server lc${i + 1} 127.0.0.1:${p}`).join('\n')}

# mode tcp: the same origin behind a layer-4 relay (the tcp scenarios)
listen tcp_fe
  mode tcp
  bind 127.0.0.1:${tcpPort}
  balance roundrobin
${origin.map((p, i) => `  server web${i + 1} 127.0.0.1:${p}`).join('\n')}

# HTTP/2 with prior knowledge (h2c) and over TLS (ALPN) from clients, HTTP/1 to the same
# servers (the h2 scenarios)
frontend fe_h2
  bind 127.0.0.1:${h2Port} proto h2
  bind 127.0.0.1:${h2TlsPort} ssl crt ${benchPem()} alpn h2,http/1.1
  default_backend be_web
`;
}

function nginxProxyConf(port: number, origin: number[], lc: number[]): string {
  return `${nginxHead(tmp, 'nginx-proxy')}http {
  access_log off;
  upstream web { ${origin.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 128; }
  upstream lc { least_conn; ${lc.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    client_max_body_size 4m;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_request_buffering off;
    location /lc { proxy_pass http://lc; }
    location / { proxy_pass http://web; }
  }
}
`;
}

function originConf(ports: number[]): string {
  return `${nginxHead(tmp, 'nginx-origin')}http {
  access_log off;
  keepalive_requests 1000000;
  client_max_body_size 4m;
  server {
${ports.map((p) => `    listen 127.0.0.1:${p};`).join('\n')}
    root ${tmp}/www;
    location = / { default_type text/plain; return 200 "hello from origin\\n"; }
    location /lc { default_type text/plain; return 200 "lc\\n"; }
    location = /upload { default_type text/plain; return 200 "stored\\n"; }
    location /1m { default_type application/octet-stream; }
    location /20k { default_type text/plain; }
    location = /cached { default_type text/plain; alias ${tmp}/www/20k; }
  }
}
`;
}

/** `bytes` of text that compresses as prose does (numbered lines of varied words), for the gzip scenario. */
function textOf(bytes: number): string {
  const words = ['proxy', 'backend', 'server', 'health', 'check', 'weight', 'queue', 'timeout', 'session', 'frontend'];
  let s = '';
  for (let i = 0; s.length < bytes; i++) {
    s += `${i}: ${words[i % 10]} ${words[(i * 7) % 10]} ${words[(i * 3 + 1) % 10]} ${(i * 2654435761) % 100000}\n`;
  }
  return s.slice(0, bytes);
}

const ulimit = (cmd: string[]) => ['bash', ['-c', `ulimit -n $(ulimit -Hn); exec "$@"`, 'sh', ...cmd]] as const;

function startHaproxy(cfg: string): Proc {
  const [c, a] = ulimit(['haproxy', '-db', '-f', cfg]);
  return startPinned(PROXY_CPU, c, [...a]);
}

function startSwitchyard(cfg: string): Proc {
  const [c, a] = ulimit([process.execPath, ...NODE_ARGS, BIN, '-f', cfg]);
  return startPinned(PROXY_CPU, c, [...a]);
}

const PROXIES: ProxyDef[] = [
  {
    name: 'haproxy',
    tcp: true,
    start(port, o, lc) {
      const f = join(tmp, 'haproxy.cfg');
      writeFileSync(f, haproxyCfg(port, o, lc));
      return startHaproxy(f);
    },
    run: startHaproxy,
  },
  {
    name: 'switchyard',
    tcp: true,
    start(port, o, lc) {
      const f = join(tmp, 'switchyard.cfg');
      writeFileSync(f, haproxyCfg(port, o, lc));
      return startSwitchyard(f);
    },
    run: startSwitchyard,
  },
  {
    name: 'nginx',
    start(port, o, lc) {
      const f = join(tmp, 'nginx-proxy.conf');
      writeFileSync(f, nginxProxyConf(port, o, lc));
      return startPinned(PROXY_CPU, 'nginx', ['-c', f, '-p', tmp]);
    },
  },
  {
    name: 'node-http-proxy',
    start(port, o) {
      const [c, a] = ulimit([
        process.execPath,
        join(import.meta.dirname, 'peers/node-http-proxy.mjs'),
        String(port),
        o.join(','),
      ]);
      return startPinned(PROXY_CPU, c, [...a]);
    },
  },
];

/** `--baseline DIR`: another checkout's Switchyard beside this one (before/after a change, same run). */
const BASELINE = opt('baseline', '');
if (BASELINE) {
  const bin = join(BASELINE, 'packages/cli/bin/switchyard.mjs');
  if (!existsSync(bin)) {
    console.error(`bench: --baseline ${BASELINE} has no packages/cli/bin/switchyard.mjs`);
    process.exit(2);
  }
  // --baseline-full: the baseline has mode tcp and h2 (it runs the tcp and h2c scenarios too)
  const full = argv.includes('--baseline-full');
  PROXIES.push({
    name: 'switchyard baseline',
    tcp: full,
    noComp: true,
    note: `the checkout in ${BASELINE}`,
    start(port, o, lc) {
      const f = join(tmp, 'switchyard-baseline.cfg');
      // the baseline may predate mode tcp: its configuration has no tcp listen
      const cfg = haproxyCfg(port, o, lc);
      // nor `compression` (its backend and the line routing to it are left out)
      const noComp = cfg
        .replace(/cache small\n[\s\S]*?max-age 3600\n/, '')
        .replace('  use_backend be_cache if { path /cached }\n', '')
        .replace(/# a 20 KB response served from the cache[\s\S]*?\n\n/, '')
        .replace('  use_backend be_comp if { path_beg /20k }\n', '')
        .replace(/# gzip of a 20 KB[\s\S]*?\n\n/, '');
      writeFileSync(f, full ? noComp : noComp.replace(/\n# mode tcp:[\s\S]*$/, '\n'));
      const [c, a] = ulimit([process.execPath, ...shebangNodeFlags(readFileSync(bin, 'utf8')), bin, '-f', f]);
      return startPinned(PROXY_CPU, c, [...a]);
    },
  });
}

if (argv.includes('--workers')) {
  PROXIES.push({
    name: 'switchyard --workers 2',
    tcp: true,
    note: 'two workers over both cores (shared with wrk and origin)',
    start(port, o, lc) {
      const f = join(tmp, 'switchyard-w2.cfg');
      writeFileSync(f, haproxyCfg(port, o, lc));
      const [c, a] = ulimit([process.execPath, ...NODE_ARGS, BIN, '--workers', '2', '-f', f]);
      return startPinned(undefined, c, [...a]);
    },
  });
}

const wantedProxies = opt('proxies', '').split(',').filter(Boolean);
const proxies = wantedProxies.length ? PROXIES.filter((p) => wantedProxies.includes(p.name)) : PROXIES;

interface Scenario {
  name: string;
  /** Runs against the `tcp_fe` listen (only proxies with `tcp`). */
  tcp?: boolean;
  /** Runs only on the proxies that read haproxy.cfg (those with `tcp`), on the main frontend. */
  hcfg?: boolean;
  /** Runs against the `fe_h2` frontend (cleartext HTTP/2; set with `tcp`: the same proxies). */
  h2?: boolean;
  run(port: number, proc: Proc): Promise<Omit<Sample, 'scenario' | 'proxy' | 'round'>>;
}

/** Port of the `tcp_fe` listen of the proxy being measured (set before each start). */
let tcpPort = 0;
/** Port of the `fe_h2` frontend (cleartext HTTP/2) of the proxy being measured. */
let h2Port = 0;
/** Port of the `fe_h2` frontend's TLS bind (`alpn h2,http/1.1`). */
let h2TlsPort = 0;

/** A self-signed certificate and key (one PEM) for the TLS bind, made once per run. */
function benchPem(): string {
  const pem = join(tmp, 'bench.pem');
  if (existsSync(pem)) return pem;
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=bench.example',
      '-keyout',
      join(tmp, 'bench.key'),
      '-out',
      join(tmp, 'bench.crt'),
    ],
    { stdio: 'ignore' },
  );
  writeFileSync(pem, readFileSync(join(tmp, 'bench.crt'), 'utf8') + readFileSync(join(tmp, 'bench.key'), 'utf8'));
  return pem;
}

async function wrkScenario(
  port: number,
  proc: Proc,
  o: { path: string; connections: number; headers?: string[]; lua?: string },
) {
  // Every proxy first gets WARM_S seconds of this very load, unmeasured: a JIT-compiled proxy
  // compiles each path (a new connection per request, bodies, 64 pools) on its first seconds.
  const load = {
    url: `http://127.0.0.1:${port}${o.path}`,
    connections: o.connections,
    cpu: LOAD_CPU,
    headers: o.headers,
    lua: o.lua,
    tmpDir: tmp,
  };
  if (WARM_S > 0) await runWrk({ ...load, seconds: WARM_S });
  const cpu0 = cpuSeconds(proc.pid);
  const t0 = Date.now();
  const r = await runWrk({ ...load, seconds: SECONDS });
  const cpuPct = ((cpuSeconds(proc.pid) - cpu0) / ((Date.now() - t0) / 1000)) * 100;
  return { rps: r.rps, p50ms: r.p50ms, p99ms: r.p99ms, errors: r.errors + r.non2xx, rssMiB: rssMiB(proc.pid), cpuPct };
}

/** Small GETs over HTTP/2 (cleartext prior knowledge, or TLS with ALPN): h2load, 50 connections of 10 streams. */
async function h2loadScenario(port: number, proc: Proc, scheme: 'http' | 'https') {
  const load = { url: `${scheme}://127.0.0.1:${port}/`, clients: 50, streams: 10, cpu: LOAD_CPU, tmpDir: tmp };
  if (WARM_S > 0) await runH2load({ ...load, seconds: WARM_S });
  const cpu0 = cpuSeconds(proc.pid);
  const t0 = Date.now();
  const r = await runH2load({ ...load, seconds: SECONDS });
  const cpuPct = ((cpuSeconds(proc.pid) - cpu0) / ((Date.now() - t0) / 1000)) * 100;
  return { rps: r.rps, p50ms: r.p50ms, p99ms: r.p99ms, errors: r.errors, rssMiB: rssMiB(proc.pid), cpuPct };
}

const SCENARIOS: Scenario[] = [
  { name: 'small GET keep-alive (50 conns)', run: (p, pr) => wrkScenario(p, pr, { path: '/', connections: 50 }) },
  {
    name: 'new connection per request',
    run: (p, pr) => wrkScenario(p, pr, { path: '/', connections: 50, headers: ['Connection: close'] }),
  },
  { name: '1 MB response', run: (p, pr) => wrkScenario(p, pr, { path: '/1m', connections: 10 }) },
  {
    name: '1 MB POST upload',
    run: (p, pr) =>
      wrkScenario(p, pr, {
        path: '/upload',
        connections: 10,
        lua: 'wrk.method = "POST"\nwrk.body = string.rep("x", 1048576)\nwrk.headers["Content-Type"] = "application/octet-stream"\n',
      }),
  },
  {
    // the same 20 KB file behind `cache-use` / `cache-store`: every request but the first is a hit
    name: 'cache hit 20 KB (50 conns)',
    hcfg: true,
    run: (p, pr) => wrkScenario(p, pr, { path: '/cached', connections: 50 }),
  },
  {
    // HAProxy 2.6 (libslz) and Switchyard (zlib level 1, HAProxy's default maxlevel) on the same
    // `compression algo gzip` backend: the CPU % column is the cost
    name: 'gzip 20 KB text response (50 conns)',
    hcfg: true,
    run: (p, pr) => wrkScenario(p, pr, { path: '/20k', connections: 50, headers: ['Accept-Encoding: gzip'] }),
  },
  { name: '64 backends leastconn', run: (p, pr) => wrkScenario(p, pr, { path: '/lc', connections: 50 }) },
  {
    // 9,900 not 10,000: this machine's hard open-files limit is 20,000 and HAProxy needs two
    // descriptors per connection (its maxconn 9990 is the most it accepts here).
    name: `${IDLE} idle keep-alive conns`,
    run: (port, proc) => idleScenario(port, proc),
  },
  {
    name: 'tcp: new connection per request',
    tcp: true,
    run: (p, pr) => wrkScenario(p, pr, { path: '/', connections: 50, headers: ['Connection: close'] }),
  },
  {
    name: 'tcp: 1 MB responses, 1 conn',
    tcp: true,
    run: (p, pr) => wrkScenario(p, pr, { path: '/1m', connections: 1 }),
  },
  {
    name: 'tcp: 1 MB responses, 50 conns',
    tcp: true,
    run: (p, pr) => wrkScenario(p, pr, { path: '/1m', connections: 50 }),
  },
  { name: `tcp: ${IDLE} idle conns`, tcp: true, run: (port, proc) => idleScenario(port, proc) },
  {
    name: 'h2c small GET (h2load 50 conns x 10 streams)',
    tcp: true,
    h2: true,
    run: (p, pr) => h2loadScenario(p, pr, 'http'),
  },
  {
    name: 'h2 TLS small GET (h2load 50 conns x 10 streams)',
    tcp: true,
    h2: true,
    run: (_p, pr) => h2loadScenario(h2TlsPort, pr, 'https'),
  },
];

/** RSS with IDLE client connections open and idle (each sent one GET first). */
async function idleScenario(port: number, proc: Proc): Promise<Omit<Sample, 'scenario' | 'proxy' | 'round'>> {
  const before = rssMiB(proc.pid);
  const [c, a] = ulimit([
    process.execPath,
    join(import.meta.dirname, 'peers/idle-clients.mjs'),
    String(port),
    String(IDLE),
  ]);
  const cl = startPinned(LOAD_CPU, c, [...a]);
  const end = Date.now() + 120000;
  while (!/ready/.test(cl.output()) && Date.now() < end && cl.child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const m = /ready (\d+) (\d+)/.exec(cl.output());
  await new Promise((r) => setTimeout(r, 1000));
  const rss1 = rssMiB(proc.pid);
  // "stay under": the figure is the RSS once the process settled with the connections idle
  // (garbage from the burst collected, pages given back), 1 s after in the note.
  await new Promise((r) => setTimeout(r, SETTLE_MS - 1000));
  const rss = rssMiB(proc.pid);
  await stop(cl, 1000);
  return {
    rssMiB: rss,
    errors: m ? Number(m[2]) : IDLE,
    note: m
      ? `${m[1]} answered; RSS ${SETTLE_MS / 1000} s after they went idle (1 s after: ${rss1} MiB; before: ${before} MiB)`
      : `client did not finish: ${cl.output().slice(-200)}`,
  };
}

const scenarios = ONLY.length ? SCENARIOS.filter((s) => ONLY.some((o) => s.name.includes(o))) : SCENARIOS;

const COLD_SCENARIO = `cold start: small GET keep-alive, first ${SECONDS} s`;
const runColdScenario = ONLY.length === 0 || ONLY.some((o) => COLD_SCENARIO.includes(o));

/**
 * A fresh process of `px`, measured from the moment it accepts connections: small GETs over 50
 * keep-alive connections for SECONDS, with no warm-up of any kind. Ready = first accepted connection.
 */
async function coldScenario(px: ProxyDef, originPorts: number[], lcPorts: number[]) {
  const port = await freePort();
  tcpPort = await freePort();
  h2Port = await freePort();
  h2TlsPort = await freePort();
  const t0 = performance.now();
  const proc = px.start(port, originPorts, lcPorts);
  try {
    await waitPort(port, 20000, 5);
    const readyMs = performance.now() - t0;
    const cpu0 = cpuSeconds(proc.pid);
    const t1 = Date.now();
    const r = await runWrk({
      url: `http://127.0.0.1:${port}/`,
      connections: 50,
      seconds: SECONDS,
      cpu: LOAD_CPU,
      tmpDir: tmp,
    });
    const cpuPct = ((cpuSeconds(proc.pid) - cpu0) / ((Date.now() - t1) / 1000)) * 100;
    return {
      rps: r.rps,
      p50ms: r.p50ms,
      p99ms: r.p99ms,
      errors: r.errors + r.non2xx,
      rssMiB: rssMiB(proc.pid),
      cpuPct,
      readyMs,
    };
  } finally {
    await stop(proc);
  }
}

/**
 * Health-check cost: each proxy that runs active checks (the ones with `run`) starts on a
 * haproxy.cfg with CHECK_SERVERS servers, `check inter 1s` and `option httpchk`, against
 * listeners in a child process on the load CPU. Measured once the first checks went out: the
 * proxy's share of one core, and the check requests per second the listeners received (the work
 * done, so both proxies are seen to check at the same rate).
 */
const CHECK_SERVERS = num('check-servers', '1000', 1);
const CHECK_S = num('check-seconds', '10', 1);
const CHECK_LISTENERS = 20;
const CHECK_SCENARIO = `${CHECK_SERVERS} checked servers (httpchk, inter 1s)`;
const runChecksScenario = ONLY.length === 0 || ONLY.some((o) => CHECK_SCENARIO.includes(o));

/** The checked servers: listeners answering every request with 200, printing their count every 200 ms. */
const CHECK_LISTENER = `
const net = require('node:net');
let count = 0;
const ports = [];
for (let i = 0; i < ${CHECK_LISTENERS}; i++) {
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    let got = '';
    s.on('data', (d) => {
      got += d;
      if (got.includes('\\r\\n\\r\\n')) { count++; s.end('HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n'); got = ''; }
    });
  });
  srv.listen(0, '127.0.0.1', () => {
    ports.push(srv.address().port);
    if (ports.length === ${CHECK_LISTENERS}) console.log('ports ' + JSON.stringify(ports));
  });
}
setInterval(() => console.log('count ' + count), 200);
`;

function checksCfg(port: number, listenerPorts: number[]): string {
  const servers = Array.from(
    { length: CHECK_SERVERS },
    (_, i) => `  server s${i} 127.0.0.1:${listenerPorts[i % listenerPorts.length]} check inter 1s`,
  );
  // maxconn 4096: HAProxy reserves a descriptor per checked server on top of 2 x maxconn
  return `${cfgHead(4096, ['timeout check 5s'])}

frontend fe
  bind 127.0.0.1:${port}
  default_backend be_checked

backend be_checked
  option httpchk GET /health
${servers.join('\n')}
`;
}

const lastCount = (p: Proc): number => {
  const m = [...p.output().matchAll(/count (\d+)/g)].pop();
  return m ? Number(m[1]) : 0;
};

async function checksScenario(px: ProxyDef, listener: Proc, listenerPorts: number[]) {
  const port = await freePort();
  const cfg = join(tmp, `checks-${px.name}.cfg`);
  writeFileSync(cfg, checksCfg(port, listenerPorts));
  const proc = (px.run as (f: string) => Proc)(cfg);
  try {
    await waitPort(port, 30000);
    // the first round of checks is spread over the first interval: measure after it
    await new Promise((r) => setTimeout(r, 3000));
    const n0 = lastCount(listener);
    const cpu0 = cpuSeconds(proc.pid);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, CHECK_S * 1000));
    await new Promise((r) => setTimeout(r, 250)); // the listener's next count line
    const secs = (Date.now() - t0) / 1000;
    const cpuPct = ((cpuSeconds(proc.pid) - cpu0) / secs) * 100;
    const checksPerS = (lastCount(listener) - n0) / secs;
    return {
      rps: checksPerS,
      cpuPct,
      rssMiB: rssMiB(proc.pid),
      errors: checksPerS < CHECK_SERVERS * 0.9 ? 1 : 0,
      note: 'req/s: check requests the servers received; CPU %: the proxy, share of one core',
    };
  } finally {
    await stop(proc);
  }
}

async function main() {
  for (const bin of ['wrk', 'haproxy', 'nginx', 'taskset']) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    } catch {
      console.error(`bench needs ${bin}: apt-get install wrk haproxy nginx-light util-linux`);
      process.exit(2);
    }
  }
  // nginx workers run as an unprivileged user: the document root must be readable by them.
  chmodSync(tmp, 0o755);
  mkdirSync(join(tmp, 'www'), { recursive: true });
  writeFileSync(join(tmp, 'www/1m'), Buffer.alloc(1 << 20, 120));
  writeFileSync(join(tmp, 'www/20k'), textOf(20 * 1024));
  const ports = await freePorts(66);
  const originPorts = ports.slice(0, 2);
  const lcPorts = ports.slice(2);
  writeFileSync(join(tmp, 'origin.conf'), originConf([...originPorts, ...lcPorts]));
  const origin = startPinned(LOAD_CPU, 'nginx', ['-c', join(tmp, 'origin.conf'), '-p', tmp]);
  const samples: Sample[] = [];
  const checkers = runChecksScenario ? proxies.filter((p) => p.run) : [];
  let listener: Proc | undefined;
  let listenerPorts: number[] = [];
  try {
    try {
      await waitPort(originPorts[0]);
    } catch (e) {
      throw new Error(`nginx origin did not start: ${(e as Error).message}\n${origin.output()}`);
    }
    if (checkers.length) {
      listener = startPinned(LOAD_CPU, process.execPath, ['-e', CHECK_LISTENER]);
      const end = Date.now() + 10000;
      let m: RegExpExecArray | null = null;
      while (!(m = /ports (\[[^\]]*\])/.exec(listener.output())) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!m) throw new Error(`check listeners did not start: ${listener.output()}`);
      listenerPorts = JSON.parse(m[1]) as number[];
    }
    for (let round = 1; round <= ROUNDS; round++) {
      const order = proxies.map((_, i) => proxies[(i + round - 1) % proxies.length]);
      for (const px of runColdScenario ? order : []) {
        try {
          const r = await coldScenario(px, originPorts, lcPorts);
          samples.push({ scenario: COLD_SCENARIO, proxy: px.name, round, note: px.note, ...r });
          console.log(`round ${round} ${px.name.padEnd(22)} ${COLD_SCENARIO.padEnd(32)} ${JSON.stringify(r)}`);
        } catch (e) {
          console.log(`round ${round} ${px.name} ${COLD_SCENARIO}: FAILED ${(e as Error).message}`);
          samples.push({ scenario: COLD_SCENARIO, proxy: px.name, round, errors: 1, note: 'failed' });
        }
      }
      // (--only naming the health-check scenario alone starts no proxy on the common configuration)
      for (const px of scenarios.length ? order : []) {
        const port = await freePort();
        tcpPort = await freePort();
        h2Port = await freePort();
        h2TlsPort = await freePort();
        const proc = px.start(port, originPorts, lcPorts);
        try {
          await waitPort(port, 20000);
          // warm-up after start (JIT, pools), unmeasured
          if (START_WARM_S > 0) {
            await runWrk({
              url: `http://127.0.0.1:${port}/`,
              connections: 50,
              seconds: START_WARM_S,
              cpu: LOAD_CPU,
              tmpDir: tmp,
            });
          }
          for (const sc of scenarios) {
            if ((sc.tcp || sc.hcfg) && !px.tcp) continue;
            if (sc.hcfg && px.noComp) continue;
            try {
              const r = await sc.run(sc.h2 ? h2Port : sc.tcp ? tcpPort : port, proc);
              samples.push({ scenario: sc.name, proxy: px.name, round, note: px.note, ...r });
              console.log(`round ${round} ${px.name.padEnd(22)} ${sc.name.padEnd(32)} ${JSON.stringify(r)}`);
            } catch (e) {
              console.log(`round ${round} ${px.name} ${sc.name}: FAILED ${(e as Error).message}`);
              samples.push({ scenario: sc.name, proxy: px.name, round, errors: 1, note: 'failed' });
            }
          }
        } catch (e) {
          console.log(`${px.name} did not start: ${(e as Error).message}\n${proc.output().slice(-1000)}`);
        } finally {
          await stop(proc);
        }
      }
      for (const px of round % 2 ? checkers : [...checkers].reverse()) {
        try {
          const r = await checksScenario(px, listener as Proc, listenerPorts);
          samples.push({ scenario: CHECK_SCENARIO, proxy: px.name, round, ...r });
          console.log(`round ${round} ${px.name.padEnd(22)} ${CHECK_SCENARIO.padEnd(32)} ${JSON.stringify(r)}`);
        } catch (e) {
          console.log(`round ${round} ${px.name} ${CHECK_SCENARIO}: FAILED ${(e as Error).message}`);
          samples.push({ scenario: CHECK_SCENARIO, proxy: px.name, round, errors: 1, note: 'failed' });
        }
      }
    }
  } finally {
    if (listener) await stop(listener);
    await stop(origin);
  }
  const rows = summarize(samples);
  const meta = {
    date: new Date().toISOString(),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
    layout: `proxy pinned to CPU ${PROXY_CPU}; wrk (1 thread) and nginx origin on CPU ${LOAD_CPU}`,
    rounds: String(ROUNDS),
    'seconds per run': String(SECONDS),
    'warm-up': `${WARM_S} s of each scenario's own load before it is measured, for every proxy (plus ${START_WARM_S} s of small GETs after start); none in the cold-start scenario`,
    peers: 'Debian haproxy 2.6 (nbthread 1), nginx-light 1.22 (1 worker), http-proxy 1.18 (keep-alive agent)',
    'switchyard node flags': `${NODE_ARGS.join(' ') || 'none'} (from its bin's shebang)`,
    features:
      'same haproxy.cfg for HAProxy and Switchyard: ACL routing (path_beg, hdr_dom), roundrobin/leastconn, forwardfor, counters; no log targets',
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'bench.json'), `${JSON.stringify({ meta, rows, samples }, null, 2)}\n`);
  writeFileSync(join(OUT, 'bench.md'), markdown(rows, meta));
  writeFileSync(join(OUT, 'bench.svg'), svgChart(rows, `Switchyard vs HAProxy vs nginx, ${meta.date.slice(0, 10)}`));
  console.log(`\n${markdown(rows, meta)}`);
  console.log(`results: ${join(OUT, 'bench.md')}, bench.json, bench.svg`);
}

try {
  await main();
} finally {
  if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
}
