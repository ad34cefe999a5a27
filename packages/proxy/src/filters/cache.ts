/**
 * The cache filter, as HAProxy 2.6's cache.c with `process-vary off`: `http-request cache-use`
 * reads the request (http_check_request_for_cacheability) and finds a fresh entry,
 * `http-response cache-store` decides whether the response is stored (only a 200 to an HTTP/1.1+
 * GET, no Vary, http_check_response_for_cacheability, its max age from s-maxage / max-age /
 * Expires capped by the cache's max-age) and the body is stored as it is forwarded. A hit gets
 * the stored head plus `Age`, a 304 for a matching If-None-Match / If-Modified-Since, no body for
 * HEAD. A successful unsafe request (POST, PUT, DELETE...) removes the entry of its URL.
 */
import { createHash } from 'node:crypto';
import { findHeader } from '../model/header-list.ts';
import type { CacheEntry, HttpCache } from '../model/http-cache.ts';

/** HAProxy's CACHE_ENTRY_MAX_AGE. */
const MAX_AGE = 2147483648;
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** What a stream carries for the cache (HAProxy's TX_CACHE* flags and cache hash). */
export interface CacheState {
  /** sha1 of the URL (hex), made by cache-use for every method. */
  key?: string;
  /** TX_CACHEABLE, TX_CACHE_COOK, TX_CACHE_IGNORE. */
  cacheable: boolean;
  cook: boolean;
  ignore: boolean;
  /** A fresh complete entry was found: the stream answers from it. */
  hit?: { entry: CacheEntry; cache: HttpCache; notModified: boolean };
  /** The response is being stored. */
  storing?: { entry: CacheEntry; cache: HttpCache };
}

/** What the cache reads of the request. */
export interface CacheRequest {
  method: string;
  httpVersion: string;
  /** The request target (origin or absolute form). */
  url: string;
  headers: string[];
}

/** Values of every `lname` header, split on commas. */
function values(headers: string[], lname: string): string[] {
  const out: string[] = [];
  for (let i = findHeader(headers, lname); i >= 0; i = findHeader(headers, lname, i + 2))
    for (const v of headers[i + 1].split(',')) if (v.trim() !== '') out.push(v.trim());
  return out;
}

function first(headers: string[], lname: string): string | undefined {
  const i = findHeader(headers, lname);
  return i < 0 ? undefined : headers[i + 1].trim();
}

/** A new state: safe methods may be stored (HAProxy sets TX_CACHEABLE|TX_CACHE_COOK for them). */
export function newCacheState(method: string): CacheState {
  const safe = SAFE.has(method);
  return { cacheable: safe, cook: safe, ignore: false };
}

/** HAProxy's sha1_hosturi: "https://" + Host + the target unless it is absolute. */
function urlKey(r: CacheRequest): string | undefined {
  if (r.url === '') return undefined;
  let text = r.url;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const host = first(r.headers, 'host');
    if (host === undefined) return undefined;
    text = `https://${host}${text}`;
  }
  return createHash('sha1').update(text, 'latin1').digest('hex');
}

/** http_check_request_for_cacheability. */
function checkRequest(st: CacheState, h: string[]): void {
  if (!st.cacheable && st.ignore) return;
  const pragma = first(h, 'pragma')?.toLowerCase() === 'no-cache';
  if (findHeader(h, 'authorization') >= 0) {
    st.cacheable = st.cook = false;
    st.ignore = true;
  }
  const cc = values(h, 'cache-control');
  for (const v of cc) {
    const l = v.toLowerCase();
    if (l.startsWith('max-age') || l.startsWith('no-cache') || l.startsWith('max-stale') || l.startsWith('min-fresh'))
      st.ignore = true;
    else if (l.startsWith('no-store')) st.cacheable = st.cook = false;
  }
  if (cc.length === 0 && pragma) st.ignore = true;
}

/** HAProxy's parse_http_date + my_timegm: Unix seconds, or undefined. */
function httpDate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

