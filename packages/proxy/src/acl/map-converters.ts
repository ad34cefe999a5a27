/**
 * `map` converters: `map(FILE[,DEFAULT])` (= map_str) and `map_<match>[_<out>]` with match
 * str|beg|sub|dir|dom|end|reg|int|ip and output str (default), int or ip, e.g.
 * `%[req.hdr(host),lower,map(/etc/haproxy/hosts.map,www)]`, `%[src,map_ip(geo.map,XX)]`.
 * The file is read once at load: `KEY VALUE...` per line, `#` in column 1 for comments, leading
 * blanks stripped, the value is the rest of the line (trailing blanks stripped). Lookups: exact keys through a hash map,
 * `ip` by longest prefix, the others in file order (first match wins), as HAProxy does.
 */

import { addExpr, current, type MapRef, mapRef } from '../model/pattern-refs.ts';
import { type Scalar, strl2ic, toInt, toIp, toStr } from './cast.ts';
import type { ConverterDef, ConvFn } from './converters.ts';
import { type IpNet, netContains, parseIp, parseNet } from './ip.ts';
import { type MatchMethod, matchWord, parseIntPattern } from './matchers.ts';
import { findEntry, treeIndexed } from './ref-matcher.ts';
import { boundedRegex, expandMatch } from './regex.ts';
import type { SampleType } from './types.ts';

/** The value found, undefined when nothing matches, null when map_regm cannot build the value. */
type Lookup = (v: Scalar) => string | undefined | null;

/** `map_*` match methods plus `regm` (map_regm: the value is a replacement using the groups). */
type MapMatch = MatchMethod | 'regm';

function buildLookup(match: MapMatch, entries: Array<[string, string]>): Lookup | string {
  switch (match) {
    case 'str': {
      const m = new Map<string, string>();
      for (const [k, v] of entries) if (!m.has(k)) m.set(k, v);
      return (x) => m.get(toStr(x));
    }
    case 'beg': {
      // haproxy indexes prefixes in a tree: the longest matching key wins
      const byLength = [...entries].sort((a, b) => b[0].length - a[0].length);
      return (x) => {
        const s = toStr(x);
        for (const [k, v] of byLength) if (s.startsWith(k)) return v;
        return undefined;
      };
    }
    case 'end':
    case 'sub':
    case 'dir':
    case 'dom':
      return (x) => {
        const s = toStr(x);
        for (const [k, v] of entries) {
          const hit =
            match === 'end' ? s.endsWith(k) : match === 'sub' ? s.includes(k) : matchWord(s, k, match === 'dom');
          if (hit) return v;
        }
        return undefined;
      };
    case 'reg':
    case 'regm': {
      const res: Array<[RegExp, string]> = [];
      for (const [k, v] of entries) {
        const re = boundedRegex(k);
        if (typeof re === 'string') return `${re} (in map)`;
        res.push([re, v]);
      }
      if (match === 'reg')
        return (x) => {
          const s = toStr(x);
          for (const [r, v] of res) if (r.test(s)) return v;
          return undefined;
        };
      return (x) => {
        const s = toStr(x);
        for (const [r, v] of res) {
          const m = r.exec(s);
          if (m) return expandMatch(m, v) ?? null;
        }
        return undefined;
      };
    }
    case 'int': {
      const ranges: Array<[number, number, string]> = [];
      for (const [k, v] of entries) {
        const r = parseIntPattern(k, '');
        if (typeof r === 'string') return `map key ${r}`;
        ranges.push([r.min, r.max, v]);
      }
      return (x) => {
        const n = toInt(x);
        if (n === undefined) return undefined;
        for (const [a, b, v] of ranges) if (n >= a && n <= b) return v;
        return undefined;
      };
    }
    case 'ip': {
      const nets: Array<[IpNet, string]> = [];
      for (const [k, v] of entries) {
        const n = parseNet(k);
        if (typeof n === 'string') return `map key ${n}`;
        nets.push([n, v]);
      }
      // longest prefix first, as HAProxy's tree lookup returns the most specific network
      nets.sort((a, b) => b[0].bits - a[0].bits);
      return (x) => {
        const ip = toIp(x);
        if (!ip) return undefined;
        for (const [n, v] of nets) if (netContains(n, ip)) return v;
        return undefined;
      };
    }
    default:
      return `map lookups by '${match}' are not supported`;
  }
}

