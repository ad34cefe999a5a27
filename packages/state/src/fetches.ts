/**
 * Sample fetches over stick counters and tables, in HAProxy's names, as FetchDefs for the ACL
 * registry (registerFetch): `sc_<type>(ctr[,table])`, `sc0_<type>([table])` (also sc1_, sc2_),
 * `src_<type>([table])`, the gpc accessors (`sc_get_gpc0`, `sc_inc_gpc0`, `sc_clr_gpc0`, ...),
 * `sc_tracked`, `sc_trackers`, `table_cnt`, `table_avl`.
 *
 * As in HAProxy: a counter that is not tracked gives no sample (the ACL does not match); `src_*`
 * on a source with no entry gives 0; a type the table does not store gives no sample.
 */
import type { FetchContext, FetchDef, FetchFn, HttpTxn } from '@switchyard/proxy';
import { activeDirectory } from './active.ts';
import type { DataSlot } from './data-types.ts';
import { toKey } from './keys.ts';
import type { StickTable } from './stick-table.ts';
import type { TableDirectory } from './tables.ts';
import type { TrackedRef } from './tx-state.ts';

/** Readable types: fetch suffix -> stored type. */
const READ: Record<string, string> = {
  conn_cur: 'conn_cur',
  conn_cnt: 'conn_cnt',
  conn_rate: 'conn_rate',
  sess_cnt: 'sess_cnt',
  sess_rate: 'sess_rate',
  http_req_cnt: 'http_req_cnt',
  http_req_rate: 'http_req_rate',
  http_err_cnt: 'http_err_cnt',
  http_err_rate: 'http_err_rate',
  http_fail_cnt: 'http_fail_cnt',
  http_fail_rate: 'http_fail_rate',
  get_gpc0: 'gpc0',
  get_gpc1: 'gpc1',
  gpc0_rate: 'gpc0_rate',
  gpc1_rate: 'gpc1_rate',
  get_gpt0: 'gpt0',
  bytes_in_rate: 'bytes_in_rate',
  bytes_out_rate: 'bytes_out_rate',
  kbytes_in: 'bytes_in_cnt',
  kbytes_out: 'bytes_out_cnt',
};

/** Locates the entry a fetch reads: from a tracked slot, or the request's source address. */
type Locate = (txn: HttpTxn) => { t: StickTable; i: number } | null | undefined;
type Op = (t: StickTable, i: number, s: DataSlot, now: number) => number;

const read: Op = (t, i, s, now) => t.read(i, s, now);
/** sc_kbytes_in/out: the byte counter in kilobytes (HAProxy shifts by 10). */
const kbytes: Op = (t, i, s, now) => Math.floor(t.read(i, s, now) / 1024);
/** sc_inc_gpcN: increments gpcN (and its rate) and returns the new value. */
const inc =
  (rateName: string): Op =>
  (t, i, s, now) => {
    t.add(i, s, 1, now, false);
    const r = t.slot(rateName);
    if (r) t.add(i, r, 1, now, false);
    t.onChange?.(t, i, false);
    return t.read(i, s, now);
  };
/** sc_clr_gpcN: sets gpcN to 0 and returns the previous value. */
const clr: Op = (t, i, s, now) => {
  const v = t.read(i, s, now);
  t.assign(i, s, 0, now);
  return v;
};

