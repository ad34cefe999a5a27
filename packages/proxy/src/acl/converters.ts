/**
 * Converters applied after a fetch (`req.hdr(host),lower,field(1,:)`). Each validates its
 * arguments once; at request time it maps one value to another (undefined = sample lost).
 */

import { createHash } from 'node:crypto';
import type { SourceLoc } from '@switchyard/config';
import { type Scalar, toInt, toIp, toStr } from './cast.ts';
import { crc32, djb2, fullHash, sdbm, wt6 } from './hash-fn.ts';
import { type IpAddr, parseNet } from './ip.ts';
import { mapConverters } from './map-converters.ts';
import { boundedRegex } from './regex.ts';
import { TIME_CONVERTERS } from './time-converters.ts';
import type { SampleType } from './types.ts';

export type ConvFn = (v: Scalar) => Scalar | undefined;

export interface ConverterDef {
  out: SampleType;
  minArgs: number;
  maxArgs: number;
  /** Returns the converter, or an error message; `loc` is where the expression was written. */
  create(args: string[], loc: SourceLoc): ConvFn | string;
}

function countArg(s: string | undefined, what: string): number | string {
  if (s === undefined) return 1;
  if (!/^[0-9]+$/.test(s)) return `${what} count '${s}' is not a non-negative integer`;
  return Number(s);
}

/**
 * field()/word(): extracts item `idx` (1-based, negative from the end) split by any char of
 * `delims`; `count` items (0 = all the rest). word() skips empty items, field() keeps them.
 */
function splitter(words: boolean): ConverterDef {
  return {
    out: 'str',
    minArgs: 2,
    maxArgs: 3,
    create(args) {
      if (!/^-?[0-9]+$/.test(args[0]) || Number(args[0]) === 0) return `index '${args[0]}' must be a non-zero integer`;
      const idx = Number(args[0]);
      const delims = args[1];
      if (delims === '') return 'delimiter list is empty';
      const count = countArg(args[2], words ? 'word' : 'field');
      if (typeof count === 'string') return count;
      return (v) => {
        const s = toStr(v);
        // item boundaries: [start, end) pairs
        const items: number[] = [];
        let st = 0;
        for (let i = 0; i <= s.length; i++) {
          if (i === s.length || delims.includes(s[i])) {
            if (!words || i > st) items.push(st, i);
            st = i + 1;
          }
        }
        const n = items.length / 2;
        let first: number;
        let last: number;
        if (idx > 0) {
          first = idx - 1;
          last = count === 0 ? n - 1 : first + count - 1;
        } else {
          last = n + idx;
          first = count === 0 ? 0 : last - count + 1;
        }
        if (first < 0) first = 0;
        if (last > n - 1) last = n - 1;
        if (n === 0 || first > last || last < 0 || first > n - 1) return '';
        return s.slice(items[first * 2], items[last * 2 + 1]);
      };
    },
  };
}

/** regsub(regex,subst[,flags]): `\1`..`\9` in subst refer to groups; flags `i` and `g`. */
const regsub: ConverterDef = {
  out: 'str',
  minArgs: 2,
  maxArgs: 3,
  create(args) {
    const flags = args[2] ?? '';
    if (!/^[ig]*$/.test(flags)) return `regsub flags '${flags}' must be made of 'i' and 'g'`;
    const re = boundedRegex(args[0], flags.includes('i'), flags.includes('g'));
    if (typeof re === 'string') return re;
    // JS replacement syntax: escape '$', map \N to $N
    const subst = args[1].replace(/\$/g, '$$$$').replace(/\\([0-9])/g, '$$$1');
    return (v) => toStr(v).replace(re, subst);
  },
};

function maskIp(ip: IpAddr, bits4: number, bits6: number): string {
  // an IPv4 client on a dual-stack listener shows as ::ffff:a.b.c.d: mask it as IPv4
  if (ip.v === 6 && ip.w[0] === 0 && ip.w[1] === 0 && ip.w[2] === 0xffff) ip = { v: 4, a: ip.w[3] };
  if (ip.v === 4) {
    const m = bits4 === 0 ? 0 : (0xffffffff << (32 - bits4)) >>> 0;
    const a = (ip.a & m) >>> 0;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  const parts: string[] = [];
  let bits = bits6;
  for (const w of ip.w) {
    const b = Math.max(0, Math.min(32, bits));
    const m = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
    const x = (w & m) >>> 0;
    parts.push((x >>> 16).toString(16), (x & 0xffff).toString(16));
    bits -= 32;
  }
  return parts.join(':');
}

/** ipmask(mask4[,mask6]): masks an address (`src,ipmask(24)`). */
const ipmask: ConverterDef = {
  out: 'ip',
  minArgs: 1,
  maxArgs: 2,
  create(args) {
    const m4 = parseNet(`0.0.0.0/${args[0]}`);
    if (typeof m4 === 'string') return `ipmask: invalid IPv4 mask '${args[0]}'`;
    let bits6 = 128;
    if (args[1] !== undefined) {
      const m6 = parseNet(`::/${args[1]}`);
      if (typeof m6 === 'string') return `ipmask: invalid IPv6 mask '${args[1]}'`;
      bits6 = m6.bits;
    }
    return (v) => {
      const ip = toIp(v);
      return ip ? maskIp(ip, m4.bits, bits6) : undefined;
    };
  },
};

/** Percent-decodes bytewise (latin1 in, latin1 out, like header strings); undefined on a bad escape. */
function urlDecode(s: string, plus: boolean): string | undefined {
  if (s.indexOf('%') < 0 && !(plus && s.indexOf('+') >= 0)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return undefined;
      out += String.fromCharCode(Number.parseInt(h, 16));
      i += 2;
    } else out += plus && c === '+' ? ' ' : c;
  }
  return out;
}

