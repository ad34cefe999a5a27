/**
 * Sample fetch keywords (HAProxy names), as a table registerBuiltinFetches() enters in the
 * registry. Each definition validates its arguments once and returns a closure.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type HttpTxn, uniqueId } from '../model/txn.ts';
import { headerIp, strl2ic } from './cast.ts';
import { absoluteAuthority, cookiePairs, headerList, urlParams } from './http-parts.ts';
import { parseIPv4 } from './ip.ts';
import { PAYLOAD_FETCHES } from './payload-fetches.ts';
import { SSL_FETCHES } from './ssl-fetches.ts';
import type { FetchContext, FetchDef, FetchFn } from './types.ts';

/** Parses an integer argument; undefined when not an integer. */
function intArg(s: string): number | undefined {
  return /^-?[0-9]+$/.test(s) ? Number(s) : undefined;
}

/** Picks occurrence `occ` (1-based from the first, negative from the last) of a list. */
function occurrence(list: string[], occ: number): string | undefined {
  if (occ > 0) return list[occ - 1];
  return list[list.length + occ];
}

/** hdr / req.hdr / req.fhdr: ACL context iterates occurrences, sample context takes the last. */
function headerFetch(split: boolean): FetchDef {
  return {
    type: 'str',
    minArgs: 0,
    maxArgs: 2,
    create(args, ctx) {
      const name = (args[0] ?? '').toLowerCase();
      let occ = 0;
      if (args.length > 1) {
        const n = intArg(args[1]);
        if (n === undefined) return `occurrence '${args[1]}' is not an integer`;
        occ = n;
      }
      const key = (split ? 'h:' : 'fh:') + name;
      if (occ === 0 && ctx.multi) {
        return (txn) => {
          const l = headerList(txn, name, split, key);
          return l.length === 0 ? undefined : l;
        };
      }
      const at = occ === 0 ? -1 : occ;
      return (txn) => occurrence(headerList(txn, name, split, key), at);
    },
  };
}

function headerCount(split: boolean): FetchDef {
  return {
    type: 'int',
    minArgs: 0,
    maxArgs: 1,
    create(args) {
      const name = (args[0] ?? '').toLowerCase();
      const key = (split ? 'h:' : 'fh:') + name;
      return (txn) => headerList(txn, name, split, key).length;
    },
  };
}

/** `*_val` variant of a string fetch: each value converted with HAProxy's strl2ic(). */
function valFetch(inner: FetchDef): FetchDef {
  return {
    type: 'int',
    minArgs: inner.minArgs,
    maxArgs: inner.maxArgs,
    create(args, ctx) {
      const f = inner.create(args, ctx);
      if (typeof f === 'string') return f;
      return (txn) => {
        const v = f(txn);
        if (v === undefined) return undefined;
        // ACL context lists stay lists of decimal strings; the int matcher reads them back exactly
        if (Array.isArray(v)) return v.map((x) => String(strl2ic(x)));
        return strl2ic(String(v));
      };
    },
  };
}

/** `*_ip` variant of a header fetch: each value read as an address (HAProxy hdr_ip). */
export function ipFetch(inner: FetchDef): FetchDef {
  return {
    type: 'ip',
    phase: inner.phase,
    minArgs: inner.minArgs,
    maxArgs: inner.maxArgs,
    create(args, ctx) {
      const f = inner.create(args, ctx);
      if (typeof f === 'string') return f;
      return (txn) => {
        const v = f(txn);
        if (v === undefined) return undefined;
        if (Array.isArray(v)) {
          let out: string[] | undefined;
          for (const x of v) {
            const ip = headerIp(x);
            if (ip !== undefined) (out ??= []).push(ip);
          }
          return out;
        }
        return headerIp(String(v));
      };
    },
  };
}

/** A fetch without arguments. */
function simple(type: FetchDef['type'], fn: FetchFn): FetchDef {
  return { type, minArgs: 0, maxArgs: 0, create: () => fn };
}