/** HAProxy's http_compare_etags: weak comparison of two entity tags. */
function sameEtag(a: string, b: string): boolean {
  const strip = (e: string) => (e.startsWith('W/') ? e.slice(2) : e);
  const valid = (e: string) => {
    const s = strip(e);
    return s.length >= 2 && s.startsWith('"') && s.endsWith('"');
  };
  return valid(a) && valid(b) && strip(a) === strip(b);
}

/** should_send_notmodified_response. */
function notModified(e: CacheEntry, h: string[]): boolean {
  const inm = values(h, 'if-none-match');
  if (inm.length > 0) {
    for (const v of inm) {
      if (v === '*') return true;
      if (e.etag === undefined) return false;
      if (sameEtag(e.etag, v)) return true;
    }
    return false;
  }
  const ims = httpDate(first(h, 'if-modified-since'));
  return ims !== undefined && e.lastModified <= ims;
}

/**
 * `http-request cache-use`: true when the lookup counts (cache_lookups); sets `st.hit` when a
 * fresh complete entry answers (cache_hits).
 */
export function cacheUse(st: CacheState, cache: HttpCache, r: CacheRequest, now: number): boolean {
  if ((r.httpVersion !== '1.1' && r.httpVersion !== '2.0') || (r.method !== 'GET' && r.method !== 'HEAD'))
    st.ignore = true;
  checkRequest(st, r.headers);
  st.key = urlKey(r);
  if (st.key === undefined || st.ignore) return false;
  const e = cache.lookup(st.key, now);
  if (e?.complete) {
    cache.touch(e);
    st.hit = { entry: e, cache, notModified: notModified(e, r.headers) };
  }
  return true;
}

/** The head of a hit: the stored fields, then `Age`. */
export function hitHead(e: CacheEntry, now: number): string[] {
  const age = Math.min(Math.max(0, now - e.latestValidation) + e.age, MAX_AGE);
  return [...e.headers, 'Age', String(age)];
}

/** A `max-age=N` style directive's value (quotes allowed), -1 if malformed; undefined if absent. */
function directive(values: string[], name: string): number | undefined {
  let out: number | undefined;
  for (const v of values) {
    if (v.length <= name.length || v.slice(0, name.length).toLowerCase() !== name || v[name.length] !== '=') continue;
    const m = /^"?(-?\d+)/.exec(v.slice(name.length + 1));
    const n = m ? Number(m[1]) : Number.NaN;
    if (!(n >= 0)) return -1;
    out = n;
  }
  return out;
}

/** http_calc_maxage: [effective, the response's own] max age in seconds. */
function maxAge(h: string[], cache: HttpCache, now: number): [number, number] {
  const cc = values(h, 'cache-control');
  const smax = directive(cc, 's-maxage');
  const max = directive(cc, 'max-age');
  if (smax === -1 || max === -1) return [-1, 0];
  let expires: number | undefined;
  if (smax === undefined && max === undefined) {
    const ex = first(h, 'expires');
    if (ex !== undefined) {
      const t = httpDate(ex);
      expires = t === undefined ? 0 : Math.max(t - now, 0);
    }
  }
  for (const v of [smax, max, expires]) {
    if (v !== undefined && (v > 0 || (v === expires && v >= 0))) return [Math.min(v, cache.maxAge), v];
  }
  return [cache.maxAge, 0];
}

/** http_check_response_for_cacheability. */
function checkResponse(st: CacheState, status: number, h: string[]): void {
  if (status < 200) {
    st.cacheable = st.cook = false;
    return;
  }
  if (first(h, 'pragma')?.toLowerCase() === 'no-cache') {
    st.cacheable = st.cook = false;
    return;
  }
  let fresh = false;
  for (const v of values(h, 'cache-control')) {
    const l = v.toLowerCase();
    if (l === 'public') st.cacheable = st.cook = true;
    else if (l === 'private' || l === 'no-cache' || l === 'no-store' || l === 'max-age=0' || l === 's-maxage=0')
      st.cacheable = st.cook = false;
    else if (l.startsWith('no-cache="set-cookie')) st.cook = false;
    else if (l.startsWith('s-maxage') || l.startsWith('max-age')) fresh = true;
  }
  if (!fresh) fresh = findHeader(h, 'expires') >= 0;
  if (!fresh && findHeader(h, 'etag') < 0 && findHeader(h, 'last-modified') < 0) st.ignore = true;
}

