/**
 * HTTP checks: the request bytes HAProxy 2.6 sends for `option httpchk` / `http-check send`
 * (captured from the real haproxy: lower-case header names, `connection: close` only for
 * HTTP/1.1), response head parsing, and the `http-check expect` verdict.
 */

import type { HttpCheckModel, SourceLoc } from '@switchyard/config';
import { boundedRegex } from '../acl/regex.ts';
import type { CheckCode } from '../model/codes.ts';
import type { CheckResult } from '../model/server-state.ts';

/** Largest response HAProxy reads for a check (tune.chksize default). */
export const CHECK_BUFFER_SIZE = 16384;

/** A health-check setting that cannot work, with where it was written. */
export class HealthConfigError extends Error {
  readonly code: CheckCode;
  readonly loc: SourceLoc;
  constructor(code: CheckCode, message: string, loc: SourceLoc) {
    super(message);
    this.name = 'HealthConfigError';
    this.code = code;
    this.loc = loc;
  }
}

interface CompiledExpect {
  negate: boolean;
  kind: 'status' | 'rstatus' | 'string' | 'rstring';
  test(code: number, body: string): boolean;
  text: string;
}

/** The check request as fields (method, path, header fields, body), for checks over HTTP/2. */
export interface CheckRequestParts {
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body: string;
}

/** An `option httpchk` + `http-check` set, ready to run. */
export interface CompiledHttpCheck {
  request: Buffer;
  parts: CheckRequestParts;
  expects: CompiledExpect[];
  disableOn404: boolean;
  /** True when an expect rule looks at the body (the check waits for it). */
  needsBody: boolean;
}

/** Splits the legacy `option httpchk METH URI VERSION\r\nHdr: v` version string into version + headers. */
export function splitLegacyVersion(version: string): { version: string; headers: Array<[string, string]> } {
  const parts = version.split(/\r\n|\\r\\n/);
  const headers: Array<[string, string]> = [];
  for (const line of parts.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) headers.push([line.trim(), '']);
    else headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { version: parts[0] || 'HTTP/1.0', headers };
}

/** Method, URI, fields and body of the check request (whatever protocol carries it). */
export function checkRequestParts(m: HttpCheckModel): CheckRequestParts {
  const { headers: legacy } = splitLegacyVersion(m.version || 'HTTP/1.0');
  return {
    method: m.method || 'OPTIONS',
    uri: m.uri || '/',
    headers: [...legacy, ...m.headers].map(([n, v]) => [n.toLowerCase(), v]),
    body: m.body ?? '',
  };
}

