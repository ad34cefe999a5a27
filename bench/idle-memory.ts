/**
 * `node --import tsx bench/idle-memory.ts`: RSS of Switchyard and HAProxy at start, after a warm-up
 * of small GETs, and with N idle keep-alive clients (1 s and --settle s after they went idle), on
 * the bench's layout (proxy on CPU 0, load and nginx origin on CPU 1). For Switchyard also where the
 * memory is: process.memoryUsage() and the V8 heap spaces at each point (bench/peers/mem-probe.cjs),
 * and with --snapshot the constructors holding the most heap once the clients are idle.
 *
 * Options: --rounds N (2) --idle N (9900) --settle S (30) --warm S (10: small GETs before the clients)
 *          --proxies haproxy,switchyard --mode http|tcp (http) --snapshot [--keep-snapshot DIR] --out FILE
 *          --baseline DIR (adds the Switchyard of another checkout, e.g. before a change)
 * The last column, Switchyard only: RSS 1 s after V8's memory-reducing full collection (the probe's
 * SIGTTIN) once the clients settled: what the live objects take, without uncollected garbage.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heapSummary } from './lib/heap-summary.ts';
import { nginxHead } from './lib/nginx.ts';
import { freePorts, type Proc, rssMiB, startPinned, stop, waitPort } from './lib/procs.ts';
import { shebangNodeFlags } from './lib/shebang.ts';
import { runWrk } from './lib/wrk.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : def;
};
const ROUNDS = Number(opt('rounds', '2'));
const IDLE = Number(opt('idle', '9900'));
const SETTLE_S = Number(opt('settle', '30'));
const WARM_S = Number(opt('warm', '10'));
const MODE = opt('mode', 'http');
const SNAPSHOT = argv.includes('--snapshot');
/** Where the heap snapshots are kept (else removed with the temporary directory). */
const KEEP_SNAPSHOT = opt('keep-snapshot', '');
const OUT = opt('out', '');
const BASELINE = opt('baseline', '');
const root = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'sy-idle-mem-'));
const PROBE = join(import.meta.dirname, 'peers/mem-probe.cjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ulimit = (cmd: string[]) => ['bash', ['-c', 'ulimit -n $(ulimit -Hn); exec "$@"', 'sh', ...cmd]] as const;

function cfg(port: number, origin: number[]): string {
  const servers = origin.map((p, i) => `  server web${i + 1} 127.0.0.1:${p}`).join('\n');
  return `global
  maxconn 9990
  nbthread 1

defaults
  mode ${MODE}
  timeout connect 5s
  timeout client 60s
  timeout server 60s
${MODE === 'http' ? '  option http-keep-alive\n  option forwardfor\n' : ''}
frontend fe
  bind 127.0.0.1:${port}
${MODE === 'http' ? '  acl is_static hdr_dom(host) -i static.example.com\n  use_backend be_static if is_static\n' : ''}  default_backend be_web

backend be_web
  balance roundrobin
${servers}

backend be_static
  server static1 127.0.0.1:${origin[0]}
`;
}

interface Target {
  name: string;
  start(cfgFile: string, probeOut: string): Proc;
  probe: boolean;
}

function switchyard(name: string, dir: string): Target {
  const bin = join(dir, 'packages/cli/bin/switchyard.mjs');
  const flags = shebangNodeFlags(readFileSync(bin, 'utf8'));
  return {
    name,
    probe: true,
    start(f, probeOut) {
      const [c, a] = ulimit([process.execPath, ...flags, '--require', PROBE, bin, '-f', f]);
      return startPinned(0, c, [...a], { ...process.env, MEM_PROBE_OUT: probeOut });
    },
  };
}

const ALL: Target[] = [
  {
    name: 'haproxy',
    probe: false,
    start(f) {
      const [c, a] = ulimit(['haproxy', '-db', '-f', f]);
      return startPinned(0, c, [...a]);
    },
  },
  switchyard('switchyard', root),
];
if (BASELINE) ALL.push(switchyard('switchyard baseline', BASELINE));
const wanted = opt('proxies', '').split(',').filter(Boolean);
const targets = wanted.length ? ALL.filter((t) => wanted.includes(t.name) || t.name === 'switchyard baseline') : ALL;

type Probe = { memoryUsage: Record<string, number>; spaces: Record<string, { physical: number }>; handles: number };
const MiB = (b: number) => Math.round((b / 1048576) * 10) / 10;

/** Asks the probe for a report and waits for its file. */
async function probe(p: Proc, out: string, n: number, signal: NodeJS.Signals = 'SIGPWR'): Promise<Probe | undefined> {
  process.kill(p.pid, signal);
  const f = `${out}-${n}.json`;
  for (let i = 0; i < 100 && !existsSync(f); i++) await sleep(50);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Probe) : undefined;
}

/** The interesting figures of a probe report, in MiB. */
function brief(r: Probe | undefined) {
  if (!r) return undefined;
  const m = r.memoryUsage;
  const s = r.spaces;
  return {
    heapTotal: MiB(m.heapTotal),
    heapUsed: MiB(m.heapUsed),
    external: MiB(m.external),
    arrayBuffers: MiB(m.arrayBuffers),
    newSpace: MiB(s.new_space?.physical ?? 0),
    oldSpace: MiB(s.old_space?.physical ?? 0),
    codeSpace: MiB(s.code_space?.physical ?? 0),
    handles: r.handles,
  };
}

