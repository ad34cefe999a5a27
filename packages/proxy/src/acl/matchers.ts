/**
 * Match methods (`-m str|beg|end|sub|reg|dom|dir|len|int|ip|bool|found`): each parses its patterns
 * once and returns a predicate over one sample value. Semantics follow HAProxy's pattern.c:
 * `dom` and `dir` are word matches (delimiters `/ ? . :` for dom, `/ ?` for dir, pattern-edge
 * delimiters ignored), `-i` folds case, integer patterns take ranges and `eq ge gt le lt`.
 */
import { type Scalar, toBool, toInt, toIp, toStr } from './cast.ts';
import { type IpNet, parseNet } from './ip.ts';
import { netMatcher } from './ip-set.ts';
import { boundedRegex } from './regex.ts';

export type MatchMethod =
  | 'str'
  | 'beg'
  | 'end'
  | 'sub'
  | 'reg'
  | 'dom'
  | 'dir'
  | 'len'
  | 'int'
  | 'ip'
  | 'bool'
  | 'found';

export const MATCH_METHODS: readonly MatchMethod[] = [
  'str',
  'beg',
  'end',
  'sub',
  'reg',
  'dom',
  'dir',
  'len',
  'int',
  'ip',
  'bool',
  'found',
];

/** Methods HAProxy knows by name (HTTP_METH_*); they match only the exact same token. */
const KNOWN_METHODS = new Set(['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT']);

/**
 * The `method` fetch's own matcher (HAProxy pat_match_meth): a known method pattern matches
 * exactly that method (`-i` does not apply: `method -i get` never matches GET), any other
 * pattern matches only other methods, by string (case folded with `-i`).
 */
export function buildMethodMatcher(patterns: Array<[op: string, pat: string]>, icase: boolean): Matcher {
  const known = new Set<string>();
  const other = new Set<string>();
  for (const [, p] of patterns) {
    if (KNOWN_METHODS.has(p)) known.add(p);
    else other.add(icase ? p.toLowerCase() : p);
  }
  return (v) => {
    const m = typeof v === 'string' ? v : String(v);
    if (KNOWN_METHODS.has(m)) return known.has(m);
    return other.has(icase ? m.toLowerCase() : m);
  };
}

/** A predicate over one sample value. */
export type Matcher = (v: Scalar) => boolean;

/** Integer operators applying to the following integer patterns. */
export const INT_OPERATORS = new Set(['eq', 'ge', 'gt', 'le', 'lt']);

interface Range {
  min: number;
  max: number;
}

/** Parses an integer pattern (`N`, `A:B`, `:B`, `A:`) under operator `op`, or an error message. */
export function parseIntPattern(p: string, op: string): Range | string {
  const num = (s: string) => (/^[+-]?[0-9]+$/.test(s) ? Number(s) : undefined);
  // haproxy's pat_parse_int: the first ':' or '-' separates the bounds (so `-3` is `:3`)
  const colon = p.search(/[:-]/);
  if (colon >= 0) {
    const a = p.slice(0, colon);
    const b = p.slice(colon + 1);
    const min = a === '' ? Number.NEGATIVE_INFINITY : num(a);
    const max = b === '' ? Number.POSITIVE_INFINITY : num(b);
    if (min === undefined || max === undefined || (a === '' && b === '')) return `'${p}' is not an integer range`;
    if (min > max) return `'${p}': range start is greater than its end`;
    return { min, max };
  }
  const n = num(p);
  if (n === undefined) return `'${p}' is not an integer`;
  switch (op) {
    case 'gt':
      return { min: n + 1, max: Number.POSITIVE_INFINITY };
    case 'ge':
      return { min: n, max: Number.POSITIVE_INFINITY };
    case 'lt':
      return { min: Number.NEGATIVE_INFINITY, max: n - 1 };
    case 'le':
      return { min: Number.NEGATIVE_INFINITY, max: n };
    default:
      return { min: n, max: n };
  }
}

function isDelim(c: number, dom: boolean): boolean {
  return c === 47 /* / */ || c === 63 /* ? */ || (dom && (c === 46 /* . */ || c === 58)) /* : */;
}

/** HAProxy's match_word(): `pat` enclosed in delimiters (or string edges) somewhere in `s`. */
export function matchWord(s: string, pat: string, dom: boolean): boolean {
  const pl = pat.length;
  if (pl === 0) return false;
  let mayMatch = true;
  for (let i = 0; i < s.length; i++) {
    if (isDelim(s.charCodeAt(i), dom)) {
      mayMatch = true;
      continue;
    }
    if (!mayMatch) continue;
    if (s.startsWith(pat, i) && (i + pl === s.length || isDelim(s.charCodeAt(i + pl), dom))) return true;
    mayMatch = false;
  }
  return false;
}

/** Strips delimiters at both ends of a word pattern, as HAProxy does. */
function trimDelims(p: string, dom: boolean): string {
  let a = 0;
  let b = p.length;
  while (a < b && isDelim(p.charCodeAt(a), dom)) a++;
  while (b > a && isDelim(p.charCodeAt(b - 1), dom)) b--;
  return p.slice(a, b);
}

/**
 * Builds the predicate for `method` over `patterns` (ORed). `icase` is `-i`. Returns an error
 * message naming the bad pattern when one does not parse.
 */
export function buildMatcher(
  method: MatchMethod,
  patterns: Array<[op: string, pat: string]>,
  icase: boolean,
): Matcher | string {
  const fold = (s: string) => (icase ? s.toLowerCase() : s);
  switch (method) {
    case 'found':
      return () => true;
    case 'bool':
      return (v) => toBool(v);
    case 'str': {
      const set = new Set(patterns.map(([, p]) => fold(p)));
      if (icase) return (v) => set.has(toStr(v).toLowerCase());
      return (v) => set.has(toStr(v));
    }
    case 'beg':
    case 'end':
    case 'sub': {
      const pats = patterns.map(([, p]) => fold(p));
      return (v) => {
        const s = fold(toStr(v));
        for (const p of pats) {
          if (method === 'beg' ? s.startsWith(p) : method === 'end' ? s.endsWith(p) : s.includes(p)) return true;
        }
        return false;
      };
    }
    case 'dom':
    case 'dir': {
      const dom = method === 'dom';
      const pats = patterns.map(([, p]) => trimDelims(fold(p), dom));
      return (v) => {
        const s = fold(toStr(v));
        for (const p of pats) if (matchWord(s, p, dom)) return true;
        return false;
      };
    }
    case 'reg': {
      const res: RegExp[] = [];
      for (const [, p] of patterns) {
        const re = boundedRegex(p, icase);
        if (typeof re === 'string') return re;
        res.push(re);
      }
      return (v) => {
        const s = toStr(v);
        for (const r of res) if (r.test(s)) return true;
        return false;
      };
    }
    case 'len':
    case 'int': {
      const ranges: Range[] = [];
      for (const [op, p] of patterns) {
        const r = parseIntPattern(p, op);
        if (typeof r === 'string') return r;
        ranges.push(r);
      }
      const len = method === 'len';
      return (v) => {
        const n = len ? toStr(v).length : toInt(v);
        if (n === undefined) return false;
        for (const r of ranges) if (n >= r.min && n <= r.max) return true;
        return false;
      };
    }
    case 'ip': {
      const nets: IpNet[] = [];
      for (const [, p] of patterns) {
        const n = parseNet(p);
        if (typeof n === 'string') return n;
        nets.push(n);
      }
      const inNets = netMatcher(nets);
      return (v) => {
        const ip = toIp(v);
        return ip !== undefined && inNets(ip);
      };
    }
  }
}
