/**
 * A small HTTP front for the admin tests, handing requests to the admin handlers the way the
 * datapath does (stats URI prefix match on the request target, `use-service` on /metrics).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Diagnostic, ProxyModel, StatsModel } from '@switchyard/config';
import { compileAcls, compileCondition, makeTxn, type ProxyRuntime, registerBuiltinFetches } from '@switchyard/proxy';
import { type Admin, createAdmin } from '../../src/index.ts';
import { testControl } from './runtime.ts';

// the fetch keywords the compiled expressions use (buildRuntime does this in the program)
registerBuiltinFetches();

/** Compiles `stats admin` with the proxy's ACLs, as the CLI does. */
export function compileAdmin(stats: StatsModel, proxy: ProxyModel) {
  const diags: Diagnostic[] = [];
  const cond = stats.admin;
  if (!cond) return () => false;
  const f = compileCondition(cond, compileAcls(proxy.acls, diags), diags);
  if (diags.some((d) => d.severity === 'error')) throw new Error(diags.map((d) => d.message).join('; '));
  return f;
}

export interface Front {
  admin: Admin;
  server: Server;
  /** Base URL of the frontend named `name`. */
  url(name: string): string;
  close(): Promise<void>;
}

/** One listening HTTP server per frontend of `rt`, handing stats/metrics requests to the admin side. */
export async function startFront(
  rt: ProxyRuntime,
  promPath = '/metrics',
): Promise<Front & { servers: Map<string, Server> }> {
  const admin = await createAdmin(rt, { version: '0.1.0-test', pid: process.pid, control: testControl, compileAdmin });
  const servers = new Map<string, Server>();
  for (const fe of rt.frontends.values()) {
    const server = createServer((req, res) => {
      const a = req.socket.address() as AddressInfo;
      const txn = makeTxn({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        httpVersion: req.httpVersion,
        rawHeaders: req.rawHeaders,
        srcIp: req.socket.remoteAddress ?? '',
        srcPort: req.socket.remotePort ?? 0,
        dstIp: a.address,
        dstPort: a.port,
        ssl: false,
        frontend: fe.name,
      });
      const stats = fe.model.stats;
      if (stats?.enabled && txn.url.startsWith(stats.uri)) return admin.handlers.stats(req, res, fe, stats, txn);
      if (txn.path === promPath) return admin.handlers.prometheus(req, res, txn);
      res.writeHead(503).end('no backend in the admin test front\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.set(fe.name, server);
  }
  return {
    admin,
    server: [...servers.values()][0],
    servers,
    url: (name) => {
      const srv = servers.get(name);
      if (!srv) throw new Error(`no frontend ${name}`);
      return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    },
    async close() {
      for (const s of servers.values()) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
      await admin.stop();
    },
  };
}
