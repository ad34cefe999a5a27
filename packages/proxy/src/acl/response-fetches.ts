/**
 * Response fetches for http-response conditions and values: `status`, `res.hdr(name[,occ])` /
 * `shdr`, `res.fhdr`, `res.hdr_cnt` / `shdr_cnt`, `res.fhdr_cnt`, `res.hdr_val` / `shdr_val`,
 * `res.cook(name)` / `scook` (from Set-Cookie), `res.cook_cnt` / `scook_cnt`, `res.ver`,
 * `res.comp`, `res.comp_algo`.
 * They read HttpTxnResponse, which changes while rules run, so nothing is cached.
 */
import type { HttpTxn } from '../model/txn.ts';
import { strl2ic } from './cast.ts';
import { ipFetch } from './fetches.ts';
import { sameName, splitCommaList } from './http-parts.ts';
import type { FetchDef, HttpTxnResponse } from './types.ts';

function response(txn: HttpTxn): HttpTxnResponse {
  return txn as HttpTxn & HttpTxnResponse;
}

/** Values of a response header ('' = all headers), split on commas or whole lines. */
function resValues(txn: HttpTxn, lname: string, split: boolean): string[] {
  const h = response(txn).resHeaders;
  const out: string[] = [];
  if (!h) return out;
  for (let i = 0; i < h.length; i += 2) {
    if (lname !== '' && !sameName(h[i], lname)) continue;
    if (split) splitCommaList(h[i + 1], out);
    else out.push(h[i + 1].trim());
  }
  return out;
}

function pick(list: string[], occ: number): string | undefined {
  return occ > 0 ? list[occ - 1] : list[list.length + occ];
}

function resHeader(split: boolean, val: boolean): FetchDef {
  return {
    type: val ? 'int' : 'str',
    phase: 'response',
    minArgs: 0,
    maxArgs: 2,
    create(args, ctx) {
      const name = (args[0] ?? '').toLowerCase();
      let occ = 0;
      if (args.length > 1) {
        if (!/^-?[0-9]+$/.test(args[1])) return `occurrence '${args[1]}' is not an integer`;
        occ = Number(args[1]);
      }
      const conv = (v: string) => (val ? strl2ic(v) : v);
      if (occ === 0 && ctx.multi) {
        return (txn) => {
          const l = resValues(txn, name, split);
          if (l.length === 0) return undefined;
          return val ? l.map((v) => String(strl2ic(v))) : l;
        };
      }
      const at = occ === 0 ? -1 : occ;
      return (txn) => {
        const v = pick(resValues(txn, name, split), at);
        return v === undefined ? undefined : conv(v);
      };
    },
  };
}

function resCount(split: boolean): FetchDef {
  return {
    type: 'int',
    phase: 'response',
    minArgs: 0,
    maxArgs: 1,
    create(args) {
      const name = (args[0] ?? '').toLowerCase();
      return (txn) => (response(txn).resHeaders ? resValues(txn, name, split).length : undefined);
    },
  };
}

/**
 * Set-Cookie name/value pairs as HAProxy reads them: with a cookie name, only the first pair of
 * each line (the cookie itself); without a name, every `name=value` pair of every line,
 * attributes such as `Path=/` included (checked against HAProxy 2.6).
 */
function setCookies(txn: HttpTxn, all: boolean): string[] {
  const out: string[] = [];
  for (const line of resValues(txn, 'set-cookie', false)) {
    const parts = all ? line.split(';') : [line.slice(0, line.indexOf(';') < 0 ? line.length : line.indexOf(';'))];
    for (const part of parts) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim();
      if (name !== '') out.push(name, part.slice(eq + 1).trim());
    }
  }
  return out;
}

const resCookie: FetchDef = {
  type: 'str',
  phase: 'response',
  minArgs: 0,
  maxArgs: 1,
  create(args, ctx) {
    const name = args[0] ?? '';
    return (txn) => {
      const p = setCookies(txn, name === '');
      const vals: string[] = [];
      for (let i = 0; i < p.length; i += 2) if (name === '' || p[i] === name) vals.push(p[i + 1]);
      if (vals.length === 0) return undefined;
      return ctx.multi ? vals : name === '' ? vals[0] : vals[vals.length - 1];
    };
  },
};

const resCookieCount: FetchDef = {
  type: 'int',
  phase: 'response',
  minArgs: 0,
  maxArgs: 1,
  create(args) {
    const name = args[0] ?? '';
    return (txn) => {
      if (!response(txn).resHeaders) return undefined;
      const p = setCookies(txn, name === '');
      let n = 0;
      for (let i = 0; i < p.length; i += 2) if (name === '' || p[i] === name) n++;
      return n;
    };
  },
};

/** The response fetches (`status`, `res.hdr`, ...). */
export const RESPONSE_FETCHES: Array<[string[], FetchDef]> = [
  [['status'], { type: 'int', phase: 'response', minArgs: 0, maxArgs: 0, create: () => (t) => response(t).status }],
  [['res.hdr', 'shdr'], resHeader(true, false)],
  [['res.fhdr'], resHeader(false, false)],
  [['res.hdr_cnt', 'shdr_cnt'], resCount(true)],
  [['res.fhdr_cnt'], resCount(false)],
  [['res.hdr_val', 'shdr_val'], resHeader(true, true)],
  [['res.hdr_ip', 'shdr_ip'], ipFetch(resHeader(true, false))],
  [['res.cook', 'scook'], resCookie],
  [['res.cook_cnt', 'scook_cnt'], resCookieCount],
  // the compression filter decided before the http-response rules (HAProxy's HTTP_MSGF_COMPRESSING)
  [
    ['res.comp'],
    { type: 'bool', phase: 'response', minArgs: 0, maxArgs: 0, create: () => (t) => response(t).resComp !== undefined },
  ],
  [
    ['res.comp_algo'],
    { type: 'str', phase: 'response', minArgs: 0, maxArgs: 0, create: () => (t) => response(t).resComp },
  ],
];
