/** Helpers for the selection tests: server states and a backend model built in code. */
import { type BalanceModel, type HashTypeModel, newProxy, type ProxyModel, type ServerModel } from '@switchyard/config';
import type { Selector } from '../src/model/selector.ts';
import { newServerState, type ServerState } from '../src/model/server-state.ts';
import { createSelector, type SelectorOptions } from '../src/selection/index.ts';

const loc = { file: 'test.cfg', line: 1 };

export interface SrvInit {
  name: string;
  weight?: number;
  backup?: boolean;
  maxconn?: number;
  id?: number;
}

export function serverModel(s: SrvInit, i: number): ServerModel {
  return {
    name: s.name,
    host: '127.0.0.1',
    port: 9000 + i,
    weight: s.weight ?? 1,
    backup: s.backup ?? false,
    maxconn: s.maxconn,
    disabled: false,
    check: false,
    inter: 2000,
    rise: 2,
    fall: 3,
    agentCheck: false,
    errorLimit: 10,
    onError: 'fail-check',
    ssl: false,
    verify: 'none',
    id: s.id ?? i + 1,
    loc,
  };
}

export function backendModel(
  balance: Partial<BalanceModel> & Pick<BalanceModel, 'algo'>,
  servers: ServerModel[],
  opts: { hashType?: Partial<HashTypeModel>; allbackups?: boolean } = {},
): ProxyModel {
  const base = newProxy('backend', 'bk', loc);
  return {
    ...base,
    id: 1,
    options: { ...base.options, allbackups: opts.allbackups ?? false },
    balance: { options: {}, ...balance },
    hashType: { ...base.hashType, ...opts.hashType },
    servers,
  };
}

/** A backend's servers plus its selector. */
export function backend(
  balance: Partial<BalanceModel> & Pick<BalanceModel, 'algo'>,
  servers: SrvInit[],
  opts: { hashType?: Partial<HashTypeModel>; allbackups?: boolean } & SelectorOptions = {},
): { servers: ServerState[]; sel: Selector; by: (name: string) => ServerState } {
  const models = servers.map(serverModel);
  const model = backendModel(balance, models, opts);
  const states = models.map((m) => newServerState('bk', m));
  const sel = createSelector({ servers: states, model }, opts);
  return {
    servers: states,
    sel,
    by: (name) => {
      const s = states.find((x) => x.name === name);
      if (!s) throw new Error(`no server ${name}`);
      return s;
    },
  };
}

/** Deterministic PRNG (mulberry32) for repeatable random tests. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Counts picks per server name over `n` picks. */
export function tally(
  sel: Selector,
  n: number,
  mk: (i: number) => Parameters<Selector['pick']>[0],
): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const s = sel.pick(mk(i));
    const k = s ? s.name : '(none)';
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}
