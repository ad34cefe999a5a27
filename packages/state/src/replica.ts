/**
 * Merging replicated stick-table entries into a local table. Two shapes arrive:
 *
 * - snapshots (the whole entry, from Redis on (re)connect): values written later win (`server_id`,
 *   `gpt0`, by the entry's write time); counters and rates of the copy assigned later (`set
 *   table`, `sc_clr_gpc0`: the reset time) win, else counters take the larger value, rates the
 *   copy that reads higher (in Redis the newer period); gauges (`conn_cur`) stay local;
 * - changes (from another node's flush, over pub/sub): last-writer-wins values, plus the counts
 *   that node added since its previous flush, added here as if they happened now.
 *
 * The same snapshot merge runs inside Redis (MERGE_LUA) so the stored copy converges too.
 */
import { layoutKinds, RESET, TOUCH, WRITTEN } from './data-types.ts';
import { freqRead } from './freq-counter.ts';
import type { StickTable } from './stick-table.ts';

/** A change published by a node: entry key, touch/write times, LWW values, counted deltas. */
export interface EntryChange {
  key: string;
  touch: number;
  written: number;
  /** [slot offset, value] for last-writer-wins slots (present when the entry's values changed). */
  abs?: Array<[number, number]>;
  /** [slot offset, count] added by the sender since its last flush. */
  deltas?: Array<[number, number]>;
}

const kindsCache = new WeakMap<StickTable, string>();
function kinds(t: StickTable): string {
  let k = kindsCache.get(t);
  if (!k) {
    k = layoutKinds(t.spec.layout);
    kindsCache.set(t, k);
  }
  return k;
}

const absCache = new WeakMap<StickTable, number[]>();
/** Last-writer-wins slot offsets of a table. */
export function absOffsets(t: StickTable): number[] {
  let out = absCache.get(t);
  if (!out) {
    const k = kinds(t);
    out = [];
    for (let i = 0; i < k.length; i++) if (k[i] === 'i') out.push(i);
    absCache.set(t, out);
  }
  return out;
}

/** Builds the change to publish for entry `idx` (deltas taken from the table). */
export function changeOf(t: StickTable, idx: number, withValues: boolean): EntryChange {
  const { data, base } = t.raw(idx);
  const c: EntryChange = { key: t.keyOf(idx), touch: data[base + TOUCH], written: data[base + WRITTEN] };
  if (withValues) {
    const offs = absOffsets(t);
    if (offs.length) c.abs = offs.map((o) => [o, data[base + o]]);
    // the reset time travels as the pseudo-value at offset RESET: peers' copies become as recent
    if (data[base + RESET] > 0) (c.abs ??= []).push([RESET, data[base + RESET]]);
    const d = t.takeDeltas(idx);
    if (d) c.deltas = d;
  }
  return c;
}

/** Applies a change from another node at local time `now`. Returns false if the table refused it (full). */
export function applyChange(t: StickTable, c: EntryChange, now: number): boolean {
  if (t.spec.expire > 0 && now - c.touch >= t.spec.expire) return true; // already expired there
  const idx = t.getOrCreate(c.key, now);
  if (idx < 0) return false;
  const { data, base } = t.raw(idx);
  if (c.abs) {
    for (const [o, v] of c.abs) if (o === RESET && v > data[base + RESET]) data[base + RESET] = v;
  }
  if (c.abs && c.written > data[base + WRITTEN]) {
    // only this table's last-writer-wins slots: a message never writes outside its entry
    const offs = absOffsets(t);
    for (const [o, v] of c.abs) if (offs.includes(o) && Number.isFinite(v)) data[base + o] = v;
    data[base + WRITTEN] = c.written;
  }
  if (c.deltas) {
    for (const [o, n] of c.deltas) {
      const s = t.spec.layout.slots.find((x) => x.offset === o);
      if (s && s.kind !== 'gauge' && Number.isFinite(n)) t.add(idx, s, n, now, false, true);
    }
  }
  return true;
}

