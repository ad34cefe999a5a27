/**
 * HAProxy's runtime API table commands over the state layer's tables, with HAProxy 2.6's output
 * and messages: `show table [NAME [data.TYPE OP VALUE]... | [key KEY]]`, `clear table NAME
 * [data.TYPE OP VALUE]... | [key KEY]`, `set table NAME key KEY [data.TYPE VALUE]...`.
 * Each returns the reply text; the socket adds the final empty line. Changes made by `set table`
 * are shared like any other write; the keys `clear table` removes are removed on the other
 * nodes too (TableDirectory.onClear), where HAProxy's peers keep theirs.
 */
import type { DataSlot } from './data-types.ts';
import { toKey } from './keys.ts';
import type { StickTable } from './stick-table.ts';
import type { TableDirectory } from './tables.ts';

/** HAProxy's data type order (enum stktable_data_type), used when printing entries. */
const ORDER = [
  'server_id',
  'gpt0',
  'gpc0',
  'gpc0_rate',
  'conn_cnt',
  'conn_rate',
  'conn_cur',
  'sess_cnt',
  'sess_rate',
  'http_req_cnt',
  'http_req_rate',
  'http_err_cnt',
  'http_err_rate',
  'bytes_in_cnt',
  'bytes_in_rate',
  'bytes_out_cnt',
  'bytes_out_rate',
  'gpc1',
  'gpc1_rate',
  'server_key',
  'http_fail_cnt',
  'http_fail_rate',
];
const OPS = new Set(['eq', 'ne', 'le', 'ge', 'lt', 'gt']);
const NO_TABLE = 'No such table\n';

interface Filter {
  slot: DataSlot;
  op: string;
  value: number;
}

type Parsed = { t: StickTable; key?: string; badKey?: boolean; filters: Filter[] } | string;

/** Parses `NAME [data.TYPE OP VALUE]... | [key KEY]` (words after `show/clear table`). */
function parse(dir: TableDirectory, args: string[]): Parsed {
  const t = dir.get(args[0]);
  if (!t) return NO_TABLE;
  const filters: Filter[] = [];
  let key: string | undefined;
  let badKey = false;
  for (let i = 1; i < args.length; ) {
    const w = args[i];
    if (w === 'key' && filters.length === 0) {
      const k = toKey(t.spec.type, t.spec.len, args[i + 1]);
      if (k === undefined) badKey = true;
      key = k;
      i += 2;
      continue;
    }
    if (w.startsWith('data.') && key === undefined) {
      const n = filters.length + 1;
      const slot = t.slot(w.slice(5));
      if (!slot && !ORDER.includes(w.slice(5))) return `Filter entry #${n}: Unknown data type\n`;
      if (!slot) return `Filter entry #${n}: Data type not stored in this table\n`;
      const op = args[i + 1];
      if (!op || !OPS.has(op))
        return `Filter entry #${n}: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"\n`;
      const v = args[i + 2];
      if (v === undefined || !/^-?\d+$/.test(v))
        return `Filter entry #${n}: Require a valid integer value to compare against\n`;
      filters.push({ slot, op, value: Number(v) });
      i += 3;
      continue;
    }
    return 'Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>\n';
  }
  return { t, key, badKey, filters };
}

function matches(t: StickTable, idx: number, filters: Filter[], now: number): boolean {
  for (const f of filters) {
    const v = t.read(idx, f.slot, now);
    const ok =
      f.op === 'eq'
        ? v === f.value
        : f.op === 'ne'
          ? v !== f.value
          : f.op === 'le'
            ? v <= f.value
            : f.op === 'ge'
              ? v >= f.value
              : f.op === 'lt'
                ? v < f.value
                : v > f.value;
    if (!ok) return false;
  }
  return true;
}

function header(t: StickTable): string {
  return `# table: ${t.name}, type: ${t.spec.type}, size:${t.spec.size}, used:${t.count}\n`;
}

