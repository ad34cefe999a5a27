/**
 * `map` converters: `map(FILE[,DEFAULT])` (= map_str) and `map_<match>[_<out>]` with match
 * str|beg|sub|dir|dom|end|reg|int|ip and output str (default), int or ip, e.g.
 * `%[req.hdr(host),lower,map(/etc/haproxy/hosts.map,www)]`, `%[src,map_ip(geo.map,XX)]`.
 * The file is read once at load: `KEY VALUE...` per line, `#` in column 1 for comments, leading
 * blanks stripped, the value is the rest of the line (trailing blanks stripped). Lookups: exact keys through a hash map,
 * `ip` by longest prefix, the others in file order (first match wins), as HAProxy does.
 */
import { readFileSync } from 'node:fs';
import { type Scalar, strl2ic, toInt, toIp, toStr } from './cast.ts';
import type { ConverterDef, ConvFn } from './converters.ts';
import { type IpNet, netContains, parseIp, parseNet } from './ip.ts';
import { type MatchMethod, matchWord, parseIntPattern } from './matchers.ts';
import type { SampleType } from './types.ts';

type Lookup = (v: Scalar) => string | undefined;

/** Reads a map file; returns [key, value] pairs or an error message. */
function readMap(path: string): Array<[string, string]> | string {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    return `failed to open map file <${path}> (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  const out: Array<[string, string]> = [];
  for (let line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const cr = line.indexOf('\r');
    if (cr >= 0) line = line.slice(0, cr);
    const m = /^[ \t]*([^ \t]+)[ \t]*(.*)$/.exec(line);
    if (m) out.push([m[1], m[2].replace(/[ \t]+$/, '')]);
  }
  return out;
}

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
        try {
          res.push([new RegExp(k), v]);
        } catch (e) {
          return `invalid regex '${k}' in map: ${(e as Error).message}`;
        }
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

function mapConverter(match: MatchMethod, out: SampleType): ConverterDef {
  return {
    out,
    minArgs: 1,
    maxArgs: 2,
    create(args) {
      const entries = readMap(args[0]);
      if (typeof entries === 'string') return entries;
      const typed: Array<[string, string]> = [];
      for (const [k, v] of entries) {
        const o = outputValue(v, out);
        if (o === undefined)
          return `map file <${args[0]}>: value '${v}' of key '${k}' is not ${out === 'int' ? 'an integer' : 'an IP address'}`;
        typed.push([k, String(o)]);
      }
      const lookup = buildLookup(match, typed);
      if (typeof lookup === 'string') return lookup;
      let def: Scalar | undefined;
      if (args[1] !== undefined) {
        const d = outputValue(args[1], out);
        if (d === undefined)
          return `default value '${args[1]}' is not ${out === 'int' ? 'an integer' : 'an IP address'}`;
        def = d;
      }
      const conv: ConvFn = (v) => {
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
