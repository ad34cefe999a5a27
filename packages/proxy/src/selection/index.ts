/**
 * Builds a backend's Selector from `balance` and `hash-type`: one LbGroup for the usable active
 * servers, or, when none is usable, for the backups (the first usable one in configuration
 * order, as HAProxy's `fbck`, or all of them with `option allbackups`).
 */
import type { Diagnostic, ProxyModel } from '@switchyard/config';
import type { Selector } from '../model/selector.ts';
import { isUsable, type ServerState } from '../model/server-state.ts';
import type { HttpTxn } from '../model/txn.ts';
import { ConsistentHash } from './chash.ts';
import { First } from './first.ts';
import type { LbGroup } from './group.ts';
import { hashKeyFor } from './hash-key.ts';
import { LeastConn } from './leastconn.ts';
import { MapHash } from './map-hash.ts';
import { RandomDraws } from './random.ts';
import { RoundRobin } from './roundrobin.ts';
import { StaticRoundRobin } from './static-rr.ts';

export { crc32, djb2, fullHash, sdbm, wt6 } from '../acl/hash-fn.ts';
export type * from '../model/selector.ts';
export { isFull } from './group.ts';

export interface SelectorOptions {
  /** Random source for `balance random` (tests pass a seeded one); default Math.random. */
  random?: () => number;
  /** Where to report a `balance` the selector cannot honour (it then uses roundrobin). */
  diags?: Diagnostic[];
}

function newGroup(model: ProxyModel, opts: SelectorOptions): LbGroup {
  const b = model.balance;
  switch (b.algo) {
    case 'roundrobin':
      return new RoundRobin();
    case 'static-rr':
      return new StaticRoundRobin();
    case 'leastconn':
      return new LeastConn();
    case 'first':
      return new First();
    case 'random':
      return new RandomDraws(Math.max(1, b.options.draws ?? 2), opts.random ?? Math.random);
    default: {
      const key = hashKeyFor(b, model.hashType, opts.diags);
      if (!key) return new RoundRobin();
      return model.hashType.method === 'consistent' ? new ConsistentHash(key) : new MapHash(key);
    }
  }
}

class BackendSelector implements Selector {
  private readonly active: LbGroup;
  private readonly backup: LbGroup;
  private current: LbGroup;
  private empty = true;
  private seenUsable = new Uint8Array(0);
  private seenWeight = new Float64Array(0);

  constructor(
    private readonly servers: ServerState[],
    private readonly allBackups: boolean,
    model: ProxyModel,
    opts: SelectorOptions,
  ) {
    this.active = newGroup(model, opts);
    // (the backup group compiles the same key: its diagnostics were the active group's)
    this.backup = newGroup(model, { ...opts, diags: undefined });
    this.current = this.active;
    this.update();
  }

  update(): void {
    this.snapshot();
    const act: ServerState[] = [];
    const bck: ServerState[] = [];
    for (const s of this.servers) if (isUsable(s)) (s.backup ? bck : act).push(s);
    if (act.length > 0) {
      this.active.build(act);
      this.current = this.active;
    } else {
      this.backup.build(this.allBackups ? bck : bck.slice(0, 1));
      this.current = this.backup;
    }
    this.empty = act.length === 0 && bck.length === 0;
  }

  /** Records each server's usable state and weight, to notice changes made without update(). */
  private snapshot(): void {
    const n = this.servers.length;
    if (this.seenWeight.length !== n) {
      this.seenUsable = new Uint8Array(n);
      this.seenWeight = new Float64Array(n);
    }
    for (let i = 0; i < n; i++) {
      const s = this.servers[i];
      this.seenUsable[i] = isUsable(s) ? 1 : 0;
      this.seenWeight[i] = s.effectiveWeight;
    }
  }

  /** Something changed since the last update() (checked without allocating). */
  private stale(): boolean {
    for (let i = 0; i < this.servers.length; i++) {
      const s = this.servers[i];
      if ((isUsable(s) ? 1 : 0) !== this.seenUsable[i] || s.effectiveWeight !== this.seenWeight[i]) return true;
    }
    return false;
  }

  pick(txn: HttpTxn, exclude?: ServerState): ServerState | null {
    let s = this.empty ? null : this.current.pick(txn, exclude);
    if ((s === null || !isUsable(s)) && this.stale()) {
      // the usable set changed without update(): rebuild once and retry
      this.update();
      s = this.empty ? null : this.current.pick(txn, exclude);
      if (s !== null && !isUsable(s)) s = null;
    }
    return s;
  }
}

/**
 * Creates the selector of a backend over its servers (ServerState objects shared with health
 * checks and stats). `model` supplies `balance`, `hash-type` and `option allbackups`.
 */
export function createSelector(
  backend: { servers: ServerState[]; model: ProxyModel },
  options: SelectorOptions = {},
): Selector {
  const { model } = backend;
  const b = model.balance;
  if ((b.algo === 'hdr' || b.algo === 'url_param') && !b.param) {
    options.diags?.push({
      severity: 'error',
      code: 'LB_MISSING_PARAM',
      message: `'balance ${b.algo}' needs a ${b.algo === 'hdr' ? 'header name: hdr(NAME)' : 'parameter name'}`,
      loc: b.loc ?? model.loc,
    });
    return new BackendSelector(
      backend.servers,
      model.options.allbackups,
      { ...model, balance: { algo: 'roundrobin', options: {} } },
      options,
    );
  }
  return new BackendSelector(backend.servers, model.options.allbackups, model, options);
}