/** One entry as HAProxy prints it (the address is a stable pseudo-address of the slot). */
function entryLine(dir: TableDirectory, t: StickTable, key: string, idx: number, now: number): string {
  const { data, base } = t.raw(idx);
  const exp = t.spec.expire > 0 ? Math.max(0, Math.round(t.spec.expire - (now - data[base]))) : 0;
  let line = `0x${(0x7f0000000000 + idx * 64).toString(16)}: key=${key} use=${t.refsOf(idx)} exp=${exp}`;
  for (const name of ORDER) {
    if (name === 'server_key') {
      const sid = t.slot('server_id');
      if (sid && dir.isStickTarget(t.name))
        line += ` server_key=${dir.serverName(t.name, t.read(idx, sid, now)) ?? '-'}`;
      continue;
    }
    const s = t.slot(name);
    if (!s) continue;
    line += s.kind === 'rate' ? ` ${name}(${s.period})=${t.read(idx, s, now)}` : ` ${name}=${t.read(idx, s, now)}`;
  }
  return `${line}\n`;
}

/** `show table [NAME ...]`: the tables (no name), or one table's entries. */
export function showTable(dir: TableDirectory, args: string[], now = Date.now()): string {
  if (args.length === 0) return [...dir.all()].map(header).join('');
  const p = parse(dir, args);
  if (typeof p === 'string') return p;
  let out = header(p.t);
  if (p.badKey) return out;
  if (p.key !== undefined) {
    const idx = p.t.lookup(p.key, now);
    return idx < 0 ? out : out + entryLine(dir, p.t, p.key, idx, now);
  }
  for (const [key, idx] of p.t.entries(now)) {
    if (matches(p.t, idx, p.filters, now)) out += entryLine(dir, p.t, key, idx, now);
  }
  return out;
}

/** `clear table NAME [filters | key KEY]`: removes matching entries not in use by a request. */
export function clearTable(dir: TableDirectory, args: string[], now = Date.now()): string {
  if (args.length === 0) {
    return 'Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>\n';
  }
  const p = parse(dir, args);
  if (typeof p === 'string') return p;
  if (p.badKey) return '';
  const doomed: string[] = [];
  if (p.key !== undefined) {
    const idx = p.t.lookup(p.key, now);
    if (idx >= 0 && p.t.refsOf(idx) === 0) doomed.push(p.key);
  } else {
    for (const [key, idx] of p.t.entries(now)) {
      if (p.t.refsOf(idx) === 0 && matches(p.t, idx, p.filters, now)) doomed.push(key);
    }
  }
  for (const k of doomed) p.t.delete(k);
  // the other nodes (Redis) or workers remove the same keys
  if (doomed.length > 0) dir.onClear?.(p.t, doomed);
  return '';
}

/** `set table NAME key KEY [data.TYPE VALUE]...`: creates the entry and sets values. */
export function setTable(dir: TableDirectory, args: string[], now = Date.now()): string {
  const t = dir.get(args[0]);
  if (!t) return NO_TABLE;
  if (args[1] !== 'key' || args[2] === undefined) return '"key" expected, followed by the entry key\n';
  const key = toKey(t.spec.type, t.spec.len, args[2]);
  if (key === undefined) return `Unable to parse key '${args[2]}' for a table of type ${t.spec.type}.\n`;
  const sets: Array<[DataSlot, number]> = [];
  for (let i = 3; i < args.length; i += 2) {
    const w = args[i];
    if (!w.startsWith('data.')) return `"data.<type>" followed by a value expected, got '${w}'\n`;
    const name = w.slice(5);
    const slot = t.slot(name);
    if (!slot && !ORDER.includes(name)) return 'Unknown data type\n';
    if (!slot) return 'Data type not stored in this table\n';
    const v = args[i + 1];
    if (v === undefined || !/^-?\d+$/.test(v)) return 'Require a valid integer value to store\n';
    sets.push([slot, Number(v)]);
  }
  const idx = t.getOrCreate(key, now);
  if (idx < 0) return 'Unable to allocate a new entry\n';
  for (const [slot, v] of sets) t.assign(idx, slot, v, now);
  if (sets.length === 0) t.onChange?.(t, idx, false);
  return '';
}
