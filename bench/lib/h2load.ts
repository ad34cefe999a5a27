/**
 * Runs h2load (Debian's nghttp2-client) for a fixed duration and reads requests/s from its summary
 * and the latency percentiles from its per-request log (`--log-file`: start, status, microseconds).
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface H2loadOptions {
  url: string;
  clients: number;
  /** Concurrent streams per client connection (`-m`). */
  streams: number;
  seconds: number;
  cpu?: number;
  tmpDir: string;
}

export interface H2loadResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  requests: number;
}

/** Parses h2load's summary and its log file's durations. */
export function parseH2load(out: string, log: string): H2loadResult {
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? Number.NaN);
  const m = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  const status = /status codes: (\d+) 2xx/.exec(out);
  const done = Number(m?.[2] ?? 0);
  const ok2xx = Number(status?.[1] ?? 0);
  const us: number[] = [];
  for (const line of log.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 3 && f[1] !== '-1') us.push(Number(f[2]));
  }
  us.sort((a, b) => a - b);
  const pct = (p: number) =>
    us.length ? us[Math.min(us.length - 1, Math.floor((us.length * p) / 100))] / 1000 : Number.NaN;
  return {
    rps,
    p50ms: pct(50),
    p99ms: pct(99),
    errors: Number(m?.[4] ?? 0) + Number(m?.[5] ?? 0) + Math.max(0, done - ok2xx),
    requests: done,
  };
}

export function runH2load(o: H2loadOptions): Promise<H2loadResult> {
  const log = join(o.tmpDir, `h2load-${process.pid}-${Date.now()}.log`);
  const args = [
    String(o.cpu ?? 1),
    'h2load',
    '-c',
    String(o.clients),
    '-m',
    String(o.streams),
    '-D',
    String(o.seconds),
    `--log-file=${log}`,
    o.url,
  ];
  return new Promise((resolve, reject) => {
    const p = spawn('taskset', ['-c', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (out += d));
    p.on('error', reject);
    // h2load's stop phase can wait for ever on a server that keeps the connection (seen over TLS
    // against Switchyard: README, Known gaps): the run fails after 30 s more than asked
    const guard = setTimeout(() => p.kill('SIGKILL'), (o.seconds + 30) * 1000);
    p.on('close', (code) => {
      clearTimeout(guard);
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {}
      rmSync(log, { force: true });
      if (code !== 0) return reject(new Error(`h2load exited ${code}: ${out.slice(-500)}`));
      resolve(parseH2load(out, text));
    });
  });
}