/** All state fetches; src_* and table_* look tables up by name in `getDir()` (the active layer's). */
export function stateFetchDefs(
  getDir: () => TableDirectory = activeDirectory,
  now: () => number = Date.now,
): Map<string, FetchDef> {
  const defs = new Map<string, FetchDef>();
  const ops: Array<[string, string, Op]> = Object.entries(READ).map(([suffix, type]) => [
    suffix,
    type,
    suffix.startsWith('kbytes_') ? kbytes : read,
  ]);
  ops.push(['inc_gpc0', 'gpc0', inc('gpc0_rate')], ['inc_gpc1', 'gpc1', inc('gpc1_rate')]);
  ops.push(['clr_gpc0', 'gpc0', clr], ['clr_gpc1', 'gpc1', clr]);

  const tableArg = (name: string | undefined, ctx: FetchContext): (() => StickTable | undefined) | string => {
    if (name) return () => getDir().get(name);
    let cached: string | undefined;
    return () => {
      cached ??= getDir().proxyAt(ctx.loc)?.name;
      return cached === undefined ? undefined : getDir().get(cached);
    };
  };

  const valueFetch = (locate: Locate, type: string, op: Op): FetchFn => {
    return (txn) => {
      const e = locate(txn);
      if (e === undefined) return undefined;
      if (e === null) return 0;
      const s = e.t.slot(type);
      return s ? op(e.t, e.i, s, now()) : undefined;
    };
  };

  for (const [suffix, type, op] of ops) {
    const writes = op !== read && op !== kbytes;
    defs.set(`sc_${suffix}`, {
      type: 'int',
      minArgs: 1,
      maxArgs: 2,
      create(args, ctx) {
        const slot = parseSlot(args[0]);
        if (slot === undefined) return `sc_${suffix}: first argument must be a counter number 0, 1 or 2`;
        const other = args[1] ? tableArg(args[1], ctx) : undefined;
        if (typeof other === 'string') return other;
        return valueFetch(trackedLocator(slot, other, writes, now), type, op);
      },
    });
    for (let slot = 0; slot < 3; slot++) {
      defs.set(`sc${slot}_${suffix}`, {
        type: 'int',
        minArgs: 0,
        maxArgs: 1,
        create(args, ctx) {
          const other = args[0] ? tableArg(args[0], ctx) : undefined;
          if (typeof other === 'string') return other;
          return valueFetch(trackedLocator(slot, other, writes, now), type, op);
        },
      });
    }
    defs.set(`src_${suffix}`, {
      type: 'int',
      minArgs: 0,
      maxArgs: 1,
      create(args, ctx) {
        const table = tableArg(args[0], ctx);
        if (typeof table === 'string') return table;
        return valueFetch(
          (txn) => {
            const t = table();
            if (!t) return undefined;
            const key = toKey(t.spec.type, t.spec.len, txn.srcIp);
            if (key === undefined) return undefined;
            // writers create the entry (src_inc_gpc0 counts a first offence), readers do not
            const i = writes ? t.getOrCreate(key, now()) : t.lookup(key, now());
            return i < 0 ? null : { t, i };
          },
          type,
          op,
        );
      },
    });
  }

  defs.set('sc_tracked', {
    type: 'bool',
    minArgs: 1,
    maxArgs: 2,
    create(args) {
      const slot = parseSlot(args[0]);
      if (slot === undefined) return 'sc_tracked: argument must be a counter number 0, 1 or 2';
      return (txn) => liveRef(txn, slot) !== undefined;
    },
  });
  for (let slot = 0; slot < 3; slot++) {
    defs.set(`sc${slot}_tracked`, {
      type: 'bool',
      minArgs: 0,
      maxArgs: 1,
      create: () => (txn) => liveRef(txn, slot) !== undefined,
    });
  }
  defs.set('table_cnt', {
    type: 'int',
    minArgs: 0,
    maxArgs: 1,
    create(args, ctx) {
      const table = tableArg(args[0], ctx);
      if (typeof table === 'string') return table;
      return () => table()?.count;
    },
  });
  defs.set('table_avl', {
    type: 'int',
    minArgs: 0,
    maxArgs: 1,
    create(args, ctx) {
      const table = tableArg(args[0], ctx);
      if (typeof table === 'string') return table;
      return () => {
        const t = table();
        return t ? t.spec.size - t.count : undefined;
      };
    },
  });
  return defs;
}

function parseSlot(s: string | undefined): number | undefined {
  return s === '0' || s === '1' || s === '2' ? Number(s) : undefined;
}

function liveRef(txn: HttpTxn, slot: number): TrackedRef | undefined {
  const ref = txn.tracked?.[slot] as TrackedRef | undefined;
  return ref?.table.isLive(ref.idx, ref.gen) ? ref : undefined;
}

/** The tracked entry of `slot`, or its key looked up in another table (`sc_x(0,other)`). */
function trackedLocator(
  slot: number,
  other: (() => StickTable | undefined) | undefined,
  create: boolean,
  now: () => number,
): Locate {
  return (txn) => {
    const ref = liveRef(txn, slot);
    if (!ref) return undefined;
    if (!other) return { t: ref.table, i: ref.idx };
    const t = other();
    if (!t) return undefined;
    const key = ref.table.keyOf(ref.idx);
    const i = create ? t.getOrCreate(key, now()) : t.lookup(key, now());
    return i < 0 ? null : { t, i };
  };
}
