/**
 * Runtime API map and ACL commands with HAProxy 2.6's usage lines and replies (src/map.c):
 * `show|get|add|del|clear|prepare|commit map|acl`, `set map`. A map or ACL is named by its file or
 * `#ID` (the ids `show map|acl` print; an ACL written inline has an id and no file); an entry by
 * its key or `#0xID`. Versions: `prepare` reserves one, `add @VER` fills it, `commit @VER` makes it
 * current. Edits reach every converter and ACL reading the patterns, in every --workers worker (a
 * worker started later gets them); a reload reads the files again, as HAProxy does.
 */
import {
  addEntry,
  commitGen,
  findRef,
  type PatEntry,
  type PatRef,
  type ProxyRuntime,
  patRefDisplay,
  prepareGen,
  removeEntries,
  setValues,
} from '@switchyard/proxy';
import type { CliContext, Command } from './types.ts';

type Kind = 'map' | 'acl';

const UNKNOWN: Record<Kind, string> = {
  map: 'Unknown map identifier. Please use #<id> or <file>.\n',
  acl: 'Unknown ACL identifier. Please use #<id> or <file>.\n',
};
const MALFORMED = 'Malformed identifier. Please use #<id> or <file>.\n';

/** True in a --workers worker process. */
export const inWorker = (): boolean => process.env.SWITCHYARD_WORKER === '1';

/** The reference named `name`; with `kind`, only one used as that (haproxy's flag check). */
function lookup(rt: ProxyRuntime, name: string | undefined, kind?: Kind): PatRef | undefined {
  if (name === undefined) return undefined;
  const ref = findRef(rt.patterns, name);
  if (!ref || (kind && !ref[kind])) return undefined;
  return ref;
}

/** An entry id as `show map|acl` prints it (haproxy prints the entry's address). */
function entryId(ref: PatRef, e: PatEntry): string {
  return `0x${(BASE + ref.id * REF_SPAN + e.id * 0x50).toString(16)}`;
}
const BASE = 0x5a0000000000;
const REF_SPAN = 0x10000000;

