/**
 * The data types a stick table can store (`store` argument of `stick-table`), in HAProxy's
 * words, and the slab layout of one table's entries computed from them.
 */
import type { StickTableModel } from '@switchyard/config';
import { StateError } from './errors.ts';

/** How a data type is kept: a plain number, or a freq counter (3 slots) over a period. */
export type DataKind = 'counter' | 'gauge' | 'rate' | 'id' | 'tag';

/** Every `store` type Switchyard accepts, and how it is kept. */
export const DATA_TYPES: Readonly<Record<string, DataKind>> = {
  server_id: 'id',
  gpt0: 'tag',
  gpc0: 'counter',
  gpc1: 'counter',
  gpc0_rate: 'rate',
  gpc1_rate: 'rate',
  conn_cnt: 'counter',
  conn_cur: 'gauge',
  conn_rate: 'rate',
  sess_cnt: 'counter',
  sess_rate: 'rate',
  http_req_cnt: 'counter',
  http_req_rate: 'rate',
  http_err_cnt: 'counter',
  http_err_rate: 'rate',
  http_fail_cnt: 'counter',
  http_fail_rate: 'rate',
  bytes_in_cnt: 'counter',
  bytes_in_rate: 'rate',
  bytes_out_cnt: 'counter',
  bytes_out_rate: 'rate',
};

/**
 * Types HAProxy has that Switchyard refuses with a clear message rather than storing a value it
 * never updates (server_key/server_name, the gpc/gpt arrays).
 */
export const UNSUPPORTED_TYPES: Readonly<Record<string, string>> = {
  server_key: 'persistence is by server_id (servers have the same ids on every node)',
  server_name: 'persistence is by server_id (servers have the same ids on every node)',
  gpc: 'only gpc0 and gpc1 are supported',
  gpc_rate: 'only gpc0_rate and gpc1_rate are supported',
  gpt: 'only gpt0 is supported',
};

/** Where one stored type lives in an entry: slot offset inside the entry's stride. */
export interface DataSlot {
  name: string;
  kind: DataKind;
  offset: number;
  /** Period of a rate, ms. */
  period: number;
}

/**
 * Slab layout: slot 0 is the last-touch time (epoch ms), slot 1 the time the entry's absolute
 * fields (server_id, gpt0) were last written (last-writer-wins between nodes), slot 2 the time
 * its counters were last assigned (`set table`, `sc_clr_gpc0`: a copy reset later wins over the
 * counts of an older one, so a lowered counter is not brought back by a merge), then the data.
 */
export interface Layout {
  stride: number;
  slots: DataSlot[];
  byName: Map<string, DataSlot>;
}

export const TOUCH = 0;
export const WRITTEN = 1;
export const RESET = 2;
const HEADER = 3;

/** Computes the layout of a table from its `store` list; throws STATE_BAD_STORE_TYPE. */
export function layoutFor(store: StickTableModel['store'], where: string): Layout {
  const slots: DataSlot[] = [];
  const byName = new Map<string, DataSlot>();
  let offset = HEADER;
  for (const s of store) {
    const kind = DATA_TYPES[s.name];
    if (!kind) {
      const why = UNSUPPORTED_TYPES[s.name];
      throw new StateError(
        'STATE_BAD_STORE_TYPE',
        why
          ? `${where}: stick-table store type '${s.name}' is not supported: ${why}`
          : `${where}: unknown stick-table store type '${s.name}' (known: ${Object.keys(DATA_TYPES).join(', ')})`,
      );
    }
    if (byName.has(s.name)) continue;
    if (kind === 'rate' && !(s.period && s.period > 0)) {
      throw new StateError('STATE_BAD_STORE_TYPE', `${where}: '${s.name}' needs a period, e.g. ${s.name}(10s)`);
    }
    const slot: DataSlot = { name: s.name, kind, offset, period: kind === 'rate' ? (s.period ?? 0) : 0 };
    offset += kind === 'rate' ? 3 : 1;
    slots.push(slot);
    byName.set(s.name, slot);
  }
  return { stride: offset, slots, byName };
}

/**
 * Identity of a layout for replication: nodes only exchange entries of tables declared the same
 * way (same type and stored data), so a config difference cannot corrupt counters.
 */
export function layoutSignature(type: string, layout: Layout): string {
  // `2:`: the entry layout with the reset time (nodes of older versions used other offsets)
  return `2:${type}:${layout.slots.map((s) => (s.period ? `${s.name}(${s.period})` : s.name)).join(',')}`;
}

/**
 * One character per slot, for the merge (JS and Lua): `h` header, `i` last-writer-wins value,
 * `c` counter (max), `g` local gauge (not shared), `r` rate start then `x` `x` (curr, prev).
 */
export function layoutKinds(layout: Layout): string {
  let k = 'hhh';
  for (const s of layout.slots) {
    if (s.kind === 'id' || s.kind === 'tag') k += 'i';
    else if (s.kind === 'counter') k += 'c';
    else if (s.kind === 'gauge') k += 'g';
    else k += 'rxx';
  }
  return k;
}
