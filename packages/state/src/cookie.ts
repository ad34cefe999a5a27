/**
 * Cookie persistence (`cookie NAME insert|rewrite|prefix [indirect] [nocache] [postonly]
 * [preserve] [httponly] [secure] [domain D]* [maxidle T] [maxlife T] [attr A]*`), following
 * HAProxy 2.6's http_manage_client_side_cookie / http_manage_server_side_cookies:
 *
 * Request: the last `NAME` cookie is looked up; its value (before `|` dates in insert mode, before
 * `~` in prefix mode) names a server by its `cookie` value. A server that is UP and not MAINT (or
 * DOWN with `option persist`) is used directly; otherwise the request is balanced. In prefix mode
 * the `VAL~` prefix is stripped before forwarding; in insert+indirect mode the cookie is removed.
 *
 * Response: the server's own `Set-Cookie: NAME=...` is deleted in insert mode (and with indirect
 * when the request was direct), replaced by the server's value in rewrite mode, prefixed with
 * `VAL~` in prefix mode (`preserve` leaves it alone). In insert mode a `Set-Cookie` is added when
 * the request was not direct, or a maxidle/maxlife date needs refreshing, with `Cache-Control:
 * private` when `nocache`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CookieModel } from '@switchyard/config';
import type { BackendRuntime, HttpTxn, ServerState } from '@switchyard/proxy';
import { decodeCookieDate, encodeCookieDate } from './cookie-date.ts';
import { setCookies } from './key-fetch.ts';
import type { TxState } from './tx-state.ts';

/** Per-backend compiled cookie settings. */
export interface CookieRule {
  model: CookieModel;
  /** Attributes appended to an inserted cookie (`; path=/; domain=...; HttpOnly; Secure; ...`). */
  suffix: string;
  /** Servers by cookie value, in declaration order (several may share a value). */
  byValue: Map<string, ServerState[]>;
}

/** Compiles `cookie` for a backend; undefined when the backend has none. */
export function compileCookie(backend: BackendRuntime): CookieRule | undefined {
  const m = backend.model.cookie;
  if (!m) return undefined;
  let suffix = '; path=/';
  for (const d of m.domain) suffix += `; domain=${d}`;
  if (m.httponly) suffix += '; HttpOnly';
  if (m.secure) suffix += '; Secure';
  for (const a of m.attr) suffix += `; ${a}`;
  const byValue = new Map<string, ServerState[]>();
  for (const s of backend.servers) {
    const v = s.model.cookie;
    if (!v) continue;
    const list = byValue.get(v);
    if (list) list.push(s);
    else byValue.set(v, [s]);
  }
  return { model: m, suffix, byValue };
}

/** Delimiter between the server value and the rest of the cookie, by mode. */
function delimiter(mode: CookieModel['mode']): string {
  return mode === 'prefix' ? '~' : '|';
}

/**
 * Request side: finds the persistence cookie, sets `tx.cookie` and `tx.direct`, and rewrites the
 * request's Cookie headers in `txn.rawHeaders` (prefix stripped, or cookie removed for
 * insert+indirect). Returns the server to use, if any.
 */
