/**
 * `map` converters: `map(FILE[,DEFAULT])` (= map_str) and `map_<match>[_<out>]` with match
 * str|beg|sub|dir|dom|end|reg|int|ip and output str (default), int or ip, e.g.
 * `%[req.hdr(host),lower,map(/etc/haproxy/hosts.map,www)]`, `%[src,map_ip(geo.map,XX)]`.
 * The file is read once at load: `KEY VALUE...` per line, `#` in column 1 for comments, leading
 * blanks stripped, the value is the rest of the line (trailing blanks stripped). Lookups: exact keys through a hash map,
 * `ip` by longest prefix, the others in file order (first match wins), as HAProxy does.
 */

import { type MapRef, mapRef } from '../model/map-refs.ts';
import { type Scalar, strl2ic, toInt, toIp, toStr } from './cast.ts';
import type { ConverterDef, ConvFn } from './converters.ts';
import { type IpNet, netContains, parseIp, parseNet } from './ip.ts';
import { type MatchMethod, matchWord, parseIntPattern } from './matchers.ts';
import { boundedRegex } from './regex.ts';
import type { SampleType } from './types.ts';

type Lookup = (v: Scalar) => string | undefined;

function buildLookup(match: MatchMethod, entries: Array<[string, string]>): Lookup | string {
  switch (match) {
    case 'str': {
      const m = new Map<string, string>();
      for (const [k, v] of entries) if (!m.has(k)) m.set(k, v);
      return (x) => m.get(toStr(x));
    }
    case 'beg':
    case 'end':
    case 'sub':
    case 'dir':
    case 'dom':
      return (x) => {
        const s = toStr(x);
        for (const [k, v] of entries) {
          const hit =
            match === 'beg'
              ? s.startsWith(k)
              : match === 'end'
                ? s.endsWith(k)
                : match === 'sub'
                  ? s.includes(k)
                  : matchWord(s, k, match === 'dom');
          if (hit) return v;
        }
        return undefined;
      };
    case 'reg': {
      const res: Array<[RegExp, string]> = [];
      for (const [k, v] of entries) {
        const re = boundedRegex(k);
        if (typeof re === 'string') return `${re} (in map)`;
        res.push([re, v]);
      }
      return (x) => {
        const s = toStr(x);
        for (const [r, v] of res) if (r.test(s)) return v;
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
function typedLookup(ref: MapRef, match: MatchMethod, out: SampleType): Lookup | string {
  const typed: Array<[string, string]> = [];
  for (const e of ref.entries) {
    const o = outputValue(e.value, out);
    if (o === undefined)
      return `unable to parse '${e.value}' at line ${e.line ?? '?'} of file '${ref.file}' (the value of key '${e.key}' is not ${out === 'int' ? 'an integer' : 'an IP address'})`;
    typed.push([e.key, String(o)]);
  }
  return buildLookup(match, typed);
}

function mapConverter(match: MatchMethod, out: SampleType): ConverterDef {
  return {
    out,
    minArgs: 1,
    maxArgs: 2,
    create(args, loc) {
      const ref = mapRef(args[0], loc);
      if (typeof ref === 'string') return ref;
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
  for (const m of matches) {
    out.push([`map_${m}`, mapConverter(m, 'str')]);
    out.push([`map_${m}_int`, mapConverter(m, 'int')]);
    out.push([`map_${m}_ip`, mapConverter(m, 'ip')]);
  }
  return out;
}