/** The request HAProxy sends for this check, byte for byte. */
export function buildCheckRequest(m: HttpCheckModel): Buffer {
  const { version } = splitLegacyVersion(m.version || 'HTTP/1.0');
  const { method, uri, headers, body } = checkRequestParts(m);
  let head = `${method} ${uri} ${version}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  if (body.length > 0) head += `content-length: ${Buffer.byteLength(body)}\r\n`;
  if (version.toUpperCase() === 'HTTP/1.1') head += 'connection: close\r\n';
  return Buffer.from(`${head}\r\n${body}`, 'latin1');
}

/** Parses an `http-check expect status` pattern: codes and ranges, comma separated (`200-399,404`). */
export function parseStatusPattern(pattern: string): Array<[number, number]> | undefined {
  const out: Array<[number, number]> = [];
  for (const part of pattern.split(',')) {
    const m = /^\s*(\d{3})(?:\s*-\s*(\d{3}))?\s*$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return undefined;
    out.push([lo, hi]);
  }
  return out.length > 0 ? out : undefined;
}

/** Compiles a backend's HTTP check; throws HealthConfigError for a bad pattern or regex. */
export function compileHttpCheck(m: HttpCheckModel): CompiledHttpCheck {
  const expects: CompiledExpect[] = [];
  let needsBody = false;
  for (const e of m.expect) {
    const text = `${e.negate ? '! ' : ''}${e.kind} ${e.pattern}`;
    switch (e.kind) {
      case 'status': {
        const ranges = parseStatusPattern(e.pattern);
        if (!ranges) {
          throw new HealthConfigError(
            'CHK_BAD_STATUS_PATTERN',
            `http-check expect status: '${e.pattern}' is not a status code, a range like 200-399, or a comma-separated list of them`,
            e.loc,
          );
        }
        expects.push({
          negate: e.negate,
          kind: e.kind,
          text,
          test: (code) => ranges.some(([lo, hi]) => code >= lo && code <= hi),
        });
        break;
      }
      case 'rstatus': {
        const re = compileRegex(e.pattern, e.loc);
        expects.push({ negate: e.negate, kind: e.kind, text, test: (code) => re.test(String(code)) });
        break;
      }
      case 'string':
        needsBody = true;
        expects.push({ negate: e.negate, kind: e.kind, text, test: (_c, body) => body.includes(e.pattern) });
        break;
      case 'rstring': {
        needsBody = true;
        const re = compileRegex(e.pattern, e.loc);
        expects.push({ negate: e.negate, kind: e.kind, text, test: (_c, body) => re.test(body) });
        break;
      }
      default:
        throw new HealthConfigError('CHK_BAD_EXPECT', `http-check expect: unknown match '${String(e.kind)}'`, e.loc);
    }
  }
  return {
    request: buildCheckRequest(m),
    parts: checkRequestParts(m),
    expects,
    disableOn404: m.disableOn404,
    needsBody,
  };
}

function compileRegex(pattern: string, loc: SourceLoc): RegExp {
  const re = boundedRegex(pattern);
  if (typeof re === 'string') throw new HealthConfigError('CHK_BAD_REGEX', `http-check expect: ${re}`, loc);
  return re;
}

/** The parsed status line and framing headers of a check response. */
export interface ResponseHead {
  code: number;
  reason: string;
  /** Offset of the first body byte. */
  bodyStart: number;
  contentLength?: number;
  chunked: boolean;
}

/** Parses the response head in `buf`: the head, 'incomplete' (need more bytes) or 'invalid'. */
export function parseResponseHead(buf: Buffer): ResponseHead | 'incomplete' | 'invalid' {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    // A status line that cannot be HTTP is invalid right away.
    if (buf.length >= 5 && buf.toString('latin1', 0, 5) !== 'HTTP/') return 'invalid';
    return buf.length >= CHECK_BUFFER_SIZE ? 'invalid' : 'incomplete';
  }
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!m) return 'invalid';
  const head: ResponseHead = { code: Number(m[1]), reason: m[2] ?? '', bodyStart: end + 4, chunked: false };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) return 'invalid';
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) return 'invalid';
      head.contentLength = Number(value);
    } else if (name === 'transfer-encoding' && value.toLowerCase().includes('chunked')) head.chunked = true;
  }
  return head;
}

/** Decodes a chunked body as far as it goes (a check reads at most CHECK_BUFFER_SIZE bytes). */
export function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol < 0) break;
    const size = Number.parseInt(raw.toString('latin1', pos, eol).split(';')[0] as string, 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(eol + 2, Math.min(raw.length, eol + 2 + size)));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * The verdict on the response bytes received so far, or undefined while more are needed: the head
 * must be complete, and the body too when an expect rule reads it (Content-Length reached, the
 * buffer full, or `closed`: the peer closed and no more will come). Every transport judges here.
 */
export function judgeResponse(
  c: CompiledHttpCheck,
  buf: Buffer,
  closed: boolean,
  serverDown = false,
): CheckResult | undefined {
  const head = parseResponseHead(buf);
  if (head === 'invalid') return { status: 'L7RSP' };
  if (head === 'incomplete') return closed ? { status: 'L7RSP' } : undefined;
  if (!c.needsBody) return evaluateResponse(c, head, '', serverDown);
  const raw = buf.subarray(head.bodyStart);
  const full = buf.length >= CHECK_BUFFER_SIZE;
  const haveAll = head.contentLength !== undefined && raw.length >= head.contentLength;
  if (!closed && !full && !haveAll) return undefined;
  const body = head.chunked ? dechunk(raw) : raw;
  return evaluateResponse(c, head, body.toString('latin1'), serverDown);
}

/**
 * The verdict on a complete (or buffer-full) response, as HAProxy gives it: L7OK, L7OKC
 * (404 with disable-on-404, unless `serverDown`), L7STS (status rule failed; info = reason phrase) or L7RSP (content
 * rule failed). Without expect rules, 2xx and 3xx pass.
 */
export function evaluateResponse(
  c: CompiledHttpCheck,
  head: ResponseHead,
  body: string,
  serverDown = false,
): CheckResult {
  // As haproxy: a 404 only means "stopping" for a server that is not DOWN; for a DOWN one it is a failure.
  if (c.disableOn404 && head.code === 404 && !serverDown) return { status: 'L7OKC', code: 404 };
  if (c.expects.length === 0) {
    if (head.code >= 200 && head.code < 400) return { status: 'L7OK', code: head.code };
    return { status: 'L7STS', code: head.code, info: head.reason || undefined };
  }
  for (const e of c.expects) {
    const ok = e.test(head.code, body) !== e.negate;
    if (ok) continue;
    if (e.kind === 'status' || e.kind === 'rstatus')
      return { status: 'L7STS', code: head.code, info: head.reason || undefined };
    return { status: 'L7RSP', code: head.code, info: 'HTTP content check did not match' };
  }
  return { status: 'L7OK', code: head.code };
}
