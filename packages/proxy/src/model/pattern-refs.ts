/**
 * HAProxy's pattern references (pattern.c `pat_ref`): the entries of an ACL or a map as strings,
 * editable at run time and numbered as haproxy numbers them. One per map or pattern file (shared
 * by every converter and `-f` naming it) and one per `acl` line or anonymous ACL for its inline
 * patterns. Matchers read the entries of the current version (`curr_gen`) and rebuild when
 * `version` moves, so an edit costs one rebuild, not a check per entry per request.
 *
 * Versions as haproxy 2.6: `prepare` reserves `next_gen`, entries are added to any version up to
 * it, `commit` makes one current and purges the older ones. `entry_cnt` counts as haproxy's
 * does: one per entry per expression using it when loaded or added, minus one per removal.
 */
import { readFileSync } from 'node:fs';
import type { SourceLoc } from '@switchyard/config';

/** One pattern (`KEY` of an ACL) or map line (`KEY VALUE`); `id` stands for haproxy's entry pointer. */
export interface PatEntry {
  id: number;
  key: string;
  /** The value (maps; also an ACL file loaded with `-M`). */
  value?: string;
  /** Line in the file (absent for entries added at run time). */
  line?: number;
  /** The version the entry belongs to. */
  gen: number;
}

/** How one user reads a reference (haproxy's pattern_expr): what `get map|acl` reports per line. */
export interface PatExpr {
  /** The match method's name as `get` prints it (`str`, `beg`, `reg`, `int`, `found`...). */
  method: string;
  icase: boolean;
  /** The value type a map converter reads (undefined for ACLs). */
  sample?: 'str' | 'int' | 'ip';
  /** Set by the user: the entry a sample matches (current version), for `get map|acl`. */
  find?: (sample: string) => PatEntry | undefined;
  /** True when the first lookup is an exact or longest-prefix tree (haproxy `idx=tree`). */
  tree?: (e: PatEntry) => boolean;
  /** Why this user cannot read `key` as a pattern (`add map|acl` refuses it), undefined when it can. */
  check?: (key: string) => string | undefined;
  /** Maps: the type `get map` names for a value (`str`, `sint`, `ipv4`...), undefined when unreadable. */
  valueType?: (value: string) => string | undefined;
}

/** Where a reference was used, in configuration order. */
interface PatUse {
  kind: 'acl' | 'map';
  loc: SourceLoc;
  /** Made by a condition (`if {...}`, a predefined ACL): after the rule's own arguments on its line. */
  cond: boolean;
  seq: number;
}

/** A pattern reference of the running configuration. */
export interface PatRef {
  /** Unique id (`show map|acl`, `#ID`); -1 until the configuration is complete. */
  id: number;
  /** The file name (`(FILE)` in `show`); undefined for the inline patterns of one ACL. */
  file?: string;
  /** For inline references: the ACL keyword (`acl 'path_beg' file ...`). */
  keyword?: string;
  uses: PatUse[];
  /** Used by an ACL, by a map, loaded with values (haproxy PAT_REF_ACL / MAP / SMP). */
  acl: boolean;
  map: boolean;
  smp: boolean;
  entries: PatEntry[];
  currGen: number;
  nextGen: number;
  entryCnt: number;
  exprs: PatExpr[];
  /** Bumped on every edit. */
  version: number;
  /** Next entry id (entries are numbered per reference, so every --workers worker numbers alike). */
  nextEntry: number;
  /** Forced with `-u ID`. */
  forcedId?: boolean;
}

/** Kept for the map code's names. */
export type MapRef = PatRef;
export type MapEntry = PatEntry;

/** The references of one configuration, ordered by id once complete. */
export interface PatRefs {
  list: PatRef[];
  byFile: Map<string, PatRef>;
}

let compiling: PatRefs = { list: [], byFile: new Map() };
/** After finishPatRefs(): conditions compiled later (stats admin, stick-table bridges) share the files only. */
let sealed = false;
let seq = 0;

