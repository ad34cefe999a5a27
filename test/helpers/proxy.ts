/**
 * Helpers for integration tests that run the real `switchyard` process against real loopback
 * servers: free ports, temporary config files, process start/stop with cleanup, raw requests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const BIN = join(ROOT, 'packages/cli/bin/switchyard.mjs');

/** A port free right now on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `text` to `dir/name` and returns the path. */
export function writeFile(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

export interface Upstream {
  name: string;
  port: number;
  server: Server;
  /** Requests received. */
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; rawHeaders: string[] }>;
  /** TCP connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server answering `name` in the body and `x-upstream: name`, unless `handler`
 * answers. Counts connections and records requests.
 */
export async function startUpstream(
  name: string,
  handler?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Upstream> {
  const u: Upstream = {
    name,
    port: 0,
    requests: [],
    connections: 0,
    server: undefined as unknown as Server,
    close: async () => {
      u.server.closeAllConnections();
      await new Promise<void>((r) => u.server.close(() => r()));
    },
  };
  u.server = createServer((req, res) => {
    u.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    if (handler) {
      handler(req, res);
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
      res.end(`${name} ${req.method} ${req.url}\n`);
    });
  });
  u.server.on('connection', () => u.connections++);
  await new Promise<void>((r) => u.server.listen(0, '127.0.0.1', r));
  u.port = (u.server.address() as { port: number }).port;
  return u;
}

export interface ProxyProcess {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
  /** Resolves once `pattern` appears in stderr (or stdout), rejects after `ms`. */
  waitFor(pattern: RegExp | string, ms?: number, stream?: 'stderr' | 'stdout'): Promise<void>;
}

/**
 * Spawns `switchyard` with `args`; waits for the ready notice unless `waitReady` is false.
 * `node` replaces what node runs before `args` (default: the bin script).
 */
export async function startProxy(
  args: string[],
  opts: { waitReady?: boolean; env?: NodeJS.ProcessEnv; node?: string[] } = {},
): Promise<ProxyProcess> {
  const proc = spawn(process.execPath, [...(opts.node ?? [BIN]), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d) => {
    out += d;
  });
  proc.stderr?.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const p: ProxyProcess = {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 30000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    async waitFor(pattern, ms = 30000, stream = 'stderr') {
      const deadline = Date.now() + ms;
      const test = () => {
        const s = stream === 'stderr' ? err : out;
        return typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s);
      };
      while (!test()) {
        if (Date.now() > deadline) throw new Error(`timeout waiting for ${pattern}; stderr:\n${err}\nstdout:\n${out}`);
        if (proc.exitCode !== null)
          throw new Error(`proxy exited (${proc.exitCode}) before ${pattern}; stderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
  if (opts.waitReady !== false) await p.waitFor('Switchyard ready');
  return p;
}

/** Sends raw bytes on a new connection and collects everything until the server closes (or `ms`). */
export function rawRequest(port: number, data: string | Buffer, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(port, '127.0.0.1');
    let buf = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(buf);
    }, ms);
    s.on('data', (d) => {
      buf += d.toString('latin1');
    });
    s.on('error', (e) => {
      clearTimeout(t);
      if (buf) resolve(buf);
      else reject(e);
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve(buf);
    });
    s.write(data);
  });
}

/** Polls `fn` until it returns true (or throws after `ms`). */
export async function until(fn: () => boolean | Promise<boolean>, ms = 20000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The standard `defaults` block used by tests (short timeouts, httplog to `log`, stdout by default). */
export function defaults(extra = '', log = 'stdout format raw local0'): string {
  return `global
  log ${log}
defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 10s
  timeout server 10s
${extra}
`;
}