export function cookieRequest(
  rule: CookieRule,
  txn: HttpTxn,
  tx: TxState,
  persist: boolean,
  nowSec: number,
): ServerState | undefined {
  const m = rule.model;
  const h = txn.rawHeaders;
  const name = m.name;
  // HAProxy rewrites every occurrence; the first one naming a usable server decides (later ones are "unused")
  let chosen: ServerState | undefined;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i].length !== 6 || h[i].toLowerCase() !== 'cookie') continue;
    const value = h[i + 1];
    if (!value.includes(name)) continue;
    const parts = value.split(';');
    let changed = false;
    for (let p = 0; p < parts.length; p++) {
      const raw = parts[p];
      const eq = raw.indexOf('=');
      if (eq < 0 || raw.slice(0, eq).trim() !== name) continue;
      const lead = raw.slice(0, eq + 1);
      const val = raw.slice(eq + 1).trim();
      const delim = val.indexOf(delimiter(m.mode));
      const id = delim < 0 ? val : val.slice(0, delim);
      const srv = matchCookieValue(rule, tx, id, delim < 0 ? '' : val.slice(delim + 1), persist, nowSec);
      if (srv) chosen = srv;
      if (m.mode === 'prefix' && delim >= 0) {
        parts[p] = `${lead}${val.slice(delim + 1)}`;
        changed = true;
      } else if (m.mode === 'insert' && m.indirect) {
        parts[p] = '';
        changed = true;
      }
    }
    if (changed) {
      const kept = parts.filter((x) => x !== '').map((x) => x.trim());
      if (kept.length === 0) {
        h.splice(i, 2);
        i -= 2;
      } else h[i + 1] = kept.join('; ');
    }
  }
  return chosen;
}

function matchCookieValue(
  rule: CookieRule,
  tx: TxState,
  id: string,
  dates: string,
  persist: boolean,
  nowSec: number,
): ServerState | undefined {
  const m = rule.model;
  // HAProxy reads `|` dates in every mode but prefix, and checks them when maxidle/maxlife are set
  if (m.mode !== 'prefix' && dates !== '') {
    const last = decodeCookieDate(dates, 0);
    const first = dates.length >= 11 && dates[5] === '|' ? decodeCookieDate(dates, 6) : -1;
    if (last > 0) tx.cookieLast = last;
    if (first > 0) tx.cookieFirst = first;
    // HAProxy's order: maxlife first (TX_CK_OLD), then maxidle (TX_CK_EXPIRED); a date more than
    // a day in the future is forged or from a skewed clock and fails the same check
    const first0 = tx.cookieFirst;
    const last0 = tx.cookieLast;
    if (first0 && m.maxlife && (nowSec - first0 > m.maxlife / 1000 || first0 - nowSec > 86400)) {
      tx.cookie = 'old';
      return undefined;
    }
    if (last0 && m.maxidle && (nowSec - last0 > m.maxidle / 1000 || last0 - nowSec > 86400)) {
      tx.cookie = 'expired';
      return undefined;
    }
  }
  if (tx.direct) {
    tx.cookie = 'unused';
    return undefined;
  }
  // empty values never match: a client must not stick to a cookie-less backup server
  const candidates = id === '' ? undefined : rule.byValue.get(id);
  if (!candidates) {
    tx.cookie = 'invalid';
    return undefined;
  }
  for (const s of candidates) {
    if (s.admin !== 'MAINT' && (s.op === 'UP' || persist)) {
      tx.cookie = s.op === 'UP' ? 'valid' : 'down';
      tx.direct = s;
      return s;
    }
    tx.cookie = 'down';
  }
  return undefined;
}

/**
 * Response side: applies the mode to the server's Set-Cookie headers and inserts ours when
 * needed. Modifies `headers` in place.
 */