/** Merges a full snapshot (slot array as stored in Redis) into the local table. */
export function mergeSnapshot(t: StickTable, key: string, d: number[], now: number): boolean {
  const k = kinds(t);
  if (d.length !== k.length || !d.every(Number.isFinite)) return false;
  if (t.spec.expire > 0 && now - d[TOUCH] >= t.spec.expire) return true;
  const fresh = t.lookup(key, now) < 0;
  const idx = t.getOrCreate(key, now);
  if (idx < 0) return false;
  const { data, base } = t.raw(idx);
  mergeSlots(t, k, data, base, d, fresh, now);
  return true;
}

const scratch = new Float64Array(3);

/**
 * The snapshot merge rule on raw slots: LWW values by write time, counters by max, and for a
 * rate the copy that reads higher now (a copy made of forwarded counts may have a newer period
 * but fewer events than the full one). Redis's MERGE_LUA keeps the newer period instead (it has
 * no clock); the nodes' own copies are what requests read.
 */
function mergeSlots(
  t: StickTable,
  k: string,
  data: Float64Array,
  base: number,
  d: number[],
  fresh: boolean,
  now: number,
): void {
  const newerValues = fresh || d[WRITTEN] > data[base + WRITTEN];
  // counts of a copy reset later replace ours; of a copy reset earlier are ignored
  const theirCounts = fresh || d[RESET] > data[base + RESET];
  const ourCounts = !fresh && d[RESET] < data[base + RESET];
  for (let i = 3; i < k.length; i++) {
    const o = base + i;
    switch (k[i]) {
      case 'i':
        if (newerValues) data[o] = d[i];
        break;
      case 'c':
        if (theirCounts || (!ourCounts && d[i] > data[o])) data[o] = d[i];
        break;
      case 'r': {
        const period = t.spec.layout.slots.find((s) => s.offset === i)?.period ?? 0;
        scratch[0] = d[i];
        scratch[1] = d[i + 1];
        scratch[2] = d[i + 2];
        if (theirCounts || (!ourCounts && freqRead(scratch, 0, period, now) > freqRead(data, o, period, now))) {
          data[o] = d[i];
          data[o + 1] = d[i + 1];
          data[o + 2] = d[i + 2];
        }
        i += 2;
        break;
      }
    }
  }
  if (d[WRITTEN] > data[base + WRITTEN]) data[base + WRITTEN] = d[WRITTEN];
  if (d[RESET] > data[base + RESET]) data[base + RESET] = d[RESET];
}

/**
 * After a resync wrote this node's counts into Redis (RESYNC_LUA), the copy Redis returned is
 * the cluster's total: counters become that total plus what was counted here since (still to
 * be published), values and rates merge as any snapshot.
 */
export function adoptSnapshot(t: StickTable, key: string, d: number[], now: number): boolean {
  const k = kinds(t);
  if (d.length !== k.length || !d.every(Number.isFinite)) return false;
  const idx = t.lookup(key, now);
  if (idx < 0) return mergeSnapshot(t, key, d, now);
  const { data, base } = t.raw(idx);
  for (let i = 3; i < k.length; i++) if (k[i] === 'c') data[base + i] = d[i] + t.pendingOf(idx, i);
  if (d[RESET] > data[base + RESET]) data[base + RESET] = d[RESET];
  mergeSlots(t, k, data, base, d, false, now);
  return true;
}

/**
 * The snapshot merge in Lua (same rules as mergeSlots; Redis has no clock, so of two rates of
 * the same reset time the newer period wins): merges the stored JSON `cur` into the decoded
 * copy `new` (its `d` is changed). `k` is the kinds string.
 */
