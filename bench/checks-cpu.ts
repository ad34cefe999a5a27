/**
 * CPU cost of health checks: N checked servers (default 1,000) at `inter` (default 1s) against
 * loopback listeners living in a child process, so only the checking side is measured.
 * Prints the share of one core used by this process (process.cpuUsage over the window), with
 * an idle baseline for comparison, for TCP checks, `option httpchk` checks and `option redis-check`
 * (a tcp-check ruleset: PING, expect +PONG, run by tcp-check-run.ts on net.Socket).
 *
 * With --haproxy, the real haproxy (if installed) runs the same checks for reference; its CPU is
 * read from /proc/PID/stat over the same window.
 *
 * Checks go through the transport the product uses by default (the netprobe addon when built,
 * else the JS probe; the first line says which). --transport js measures the JS probe instead.
 *
 *   node --import tsx bench/checks-cpu.ts [--servers 1000] [--inter 1000] [--seconds 10] [--listeners 20] [--mode tcp,http,redis] [--transport default|js] [--haproxy]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHealthEngine } from '../packages/proxy/src/health/engine.ts';
import { defaultCheckTransport, jsTransport } from '../packages/proxy/src/health/native-probe.ts';
import type { CheckResult } from '../packages/proxy/src/model/server-state.ts';
import { backendModel, httpchk, makeRuntime, serverModel } from '../packages/proxy/test/health-helpers.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? (argv[i + 1] as string) : def;
};
const SERVERS = Number(opt('servers', '1000'));
const INTER = Number(opt('inter', '1000'));
const SECONDS = Number(opt('seconds', '10'));
const LISTENERS = Number(opt('listeners', '20'));
const MODES = opt('mode', 'tcp,http').split(',');
const HAPROXY = argv.includes('--haproxy');
const TRANSPORT = opt('transport', 'default');

const LISTENER_SCRIPT = `
const net = require('node:net');
const ports = [];
let pending = ${LISTENERS};
for (let i = 0; i < ${LISTENERS}; i++) {
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', (d) => s.end(d[0] === 42 ? '+PONG\\r\\n' : 'HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n'));
  });
  srv.listen(0, '127.0.0.1', () => {
    ports.push(srv.address().port);
    if (--pending === 0) console.log(JSON.stringify(ports));
  });
}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuShare(ms: number): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return sleep(ms).then(() => {
    const c = process.cpuUsage(c0);
    const wall = (performance.now() - t0) * 1000;
    return ((c.user + c.system) / wall) * 100;
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user+system) of process `pid` from /proc (clock ticks at 100 Hz). */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs haproxy with the same servers and checks; returns its share of one core over the window. */
async function haproxyShare(ports: number[], mode: string): Promise<number | undefined> {
  if (spawnSync('haproxy', ['-v']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'sy-checks-'));
  const lines = [
    'global',
    '  nbthread 1',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 5s',
    '  timeout server 5s',
    '  timeout check 1s',
    // haproxy exits without a listener: one on a port the OS picks.
    'frontend idle',
    `  bind 127.0.0.1:${await freePort()}`,
    'backend bench',
  ];
  if (mode === 'http')
    lines.push('  option httpchk', '  http-check send meth GET uri /health ver HTTP/1.1 hdr Host bench');
  if (mode === 'redis') lines.push('  option redis-check');
  for (let i = 0; i < SERVERS; i++)
    lines.push(`  server s${i} 127.0.0.1:${ports[i % ports.length]} check inter ${INTER}`);
  writeFileSync(join(dir, 'h.cfg'), `${lines.join('\n')}\n`);
  const hp = spawn('haproxy', ['-db', '-f', join(dir, 'h.cfg')], { stdio: 'ignore' });
  try {
    await sleep(INTER * 2);
    const c0 = procCpuSeconds(hp.pid as number);
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const c1 = procCpuSeconds(hp.pid as number);
    return ((c1 - c0) / ((performance.now() - t0) / 1000)) * 100;
  } finally {
    hp.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['-e', LISTENER_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const ports = await new Promise<number[]>((resolve, reject) => {
      child.once('error', reject);
      child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(String(d)) as number[]));
    });
    const chosen =
      TRANSPORT === 'js'
        ? { native: false, transport: jsTransport, reason: '--transport js' }
        : defaultCheckTransport();
    const base = chosen.transport;
    const baseline = await cpuShare(Math.min(SECONDS, 5) * 1000);
    console.log(
      `node ${process.version}, ${SERVERS} servers, inter ${INTER}ms, ${LISTENERS} loopback listeners, window ${SECONDS}s`,
    );
    console.log(
      `check transport: ${chosen.native ? 'native (@switchyard/netprobe epoll thread)' : `JS probe (net.Socket): ${chosen.reason}`}`,
    );
    console.log(`idle baseline                      : ${baseline.toFixed(2)}% of one core`);
    for (const mode of MODES) {
      const servers = Array.from({ length: SERVERS }, (_, i) =>
        serverModel(`s${i}`, ports[i % ports.length] as number, { inter: INTER }),
      );
      const be = backendModel('bench', servers, { timeouts: { connect: 1000, check: 1000 } });
      if (mode === 'http') be.options.httpchk = httpchk('GET', '/health', 'HTTP/1.1', { headers: [['Host', 'bench']] });
      if (mode === 'redis') be.options.tcpCheck = { kind: 'redis-check', loc: { file: 'bench', line: 1 } };
      const t = makeRuntime([be]);
      // tcp-check rulesets do not go through the transport: count them from the servers' results.
      const onResult = (): void => {
        for (const s of t.rt.backends.get('bench')?.servers ?? []) {
          if (s.lastCheck === seen.get(s)) continue;
          seen.set(s, s.lastCheck);
          checks++;
          if (s.lastCheck?.status !== 'L7OK') failed++;
        }
      };
      const seen = new Map<object, unknown>();
      const poll = mode === 'redis' ? setInterval(onResult, Math.max(1, Math.floor(INTER / 4))) : undefined;
      let checks = 0;
      let failed = 0;
      const counted =
        (done: (r: CheckResult) => void) =>
        (r: CheckResult): void => {
          checks++;
          if (r.status !== 'L4OK' && r.status !== 'L7OK') failed++;
          done(r);
        };
      const recurring = base.recurring;
      const engine = createHealthEngine(t.rt, {
        transport: {
          check: (spec, http, done) => base.check(spec, http, counted(done)),
          agent: base.agent,
          // The native transport's own schedule, as the product uses it (absent for the JS probe).
          recurring: recurring && ((spec, http, when, done) => recurring(spec, http, when, counted(done))),
        },
      });
      engine.start();
      await sleep(INTER * 2); // warm-up: every server checked at least once
      checks = 0;
      failed = 0;
      const share = await cpuShare(SECONDS * 1000);
      const rate = checks / SECONDS;
      if (poll) clearInterval(poll);
      engine.stop();
      const label =
        mode === 'http'
          ? 'option httpchk (GET, HTTP/1.1)'
          : mode === 'redis'
            ? 'option redis-check'
            : 'TCP connect checks';
      console.log(
        `${label.padEnd(35)}: ${share.toFixed(2)}% of one core (${(share - baseline).toFixed(2)}% above idle), ${rate.toFixed(0)} checks/s, ${failed} failed`,
      );
      if (HAPROXY) {
        const h = await haproxyShare(ports, mode);
        console.log(
          `${'  same checks, haproxy 2.6'.padEnd(35)}: ${h === undefined ? 'haproxy not installed' : `${h.toFixed(2)}% of one core`}`,
        );
      }
      await sleep(500);
    }
  } finally {
    child.kill();
  }
}

await main();