async function measure(t: Target, round: number, originPorts: number[]) {
  const [port] = await freePorts(1);
  const f = join(tmp, `${t.name.replace(/\W/g, '_')}.cfg`);
  writeFileSync(f, cfg(port, originPorts));
  const probeOut = join(tmp, `probe-${t.name.replace(/\W/g, '_')}-${round}`);
  const p = t.start(f, probeOut);
  let n = 0;
  const point = async () => ({
    rss: rssMiB(p.pid),
    ...(t.probe ? { probe: brief(await probe(p, probeOut, n++)) } : {}),
  });
  /** After the probe's memory-reducing collection (the RSS read once its report is written). */
  const collected = async () => {
    const r = brief(await probe(p, probeOut, n++, 'SIGTTIN'));
    return { rss: rssMiB(p.pid), probe: r };
  };
  try {
    await waitPort(port, 20000);
    await sleep(2000);
    const start = await point();
    if (WARM_S > 0) {
      await runWrk({ url: `http://127.0.0.1:${port}/`, connections: 50, seconds: WARM_S, cpu: 1, tmpDir: tmp });
    }
    const warm = await point();
    const [c, a] = ulimit([
      process.execPath,
      join(import.meta.dirname, 'peers/idle-clients.mjs'),
      String(port),
      String(IDLE),
    ]);
    const cl = startPinned(1, c, [...a]);
    const end = Date.now() + 120000;
    while (!/ready/.test(cl.output()) && Date.now() < end && cl.child.exitCode === null) await sleep(200);
    const ready = /ready (\d+) (\d+)/.exec(cl.output());
    await sleep(1000);
    const idle1 = await point();
    await sleep(SETTLE_S * 1000 - 1000);
    const idleSettled = await point();
    let top: string[] | undefined;
    if (SNAPSHOT && t.probe) {
      process.kill(p.pid, 'SIGXCPU');
      const snap = `${probeOut}.heapsnapshot`;
      for (let i = 0; i < 600 && !existsSync(snap); i++) await sleep(100);
      const h = heapSummary(snap);
      if (KEEP_SNAPSHOT)
        copyFileSync(snap, join(KEEP_SNAPSHOT, `${t.name.replace(/\W/g, '_')}-${MODE}-${round}.heapsnapshot`));
      top = h.groups
        .slice(0, 25)
        .map((g) => `${MiB(g.bytes).toFixed(1).padStart(6)} MiB ${String(g.count).padStart(7)} x ${g.type} ${g.name}`);
      top.unshift(`heap snapshot: ${MiB(h.total)} MiB in all`);
    }
    const afterGc = t.probe ? await collected() : undefined;
    await stop(cl, 1000);
    return {
      proxy: t.name,
      round,
      answered: ready ? Number(ready[1]) : 0,
      start,
      warm,
      idle1,
      idleSettled,
      afterGc,
      top,
    };
  } finally {
    await stop(p);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const originPorts = await freePorts(2);
  writeFileSync(
    join(tmp, 'origin.conf'),
    `${nginxHead(tmp, 'origin')}http {
  access_log off;
  keepalive_requests 1000000;
  server {
${originPorts.map((p) => `    listen 127.0.0.1:${p};`).join('\n')}
    location / { default_type text/plain; return 200 "hello from origin\\n"; }
  }
}
`,
  );
  const origin = startPinned(1, 'nginx', ['-c', join(tmp, 'origin.conf'), '-p', tmp]);
  const results: Awaited<ReturnType<typeof measure>>[] = [];
  try {
    await waitPort(originPorts[0]);
    for (let round = 1; round <= ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]);
      for (const t of order) {
        const r = await measure(t, round, originPorts);
        results.push(r);
        const { top, ...rest } = r;
        console.log(JSON.stringify(rest));
        if (top) console.log(top.join('\n'));
      }
    }
  } finally {
    await stop(origin);
  }
  console.log(
    `\nmode ${MODE}, ${IDLE} idle clients, RSS MiB, medians of ${ROUNDS} rounds (${new Date().toISOString()})`,
  );
  console.log('proxy | start | after warm-up | idle 1 s | idle settled | idle, after a forced GC');
  for (const t of targets) {
    const rs = results.filter((r) => r.proxy === t.name);
    const col = (k: 'start' | 'warm' | 'idle1' | 'idleSettled') => median(rs.map((r) => r[k].rss)).toFixed(1);
    const gcs = rs.map((r) => r.afterGc?.rss).filter((x) => x !== undefined);
    const gc = gcs.length ? median(gcs).toFixed(1) : '';
    console.log(`${t.name} | ${col('start')} | ${col('warm')} | ${col('idle1')} | ${col('idleSettled')} | ${gc}`);
  }
  if (OUT)
    writeFileSync(
      OUT,
      `${JSON.stringify({ date: new Date().toISOString(), mode: MODE, idle: IDLE, results }, null, 1)}\n`,
    );
}

try {
  await main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