const MERGE_FN = `
local function merge(k, new, cur)
  if not cur then return end
  local ok, c = pcall(cjson.decode, cur)
  if not (ok and type(c) == 'table' and c.s == new.s and type(c.d) == 'table' and #c.d == #new.d) then return end
  local d, cd = new.d, c.d
  local newer = d[2] >= cd[2]
  local theirs = cd[3] > d[3]
  local ours = cd[3] < d[3]
  local i = 4
  while i <= #k do
    local ch = string.sub(k, i, i)
    if ch == 'i' then
      if not newer then d[i] = cd[i] end
    elseif ch == 'c' then
      if theirs or (not ours and cd[i] > d[i]) then d[i] = cd[i] end
    elseif ch == 'r' then
      if theirs or (not ours and cd[i] > d[i]) then d[i] = cd[i]; d[i+1] = cd[i+1]; d[i+2] = cd[i+2]
      elseif not ours and cd[i] == d[i] then
        if cd[i+1] > d[i+1] then d[i+1] = cd[i+1] end
        if cd[i+2] > d[i+2] then d[i+2] = cd[i+2] end
      end
      i = i + 2
    end
    i = i + 1
  end
  if cd[1] > d[1] then d[1] = cd[1] end
  if cd[2] > d[2] then d[2] = cd[2] end
  if cd[3] > d[3] then d[3] = cd[3] end
end
local function store(key, out, px)
  if px > 0 then redis.call('SET', key, out, 'PX', px) else redis.call('SET', key, out) end
end
`;

/**
 * Redis-side merge of written snapshots with the stored ones, then SET with the table's expiry;
 * one call merges a batch. KEYS: entry keys; ARGV[1] kinds string; ARGV[2] PX milliseconds (0:
 * no expiry); ARGV[3..]: JSON {s: signature, t, k, d: slots}, one per key.
 */
export const MERGE_LUA = `${MERGE_FN}
local k, px = ARGV[1], tonumber(ARGV[2])
for n = 1, #KEYS do
  local new = cjson.decode(ARGV[n + 2])
  merge(k, new, redis.call('GET', KEYS[n]))
  store(KEYS[n], cjson.encode(new), px)
end
return #KEYS
`;

/**
 * The resync of a node that counted on its own (Redis unreachable, or messages missed): per
 * entry, its copy without those counts (`base`) merges with the stored one, then its counts are
 * added (sums of the increments, as each node's counts add up while connected), and the stored
 * result is returned; the same counts are PUBLISHed to the connected peers in this atomic step,
 * so a peer adds them exactly once: by the message, or by the copy its own resync gets back.
 * KEYS: entry keys; ARGV[1] kinds; ARGV[2] PX; ARGV[3] channel; ARGV[4] message ('' = none);
 * ARGV[5..]: per key the base JSON then the counts JSON ([[offset, n], ...]).
 */
export const RESYNC_LUA = `${MERGE_FN}
local k, px = ARGV[1], tonumber(ARGV[2])
local out = {}
for n = 1, #KEYS do
  local new = cjson.decode(ARGV[2 * n + 3])
  merge(k, new, redis.call('GET', KEYS[n]))
  for _, p in ipairs(cjson.decode(ARGV[2 * n + 4])) do
    local i = p[1] + 1
    if string.sub(k, i, i) == 'c' then new.d[i] = new.d[i] + p[2] end
  end
  local enc = cjson.encode(new)
  store(KEYS[n], enc, px)
  out[n] = enc
end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return out
`;

/**
 * Redis-side last-writer-wins set for admin state: KEYS[1]; ARGV[1] JSON with a numeric `w`
 * (write time). Stored only if not older than what is there.
 */
export const LWW_LUA = `
local cur = redis.call('GET', KEYS[1])
local new = cjson.decode(ARGV[1])
if cur then
  local ok, c = pcall(cjson.decode, cur)
  if ok and type(c) == 'table' and c.w and c.w > new.w then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;

/** Shape check of a replicated entry tuple [key, touch, written, abs|0, deltas|0, snapshot|0]. */
export function isEntryTuple(
  e: unknown,
): e is [string, number, number, Array<[number, number]> | 0, Array<[number, number]> | 0, number[] | 0] {
  if (!Array.isArray(e) || e.length !== 6) return false;
  const pairs = (x: unknown) =>
    x === 0 ||
    (Array.isArray(x) &&
      x.every((p) => Array.isArray(p) && p.length === 2 && Number.isInteger(p[0]) && typeof p[1] === 'number'));
  return (
    typeof e[0] === 'string' &&
    Number.isFinite(e[1]) &&
    Number.isFinite(e[2]) &&
    pairs(e[3]) &&
    pairs(e[4]) &&
    (e[5] === 0 || (Array.isArray(e[5]) && e[5].every((x) => typeof x === 'number')))
  );
}