/** Starts a new configuration's set of references and returns it (the runtime keeps it for the API). */
export function setCompilingPatRefs(): PatRefs {
  compiling = { list: [], byFile: new Map() };
  sealed = false;
  return compiling;
}

function newRef(file: string | undefined, kind: 'acl' | 'map', loc: SourceLoc, cond: boolean): PatRef {
  const ref: PatRef = {
    id: -1,
    file,
    uses: [{ kind, loc, cond, seq: seq++ }],
    acl: kind === 'acl',
    map: kind === 'map',
    smp: false,
    entries: [],
    currGen: 0,
    nextGen: 0,
    entryCnt: 0,
    exprs: [],
    version: 0,
    nextEntry: 0,
  };
  if (!sealed) compiling.list.push(ref);
  return ref;
}

/** Appends an entry of version `gen` (no expression sees it until addExprs/added()). */
function append(ref: PatRef, key: string, value: string | undefined, gen: number, line?: number): PatEntry {
  const e: PatEntry = { id: ref.nextEntry++, key, value, gen, line };
  ref.entries.push(e);
  return e;
}

/** Reads a pattern or map file as pat_ref_read_from_file(_smp). */
function readFile(ref: PatRef, path: string, smp: boolean): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    return `failed to open pattern file <${path}> (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n];
    if (line.startsWith('#')) continue;
    const cr = line.indexOf('\r');
    if (cr >= 0) line = line.slice(0, cr);
    line = line.replace(/^[ \t]+/, '');
    if (line === '') continue;
    if (smp) {
      const m = /^([^ \t]+)[ \t]*(.*)$/.exec(line) as RegExpExecArray;
      append(ref, m[1], m[2].replace(/[ \t]+$/, ''), 0, n + 1);
    } else append(ref, line, undefined, 0, n + 1);
  }
  return undefined;
}

/**
 * The reference of file `path` for a user of `kind` (`smp`: read with values), read on first use;
 * an error message otherwise (unreadable, or already read with the other number of columns).
 */
export function fileRef(
  path: string,
  kind: 'acl' | 'map',
  smp: boolean,
  loc: SourceLoc,
  cond = false,
): PatRef | string {
  const known = compiling.byFile.get(path);
  if (known && sealed) return known;
  if (known) {
    if (smp && !known.smp)
      return `The file "${path}" is already used as one column file and cannot be used by as two column file.`;
    if (!smp && known.smp)
      return `The file "${path}" is already used as two column file and cannot be used by as one column file.`;
    known.uses.push({ kind, loc, cond, seq: seq++ });
    if (kind === 'acl') known.acl = true;
    else known.map = true;
    return known;
  }
  const ref = newRef(path, kind, loc, cond);
  ref.smp = smp;
  const bad = readFile(ref, path, smp);
  if (bad) {
    if (!sealed) compiling.list.pop();
    return bad;
  }
  if (!sealed) compiling.byFile.set(path, ref);
  return ref;
}

/** A map file's reference (converters, `set-map`/`del-map`): read with values. */
export function mapRef(path: string, loc: SourceLoc): PatRef | string {
  return fileRef(path, 'map', true, loc);
}

/** The inline reference of one ACL line (`acl 'KEYWORD' file F line N`), with its patterns. */
export function inlineRef(keyword: string, patterns: string[], loc: SourceLoc, cond: boolean, id?: number): PatRef {
  const ref = newRef(undefined, 'acl', loc, cond);
  ref.keyword = keyword;
  if (id !== undefined) {
    ref.id = id;
    ref.forcedId = true;
  }
  for (const p of patterns) append(ref, p, undefined, 0);
  return ref;
}

/** True when `-u ID` names an id already forced in this configuration. */
export function idTaken(id: number): boolean {
  return !sealed && compiling.list.some((r) => r.forcedId && r.id === id);
}

/**
 * Registers a user's expression on `ref`: an equal one (same method, case and value type) is
 * shared as haproxy shares it, otherwise the entries are counted once more. Returns the shared one.
 */
export function addExpr(ref: PatRef, expr: PatExpr): PatExpr {
  const same = ref.exprs.find((x) => x.method === expr.method && x.icase === expr.icase && x.sample === expr.sample);
  if (same) return same;
  ref.exprs.push(expr);
  ref.entryCnt += ref.entries.length;
  return expr;
}

/** The entries of the current version (what matchers read). */
export function current(ref: PatRef): PatEntry[] {
  return ref.entries.filter((e) => e.gen === ref.currGen);
}

/** Order of the configuration's files as their proxies appear (for the creation order). */
function byConfigOrder(files: string[]): (a: PatUse, b: PatUse) => number {
  const rank = new Map<string, number>();
  for (const f of files) if (!rank.has(f)) rank.set(f, rank.size);
  return (a, b) =>
    (rank.get(a.loc.file) ?? 1e9) - (rank.get(b.loc.file) ?? 1e9) ||
    a.loc.line - b.loc.line ||
    Number(a.cond) - Number(b.cond) ||
    a.seq - b.seq;
}

/**
 * Once the configuration is compiled: numbers the references in the order haproxy created them
 * (configuration order; a rule's arguments before its condition) skipping ids forced with `-u`.
 * `files` are the configuration files in load order.
 */
export function finishPatRefs(refs: PatRefs, files: string[]): void {
  const cmp = byConfigOrder(files);
  for (const r of refs.list) r.uses.sort(cmp);
  const forced = new Set(refs.list.filter((r) => r.forcedId).map((r) => r.id));
  const auto = refs.list.filter((r) => !r.forcedId).sort((a, b) => cmp(a.uses[0], b.uses[0]));
  let next = 0;
  for (const r of auto) {
    while (forced.has(next)) next++;
    r.id = next++;
  }
  refs.list.sort((a, b) => a.id - b.id);
  if (refs === compiling) sealed = true;
}

/** The description `show map|acl` prints. */
export function display(ref: PatRef): string {
  if (!ref.file) {
    const u = ref.uses[0];
    return `acl '${ref.keyword}' file '${u.loc.file}' line ${u.loc.line}`;
  }
  const [first, ...rest] = ref.uses;
  let out = `pattern loaded from file '${ref.file}' used by ${first.kind} at file '${first.loc.file}' line ${first.loc.line}`;
  for (const u of rest) out += `, by ${u.kind} at file '${u.loc.file}' line ${u.loc.line}`;
  return out;
}

/** The reference named `#ID` or by file, as pat_ref_lookup_ref(). */
export function findRef(refs: PatRefs | undefined, name: string): PatRef | undefined {
  if (!refs) return undefined;
  if (name.startsWith('#')) {
    if (!/^#-?[0-9]+$/.test(name)) return undefined;
    const n = Number(name.slice(1));
    return refs.list.find((r) => r.id === n);
  }
  return refs.byFile.get(name);
}

/** Adds `key` (and `value`) to version `gen` (the current one by default) of `ref`. */
export function addEntry(ref: PatRef, key: string, value: string | undefined, gen = ref.currGen): PatEntry {
  const e = append(ref, key, value, gen);
  ref.entryCnt += ref.exprs.length;
  ref.version++;
  return e;
}

/** Removes the entries `drop` selects (any version); returns how many. */
export function removeEntries(ref: PatRef, drop: (e: PatEntry) => boolean): number {
  const before = ref.entries.length;
  ref.entries = ref.entries.filter((e) => !drop(e));
  const n = before - ref.entries.length;
  if (n > 0) {
    ref.entryCnt -= n;
    ref.version++;
  }
  return n;
}

/** Sets the value of the entries `pick` selects; returns how many. */
export function setValues(ref: PatRef, pick: (e: PatEntry) => boolean, value: string): number {
  let n = 0;
  for (const e of ref.entries)
    if (pick(e)) {
      e.value = value;
      n++;
    }
  if (n > 0) ref.version++;
  return n;
}

/** `prepare map|acl`: reserves the next version. */
export function prepareGen(ref: PatRef): number {
  ref.nextGen = (ref.nextGen + 1) >>> 0;
  return ref.nextGen;
}

/** `commit map|acl @GEN`: false when the version is out of range; else it is current, older ones purged. */
export function commitGen(ref: PatRef, gen: number): boolean {
  if ((gen - (ref.currGen + 1)) >>> 0 >= (ref.nextGen - ref.currGen) >>> 0) return false;
  if (((gen - ref.currGen) | 0) > 0) ref.currGen = gen;
  const to = (gen - 1) >>> 0;
  const from = (to - 0x7fffffff) >>> 0;
  removeEntries(ref, (e) => (e.gen - from) >>> 0 <= (to - from) >>> 0);
  ref.version++;
  return true;
}

/** The reference of file `path` in the configuration being compiled, looked up when called (rules run after the load). */
export function loadedRef(path: string): () => PatRef | undefined {
  const refs = compiling;
  let ref: PatRef | undefined;
  return () => {
    ref ??= refs.byFile.get(path);
    return ref;
  };
}

/** Hook set under --workers: an edit a rule made here, for the other workers. */
let shareEdit: ((file: string, action: RuleEdit, key: string, value?: string) => void) | undefined;

/** Under --workers: `share` receives every edit made by a rule (set-map, del-map, add-acl, del-acl). */
export function onRuleEdit(share: typeof shareEdit): void {
  shareEdit = share;
}

export type RuleEdit = 'set-map' | 'del-map' | 'add-acl' | 'del-acl';

/** A rule's edit: applied here, then shared with the other workers (if any). */
export function editByAction(ref: PatRef | undefined, action: RuleEdit, key: string, value?: string): void {
  if (!ref?.file) return;
  applyRuleEdit(ref, action, key, value);
  shareEdit?.(ref.file, action, key, value);
}

/** `set-map(FILE) KEY VALUE` / `del-map(FILE) KEY` / `add-acl(FILE) KEY` / `del-acl(FILE) KEY`. */
export function applyRuleEdit(ref: PatRef, action: RuleEdit, key: string, value?: string): void {
  if (action === 'del-map' || action === 'del-acl') {
    removeEntries(ref, (e) => e.key === key);
    return;
  }
  const found = ref.entries.some((e) => e.key === key);
  if (action === 'add-acl') {
    if (!found) addEntry(ref, key, undefined);
    return;
  }
  if (found) setValues(ref, (e) => e.key === key, value ?? '');
  else addEntry(ref, key, value ?? '');
}

/** A reference's whole state (what a --workers worker started later is sent). */
export interface PatRefState {
  id: number;
  /** What the reference is (the same configuration numbers it alike in every process). */
  what: string;
  entries: PatEntry[];
  currGen: number;
  nextGen: number;
  entryCnt: number;
  nextEntry: number;
}

/** The states of every reference edited since the load. */
export function patRefStates(refs: PatRefs): PatRefState[] {
  return refs.list
    .filter((r) => r.version > 0)
    .map((r) => ({
      id: r.id,
      what: r.file ?? r.keyword ?? '',
      entries: r.entries.map((e) => ({ ...e })),
      currGen: r.currGen,
      nextGen: r.nextGen,
      entryCnt: r.entryCnt,
      nextEntry: r.nextEntry,
    }));
}

/** Applies states from patRefStates() to the same configuration's references. */
export function restorePatRefs(refs: PatRefs, states: PatRefState[]): void {
  for (const s of states) {
    // a worker on another configuration than the primary's (a reload in progress) skips it
    const r = refs.list.find((x) => x.id === s.id && (x.file ?? x.keyword ?? '') === s.what);
    if (!r) continue;
    r.entries = s.entries.map((e) => ({ ...e }));
    r.currGen = s.currGen;
    r.nextGen = s.nextGen;
    r.entryCnt = s.entryCnt;
    r.nextEntry = s.nextEntry;
    r.version++;
  }
}