/** Converts a map value to the output type once, at load. */
function outputValue(v: string, out: SampleType): Scalar | string | undefined {
  if (out === 'int') return /^-?[0-9]+$/.test(v.trim()) ? strl2ic(v.trim()) : undefined;
  if (out === 'ip') return parseIp(v.trim()) ? v.trim() : undefined;
  return v;
}

/** The lookup over a map's entries with values of the converter's output type, or an error message. */
function typedLookup(ref: MapRef, match: MapMatch, out: SampleType): Lookup | string {
  const typed: Array<[string, string]> = [];
  for (const e of current(ref)) {
    const o = outputValue(e.value ?? '', out);
    if (o === undefined)
      return `unable to parse '${e.value}' at line ${e.line ?? '?'} of file '${ref.file}' (the value of key '${e.key}' is not ${out === 'int' ? 'an integer' : 'an IP address'})`;
    typed.push([e.key, String(o)]);
  }
  return buildLookup(match, typed);
}

/** `get map`'s type name of a value read as `out` (haproxy smp_to_type). */
function valueType(v: string, out: SampleType): string {
  if (out === 'int') return 'sint';
  if (out === 'ip') return v.includes(':') ? 'ipv6' : 'ipv4';
  return 'str';
}

function mapConverter(match: MapMatch, out: SampleType): ConverterDef {
  return {
    out,
    minArgs: 1,
    maxArgs: 2,
    create(args, loc) {
      const ref = mapRef(args[0], loc);
      if (typeof ref === 'string') return ref;
      const method: MatchMethod = match === 'regm' ? 'reg' : match;
      addExpr(ref, {
        method: match,
        icase: false,
        sample: out === 'int' ? 'int' : out === 'ip' ? 'ip' : 'str',
        find: (s) => findEntry(method, false, current(ref), s),
        tree: () => treeIndexed(method, false),
        check: (key) => {
          const l = buildLookup(match, [[key, '']]);
          return typeof l === 'string' ? l : undefined;
        },
        valueType: (v) => (outputValue(v, out) === undefined ? undefined : valueType(v.trim(), out)),
      });
      const built = typedLookup(ref, match, out);
      if (typeof built === 'string') return built;
      // runtime edits (`add map`, `set map`...) bump the version: the lookup is rebuilt on next use
      let lookup = built;
      let version = ref.version;
      let def: Scalar | undefined;
      if (args[1] !== undefined) {
        const d = outputValue(args[1], out);
        if (d === undefined)
          return `default value '${args[1]}' is not ${out === 'int' ? 'an integer' : 'an IP address'}`;
        def = d;
      }
      const conv: ConvFn = (v) => {
        if (version !== ref.version) {
          const again = typedLookup(ref, match, out);
          // an entry added at run time that this converter cannot read (a value that is not an
          // integer for map_*_int) leaves the previous lookup in place
          if (typeof again !== 'string') lookup = again;
          version = ref.version;
        }
        const hit = lookup(v);
        if (hit === null) return undefined;
        if (hit === undefined) return def;
        return out === 'int' ? Number(hit) : hit;
      };
      return conv;
    },
  };
}

/** All map converter names and definitions. */
export function mapConverters(): Array<[string, ConverterDef]> {
  const out: Array<[string, ConverterDef]> = [['map', mapConverter('str', 'str')]];
  const matches: MatchMethod[] = ['str', 'beg', 'sub', 'dir', 'dom', 'end', 'reg', 'int', 'ip'];
  // map_regm has only the string form in 2.6
  out.push(['map_regm', mapConverter('regm', 'str')]);
  for (const m of matches) {
    out.push([`map_${m}`, mapConverter(m, 'str')]);
    out.push([`map_${m}_int`, mapConverter(m, 'int')]);
    out.push([`map_${m}_ip`, mapConverter(m, 'ip')]);
  }
  return out;
}