function urlParamFetch(type: 'str'): FetchDef {
  return {
    type,
    minArgs: 0,
    maxArgs: 2,
    create(args, ctx) {
      const name = args[0] ?? '';
      const delim = args[1] ?? '';
      if (delim.length > 1) return `delimiter '${delim}' must be a single character`;
      const key = `up:${delim}`;
      if (ctx.multi) {
        return (txn) => {
          const p = urlParams(txn, delim, key);
          let out: string[] | undefined;
          for (let i = 0; i < p.length; i += 2) {
            if (name === '' || p[i] === name) (out ??= []).push(p[i + 1]);
          }
          return out;
        };
      }
      return (txn) => {
        const p = urlParams(txn, delim, key);
        for (let i = 0; i < p.length; i += 2) if (name === '' || p[i] === name) return p[i + 1];
        return undefined;
      };
    },
  };
}

/** req.cook / cook: ACL context iterates, sample context takes the last (first cookie without a name). */
function cookieFetch(type: 'str'): FetchDef {
  return {
    type,
    minArgs: 0,
    maxArgs: 1,
    create(args, ctx) {
      const name = args[0] ?? '';
      if (ctx.multi) {
        return (txn) => {
          const p = cookiePairs(txn);
          let out: string[] | undefined;
          for (let i = 0; i < p.length; i += 2) {
            if (name === '' || p[i] === name) (out ??= []).push(p[i + 1]);
          }
          return out;
        };
      }
      return (txn) => {
        const p = cookiePairs(txn);
        if (name === '') return p.length > 0 ? p[1] : undefined;
        for (let i = p.length - 2; i >= 0; i -= 2) if (p[i] === name) return p[i + 1];
        return undefined;
      };
    },
  };
}

const cookieCount: FetchDef = {
  type: 'int',
  minArgs: 0,
  maxArgs: 1,
  create(args) {
    const name = args[0] ?? '';
    return (txn) => {
      const p = cookiePairs(txn);
      let n = 0;
      for (let i = 0; i < p.length; i += 2) if (name === '' || p[i] === name) n++;
      return n;
    };
  },
};

/** A constant fetch: `str(x)`, `int(n)`, `bool(b)`. */
function constant(type: 'str' | 'int' | 'bool'): FetchDef {
  return {
    type,
    minArgs: 1,
    maxArgs: 1,
    create(args) {
      if (type === 'str') {
        const v = args[0];
        return () => v;
      }
      const n = intArg(args[0]);
      if (n === undefined) return `'${args[0]}' is not an integer`;
      const v = type === 'int' ? n : n !== 0;
      return () => v;
    },
  };
}

function hostOf(txn: HttpTxn): string | undefined {
  const l = headerList(txn, 'host', false, 'fh:host');
  return l.length > 0 ? l[0] : undefined;
}

/** The path as HAProxy's `path` fetch sees it: none for `*` or an absolute-form target without one, else txn.path. */
function pathOf(txn: HttpTxn): string | undefined {
  const u = txn.url;
  if (u.charCodeAt(0) === 47 /* / */) return txn.path;
  const s = u.indexOf('://');
  if (s < 0) return undefined;
  const slash = u.indexOf('/', s + 3);
  const q = u.indexOf('?', s + 3);
  if (slash < 0 || (q >= 0 && q < slash)) return undefined;
  return txn.path;
}

/** Authority of an absolute-form target when its host is an IPv4 literal (HAProxy url2sa). */
function ipv4Authority(txn: HttpTxn): { host: string; port: number } | undefined {
  const a = absoluteAuthority(txn.url);
  return a && parseIPv4(a.host) !== undefined ? a : undefined;
}

function urlHasQuery(txn: HttpTxn): boolean {
  return txn.url.indexOf('?') >= 0;
}

/** `date([offset])`: the current time in seconds since the epoch, plus `offset` seconds. */
const dateFetch: FetchDef = {
  type: 'int',
  minArgs: 0,
  maxArgs: 1,
  create(args) {
    const off = args[0] === undefined || args[0] === '' ? 0 : intArg(args[0]);
    if (off === undefined) return `offset '${args[0]}' is not an integer`;
    return () => Math.floor(Date.now() / 1000) + off;
  },
};

/** `capture.req.hdr(N)` / `capture.res.hdr(N)`: what capture slot N of the frontend holds. */
function captureFetch(side: 'reqCap' | 'resCap'): FetchDef {
  return {
    type: 'str',
    minArgs: 1,
    maxArgs: 1,
    create(args) {
      const idx = intArg(args[0]);
      if (idx === undefined || idx < 0) return `capture slot '${args[0]}' is not a positive integer`;
      return (t) => t[side]?.[idx];
    },
  };
}

