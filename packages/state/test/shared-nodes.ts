/** Nodes of the Redis-sharing tests: a state layer over a small runtime, and requests through its hooks. */
import assert from 'node:assert/strict';
import {
  type BackendRuntime,
  type HttpTxn,
  type ProxyRuntime,
  type ServerState,
  setServerAdmin,
  setServerWeight,
} from '@switchyard/proxy';
import { stateFetchDefs } from '../src/fetches.ts';
import { createStateLayer, type StateLayer } from '../src/layer.ts';
import type { ServerControl } from '../src/redis-sync.ts';
import { config, proxy, request, runtime, server, stick, table } from './fixtures.ts';

/** The real server-control of packages/proxy (what the runtime API and the stats page call). */
export const control: ServerControl = { setServerAdmin, setServerWeight };

function cfg(redisUrl: string, cluster: string) {
  const fe = proxy('frontend', 'fe', 10, {
    httpRequest: [{ action: 'track-sc', slot: 0, key: 'src', table: 'rl', loc: { file: 'test.cfg', line: 11 } }],
  });
  const rl = proxy('backend', 'rl', 20, {
    stickTable: table([{ name: 'http_req_rate', period: 10_000 }, { name: 'http_req_cnt' }], { expire: 60_000 }),
  });
  const be = proxy('backend', 'be', 1, {
    stickTable: table([], { expire: 60_000 }),
    stickRules: [stick('on', 'src')],
    servers: [server('s1', 1), server('s2', 2), server('s3', 3)],
  });
  return config([fe, rl, be], { redisUrl, clusterName: cluster });
}

export interface Node {
  rt: ProxyRuntime;
  layer: StateLayer;
  be: BackendRuntime;
  rr: number;
}

export function node(url: string, cluster: string, name: string): Node {
  const rt = runtime(cfg(url, cluster));
  const layer = createStateLayer(rt, { serverControl: control, flushMs: 20, nodeId: name, readyTimeoutMs: 10_000 });
  assert.deepEqual(layer.diagnostics, []);
  return { rt, layer, be: rt.backends.get('be')!, rr: name === 'A' ? 0 : 1 };
}

/** One request through the node like the datapath: track, persistence, balance, store, end. */
export function send(n: Node, src: string): { server: ServerState; persistent: boolean; txn: HttpTxn } {
  const txn = request(src);
  n.layer.hooks.trackSc!(txn, 'fe', 0);
  const p = n.layer.hooks.persistentServer!(txn, n.be);
  let s = p;
  if (!s) {
    const usable = n.be.servers.filter((x) => x.op === 'UP' && x.admin === 'READY');
    s = usable[n.rr++ % usable.length];
  }
  n.layer.hooks.serverChosen!(txn, n.be, s);
  n.layer.hooks.requestEnded!(txn, { name: 'fe' } as never, 200);
  return { server: s, persistent: p !== undefined, txn };
}

/** `src_FETCH(rl)` on node `n` for client `src`. */
export function fetchOf(n: Node, name: string, src: string): number {
  const fetch = stateFetchDefs(() => n.layer.tables)
    .get(name)!
    .create(['rl'], { multi: false, loc: { file: 'test.cfg', line: 12 } });
  if (typeof fetch === 'string') throw new Error(fetch);
  return fetch(request(src)) as number;
}

export const rateOf = (n: Node, src: string) => fetchOf(n, 'src_http_req_rate', src);
export const countOf = (n: Node, src: string) => fetchOf(n, 'src_http_req_cnt', src);
