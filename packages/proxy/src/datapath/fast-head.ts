/**
 * JavaScript readers for the common shapes of HTTP/1 request and response heads, used before
 * llhttp: one latin1 string and a scan of it cost less than a call into the native parser, its
 * header callbacks and its resets (about 2.5 µs of 15 per proxied request here).
 *
 * They accept a strict subset of what llhttp accepts and give the same result for it (checked
 * against llhttp on mutated heads in test/fast-head.test.ts). Anything outside that subset
 * (another version, a rare method, a 1xx, an odd character, a duplicate or malformed length,
 * Transfer-Encoding, Upgrade, any Connection value but `close` or `keep-alive`) makes them return
 * false, and the head goes to llhttp as before, which then accepts or refuses it.
 */

import { METHODS } from './llhttp.ts';

/** RFC 9110 tchar. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;

/** Field value and reason characters: HTAB, SP, VCHAR, obs-text (no CTL, no DEL). */
const VCHAR = new Uint8Array(256);
VCHAR[9] = 1;
for (let c = 32; c <= 126; c++) VCHAR[c] = 1;
for (let c = 128; c <= 255; c++) VCHAR[c] = 1;

/** What a response head said, as llhttp's headers-complete callback would give it. */
export interface FastResponseHead {
  minor: number;
  status: number;
  reason: string;
  /** name, value, name, value... as received (names' case kept, values trimmed). */
  headers: string[];
  /** Content-Length, or -1 when absent. */
  length: number;
  /**
   * As llhttp's should-keep-alive, which is decided before the request method is known: a
   * response to HEAD without a length is not kept alive either.
   */
  keepAlive: boolean;
}

/** What a request head said, as llhttp's headers-complete callback would give it. */
export interface FastRequestHead {
  /** llhttp's method number (METHODS index). */
  method: number;
  url: string;
  minor: number;
  headers: string[];
  keepAlive: boolean;
}

