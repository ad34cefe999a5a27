/** Process helpers for the benchmark: start pinned processes, wait for ports, read RSS, stop by pid. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (asked from the kernel). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** `n` distinct free ports: all held open at once while asking, so the kernel cannot repeat one. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Resolves once 127.0.0.1:port accepts a connection, rejects after `timeoutMs`. */
export async function waitPort(port: number, timeoutMs = 15000, pollMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  output: () => string;
}

/** Starts `cmd args` pinned to `cpu` (taskset), capturing the last 64 KiB of its output. */
export function startPinned(cpu: number | undefined, cmd: string, args: string[], env?: NodeJS.ProcessEnv): Proc {
  const argv = cpu === undefined ? [cmd, ...args] : ['taskset', '-c', String(cpu), cmd, ...args];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 65536) out = out.slice(-65536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, pid: child.pid ?? -1, output: () => out };
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process exited. */
export function stop(p: Proc, graceMs = 3000): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    p.child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.child.kill('SIGTERM');
  });
}

/** Resident set size of a pid and its descendants, in MiB (from /proc). */
export function rssMiB(pid: number): number {
  let kb = 0;
  const visit = (p: number) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+) kB/.exec(status);
      if (m) kb += Number(m[1]);
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(/\s+/) : []) visit(Number(k));
    } catch {
      // process gone: counts as 0
    }
  };
  visit(pid);
  return Math.round((kb / 1024) * 10) / 10;
}

/** CPU time (user+system, seconds) used by a pid and its descendants so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const hz = 100;
  let ticks = 0;
  const visit = (p: number) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      const kids = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      for (const k of kids ? kids.split(/\s+/) : []) visit(Number(k));
    } catch {
      // gone
    }
  };
  visit(pid);
  return ticks / hz;
}
