/**
 * The stick tables of a process, by name (the proxy that declares `stick-table`). A reload
 * rebuilds the set: a table whose definition did not change keeps its entries (HAProxy loses
 * them unless peers are configured; keeping them is strictly better and what users expect).
 */
import type { ConfigModel, Diagnostic, ProxyModel, SourceLoc } from '@switchyard/config';
import { StateError } from './errors.ts';
import { StickTable, type TableSpec, tableSpec } from './stick-table.ts';
import type { StoreStatus } from './store-status.ts';

export class TableDirectory {
  private tables = new Map<string, StickTable>();
  private config?: ConfigModel;
  private stickTargets = new Set<string>();
  /** Called for every table created (replication attaches its change listener). */
  onTable?: (t: StickTable) => void;
  /**
   * Called by `clear table` with the keys it removed (replication sends the removal to the
   * other nodes and deletes the copies in Redis).
   */
  onClear?: (t: StickTable, keys: string[]) => void;
  /** The shared store's status when tables are shared (`show peers`, stats page, Prometheus). */
  store?: () => StoreStatus;

  /** The table named `name`, or undefined. */
  get(name: string): StickTable | undefined {
    return this.tables.get(name);
  }

  all(): IterableIterator<StickTable> {
    return this.tables.values();
  }

  /** Rebuilds the set from a configuration; returns the problems found (errors and warnings). */
  load(config: ConfigModel): Diagnostic[] {
    const diags: Diagnostic[] = [];
    const next = new Map<string, StickTable>();
    // HAProxy stores server_id implicitly in every table a `stick` rule uses
    const stickTargets = new Set<string>();
    for (const p of config.proxies) for (const r of p.stickRules) stickTargets.add(r.table ?? p.name);
    for (const p of config.proxies) {
      if (!p.stickTable) continue;
      let spec: TableSpec;
      try {
        const m = p.stickTable;
        const needsId = stickTargets.has(p.name) && !m.store.some((s) => s.name === 'server_id');
        spec = tableSpec(p.name, needsId ? { ...m, store: [{ name: 'server_id' }, ...m.store] } : m);
      } catch (e) {
        if (!(e instanceof StateError)) throw e;
        diags.push({
          severity: 'error',
          code: e.code,
          message: e.message.replace(/^[^ ]+: /, ''),
          loc: p.stickTable.loc,
        });
        continue;
      }
      if (p.stickTable.peers) {
        diags.push({
          severity: 'warning',
          code: 'STATE_PEERS_VIA_REDIS',
          message:
            `stick-table 'peers ${p.stickTable.peers}' ignored: Switchyard does not speak HAProxy's peers protocol; ` +
            `tables are shared between nodes through Redis (global 'redis-url' and 'cluster-name')` +
            (config.global.redisUrl ? '' : ', which is not configured, so this table stays local to this node'),
          loc: p.stickTable.loc,
        });
      }
      const old = this.tables.get(p.name);
      const table = old && sameSpec(old.spec, spec) ? old : new StickTable(spec);
      if (table !== old) this.onTable?.(table);
      next.set(p.name, table);
    }
    this.tables = next;
    this.config = config;
    this.stickTargets = stickTargets;
    return diags;
  }

  /** True when `stick` rules use the table (HAProxy then also shows `server_key`). */
  isStickTarget(table: string): boolean {
    return this.stickTargets.has(table);
  }

  /** Name of the server with id `id` in a backend whose stick rules use `table`. */
  serverName(table: string, id: number): string | undefined {
    for (const p of this.config?.proxies ?? []) {
      if (!p.stickRules.some((r) => (r.table ?? p.name) === table)) continue;
      const s = p.servers.find((x) => x.id === id);
      if (s) return s.name;
    }
    return undefined;
  }

  /** The proxy whose section contains `loc` (fetches without a table argument use its table). */
  proxyAt(loc: SourceLoc): ProxyModel | undefined {
    let found: ProxyModel | undefined;
    for (const p of this.config?.proxies ?? []) {
      if (p.loc.file === loc.file && p.loc.line <= loc.line && (!found || p.loc.line > found.loc.line)) found = p;
    }
    return found;
  }
}

function sameSpec(a: TableSpec, b: TableSpec): boolean {
  if (a.type !== b.type || a.len !== b.len || a.size !== b.size || a.expire !== b.expire || a.nopurge !== b.nopurge) {
    return false;
  }
  if (a.layout.slots.length !== b.layout.slots.length) return false;
  return a.layout.slots.every((s, i) => s.name === b.layout.slots[i].name && s.period === b.layout.slots[i].period);
}
