/**
 * Header lists as flat arrays ([name, value, name, value, ...], node's rawHeaders shape):
 * hop-by-hop removal (RFC 9110 7.6.1), header rules, X-Forwarded-For.
 */
import { createHash } from 'node:crypto';
import { expandMatch } from '../acl/regex.ts';
import { findHeader } from '../model/header-list.ts';

/** Hop-by-hop fields never forwarded, plus fields the proxy itself frames (`expect`). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/**
 * Name lengths of the fields forwardableHeaders looks at (hop-by-hop ones and content-length):
 * only names of these lengths are lower-cased to be compared.
 */
const WATCHED_LENGTH = new Uint8Array(32);
for (const n of [...HOP_BY_HOP, 'content-length']) WATCHED_LENGTH[n.length] = 1;

/** Names listed in Connection headers (lower-cased), or undefined when there are none extra. */
function connectionTokens(raw: string[]): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i];
    if (n.length === 10 && n.toLowerCase() === 'connection') {
      const v = raw[i + 1];
      // the usual values name no other field
      if (v === 'keep-alive' || v === 'close' || v === 'Keep-Alive' || v === 'Close') continue;
      for (const t of v.split(',')) {
        const tok = t.trim().toLowerCase();
        if (tok && tok !== 'close' && tok !== 'keep-alive' && tok !== 'upgrade') {
          if (!out) out = new Set();
          out.add(tok);
        }
      }
    }
  }
  return out;
}

/**
 * Copies `raw` without hop-by-hop fields (and those named in Connection), keeping order and
 * the original case. A repeated identical Content-Length is kept once.
 */
export function forwardableHeaders(raw: string[]): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  let sawLength = false;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i];
    if (named !== undefined || (n.length < 32 && WATCHED_LENGTH[n.length] === 1)) {
      const l = n.toLowerCase();
      if (HOP_BY_HOP.has(l)) continue;
      if (named?.has(l)) continue;
      if (l === 'content-length') {
        if (sawLength) continue;
        sawLength = true;
      }
    }
    out.push(n, raw[i + 1]);
  }
  return out;
}

export { findHeader };

/** First value of `lname`, or undefined. */
export function getHeader(list: string[], lname: string): string | undefined {
  const i = findHeader(list, lname);
  return i < 0 ? undefined : list[i + 1];
}

/** Removes every field named `lname`, in place. */
export function deleteHeader(list: string[], lname: string): void {
  let w = 0;
  for (let r = 0; r < list.length; r += 2) {
    const n = list[r];
    if (n.length === lname.length && n.toLowerCase() === lname) continue;
    list[w] = n;
    list[w + 1] = list[r + 1];
    w += 2;
  }
  list.length = w;
}

/** `set-header`: replaces all fields named `name` with one. */
export function setHeader(list: string[], name: string, lname: string, value: string): void {
  deleteHeader(list, lname);
  list.push(name, value);
}

/** Node's rawHeaders for a response list (flat array) as an IncomingHttpHeaders-like object. */
export function headersObject(list: string[]): Record<string, string | string[]> {
  const o: Record<string, string | string[]> = {};
  for (let i = 0; i < list.length; i += 2) {
    const k = list[i].toLowerCase();
    const prev = o[k];
    if (prev === undefined) o[k] = list[i + 1];
    else if (Array.isArray(prev)) prev.push(list[i + 1]);
    else o[k] = [prev, list[i + 1]];
  }
  return o;
}

/** Back from an object (after hooks modified it) to a flat list. */
export function headersFromObject(o: Record<string, string | string[] | number | undefined>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(k, x);
    else out.push(k, String(v));
  }
  return out;
}

/**
 * `replace-header` (`each` false: every occurrence's whole value) and `replace-value` (`each`
 * true: every comma-separated value) of header `lname` in `list`.
 */
export function replaceHeader(list: string[], lname: string, re: RegExp, repl: string, each: boolean): void {
  for (let i = findHeader(list, lname); i >= 0; i = findHeader(list, lname, i + 2)) {
    const v = list[i + 1];
    if (!each) {
      const m = re.exec(v);
      if (m) list[i + 1] = expandMatch(m, repl) ?? v;
      continue;
    }
    // as haproxy 2.6 (http_replace_header_value): a replaced value loses the blanks around it,
    // the other values stay as they were
    const parts = splitValues(v);
    let hit = false;
    for (let j = 0; j < parts.length; j++) {
      const m = re.exec(parts[j].trim());
      if (m) {
        const r = expandMatch(m, repl);
        if (r === undefined) continue;
        parts[j] = r;
        hit = true;
      }
    }
    if (hit) list[i + 1] = parts.join(',');
  }
}

/** Splits a field value at the commas outside double quotes (HAProxy's http_find_hdr_value_end). */
function splitValues(v: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (quoted) {
      if (c === 92) k++;
      else if (c === 34) quoted = false;
    } else if (c === 34) quoted = true;
    else if (c === 44) {
      out.push(v.slice(start, k));
      start = k + 1;
    }
  }
  out.push(v.slice(start));
  return out;
}

/** RFC 6455's Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function websocketAccept(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

const TRAILER_NAME = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const TRAILER_BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * The last chunk of a chunked body (`0\r\n`, the trailer fields that can be written: a token
 * name, a value without control characters, no pseudo-header; then the empty line).
 */
export function lastChunk(trailers: string[] | null | undefined): string {
  if (trailers === null || trailers === undefined || trailers.length === 0) return '0\r\n\r\n';
  let t = '0\r\n';
  for (let i = 0; i + 1 < trailers.length; i += 2) {
    const n = trailers[i];
    const v = trailers[i + 1];
    if (TRAILER_NAME.test(n) && !TRAILER_BAD_VALUE.test(v)) t += `${n}: ${v}\r\n`;
  }
  return `${t}\r\n`;
}

/**
 * Trailer lines of a chunked body (`name: value` separated by LF, CRs removed) as a flat list,
 * or a string saying why they are invalid (a line without a colon, a name that is no token).
 */
export function parseTrailerLines(text: string): string[] | string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const c = line.indexOf(':');
    if (c <= 0) return 'trailer line without a field name';
    const name = line.slice(0, c);
    if (!TRAILER_NAME.test(name)) return `invalid trailer name ${JSON.stringify(name)}`;
    const value = line.slice(c + 1).trim();
    if (TRAILER_BAD_VALUE.test(value)) return `invalid value for trailer ${name}`;
    out.push(name, value);
  }
  return out;
}