export function cookieResponse(
  rule: CookieRule,
  tx: TxState,
  method: string,
  status: number,
  server: ServerState,
  headers: IncomingHttpHeaders,
  nowSec: number,
): void {
  const m = rule.model;
  const name = m.name;
  const direct = tx.direct === server;
  let found = false;
  const list = setCookies(headers);
  if (list.length > 0) {
    const out: string[] = [];
    for (const sc of list) {
      const eq = sc.indexOf('=');
      if (eq < 0 || sc.slice(0, eq).trim() !== name) {
        out.push(sc);
        continue;
      }
      found = true;
      if (m.preserve) out.push(sc);
      else if (m.mode === 'insert' || (direct && m.indirect)) {
        // deleted: ours is inserted below (insert) or the client already has it (indirect)
      } else if (m.mode === 'rewrite' && server.model.cookie) {
        out.push(sc.slice(0, eq + 1) + server.model.cookie + sc.slice(valueEnd(sc, eq)));
      } else if (m.mode === 'prefix' && server.model.cookie) {
        out.push(`${sc.slice(0, eq + 1)}${server.model.cookie}~${sc.slice(eq + 1)}`);
      } else out.push(sc);
    }
    if (out.length !== list.length || found) {
      if (out.length === 0) delete headers['set-cookie'];
      else headers['set-cookie'] = out;
    }
  }
  if (m.mode !== 'insert' || (found && m.preserve)) return;
  if (m.postonly && method !== 'POST') return;
  const needDates = m.maxidle !== undefined || m.maxlife !== undefined;
  const refresh =
    !direct ||
    ((m.maxidle !== undefined || tx.cookieLast > 0) && (tx.cookieLast === 0 || tx.cookieLast - nowSec < 0)) ||
    (m.maxlife !== undefined && tx.cookieFirst === 0) ||
    (m.maxlife === undefined && tx.cookieFirst > 0);
  if (!refresh) return;
  let value: string;
  const sv = server.model.cookie;
  if (!sv) {
    value = `${name}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/`;
    value += rule.suffix.slice('; path=/'.length);
  } else {
    value = `${name}=${sv}`;
    if (needDates || tx.cookieLast || tx.cookieFirst) {
      value += `|${encodeCookieDate(nowSec)}`;
      if (m.maxlife !== undefined) {
        value += `|${tx.cookieFirst ? encodeCookieDate(tx.cookieFirst - 3) : encodeCookieDate(nowSec)}`;
      }
    }
    value += rule.suffix;
  }
  headers['set-cookie'] = [...setCookies(headers), value];
  // HAProxy adds `Cache-control: private` only to a response a cache could store
  if (m.nocache && cacheable(method, status, headers)) {
    const cc = headers['cache-control'] as string | string[] | undefined;
    // a second header line, as HAProxy adds it (the datapath writes arrays as repeated lines)
    (headers as Record<string, string | string[] | undefined>)['cache-control'] =
      cc === undefined ? 'private' : [...(Array.isArray(cc) ? cc : [cc]), 'private'];
  }
}

/** Statuses HAProxy 2.6 considers cacheable (http_check_response_for_cacheability). */
const CACHEABLE_STATUS = new Set([200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501]);

/**
 * Whether a shared cache could store this response, as HAProxy 2.6 decides it: GET/HEAD, a
 * cacheable status, no `Cache-Control: private|no-cache|no-store|max-age=0|s-maxage=0` nor
 * `Pragma: no-cache`, and explicit freshness (max-age, s-maxage, Expires) or a validator
 * (Last-Modified, ETag). Checked against haproxy 2.6 in test/state-haproxy-compat.test.ts.
 */
export function cacheable(method: string, status: number, headers: IncomingHttpHeaders): boolean {
  if ((method !== 'GET' && method !== 'HEAD') || !CACHEABLE_STATUS.has(status)) return false;
  const list = (name: string): string[] => {
    const v = headers[name];
    if (v === undefined) return [];
    return (Array.isArray(v) ? v : [String(v)]).flatMap((x) => x.split(',')).map((x) => x.trim().toLowerCase());
  };
  let fresh = false;
  for (const d of list('cache-control')) {
    if (
      d === 'private' ||
      d === 'no-cache' ||
      d === 'no-store' ||
      d.startsWith('private=') ||
      d.startsWith('no-cache=')
    ) {
      return false;
    }
    const m = /^(s-maxage|max-age)\s*=\s*"?(\d+)/.exec(d);
    if (m) {
      if (Number(m[2]) === 0) return false;
      fresh = true;
    }
  }
  if (list('pragma').includes('no-cache')) return false;
  return fresh || headers.expires !== undefined || headers['last-modified'] !== undefined || headers.etag !== undefined;
}

/** End of a Set-Cookie value (first `;` after `=`, or the end). */
function valueEnd(sc: string, eq: number): number {
  const semi = sc.indexOf(';', eq + 1);
  return semi < 0 ? sc.length : semi;
}
