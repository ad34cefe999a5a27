/**
 * Hitless restarts under load (issue 22): 20 restarts of Switchyard with `-x SOCKET -sf PID` and
 * 20 master-worker reloads (`-W`, master CLI `reload`), then the same with Debian's haproxy 2.6,
 * while a bounded load loop (test/helpers/restart-load.ts: keep-alive clients and
 * new-connection clients on raw sockets) counts every request. Writes bench/results/restarts.json.
 *
 *   node --import tsx bench/restarts.ts [--restarts 20] [--only switchyard|haproxy]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BIN, freePort, startUpstream, tempDir, until, writeFile } from '../test/helpers/proxy.ts';
import { type LoadCounts, restartConfig, startLoad } from '../test/helpers/restart-load.ts';
import { findBinary } from '../test/helpers/system.ts';

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const RESTARTS = Number(opt('--restarts', '20'));
const ONLY = opt('--only', '');
const NODE_FLAGS = ['--initial-old-space-size=64', '--max-semi-space-size=4', '--no-parallel-scavenge'];
const BETWEEN = 200; // requests between two restarts

interface Row {
  proxy: string;
  method: string;
  restarts: number;
  counts: LoadCounts;
  seconds: number;
  /** Median time from starting the restart until the old process (worker) was gone, ms. */
  handoverMsMedian: number;
}

function cfg(port: number, upPort: number, sock: string): string {
  return restartConfig(port, upPort, `  stats socket ${sock} level admin expose-fd listeners`);
}

function launch(cmd: string, args: string[]): { proc: ChildProcess; exited: Promise<void>; log: () => string } {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.on('data', (d) => {
    log += d;
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return { proc, exited, log: () => log };
}

function cli(path: string, cmd: string): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(path);
    let out = '';
    c.on('data', (d) => {
      out += d;
    });
    c.on('close', () => resolve(out));
    c.on('error', () => resolve(''));
    c.end(`${cmd}\n`);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const isSy = (p: string) => p === 'switchyard';
const command = (p: string, args: string[]): [string, string[]] =>
  isSy(p)
    ? [process.execPath, [...NODE_FLAGS, BIN, ...args]]
    : [findBinary('haproxy') as string, ['-db', '-dR', ...args]];

async function withLoad(port: number, body: (waitRequests: () => Promise<void>) => Promise<number[]>) {
  const load = startLoad({ port, keepAlive: 4, fresh: 2 });
  const waitRequests = async () => {
    const before = load.counts.sent;
    await until(() => load.counts.sent >= before + BETWEEN, 60000, 'requests');
  };
  const t0 = Date.now();
  const times = await body(waitRequests);
  await waitRequests();
  const counts = await load.stop();
  return { counts, seconds: (Date.now() - t0) / 1000, times };
}

/** `-x SOCK -sf OLD`, RESTARTS times. */
async function socketHandover(proxy: string, dir: string, upPort: number): Promise<Row> {
  const port = await freePort();
  const sock = join(dir, `${proxy}-x.sock`);
  const file = writeFile(dir, `${proxy}-x.cfg`, cfg(port, upPort, sock));
  let cur = launch(...command(proxy, ['-f', file]));
  await until(() => cli(sock, 'show info').then((t) => t.includes('Pid:')), 30000, `${proxy} up`);
  const r = await withLoad(port, async (waitRequests) => {
    const times: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      await waitRequests();
      const t = Date.now();
      const next = launch(...command(proxy, ['-f', file, '-x', sock, '-sf', String(cur.proc.pid)]));
      await cur.exited;
      times.push(Date.now() - t);
      cur = next;
    }
    return times;
  });
  cur.proc.kill('SIGTERM');
  await cur.exited;
  return { proxy, method: '-x + -sf', restarts: RESTARTS, ...r, handoverMsMedian: median(r.times) };
}

/** `-W -S MASTER`, master CLI `reload`, RESTARTS times. */
async function masterReload(proxy: string, dir: string, upPort: number): Promise<Row> {
  const port = await freePort();
  const msock = join(dir, `${proxy}-master.sock`);
  const file = writeFile(dir, `${proxy}-w.cfg`, cfg(port, upPort, join(dir, `${proxy}-w.sock`)));
  const master = launch(...command(proxy, ['-W', '-S', msock, '-f', file]));
  const workers = async () => {
    const t = await cli(msock, 'show proc');
    const lines = t.split('\n');
    const w = lines.indexOf('# workers');
    const cur = lines[w + 1]?.split(/\s+/)[0];
    return { cur, old: t.includes('# old workers'), ok: w >= 0 && /^\d+$/.test(cur ?? '') };
  };
  await until(async () => (await workers()).ok, 30000, `${proxy} -W up`);
  await until(() => cli(join(dir, `${proxy}-w.sock`), 'show info').then((t) => t.includes('Pid:')), 30000, 'worker');
  const r = await withLoad(port, async (waitRequests) => {
    const times: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      await waitRequests();
      const before = (await workers()).cur;
      const t = Date.now();
      await cli(msock, 'reload');
      await until(
        async () => {
          const w = await workers();
          return w.ok && w.cur !== before && !w.old;
        },
        60000,
        'the new worker alone',
      );
      times.push(Date.now() - t);
    }
    return times;
  });
  master.proc.kill('SIGTERM');
  await master.exited;
  return { proxy, method: '-W + reload', restarts: RESTARTS, ...r, handoverMsMedian: median(r.times) };
}

const tmp = tempDir();
const up = await startUpstream('web');
const rows: Row[] = [];
try {
  for (const proxy of ['switchyard', 'haproxy']) {
    if (ONLY && ONLY !== proxy) continue;
    for (const run of [socketHandover, masterReload]) {
      const row = await run(proxy, tmp.dir, up.port);
      rows.push(row);
      const c = row.counts;
      console.log(
        `${proxy.padEnd(11)} ${row.method.padEnd(12)} ${row.restarts} restarts: ${c.sent} requests, ${c.failed} failed (${c.failedOnReuse} on a reused keep-alive connection) ${JSON.stringify(c.reasons)}, ${row.seconds.toFixed(1)} s, handover median ${row.handoverMsMedian} ms`,
      );
    }
  }
} finally {
  await up.close();
  tmp.cleanup();
}
const out = {
  date: new Date().toISOString(),
  command: `node --import tsx bench/restarts.ts${argv.length ? ` ${argv.join(' ')}` : ''}`,
  load: 'test/helpers/restart-load.ts: 4 keep-alive clients + 2 new-connection-per-request clients, raw HTTP/1.1 sockets, origin in the same process',
  note: 'loaded 2-core machine shared with other work; durations are indicative, the counts are the result',
  rows,
};
if (!ONLY) writeFileSync(new URL('results/restarts.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
else console.log(JSON.stringify(out, null, 2));
