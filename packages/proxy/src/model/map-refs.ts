/**
 * Map files as HAProxy's pattern references (pat_ref): one per file, shared by every converter
 * that names it, read once per configuration load and editable at run time (`add map`, `set map`,
 * `del map`, `clear map`). Converters rebuild their lookup when the version moves, so an edit
 * costs one rebuild, not a check per entry per request.
 */
import { readFileSync } from 'node:fs';
import type { SourceLoc } from '@switchyard/config';

/** One `KEY VALUE` line; `id` stands for HAProxy's entry pointer in `show map`. */
export interface MapEntry {
  id: number;
  key: string;
  value: string;
  /** Line in the map file (absent for entries added at run time). */
  line?: number;
}

/** A map file loaded for the running configuration. */
export interface MapRef {
  /** Unique id, shown by `show map` and usable as `#ID`. */
  id: number;
  file: string;
  /** Where the first converter using it was written (`show map` description). */
  usedAt: SourceLoc;
  entries: MapEntry[];
  /** Bumped on every edit. */
  version: number;
}

let compiling = new Map<string, MapRef>();
let nextEntry = 1;

/** Starts a new configuration's set of maps and returns it (the runtime keeps it for the API). */
export function setCompilingMaps(): Map<string, MapRef> {
  compiling = new Map();
  return compiling;
}

/** A new entry (its id is unique in the process). */
export function newEntry(key: string, value: string): MapEntry {
  return { id: nextEntry++, key, value };
}

/** Reads a map file: `KEY VALUE...` per line, `#` comments; the value is the rest of the line. */
function readMap(path: string): MapEntry[] | string {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    return `failed to open map file <${path}> (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  const out: MapEntry[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n];
    if (line.startsWith('#')) continue;
    const cr = line.indexOf('\r');
    if (cr >= 0) line = line.slice(0, cr);
    const m = /^[ \t]*([^ \t]+)[ \t]*(.*)$/.exec(line);
    if (m) out.push({ ...newEntry(m[1], m[2].replace(/[ \t]+$/, '')), line: n + 1 });
  }
  return out;
}

/** The map of `path` in the configuration being compiled, read on first use; an error message otherwise. */
export function mapRef(path: string, loc: SourceLoc): MapRef | string {
  const known = compiling.get(path);
  if (known) return known;
  const entries = readMap(path);
  if (typeof entries === 'string') return entries;
  const ref: MapRef = { id: compiling.size, file: path, usedAt: loc, entries, version: 0 };
  compiling.set(path, ref);
  return ref;
}

/** `set-map` (the value of every entry of `key`, or a new entry) and `del-map` (every entry of `key`). */
export function editMap(ref: MapRef, key: string, value: string | undefined): void {
  if (value === undefined) {
    const before = ref.entries.length;
    ref.entries = ref.entries.filter((e) => e.key !== key);
    if (ref.entries.length !== before) ref.version++;
    return;
  }
  let hit = false;
  for (const e of ref.entries)
    if (e.key === key) {
      e.value = value;
      hit = true;
    }
  if (!hit) ref.entries.push(newEntry(key, value));
  ref.version++;
}
