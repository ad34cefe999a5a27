/**
 * Runtime API map commands with HAProxy 2.6's usage lines and replies (src/map.c): `show map`,
 * `add map`, `set map`, `del map`, `clear map`. A map is named by its file or `#ID`; an entry by
 * its key or `#0xID` (the ids `show map FILE` prints). Edits reach every converter reading the map
 * in this process; a reload reads the files again, as HAProxy does. Under --workers edits are
 * refused (each worker has its own maps).
 */
import { type MapRef, newEntry, type ProxyRuntime } from '@switchyard/proxy';
import type { Command } from './types.ts';

const UNKNOWN = 'Unknown map identifier. Please use #<id> or <file>.\n';
const MALFORMED = 'Malformed identifier. Please use #<id> or <file>.\n';

/** The map named `id` (`#N` or a file path). */
function lookup(rt: ProxyRuntime, id: string | undefined): MapRef | undefined {
  if (!id || !rt.maps) return undefined;
  if (id.startsWith('#')) {
    const n = Number(id.slice(1));
    for (const m of rt.maps.values()) if (m.id === n) return m;
    return undefined;
  }
  return rt.maps.get(id);
}

/** An entry id as `show map` prints it (HAProxy prints the entry's address). */
function entryId(id: number): string {
  return `0x${(0x5a0000000000 + id * 0x50).toString(16)}`;
}

/** The entry id `#0x...` refers to, undefined when malformed. */
function parseEntryId(ref: string): number | undefined {
  if (!/^#0x[0-9a-fA-F]+$/.test(ref)) return undefined;
  return (Number.parseInt(ref.slice(3), 16) - 0x5a0000000000) / 0x50;
}

/** Under --workers each worker holds its own maps and a CLI connection reaches one: edits are refused there. */
const WORKER_REFUSAL =
  'Map edits are not shared between --workers yet (this connection reached one worker); run without --workers to edit maps at run time.\n';
/** True in a --workers worker process. */
export const inWorker = (): boolean => process.env.SWITCHYARD_WORKER === '1';

/** The map an edit command names, or the reply refusing the edit. */
function editable(rt: ProxyRuntime, id: string): MapRef | string {
  const m = lookup(rt, id);
  if (!m) return UNKNOWN;
  return inWorker() ? WORKER_REFUSAL : m;
}

function changed(m: MapRef): string {
  m.version++;
  return '';
}

export const MAP_COMMANDS: Command[] = [
  {
    words: ['add', 'map'],
    usage: 'add map [@<ver>] <map> <key> <val>',
    desc: 'add a map entry (payload supported instead of key/val)',
    level: 'operator',
    run(args, ctx) {
      if (args.length < 3)
        return "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n";
      const m = editable(ctx.runtime(), args[0]);
      if (typeof m === 'string') return m;
      m.entries.push(newEntry(args[1], args[2]));
      return changed(m);
    },
  },
  {
    words: ['clear', 'map'],
    usage: 'clear map [@<ver>] <map>',
    desc: 'clear the contents of this map',
    level: 'operator',
    run(args, ctx) {
      if (!args[0]) return 'Missing map identifier.\n';
      const m = editable(ctx.runtime(), args[0]);
      if (typeof m === 'string') return m;
      m.entries = [];
      return changed(m);
    },
  },
  {
    words: ['del', 'map'],
    usage: 'del map <map> [<key>|#<ref>]',
    desc: 'delete map entries matching <key>',
    level: 'operator',
    run(args, ctx) {
      if (!args[0] || !args[1]) return 'This command expects two parameters: map identifier and key.\n';
      const m = editable(ctx.runtime(), args[0]);
      if (typeof m === 'string') return m;
      const before = m.entries.length;
      if (args[1].startsWith('#0x')) {
        const id = parseEntryId(args[1]);
        if (id === undefined) return MALFORMED;
        m.entries = m.entries.filter((e) => e.id !== id);
      } else m.entries = m.entries.filter((e) => e.key !== args[1]);
      if (m.entries.length === before) return 'Key not found.\n';
      return changed(m);
    },
  },
  {
    words: ['set', 'map'],
    usage: 'set map <map> [<key>|#<ref>] <value>',
    desc: 'modify a map entry',
    level: 'operator',
    run(args, ctx) {
      if (!args[0] || !args[1] || args[2] === undefined)
        return "'set map' expects three parameters: map identifier, key and value.\n";
      const m = editable(ctx.runtime(), args[0]);
      if (typeof m === 'string') return m;
      const value = args[2];
      let hit = false;
      if (args[1].startsWith('#0x')) {
        const id = parseEntryId(args[1]);
        if (id === undefined) return MALFORMED;
        for (const e of m.entries)
          if (e.id === id) {
            e.value = value;
            hit = true;
          }
      } else
        for (const e of m.entries)
          if (e.key === args[1]) {
            e.value = value;
            hit = true;
          }
      if (!hit) return 'entry not found.\n';
      return changed(m);
    },
  },
  {
    words: ['show', 'map'],
    usage: 'show map [@ver] [map]',
    desc: "report available maps or dump a map's contents",
    level: 'user',
    run(args, ctx) {
      const rt = ctx.runtime();
      if (args[0] === undefined) {
        let out = '# id (file) description\n';
        for (const m of rt.maps?.values() ?? []) {
          out += `${m.id} (${m.file}) pattern loaded from file '${m.file}' used by map at file '${m.usedAt.file}' line ${m.usedAt.line}. curr_ver=0 next_ver=0 entry_cnt=${m.entries.length}\n`;
        }
        return out;
      }
      const m = lookup(rt, args[0]);
      if (!m) return UNKNOWN;
      return m.entries.map((e) => `${entryId(e.id)} ${e.key} ${e.value}\n`).join('');
    },
  },
];
