/**
 * Test helpers for the health-check tests: hand-built models (no parser needed), a runtime with a
 * capturing logger and a counting selector, a fake clock, and loopback servers that misbehave
 * in the ways real web servers do.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { type HttpCheckModel, newProxy, type ProxyModel, type ServerModel } from '@switchyard/config';
import type { HealthClock } from '../src/health/engine.ts';
import { newBackendCounters } from '../src/model/counters.ts';
import type { ProxyLogger } from '../src/model/log-types.ts';
import { newServerState, type ServerState } from '../src/model/server-state.ts';
import type { BackendRuntime, ProxyRuntime } from '../src/model/types.ts';

const loc = { file: 'test.cfg', line: 1 };

/** A `server` line with HAProxy's defaults, overridden by `over`. */
export function serverModel(name: string, port: number, over: Partial<ServerModel> = {}): ServerModel {
  return {
    name,
    host: '127.0.0.1',
    port,
    weight: 1,
    backup: false,
    disabled: false,
    check: true,
    inter: 2000,
    rise: 2,
    fall: 3,
    agentCheck: false,
    errorLimit: 10,
    onError: 'fail-check',
    ssl: false,
    verify: 'required',
    id: 1,
    loc,
    ...over,
  };
}

/** `option httpchk` as written, e.g. httpchk('HEAD', '/haproxy.txt', 'HTTP/1.1\\r\\nHost:x'). */
export function httpchk(
  method = 'OPTIONS',
  uri = '/',
  version = 'HTTP/1.0',
  over: Partial<HttpCheckModel> = {},
): HttpCheckModel {
  return { method, uri, version, headers: [], expect: [], disableOn404: false, loc, ...over };
}

/** A backend with `servers` and HAProxy's defaults. */
export function backendModel(name: string, servers: ServerModel[], over: Partial<ProxyModel> = {}): ProxyModel {
  servers.forEach((s, i) => {
    s.id = i + 1;
  });
  return {
    ...newProxy('backend', name, loc),
    id: 1,
    timeouts: { connect: 5000, server: 30000, client: 30000 },
    servers,
    ...over,
  };
}

export interface TestRuntime {
  rt: ProxyRuntime;
  /** Every logged line as `level msg`. */
  logs: string[];
  /** Times each backend's selector was told to update. */
  updates: Map<string, number>;
  be(name: string): BackendRuntime;
  srv(backend: string, name: string): ServerState;
}

/** A ProxyRuntime over `backends` with a capturing logger and a selector that counts updates. */
export function makeRuntime(backends: ProxyModel[], spreadChecks?: number): TestRuntime {
  const logs: string[] = [];
  const updates = new Map<string, number>();
  const logger: ProxyLogger = {
    log(_p, level, msg) {
      logs.push(`${level} ${msg}`);
    },
  };
  const map = new Map<string, BackendRuntime>();
  for (const p of backends) {
    const servers = p.servers.map((m) => newServerState(p.name, m, 0));
    updates.set(p.name, 0);
    map.set(p.name, {
      name: p.name,
      id: p.id,
      model: p,
      servers,
      serversByName: new Map(servers.map((s) => [s.name, s])),
      counters: newBackendCounters(),
      selector: {
        pick: () => null,
        update: () => {
          updates.set(p.name, (updates.get(p.name) ?? 0) + 1);
        },
      },
      lastChange: 0,
      downtimeMs: 0,
    });
  }
  const rt: ProxyRuntime = {
    config: { files: [], global: { logs: [], statsSockets: [], tune: {}, spreadChecks }, proxies: backends, peers: [] },
    frontends: new Map(),
    backends: map,
    events: new EventEmitter(),
    startedAt: 0,
    vrrp: new Map(),
    logger,
  };
  return {
    rt,
    logs,
    updates,
    be: (n) => map.get(n) as BackendRuntime,
    srv: (b, n) => map.get(b)?.serversByName.get(n) as ServerState,
  };
}

/** A fake clock: timers run in time order when the test advances time. */
export class FakeClock implements HealthClock {
  t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers.delete(h as number);
  }
  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.timers.size;
  }
}

/** A loopback TCP server with `onConn` per connection; closed (with its sockets) by `close()`. */
export async function tcpServer(
  onConn: (s: Socket) => void,
): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const socks = new Set<Socket>();
  const server = createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.on('close', () => socks.delete(s));
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A server that answers every request (read until the blank line) with `response`. */
export function answering(response: string | ((req: string) => string)) {
  return tcpServer((s) => {
    let req = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      req += d;
      if (!req.includes('\r\n\r\n')) return;
      s.end(typeof response === 'string' ? response : response(req));
    });
  });
}

/** A port where nothing listens (bound then closed). */
export async function closedPort(): Promise<number> {
  const s = await tcpServer(() => {});
  await s.close();
  return s.port;
}

/**
 * A listener that never accepts (backlog 0, accept queue filled), so new connects time out: a
 * server "slow to accept". Uses python3 because Node always accepts. Returns undefined without python3.
 */
export async function nonAccepting(): Promise<{ port: number; close(): void } | undefined> {
  const py =
    'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)\n';
  const child = spawn('python3', ['-c', py], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number | undefined>((resolve) => {
    child.on('error', () => resolve(undefined));
    child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
  if (!port) return undefined;
  // Fill the accept queue so that further SYNs are dropped.
  const fillers: Socket[] = [];
  const { connect } = await import('node:net');
  for (let i = 0; i < 4; i++) {
    const c = connect(port, '127.0.0.1');
    c.on('error', () => {});
    fillers.push(c);
  }
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    close() {
      for (const f of fillers) f.destroy();
      child.kill();
    },
  };
}

/** Polls `cond` every 20 ms until true or `ms` elapsed (then throws with `what`). */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
