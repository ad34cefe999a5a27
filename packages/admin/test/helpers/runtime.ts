/**
 * Builds a ProxyRuntime from hand-written models for the admin tests, so they do not depend on
 * the config parser or the datapath. The ServerControl here
 * is the real one from packages/proxy/src/runtime/server-control.ts.
 */
import { EventEmitter } from 'node:events';
import {
  type ConfigModel,
  newProxy,
  type ProxyModel,
  type ServerModel,
  type StatsModel,
  type StatsSocketModel,
} from '@switchyard/config';
import {
  type BackendRuntime,
  type FrontendRuntime,
  isUsable,
  newBackendCounters,
  newFrontendCounters,
  newServerState,
  type ProxyRuntime,
  type ServerState,
  setServerAdmin,
  setServerMaxconn,
  setServerWeight,
} from '@switchyard/proxy';
import type { ServerControl } from '../../src/actions.ts';

const loc = { file: 'test.cfg', line: 1 };

export function serverModel(name: string, id: number, over: Partial<ServerModel> = {}): ServerModel {
  return {
    name,
    host: '127.0.0.1',
    port: id,
    weight: 1,
    backup: false,
    disabled: false,
    check: false,
    inter: 2000,
    rise: 2,
    fall: 3,
    errorLimit: 10,
    onError: 'fail-check',
    agentCheck: false,
    ssl: false,
    verify: 'none',
    id,
    loc,
    ...over,
  };
}

export function proxyModel(
  kind: ProxyModel['kind'],
  name: string,
  id: number,
  over: Partial<ProxyModel> = {},
): ProxyModel {
  const binds = kind === 'backend' ? [] : [{ host: '127.0.0.1', port: 0, options: {}, loc }];
  return { ...newProxy(kind, name, loc), id, binds, ...over };
}

export function statsModel(over: Partial<StatsModel> = {}): StatsModel {
  return {
    enabled: true,
    uri: '/haproxy?stats',
    auth: [],
    hideVersion: false,
    showLegends: false,
    scope: [],
    loc,
    ...over,
  };
}

export function socketModel(over: Partial<StatsSocketModel>): StatsSocketModel {
  return { kind: 'unix', level: 'admin', exposeFdListeners: false, loc, ...over };
}

/** A trivial selector for tests: first usable server. */
function firstUsable(servers: ServerState[]) {
  return {
    pick: () => servers.find(isUsable) ?? null,
    update: () => {},
  };
}

/** Runtime over `proxies` (frontends listening), with `sockets` as the global stats sockets. */
export function buildRuntime(proxies: ProxyModel[], sockets: StatsSocketModel[] = []): ProxyRuntime {
  const config: ConfigModel = {
    files: ['test.cfg'],
    global: { logs: [], statsSockets: sockets, tune: {}, maxconn: 4000 },
    proxies,
    peers: [],
  };
  const frontends = new Map<string, FrontendRuntime>();
  const backends = new Map<string, BackendRuntime>();
  const now = Date.now();
  for (const p of proxies) {
    if (p.kind !== 'backend') {
      frontends.set(p.name, { name: p.name, id: p.id, model: p, counters: newFrontendCounters(), listening: true });
    }
    if (p.kind !== 'frontend') {
      const servers = p.servers.map((m) => newServerState(p.name, m, now));
      backends.set(p.name, {
        name: p.name,
        id: p.id,
        model: p,
        servers,
        serversByName: new Map(servers.map((s) => [s.name, s])),
        counters: newBackendCounters(),
        selector: firstUsable(servers),
        lastChange: now,
        downtimeMs: 0,
      });
    }
  }
  return {
    config,
    frontends,
    backends,
    events: new EventEmitter(),
    startedAt: now - 5000,
    vrrp: new Map(),
    logger: { log: () => {} },
  };
}

/** The real state transitions (packages/proxy runtime/server-control.ts), as the CLI wires them. */
export const testControl: ServerControl = { setServerAdmin, setServerWeight, setServerMaxconn };

/** The farm most tests use: frontend `web`, backend `app` (s1 checked, s2 weight 50, s3 backup disabled), listen `stats`. */
export function sampleRuntime(stats: Partial<StatsModel> = {}, sockets: StatsSocketModel[] = []): ProxyRuntime {
  const web = proxyModel('frontend', 'web', 2, {
    stats: statsModel({ uri: '/admin?stats', ...stats }),
    defaultBackend: 'app',
  });
  const app = proxyModel('backend', 'app', 3, {
    servers: [
      serverModel('s1', 1, { check: true }),
      serverModel('s2', 2, { weight: 50 }),
      serverModel('s3', 3, { backup: true, disabled: true }),
    ],
  });
  const st = proxyModel('listen', 'stats', 4, { stats: statsModel({ uri: '/', ...stats }) });
  return buildRuntime([web, app, st], sockets);
}
