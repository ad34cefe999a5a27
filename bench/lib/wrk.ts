/** Runs wrk (Debian's package) and parses requests/s, latency percentiles and errors. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  non2xx: number;
  requests: number;
}

export interface WrkOptions {
  url: string;
  connections: number;
  seconds: number;
  threads?: number;
  cpu?: number;
  headers?: string[];
  /** Lua script text (written to a temp file). */
  lua?: string;
  tmpDir: string;
}

/** Converts wrk's `1.23ms` / `456.00us` / `1.20s` to milliseconds. */
export function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60000;
}

/** Parses wrk's text output (run with --latency). */
export function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const p50 = /\s50%\s+([\d.]+\w+)/.exec(out)?.[1];
  const p99 = /\s99%\s+([\d.]+\w+)/.exec(out)?.[1];
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    rps,
    p50ms: p50 ? toMs(p50) : Number.NaN,
    p99ms: p99 ? toMs(p99) : Number.NaN,
    errors,
    non2xx,
    requests,
  };
}

/** Runs one wrk measurement; resolves with the parsed result (rejects if wrk fails). */
export function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = ['-t', String(o.threads ?? 1), '-c', String(o.connections), '-d', `${o.seconds}s`, '--latency'];
  for (const h of o.headers ?? []) args.push('-H', h);
  if (o.lua) {
    const f = join(o.tmpDir, `wrk-${process.pid}-${Date.now()}.lua`);
    writeFileSync(f, o.lua);
    args.push('-s', f);
  }
  args.push(o.url);
  const argv = o.cpu === undefined ? ['wrk', ...args] : ['taskset', '-c', String(o.cpu), 'wrk', ...args];
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b) => {
      out += b;
    });
    c.stderr.on('data', (b) => {
      out += b;
    });
    const killer = setTimeout(() => c.kill('SIGKILL'), (o.seconds + 30) * 1000);
    c.on('exit', (code) => {
      clearTimeout(killer);
      const r = parseWrk(out);
      if (code !== 0 || Number.isNaN(r.rps)) reject(new Error(`wrk failed (${code}): ${out.slice(-500)}`));
      else resolve(r);
    });
  });
}