/** `s` equals `lower` (lower-case ASCII, same length) but for the case of its letters. */
function sameName(s: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Header fields read by readFields. */
let fHeaders: string[] = [];
let fLength = -1;
/** Connection tokens seen: 1 close, 2 keep-alive. */
let fConn = 0;

/**
 * Reads the header lines of `head` from `pos` into fHeaders/fLength/fConn; false when one is not
 * of the common shape.
 */
function readFields(head: string, pos: number): boolean {
  const headers: string[] = [];
  let length = -1;
  let conn = 0;
  const n = head.length;
  while (pos < n) {
    let end = head.indexOf('\r\n', pos);
    if (end < 0) end = n;
    // name
    let i = pos;
    while (i < end && TCHAR[head.charCodeAt(i)] === 1) i++;
    if (i === pos || i === end || head.charCodeAt(i) !== 58) return false;
    const nameEnd = i;
    i++;
    while (i < end && (head.charCodeAt(i) === 32 || head.charCodeAt(i) === 9)) i++;
    const vStart = i;
    let vEnd = vStart;
    for (; i < end; i++) {
      const c = head.charCodeAt(i);
      if (VCHAR[c] !== 1) return false;
      if (c !== 32 && c !== 9) vEnd = i + 1;
    }
    const name = head.slice(pos, nameEnd);
    const value = head.slice(vStart, vEnd);
    const nl = name.length;
    if (nl === 14 && sameName(name, 'content-length')) {
      // digits between spaces only (llhttp refuses a tab there)
      if (length >= 0 || value.length === 0 || value.length > 15) return false;
      for (let k = nameEnd + 1; k < end; k++) if (head.charCodeAt(k) === 9) return false;
      let v = 0;
      for (let k = 0; k < value.length; k++) {
        const c = value.charCodeAt(k) - 48;
        if (c < 0 || c > 9) return false;
        v = v * 10 + c;
      }
      length = v;
    } else if ((nl === 10 && sameName(name, 'connection')) || (nl === 16 && sameName(name, 'proxy-connection'))) {
      // llhttp reads the token differently around a tab: leave such a value to it
      for (let k = nameEnd + 1; k < end; k++) if (head.charCodeAt(k) === 9) return false;
      const t = value.toLowerCase();
      if (t === 'close') conn |= 1;
      else if (t === 'keep-alive') conn |= 2;
      else return false;
    } else if ((nl === 17 && sameName(name, 'transfer-encoding')) || (nl === 7 && sameName(name, 'upgrade'))) {
      return false;
    }
    headers.push(name, value);
    pos = end + 2;
  }
  fHeaders = headers;
  fLength = length;
  fConn = conn;
  return true;
}

/** llhttp: HTTP/1.1 unless `close`, HTTP/1.0 when `keep-alive` (even beside a `close`). */
function versionKeepAlive(minor: number, conn: number): boolean {
  return minor === 1 ? (conn & 1) === 0 : (conn & 2) !== 0;
}

/**
 * Reads `head` (a response head without its final CRLFCRLF). Returns false when the head is not
 * of the common shape; `out` is then meaningless.
 */
export function readResponseHead(head: string, out: FastResponseHead): boolean {
  // status line: HTTP/1.x SP 3DIGIT [SP reason]
  if (head.length < 12 || !head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 32) return false;
  const minor = head.charCodeAt(7) - 48;
  if (minor !== 0 && minor !== 1) return false;
  const d0 = head.charCodeAt(9) - 48;
  const d1 = head.charCodeAt(10) - 48;
  const d2 = head.charCodeAt(11) - 48;
  if (d0 < 2 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return false;
  const status = d0 * 100 + d1 * 10 + d2;
  let eol = head.indexOf('\r\n', 12);
  if (eol < 0) eol = head.length;
  let reason = '';
  if (eol > 12) {
    if (head.charCodeAt(12) !== 32) return false;
    for (let i = 13; i < eol; i++) if (VCHAR[head.charCodeAt(i)] !== 1) return false;
    reason = head.slice(13, eol);
  }
  if (!readFields(head, eol + 2)) return false;
  const noBody = status === 204 || status === 304;
  out.minor = minor;
  out.status = status;
  out.reason = reason;
  out.headers = fHeaders;
  out.length = fLength;
  out.keepAlive = versionKeepAlive(minor, fConn) && (noBody || fLength >= 0);
  return true;
}

/** The methods read here, by llhttp's number; the others (CONNECT above all) go to llhttp. */
const METHOD_NUMBERS = new Map<string, number>();
for (const m of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
  const i = METHODS.indexOf(m);
  if (i >= 0) METHOD_NUMBERS.set(m, i);
}

/** Request-target characters read here: visible ASCII but a few llhttp may treat apart. */
const URLCHAR = new Uint8Array(256);
for (let c = 33; c <= 126; c++) URLCHAR[c] = 1;
for (const c of '"<>\\^`{|}#') URLCHAR[c.charCodeAt(0)] = 0;

/**
 * Reads `head` (a request head without its final CRLFCRLF) of origin-form (`/path`) and a common
 * method. Returns false when the head is not of the common shape; `out` is then meaningless.
 */
export function readRequestHead(head: string, out: FastRequestHead): boolean {
  const sp = head.indexOf(' ');
  if (sp < 3 || sp > 7) return false;
  const method = METHOD_NUMBERS.get(head.slice(0, sp));
  if (method === undefined || head.charCodeAt(sp + 1) !== 47) return false;
  let i = sp + 2;
  const n = head.length;
  while (i < n && URLCHAR[head.charCodeAt(i)] === 1) i++;
  // SP HTTP/1.x CRLF
  if (i + 9 > n || head.charCodeAt(i) !== 32 || !head.startsWith('HTTP/1.', i + 1)) return false;
  const minor = head.charCodeAt(i + 8) - 48;
  if (minor !== 0 && minor !== 1) return false;
  const eol = i + 9;
  if (eol < n && (head.charCodeAt(eol) !== 13 || head.charCodeAt(eol + 1) !== 10)) return false;
  if (!readFields(head, eol + 2)) return false;
  out.method = method;
  out.url = head.slice(sp + 1, i);
  out.minor = minor;
  out.headers = fHeaders;
  out.keepAlive = versionKeepAlive(minor, fConn);
  return true;
}
