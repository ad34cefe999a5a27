/**
 * Stick table at scale: 1 million IPv4 entries (`stick-table type ip size 1m expire 30m store
 * server_id,http_req_rate(10s),conn_cur`): memory per entry and operations per second for
 * insert, lookup hit, track-style update and eviction once full.
 *
 * Run: node --expose-gc --import tsx bench/state-table.ts [--entries N]
 */
import { StickTable } from '@switchyard/state';
import { tableSpec } from '../packages/state/src/stick-table.ts';

const argv = process.argv.slice(2);
const at = argv.indexOf('--entries');
const N = at >= 0 && argv[at + 1] ? Number(argv[at + 1]) : 1_000_000;
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const ip = (i: number) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

const spec = tableSpec('bench', {
  type: 'ip',
  size: N,
  expire: 30 * 60_000,
  nopurge: false,
  store: [{ name: 'server_id' }, { name: 'http_req_rate', period: 10_000 }, { name: 'conn_cur' }],
  loc: { file: 'bench', line: 1 },
});
// keys are built up front so their strings are not counted as the table's (the datapath has them already)
const keys = Array.from({ length: N }, (_, i) => ip(i));
const before = heap();
const t = new StickTable(spec);
const sid = t.slot('server_id')!;
const rate = t.slot('http_req_rate')!;
const cur = t.slot('conn_cur')!;

const timed = (label: string, n: number, fn: (i: number) => void) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(
    `${label.padEnd(34)} ${(n / (ns / 1e9) / 1e6).toFixed(2).padStart(6)} M ops/s  (${(ns / n).toFixed(0)} ns/op)`,
  );
};

const now = Date.now();
timed(`insert ${N} entries`, N, (i) => {
  const idx = t.getOrCreate(keys[i], now);
  t.set(idx, sid, (i % 8) + 1, now, false);
});
const after = heap();
console.log(
  `entries: ${t.count}, table memory: ${((after - before) / 1048576).toFixed(1)} MiB, ${((after - before) / t.count).toFixed(0)} bytes/entry (heap + typed arrays, keys excluded)`,
);
let x = 0;
timed('lookup hit + read server_id', N, (i) => {
  const idx = t.lookup(keys[(i * 7919) % N], now);
  x += t.read(idx, sid, now);
});
timed('track: getOrCreate + rate + conn_cur', N, (i) => {
  const idx = t.getOrCreate(keys[(i * 104729) % N], now + 1);
  t.add(idx, rate, 1, now + 1, false);
  t.add(idx, cur, 1, now + 1, false);
});
const fresh = Array.from({ length: 200_000 }, (_, i) => `172.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
timed('insert into full table (LRU evict)', fresh.length, (i) => {
  t.getOrCreate(fresh[i], now + 2);
});
console.log(`entries after eviction run: ${t.count} (size ${N}), checksum ${x}`);
// reference: a bare Map<string, number> over the same keys (the floor for any string-keyed index)
const bare = new Map<string, number>();
for (let i = 0; i < N; i++) bare.set(keys[i], i);
timed('reference: bare Map.get, same keys', N, (i) => {
  x += bare.get(keys[(i * 7919) % N]) as number;
});
const m = process.memoryUsage();
console.log(
  `process rss ${(m.rss / 1048576).toFixed(0)} MiB, heap ${(m.heapUsed / 1048576).toFixed(0)} MiB, typed arrays ${(m.arrayBuffers / 1048576).toFixed(0)} MiB`,
);