/** The entry `#0x...` names in `ref`: undefined when malformed, null when it names none. */
function entryOf(ref: PatRef, name: string): PatEntry | null | undefined {
  if (!/^#0x[0-9a-fA-F]+$/.test(name)) return undefined;
  const n = (Number.parseInt(name.slice(3), 16) - BASE - ref.id * REF_SPAN) / 0x50;
  return ref.entries.find((e) => e.id === n) ?? null;
}

/** haproxy's str2uic(): the leading digits as an unsigned 32-bit number (0 without). */
function version(s: string): number {
  const m = /^[0-9]*/.exec(s)?.[0] ?? '';
  let n = 0;
  for (const d of m) n = (n * 10 + Number(d)) >>> 0;
  return n;
}

/**
 * Why `key` (and `value`) cannot be added to `ref`: a message per its users' parsers, or undefined.
 * As haproxy's rollback, a refused entry still counts in `entry_cnt` once per user that took it,
 * minus one.
 */
function refusal(ref: PatRef, key: string, value: string | undefined): string | undefined {
  let took = 0;
  for (const x of ref.exprs) {
    const bad =
      value !== undefined && x.valueType && x.valueType(value) === undefined
        ? `unable to parse '${value}'`
        : x.check?.(key);
    if (bad) {
      ref.entryCnt += took - 1;
      return bad;
    }
    took++;
  }
  return undefined;
}

/** Splits an `add map|acl` payload line as haproxy: the key up to a blank, the value after blanks. */
function payloadPairs(payload: string): Array<[string, string | undefined]> {
  const out: Array<[string, string | undefined]> = [];
  for (const line of payload.split('\n')) {
    if (line === '') continue;
    const k = /^[^ \t]*/.exec(line)?.[0] ?? '';
    const rest = line.slice(k.length);
    out.push([k, rest === '' ? undefined : rest.slice(1).replace(/^[ \t]+/, '')]);
  }
  return out;
}

function add(rt: ProxyRuntime, kind: Kind, args: string[], payload: string | undefined): string {
  let gen: number | undefined;
  if (args[0]?.startsWith('@')) {
    gen = version(args[0].slice(1));
    args = args.slice(1);
  }
  if (kind === 'map') {
    if ((payload === undefined && (!args[0] || !args[1] || !args[2])) || (payload !== undefined && !args[0]))
      return "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n";
  } else if (!args[0] || !args[1]) return "'add acl' expects two parameters: ACL identifier and pattern.\n";
  const ref = lookup(rt, args[0]);
  if (!ref) return UNKNOWN[kind];
  if (gen !== undefined && ((gen - ref.nextGen) | 0) > 0)
    return `Version number in the future, please use 'prepare ${kind}' before.\n`;
  if (kind === 'acl' && ref.smp)
    return "This ACL is shared with a map containing samples. You must use the command 'add map' to add values.\n";
  const pairs: Array<[string, string | undefined]> =
    payload === undefined ? [[args[1], args[2]]] : payloadPairs(payload);
  for (const [key, raw] of pairs) {
    if (kind === 'map' && payload !== undefined && raw === undefined) return `Missing value for key '${key}'.\n`;
    const value = kind === 'map' ? (raw ?? '') : undefined;
    const bad = refusal(ref, key, value);
    if (bad) return `${bad}.\n`;
    addEntry(ref, key, value, gen ?? ref.currGen);
  }
  return '';
}

function del(rt: ProxyRuntime, kind: Kind, args: string[]): string {
  if (!args[0] || !args[1])
    return `This command expects two parameters: ${kind === 'map' ? 'map' : 'ACL'} identifier and key.\n`;
  const ref = lookup(rt, args[0], kind);
  if (!ref) return UNKNOWN.map;
  let n: number;
  if (args[1].startsWith('#0x')) {
    const e = entryOf(ref, args[1]);
    if (e === undefined) return MALFORMED;
    n = e ? removeEntries(ref, (x) => x === e) : 0;
  } else n = removeEntries(ref, (x) => x.key === args[1]);
  return n === 0 ? 'Key not found.\n' : '';
}

function clear(rt: ProxyRuntime, kind: Kind, args: string[]): string {
  let gen: number | undefined;
  if (args[0]?.startsWith('@')) {
    gen = version(args[0].slice(1));
    args = args.slice(1);
  }
  if (!args[0]) return `Missing ${kind === 'map' ? 'map' : 'ACL'} identifier.\n`;
  const ref = lookup(rt, args[0], kind);
  if (!ref) return UNKNOWN[kind];
  const g = gen ?? ref.currGen;
  removeEntries(ref, (e) => e.gen === g);
  return '';
}

function commit(rt: ProxyRuntime, kind: Kind, args: string[]): string {
  if (!args[0]?.startsWith('@')) return 'Missing version number.\n';
  if (!args[1]) return `Missing ${kind === 'map' ? 'map' : 'ACL'} identifier.\n`;
  const ref = lookup(rt, args[1], kind);
  if (!ref) return UNKNOWN[kind];
  return commitGen(ref, version(args[0].slice(1))) ? '' : 'Version number out of range.\n';
}

function prepare(rt: ProxyRuntime, kind: Kind, args: string[]): string {
  const ref = lookup(rt, args[0] ?? '', kind);
  if (!ref) return UNKNOWN[kind];
  return `New version created: ${prepareGen(ref)}\n`;
}

function setMap(rt: ProxyRuntime, args: string[]): string {
  if (!args[0] || !args[1] || !args[2]) return "'set map' expects three parameters: map identifier, key and value.\n";
  const ref = lookup(rt, args[0]);
  if (!ref) return UNKNOWN.map;
  const value = args[2];
  const unreadable = ref.exprs.some((x) => x.valueType && x.valueType(value) === undefined);
  if (args[1].startsWith('#0x')) {
    const e = entryOf(ref, args[1]);
    if (e === undefined) return MALFORMED;
    if (!e) return 'key or pattern not found.\n';
    if (unreadable) return `unable to parse '${value}'.\n`;
    setValues(ref, (x) => x === e, value);
    return '';
  }
  if (!ref.entries.some((x) => x.key === args[1])) return 'entry not found.\n';
  // haproxy reports nothing when a user cannot read the value, and leaves the entries unchanged
  if (!unreadable) setValues(ref, (x) => x.key === args[1], value);
  return '';
}

/** A change of maps or ACLs as the runtime API received it (what --workers sends to the other workers). */
export interface PatternOp {
  cmd: 'add' | 'clear' | 'commit' | 'del' | 'prepare' | 'set';
  kind: Kind;
  args: string[];
  payload?: string;
}

/** Runs a map or ACL change on this process's runtime; returns haproxy's reply. */
export function applyPatternOp(rt: ProxyRuntime, op: PatternOp): string {
  switch (op.cmd) {
    case 'add':
      return add(rt, op.kind, op.args, op.payload);
    case 'del':
      return del(rt, op.kind, op.args);
    case 'clear':
      return clear(rt, op.kind, op.args);
    case 'commit':
      return commit(rt, op.kind, op.args);
    case 'prepare':
      return prepare(rt, op.kind, op.args);
    case 'set':
      return setMap(rt, op.args);
  }
}

function show(rt: ProxyRuntime, kind: Kind, args: string[]): string {
  if (args[0] === undefined || args[0] === '') {
    let out = '# id (file) description\n';
    for (const r of rt.patterns?.list ?? [])
      if (r[kind])
        out += `${r.id} (${r.file ?? ''}) ${patRefDisplay(r)}. curr_ver=${r.currGen} next_ver=${r.nextGen} entry_cnt=${r.entryCnt}\n`;
    return out;
  }
  let gen: number | undefined;
  if (args[0].startsWith('@')) {
    gen = version(args[0].slice(1));
    args = args.slice(1);
  }
  const ref = lookup(rt, args[0] ?? '', kind);
  if (!ref) return UNKNOWN[kind];
  const g = gen ?? ref.currGen;
  let out = '';
  for (const e of ref.entries)
    if (e.gen === g)
      out += e.value === undefined ? `${entryId(ref, e)} ${e.key}\n` : `${entryId(ref, e)} ${e.key} ${e.value}\n`;
  return out;
}

function get(rt: ProxyRuntime, kind: Kind, args: string[]): string {
  if (!args[0] || !args[1]) return `Missing ${kind === 'map' ? 'map' : 'ACL'} identifier and/or key.\n`;
  const ref = lookup(rt, args[0]);
  if (!ref) return UNKNOWN[kind];
  let out = '';
  for (const x of ref.exprs) {
    out += `type=${x.method}, case=${x.icase ? 'insensitive' : 'sensitive'}`;
    const e = x.find?.(args[1]);
    if (!e) {
      out += kind === 'map' ? ', found=no\n' : ', match=no\n';
      continue;
    }
    out += kind === 'map' ? ', found=yes' : ', match=yes';
    out += x.tree?.(e) ? ', idx=tree' : ', idx=list';
    out += kind === 'map' ? `, key="${e.key}"` : `, pattern="${e.key}"`;
    if (kind === 'map') {
      const type = e.value !== undefined ? x.valueType?.(e.value) : undefined;
      out += type === undefined ? ', value=none' : `, value="${e.value}", type="${type}"`;
    }
    out += '\n';
  }
  return out;
}

/** A command changing maps or ACLs: applied here, then shared with the other --workers workers. */
function editing(cmd: PatternOp['cmd'], kind: Kind, usage: string, desc: string): Command {
  return {
    words: [cmd, kind],
    usage,
    desc,
    level: 'operator',
    run(args, ctx: CliContext, _sess, payload) {
      const share = ctx.control.sharePatternOp;
      if (inWorker() && !share)
        return `'${cmd} ${kind}' is not supported by Switchyard under --workers here (no link to the other workers): update the file and reload.\n`;
      const op: PatternOp = { cmd, kind, args, payload };
      const reply = applyPatternOp(ctx.runtime(), op);
      share?.(op);
      return reply;
    },
  };
}

function reading(words: [string, Kind], usage: string, desc: string, fn: typeof show): Command {
  return { words, usage, desc, level: 'user', run: (args, ctx) => fn(ctx.runtime(), words[1], args) };
}

export const MAP_COMMANDS: Command[] = [
  editing('add', 'acl', 'add acl [@<ver>] <acl> <pattern>', 'add an acl entry'),
  editing('clear', 'acl', 'clear acl [@<ver>] <acl>', 'clear the contents of this acl'),
  editing('commit', 'acl', 'commit acl @<ver> <acl>', 'commit the ACL at this version'),
  editing('del', 'acl', 'del acl <acl> [<key>|#<ref>]', 'delete acl entries matching <key>'),
  reading(['get', 'acl'], 'get acl <acl> <value>', 'report the patterns matching a sample for an ACL', get),
  editing('prepare', 'acl', 'prepare acl <acl>', 'prepare a new version for atomic ACL replacement'),
  reading(['show', 'acl'], 'show acl [@<ver>] <acl>]', "report available acls or dump an acl's contents", show),
  editing('add', 'map', 'add map [@<ver>] <map> <key> <val>', 'add a map entry (payload supported instead of key/val)'),
  editing('clear', 'map', 'clear map [@<ver>] <map>', 'clear the contents of this map'),
  editing('commit', 'map', 'commit map @<ver> <map>', 'commit the map at this version'),
  editing('del', 'map', 'del map <map> [<key>|#<ref>]', 'delete map entries matching <key>'),
  reading(['get', 'map'], 'get map <acl> <value>', 'report the keys and values matching a sample for a map', get),
  editing('prepare', 'map', 'prepare map <acl>', 'prepare a new version for atomic map replacement'),
  editing('set', 'map', 'set map <map> [<key>|#<ref>] <value>', 'modify a map entry'),
  reading(['show', 'map'], 'show map [@ver] [map]', "report available maps or dump a map's contents", show),
];