/** What cache-store reads of the transaction. */
export interface CacheResponse {
  method: string;
  httpVersion: string;
  status: number;
  reason: string;
  /** The head as the rules left it so far (stored as it is now). */
  headers: string[];
  /** The response came from this cache (never stored again). */
  fromCache: boolean;
}

/** The statuses HAProxy keeps TX_CACHEABLE for (RFC 7231 6.1). */
const CACHEABLE_STATUS = new Set([200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]);

/**
 * `http-response cache-store`: starts storing the response (`st.storing`) when HAProxy 2.6
 * would, or removes the URL's entry after a successful unsafe request.
 */
export function cacheStore(st: CacheState, cache: HttpCache, r: CacheResponse, now: number): void {
  if (r.fromCache || (r.httpVersion !== '1.1' && r.httpVersion !== '2.0')) return;
  if (r.method !== 'GET') {
    if (st.key !== undefined && r.status >= 200 && r.status < 400 && !SAFE.has(r.method)) cache.removeKey(st.key);
    return;
  }
  if (st.key === undefined || r.status !== 200) return;
  const h = r.headers;
  const cl = first(h, 'content-length');
  if (cl !== undefined && Number(cl) > cache.maxObjectSize) return;
  if (findHeader(h, 'vary') >= 0) return;
  if (!CACHEABLE_STATUS.has(r.status)) st.cacheable = st.cook = false;
  checkResponse(st, r.status, h);
  if (!st.cacheable || !st.cook || st.ignore) return;
  const old = cache.lookup(st.key, now);
  if (old && !old.complete) return;
  const [effective, own] = maxAge(h, cache, now);
  let age = 0;
  const ai = findHeader(h, 'age');
  if (ai >= 0) {
    const v = h[ai + 1].trim();
    age = /^\d+$/.test(v) ? Math.min(Number(v), MAX_AGE) : 0;
    if (age <= 0 || age > own) return;
    // as HAProxy: removed from the response going out too (the hits add their own)
    h.splice(ai, 2);
  }
  const headers = [...h];
  const lm = httpDate(first(h, 'last-modified')) ?? httpDate(first(h, 'date')) ?? now;
  const hash = Buffer.from(st.key.slice(0, 8), 'hex').readUInt32LE(0);
  let headBytes = 0;
  for (const x of headers) headBytes += x.length;
  const entry: CacheEntry = {
    key: st.key,
    hash,
    status: r.status,
    reason: r.reason,
    headers,
    body: [],
    size: 0,
    expire: now + effective,
    latestValidation: now,
    age,
    lastModified: lm,
    etag: first(headers, 'etag'),
    complete: false,
  };
  cache.begin(entry);
  if (!cache.grow(entry, headBytes)) return;
  st.storing = { entry, cache };
}

/** A body chunk of a response being stored; storing stops (entry dropped) past max-object-size. */
export function storeChunk(st: CacheState, chunk: Buffer): void {
  const s = st.storing;
  if (!s) return;
  if (!s.cache.grow(s.entry, chunk.length)) {
    st.storing = undefined;
    return;
  }
  s.entry.body.push(Buffer.from(chunk));
}

/** The response ended whole: the entry can be served. */
export function storeEnd(st: CacheState): void {
  const s = st.storing;
  if (!s) return;
  s.entry.complete = true;
  st.storing = undefined;
}

/** The response was cut: what was stored of it goes. */
export function storeAbort(st: CacheState): void {
  const s = st.storing;
  if (!s) return;
  s.cache.remove(s.entry);
  st.storing = undefined;
}
