/**
 * The hash key of a request for `balance source|uri|url_param|hdr|hash EXPR|rdp-cookie`, computed
 * as HAProxy's backend.c does (get_server_sh/uh/ph/hh/expr/rch). undefined = no key (url_param/hdr absent): the
 * caller falls back to round robin.
 */
import type { BalanceModel, Diagnostic, HashTypeModel } from '@switchyard/config';
import { fullHash, HASH_FUNCTIONS } from '../acl/hash-fn.ts';
import { sameName } from '../acl/http-parts.ts';
import { parseIpCached } from '../acl/ip.ts';
import { rdpCookie } from '../acl/payload-fetches.ts';
import { compileFetch } from '../acl/sample.ts';
import type { HttpTxn } from '../model/txn.ts';

export type HashKeyFn = (txn: HttpTxn) => number | undefined;

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Where the path starts in a request target: 0 for origin-form, after the authority for absolute-form. */
function pathStart(uri: string): number {
  if (uri.charCodeAt(0) === 47 /* / */) return 0;
  const s = uri.indexOf('://');
  if (s < 0) return 0;
  const p = uri.indexOf('/', s + 3);
  return p < 0 ? uri.length : p;
}

/** Builds the key function for a hashing `balance`, or undefined for non-hash algorithms. */
export function hashKeyFor(
  balance: BalanceModel,
  hashType: HashTypeModel,
  diags?: Diagnostic[],
): HashKeyFn | undefined {
  const hash = HASH_FUNCTIONS[hashType.fn];
  const aval = hashType.avalanche ? fullHash : (h: number) => h;
  switch (balance.algo) {
    case 'source':
      // XOR of the address's 32-bit words (IPv4-mapped IPv6 folded to IPv4); no string hash
      return (txn) => {
        const ip = parseIpCached(txn.srcIp);
        if (!ip) return undefined;
        let h = 0;
        if (ip.v === 4) h = ip.a;
        else if (ip.w[0] === 0 && ip.w[1] === 0 && ip.w[2] === 0xffff) h = ip.w[3];
        else h = (ip.w[0] ^ ip.w[1] ^ ip.w[2] ^ ip.w[3]) >>> 0;
        return aval(h);
      };
    case 'uri': {
      const whole = balance.options.whole === true;
      const len = balance.options.len ?? 0;
      const depth = balance.options.depth ?? 0;
      const pathOnly = balance.options.pathOnly === true;
      return (txn) => {
        const uri = txn.url;
        // path-only: skip `scheme://authority` of an absolute-form target
        const start = pathOnly ? pathStart(uri) : 0;
        let n = uri.length - start;
        if (len > 0 && len < n) n = len;
        n += start;
        let end = start;
        let slashes = 0;
        for (; end < n; end++) {
          const c = uri.charCodeAt(end);
          if (c === 47 /* / */) {
            if (depth > 0 && ++slashes === depth + 1) break;
          } else if (c === 63 /* ? */ && !whole) break;
        }
        return aval(hash(uri, start, end));
      };
    }
    case 'url_param': {
      const name = balance.param ?? '';
      return (txn) => {
        const url = txn.url;
        const q = url.indexOf('?');
        if (q < 0) return undefined;
        let i = q + 1;
        while (i < url.length) {
          let j = url.indexOf('&', i);
          if (j < 0) j = url.length;
          if (j - i > name.length && url.charCodeAt(i + name.length) === 61 /* = */ && url.startsWith(name, i)) {
            return aval(hash(url, i + name.length + 1, j));
          }
          i = j + 1;
        }
        return undefined;
      };
    }
    case 'hdr': {
      const name = (balance.param ?? '').toLowerCase();
      const domainOnly = balance.options.useDomainOnly === true;
      return (txn) => {
        const h = txn.rawHeaders;
        for (let i = 0; i < h.length; i += 2) {
          if (!sameName(h[i], name)) continue;
          // the first comma-separated value of the first occurrence, blanks trimmed
          const v = h[i + 1];
          let a = 0;
          let b = v.indexOf(',');
          if (b < 0) b = v.length;
          while (a < b && isBlank(v.charCodeAt(a))) a++;
          while (b > a && isBlank(v.charCodeAt(b - 1))) b--;
          if (a === b) return undefined;
          if (!domainOnly) return aval(hash(v, a, b));
          // the label before the last dot ("example" in www.example.com), as HAProxy does for Host
          let end = b;
          let p = b - 1;
          let inDomain = false;
          for (; p >= a; p--) {
            if (v.charCodeAt(p) !== 46 /* . */) continue;
            if (inDomain) break;
            end = p;
            inDomain = true;
          }
          return aval(hash(v, p + 1, end));
        }
        return undefined;
      };
    }
    case 'rdp-cookie': {
      // the cookie's value, as HAProxy's get_server_rch (none yet, or empty: round robin)
      const name = balance.param ?? 'mstshash';
      return (txn) => {
        const b = txn.payload;
        const v = b ? rdpCookie(b, name) : undefined;
        if (v === undefined || v === 'more' || v === '') return undefined;
        return aval(hash(v, 0, v.length));
      };
    }
    case 'hash': {
      // `balance hash EXPR`: the sample as a string, hashed whole (HAProxy's get_server_expr)
      const fetch = balance.param ? compileFetch(balance.param, balance.loc ?? NOWHERE, diags ?? []) : undefined;
      if (!fetch) return undefined;
      return (txn) => {
        const v = fetch(txn);
        if (v === undefined || v === null) return undefined;
        const s = typeof v === 'string' ? v : Array.isArray(v) ? v[v.length - 1] : String(v);
        return s === undefined ? undefined : aval(hash(s, 0, s.length));
      };
    }
    default:
      return undefined;
  }
}

const NOWHERE = { file: '', line: 0 };
