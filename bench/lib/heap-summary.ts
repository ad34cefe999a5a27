/** Sums a V8 .heapsnapshot's self sizes by node type and constructor name (what holds the heap). */
import { readFileSync } from 'node:fs';

export interface HeapGroup {
  type: string;
  name: string;
  count: number;
  bytes: number;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Groups of the snapshot at `file`, largest first. Strings and code are grouped by type only. */
export function heapSummary(file: string): { total: number; groups: HeapGroup[] } {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const fType = fields.indexOf('type');
  const fName = fields.indexOf('name');
  const fSize = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + fType]];
    const bytes = snap.nodes[i + fSize];
    total += bytes;
    // one row per constructor for objects and closures; strings, code, arrays by their type alone
    const name =
      type === 'object' || type === 'closure' || type === 'native' ? snap.strings[snap.nodes[i + fName]] : '';
    const key = `${type}\0${name}`;
    const g = groups.get(key) ?? { type, name, count: 0, bytes: 0 };
    g.count++;
    g.bytes += bytes;
    groups.set(key, g);
  }
  return { total, groups: [...groups.values()].sort((a, b) => b.bytes - a.bytes) };
}
