/** Test fixtures: hand-built config models and a minimal runtime (no parser, no datapath). */
import { EventEmitter } from 'node:events';
import type {
  ConfigModel,
  CookieModel,
  ProxyModel,
  ServerModel,
  StickRuleModel,
  StickTableModel,
} from '@switchyard/config';
import { newProxy, newServerParams } from '@switchyard/config';
import {
  type BackendRuntime,
  type HttpTxn,
  isUsable,
  makeTxn,
  newBackendCounters,
  newServerState,
  type ProxyRuntime,
  registerBuiltinFetches,
  type ServerState,
} from '@switchyard/proxy';

// the fetch keywords the state layer compiles (`src`, ...): buildRuntime does this in the program
registerBuiltinFetches();

export const loc = (line: number) => ({ file: 'test.cfg', line });

export function server(name: string, id: number, extra: Partial<ServerModel> = {}): ServerModel {
  return { ...newServerParams(), name, host: '127.0.0.1', port: 8000 + id, id, loc: loc(100 + id), ...extra };
}

export function proxy(
  kind: ProxyModel['kind'],
  name: string,
  line: number,
  extra: Partial<ProxyModel> = {},
): ProxyModel {
  return { ...newProxy(kind, name, loc(line)), id: line, ...extra };
}

export function table(store: StickTableModel['store'], extra: Partial<StickTableModel> = {}): StickTableModel {
  return { type: 'ip', size: 1000, nopurge: false, store, loc: loc(2), ...extra };
}

export function stick(kind: StickRuleModel['kind'], key: string, extra: Partial<StickRuleModel> = {}): StickRuleModel {
  return { kind, key, loc: loc(3), ...extra };
}

export function cookie(mode: CookieModel['mode'], extra: Partial<CookieModel> = {}): CookieModel {
  return {
    name: 'SRV',
    mode,
    indirect: false,
    nocache: false,
    httponly: false,
    secure: false,
    postonly: false,
    preserve: false,
    domain: [],
    attr: [],
    loc: loc(4),
    ...extra,
  };
}

export function config(proxies: ProxyModel[], global: Partial<ConfigModel['global']> = {}): ConfigModel {
  return { files: ['test.cfg'], global: { logs: [], statsSockets: [], tune: {}, ...global }, proxies, peers: [] };
}

/** A runtime over `cfg` with first-usable selection (selection is not what these tests test). */
export function runtime(cfg: ConfigModel): ProxyRuntime {
  const backends = new Map<string, BackendRuntime>();
  for (const p of cfg.proxies) {
    if (p.kind === 'frontend') continue;
    const servers = p.servers.map((s) => newServerState(p.name, s));
    const be: BackendRuntime = {
      name: p.name,
      id: p.id,
      model: p,
      servers,
      serversByName: new Map(servers.map((s) => [s.name, s])),
      counters: newBackendCounters(),
      selector: {
        pick: (_t: HttpTxn, exclude?: ServerState) => servers.find((s) => isUsable(s) && s !== exclude) ?? null,
        update() {},
      },
      lastChange: 0,
      downtimeMs: 0,
    };
    backends.set(p.name, be);
  }
  return {
    config: cfg,
    frontends: new Map(),
    backends,
    events: new EventEmitter(),
    startedAt: Date.now(),
    vrrp: new Map(),
    logger: { log() {} },
  };
}

/** A request from `src` with headers `[name, value, ...]`. */
export function request(src: string, headers: string[] = [], method = 'GET', url = '/'): HttpTxn {
  return makeTxn({
    method,
    url,
    httpVersion: '1.1',
    rawHeaders: headers,
    srcIp: src,
    srcPort: 40000,
    dstIp: '127.0.0.1',
    dstPort: 80,
    ssl: false,
    frontend: 'fe',
  });
}