/** `rand([range])`: a random integer in [0, range) (range 2^32 by default). */
const randFetch: FetchDef = {
  type: 'int',
  minArgs: 0,
  maxArgs: 1,
  create(args) {
    const range = args[0] === undefined ? 2 ** 32 : intArg(args[0]);
    if (range === undefined || range <= 0) return `range '${args[0]}' must be a positive integer`;
    return () => Math.floor(Math.random() * range);
  },
};

/** `uuid([4])`: a random (version 4) UUID. */
const uuidFetch: FetchDef = {
  type: 'str',
  minArgs: 0,
  maxArgs: 1,
  create(args) {
    if (args[0] !== undefined && args[0] !== '4') return `only UUID version 4 is supported, got '${args[0]}'`;
    return () => randomUUID();
  },
};

/** `env(NAME)`: an environment variable of the process (no sample when unset). */
const envFetch: FetchDef = {
  type: 'str',
  minArgs: 1,
  maxArgs: 1,
  create(args) {
    const name = args[0];
    if (name === '') return 'expects a variable name';
    return () => process.env[name];
  },
};

/** The core fetches (request, connection, constants), payload and TLS ones included. */
export const CORE_FETCHES: Array<[string[], FetchDef]> = [
  [['hdr', 'req.hdr'], headerFetch(true)],
  [['req.fhdr'], headerFetch(false)],
  [['hdr_cnt', 'req.hdr_cnt'], headerCount(true)],
  [['req.fhdr_cnt'], headerCount(false)],
  [['hdr_val', 'req.hdr_val'], valFetch(headerFetch(true))],
  [['hdr_ip', 'req.hdr_ip'], ipFetch(headerFetch(true))],
  [['path'], simple('str', pathOf)],
  [
    ['pathq'],
    simple('str', (t) => {
      const p = pathOf(t);
      return p === undefined ? undefined : urlHasQuery(t) ? `${p}?${t.query}` : p;
    }),
  ],
  [['url'], simple('str', (t) => t.url)],
  [['query'], simple('str', (t) => (urlHasQuery(t) ? t.query : undefined))],
  [['base'], simple('str', (t) => (hostOf(t) ?? '') + (pathOf(t) ?? ''))],
  [['method'], simple('str', (t) => t.method)],
  [['req.ver', 'req_ver'], simple('str', (t) => t.httpVersion)],
  [['url_ip'], simple('ip', (t) => ipv4Authority(t)?.host)],
  [['url_port'], simple('int', (t) => ipv4Authority(t)?.port)],
  [['url_param', 'urlp'], urlParamFetch('str')],
  [['urlp_val'], valFetch(urlParamFetch('str'))],
  [['src'], simple('ip', (t) => t.srcIp)],
  [['src_port'], simple('int', (t) => t.srcPort)],
  [['dst'], simple('ip', (t) => t.dstIp)],
  [['dst_port'], simple('int', (t) => t.dstPort)],
  [['req.cook', 'cook'], cookieFetch('str')],
  [['req.cook_val', 'cook_val'], valFetch(cookieFetch('str'))],
  [['req.cook_cnt', 'cook_cnt'], cookieCount],
  [['always_true'], simple('bool', () => true)],
  [['always_false'], simple('bool', () => false)],
  [['fe_name'], simple('str', (t) => t.frontend)],
  // before use_backend, the stream's backend is the frontend itself (as in HAProxy)
  [['be_name'], simple('str', (t) => t.backend ?? t.frontend)],
  [['date'], dateFetch],
  [['rand'], randFetch],
  [['uuid'], uuidFetch],
  // the frontend's unique-id-format, generated on first use (absent without one)
  [['unique-id'], simple('str', uniqueId)],
  [['capture.req.hdr'], captureFetch('reqCap')],
  [['capture.res.hdr'], captureFetch('resCap')],
  [['env'], envFetch],
  [['hostname'], simple('str', () => hostname())],
  [['str'], constant('str')],
  [['int'], constant('int')],
  [['bool'], constant('bool')],
  ...PAYLOAD_FETCHES,
  ...SSL_FETCHES,
];

export type { FetchContext };
