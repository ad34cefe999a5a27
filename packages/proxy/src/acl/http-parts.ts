/**
 * Request parts that cost something to derive (split header values, cookies, query parameters),
 * computed on first use and cached on txn.cache under keys precomputed at load time.
 */
import type { HttpTxn } from '../model/txn.ts';

const EMPTY: string[] = [];

/** Case-insensitive ASCII comparison of a header name with an already lower-case one, without allocating. */
export function sameName(n: string, lower: string): boolean {
  if (n.length !== lower.length) return false;
  for (let i = 0; i < n.length; i++) {
    let c = n.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Splits a header value on commas outside double quotes, trimming blanks, as HAProxy's hdr() does. */
export function splitCommaList(v: string, out: string[]): void {
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= v.length; i++) {
    const c = i < v.length ? v.charCodeAt(i) : 44;
    if (c === 34 /* " */) quoted = !quoted;
    else if (c === 92 /* \ */ && quoted) i++;
    else if (c === 44 /* , */ && (!quoted || i === v.length)) {
      let a = start;
      let b = i;
      while (a < b && (v.charCodeAt(a) === 32 || v.charCodeAt(a) === 9)) a++;
      while (b > a && (v.charCodeAt(b - 1) === 32 || v.charCodeAt(b - 1) === 9)) b--;
      out.push(v.slice(a, b));
      start = i + 1;
    }
  }
}

/**
 * Values of a header (lower-case name, '' = every header), either full lines (`fhdr`) or split
 * on commas (`hdr`). Cached under `key`. Empty array when absent.
 */
export function headerList(txn: HttpTxn, lname: string, split: boolean, key: string): string[] {
  const cached = txn.cache[key];
  if (cached !== undefined) return cached as string[];
  const h = txn.rawHeaders;
  let out: string[] = EMPTY;
  for (let i = 0; i < h.length; i += 2) {
    const n = h[i];
    if (lname !== '' && !sameName(n, lname)) continue;
    if (out === EMPTY) out = [];
    if (split) splitCommaList(h[i + 1], out);
    else out.push(h[i + 1].trim());
  }
  txn.cache[key] = out;
  return out;
}

/** `name=value` pairs of every Cookie header, in order (flat: [name, value, ...]). */
export function cookiePairs(txn: HttpTxn): string[] {
  const cached = txn.cache['cookies'];
  if (cached !== undefined) return cached as string[];
  const out: string[] = [];
  for (const line of headerList(txn, 'cookie', false, 'fh:cookie')) {
    // HAProxy accepts both ';' and ',' between cookies
    for (const part of line.split(/[;,]/)) {
      const eq = part.indexOf('=');
      const name = (eq < 0 ? part : part.slice(0, eq)).trim();
      if (name === '') continue;
      out.push(name, eq < 0 ? '' : part.slice(eq + 1).trim());
    }
  }
  txn.cache['cookies'] = out;
  return out;
}

/**
 * Query parameters (flat [name, value, ...]) of the part after the first `?` (or after the first
 * `delim` char when given); parameters end at `&`, `;` or `delim`; only `name=value` forms
 * count. Cached per delimiter.
 */
export function urlParams(txn: HttpTxn, delim: string, key: string): string[] {
  const cached = txn.cache[key];
  if (cached !== undefined) return cached as string[];
  const url = txn.url;
  let start = url.indexOf('?');
  if (delim !== '') {
    const d = url.indexOf(delim);
    if (d >= 0 && (start < 0 || d < start)) start = d;
  }
  const out: string[] = [];
  if (start >= 0) {
    let i = start + 1;
    while (i <= url.length) {
      let j = i;
      while (j < url.length) {
        const c = url[j];
        if (c === '&' || c === ';' || (delim !== '' && c === delim)) break;
        j++;
      }
      // as in HAProxy, a parameter without '=' has no value and is not found
      const eq = url.indexOf('=', i);
      if (eq >= 0 && eq < j) out.push(url.slice(i, eq), url.slice(eq + 1, j));
      i = j + 1;
    }
  }
  txn.cache[key] = out;
  return out;
}

/** Host and port of an absolute-form target (`http://h:p/...`), or undefined for origin-form. */
export function absoluteAuthority(url: string): { host: string; port: number } | undefined {
  const s = url.indexOf('://');
  if (s < 0 || url.charCodeAt(0) === 47) return undefined;
  let end = url.indexOf('/', s + 3);
  if (end < 0) end = url.length;
  const q = url.indexOf('?', s + 3);
  if (q >= 0 && q < end) end = q;
  let auth = url.slice(s + 3, end);
  const at = auth.lastIndexOf('@');
  if (at >= 0) auth = auth.slice(at + 1);
  const scheme = url.slice(0, s).toLowerCase();
  let host = auth;
  let port = scheme === 'https' ? 443 : 80;
  const colon = auth.lastIndexOf(':');
  if (colon >= 0 && colon > auth.lastIndexOf(']')) {
    host = auth.slice(0, colon);
    const p = Number(auth.slice(colon + 1));
    if (!Number.isInteger(p) || p < 0 || p > 65535) return undefined;
    port = p;
  }
  return { host, port };
}