function noArgs(out: SampleType, fn: ConvFn): ConverterDef {
  return { out, minArgs: 0, maxArgs: 0, create: () => fn };
}

/** Integer arithmetic converters: `add(n)`, `sub(n)`, `mul(n)`, `div(n)`, `mod(n)`. */
function arith(op: (a: number, b: number) => number | string): ConverterDef {
  return {
    out: 'int',
    minArgs: 1,
    maxArgs: 1,
    create(args) {
      if (!/^-?[0-9]+$/.test(args[0])) return `'${args[0]}' is not an integer (variables are not supported)`;
      const b = Number(args[0]);
      return (v) => {
        const a = toInt(v);
        return a === undefined ? undefined : op(a, b);
      };
    },
  };
}

/**
 * What HAProxy returns for a division by zero: the largest signed 64-bit integer. Kept as text
 * because a JS number cannot hold it exactly (it prints the same; compares as ~9.22e18).
 */
const INT64_MAX = '9223372036854775807';

/** `http_date([offset])`: an epoch time (seconds) as an IMF-fixdate (RFC 9110), e.g. for Expires. */
const httpDate: ConverterDef = {
  out: 'str',
  minArgs: 0,
  maxArgs: 1,
  create(args) {
    if (args[0] !== undefined && !/^-?[0-9]+$/.test(args[0])) return `offset '${args[0]}' is not an integer`;
    const off = Number(args[0] ?? 0);
    return (v) => {
      const t = toInt(v);
      return t === undefined ? undefined : new Date((t + off) * 1000).toUTCString();
    };
  },
};

/** `crc32|djb2|sdbm|wt6([avalanche])`: the balancing hash functions as converters (integer). */
function hashConv(fn: (s: string, start: number, end: number) => number): ConverterDef {
  return {
    out: 'int',
    minArgs: 0,
    maxArgs: 1,
    create(args) {
      if (args[0] !== undefined && args[0] !== '0' && args[0] !== '1')
        return `avalanche must be 0 or 1, got '${args[0]}'`;
      const aval = args[0] === '1';
      return (v) => {
        const str = toStr(v);
        const h = fn(str, 0, str.length);
        return aval ? fullHash(h) : h;
      };
    },
  };
}

/** `bytes(offset[,length])`: a slice of the sample. */
const bytes: ConverterDef = {
  out: 'str',
  minArgs: 1,
  maxArgs: 2,
  create(args) {
    if (!/^[0-9]+$/.test(args[0])) return `offset '${args[0]}' is not a non-negative integer`;
    if (args[1] !== undefined && !/^[0-9]+$/.test(args[1])) return `length '${args[1]}' is not a non-negative integer`;
    const off = Number(args[0]);
    const len = args[1] === undefined ? undefined : Number(args[1]);
    return (v) => {
      const str = toStr(v);
      if (off > str.length) return undefined;
      return len === undefined ? str.slice(off) : str.slice(off, off + len);
    };
  },
};

export const CONVERTERS = new Map<string, ConverterDef>([
  ['lower', noArgs('str', (v) => toStr(v).toLowerCase())],
  ['upper', noArgs('str', (v) => toStr(v).toUpperCase())],
  ['length', noArgs('int', (v) => toStr(v).length)],
  [
    'url_dec',
    {
      out: 'str',
      minArgs: 0,
      maxArgs: 1,
      create(args) {
        const plus = args[0] !== undefined && args[0] !== '0';
        return (v) => urlDecode(toStr(v), plus);
      },
    },
  ],
  ['hex', noArgs('str', (v) => Buffer.from(toStr(v), 'latin1').toString('hex').toUpperCase())],
  ['base64', noArgs('str', (v) => Buffer.from(toStr(v), 'latin1').toString('base64'))],
  ['field', splitter(false)],
  ['word', splitter(true)],
  ['regsub', regsub],
  ['ipmask', ipmask],
  ['add', arith((a, b) => a + b)],
  ['sub', arith((a, b) => a - b)],
  ['mul', arith((a, b) => a * b)],
  ['div', arith((a, b) => (b === 0 ? INT64_MAX : Math.trunc(a / b)))],
  ['mod', arith((a, b) => (b === 0 ? 0 : a % b))],
  [
    'neg',
    noArgs('int', (v) => {
      const a = toInt(v);
      return a === undefined ? undefined : -a;
    }),
  ],
  ['http_date', httpDate],
  ['sha1', noArgs('str', (v) => createHash('sha1').update(toStr(v), 'latin1').digest('binary'))],
  ['b64dec', noArgs('str', (v) => Buffer.from(toStr(v), 'base64').toString('latin1'))],
  ['crc32', hashConv(crc32)],
  ['djb2', hashConv(djb2)],
  ['sdbm', hashConv(sdbm)],
  ['wt6', hashConv(wt6)],
  ['bytes', bytes],
  ...mapConverters(),
  ...TIME_CONVERTERS,
]);
