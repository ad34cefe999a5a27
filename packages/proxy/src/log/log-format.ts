/**
 * `log-format` for request log lines: HAProxy's variables (%ci %ST %Ta %tsc ...), `%[sample]`
 * expressions and `%{+Q}` quoting, compiled once at load into a function of the finished
 * request's fields. (Header values and bodies use the ACL package's compileLogFormat, which
 * only knows request-time variables.)
 */
import { hostname } from 'node:os';
import type { Diagnostic, SourceLoc } from '@switchyard/config';
import { AclCode, report } from '../acl/diag.ts';
import { HEX, hexPad, sampleText, tokenizeLogFormat } from '../acl/log-format.ts';
import { compileSample } from '../acl/sample.ts';
import { sslCipher, sslVersion } from '../acl/ssl-fetches.ts';
import { type HttpTxn, uniqueId } from '../model/txn.ts';
import { captureBlock, captureList, clfDate, httpLogDate, type RequestLogFields } from './request-line.ts';

/** A compiled log-format line. */
export type LogLineFn = (f: RequestLogFields, txn: HttpTxn) => string;

type Part = (f: RequestLogFields, txn: HttpTxn) => string;

const num = (n: number) => String(n);
const HOST = hostname();

/** HAProxy 2.6 log-format variables (doc/configuration.txt 8.2.4) that Switchyard knows. */
const VARS: Record<string, Part> = {
  ci: (f) => f.clientIp,
  cp: (f) => num(f.clientPort),
  fi: (_f, t) => t.dstIp,
  fp: (_f, t) => num(t.dstPort),
  f: (_f, t) => t.frontend,
  ft: (f) => f.frontend,
  b: (f) => f.backend,
  s: (f) => f.server,
  ST: (f) => num(f.status),
  B: (f) => num(f.bytes),
  U: (f) => num(f.bytesIn),
  t: (f) => httpLogDate(f.start),
  tr: (f) => httpLogDate(f.start),
  trg: (f) => clfDate(f.start),
  Ts: (f) => num(Math.floor(f.start / 1000)),
  ms: (f) => {
    const ms = new Date(f.start).getMilliseconds();
    return ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : String(ms);
  },
  TR: (f) => num(f.tR),
  Tw: (f) => num(f.tw),
  Tc: (f) => num(f.tc),
  Tr: (f) => num(f.tr),
  Ta: (f) => num(f.ta),
  Tt: (f) => num(f.ta),
  Tq: (f) => num(f.tR),
  ac: (f) => num(f.actconn),
  fc: (f) => num(f.feconn),
  bc: (f) => num(f.beconn),
  sc: (f) => num(f.srvconn),
  rc: (f) => (f.redispatched ? `+${f.retries}` : num(f.retries)),
  sq: (f) => num(f.srvQueue),
  bq: (f) => num(f.backendQueue),
  ts: (f) => f.termState.slice(0, 2),
  tsc: (f) => f.termState,
  hr: (f) => captureBlock(f.reqCap),
  hs: (f) => captureBlock(f.resCap),
  hrl: (f) => captureList(f.reqCap),
  hsl: (f) => captureList(f.resCap),
  r: (f) => (f.method ? `${f.method} ${f.uri} HTTP/${f.httpVersion}` : '<BADREQ>'),
  HM: (f) => f.method,
  HU: (f) => f.uri,
  HP: (_f, t) => t.path,
  HQ: (_f, t) => (t.query ? `?${t.query}` : ''),
  HV: (f) => `HTTP/${f.httpVersion}`,
  H: () => HOST,
  pid: () => num(process.pid),
  rt: (_f, t) => num(t.counter ?? 0),
};

/** `+X` forms of the log-time variables (the request-time ones come from the ACL package's). */
const LOG_HEX: Record<string, Part> = {
  Ts: (f) => hexPad(Math.floor(f.start / 1000), 4),
  ms: (f) => hexPad(new Date(f.start).getMilliseconds(), 2),
};

/** Variables HAProxy quotes under `+Q` (string fields; numbers, dates and flags never are). */
const QUOTABLE = new Set(['f', 'ft', 'b', 's', 'r', 'HM', 'HU', 'HP', 'HQ', 'HV', 'H']);

/** Captures under `+Q`: quoted as a whole (`"{a|b}"`) or field by field. */
const QUOTED_CAPTURES: Record<string, Part> = {
  hr: (f) => captureBlock(f.reqCap, true),
  hs: (f) => captureBlock(f.resCap, true),
  hrl: (f) => captureList(f.reqCap, true),
  hsl: (f) => captureList(f.resCap, true),
};

/**
 * Text fields: the client's TLS connection and the unique id, `-` when empty (lf_text,
 * LOG_OPT_MANDATORY), `""` quoted.
 */
const TLS_TEXT: Record<string, (t: HttpTxn) => string> = {
  sslc: sslCipher,
  sslv: sslVersion,
  ID: (t) => uniqueId(t) ?? '',
};

/** A run of spaces: HAProxy emits one separator, never at the start or twice in a row. */
const SEP = Symbol('separator');

function quote(v: string): string {
  return `"${v.replace(/"/g, '\\"')}"`;
}

/** HAProxy 2.6's `option httplog` format (the built-in formatter writes the same line faster). */
export const HTTPLOG_FORMAT =
  '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r';
/** HAProxy 2.6's `option httplog clf` format. */
export const CLF_LOG_FORMAT =
  '%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl';

/** Compiles a `log-format` line; unknown variables and bad samples are reported with `loc`. */
export function compileLogLine(fmt: string, loc: SourceLoc, diags: Diagnostic[]): LogLineFn {
  const parts: Array<string | typeof SEP | Part> = [];
  const pushLiteral = (text: string) => {
    for (const piece of text.split(/( +)/)) {
      if (piece === '') continue;
      parts.push(piece.startsWith(' ') ? SEP : piece);
    }
  };
  const bad = (msg: string) => report(diags, AclCode.LOG_FORMAT, `log-format '${fmt}': ${msg}`, loc);
  for (const tk of tokenizeLogFormat(fmt, bad, ['+E', '-E'])) {
    if (tk.kind === 'text') {
      pushLiteral(tk.text);
      continue;
    }
    const quoted = tk.quote;
    if (tk.kind === 'sample') {
      const sample = compileSample(tk.expr, loc, diags);
      if (!sample) continue;
      const fn = sample.fn;
      parts.push((_f, txn) => {
        const str = sampleText(fn(txn));
        if (quoted) return quote(str);
        return str === '' ? '-' : str;
      });
      continue;
    }
    const name = tk.name;
    if (name === 'CC' || name === 'CS') {
      // `capture cookie`: `-` (`""` quoted) when nothing was captured, as HAProxy prints it
      const field = name === 'CC' ? 'cliCookie' : 'srvCookie';
      parts.push(quoted ? (f) => quote(f[field] ?? '') : (f) => f[field] || '-');
      continue;
    }
    const text = TLS_TEXT[name];
    if (text) {
      parts.push(quoted ? (_f, t) => quote(text(t)) : (_f, t) => text(t) || '-');
      continue;
    }
    const lh = tk.hex ? LOG_HEX[name] : undefined;
    const th = tk.hex ? HEX[name] : undefined;
    if (lh || th) {
      parts.push(lh ?? ((_f, t) => (th as (t: HttpTxn) => string)(t)));
      continue;
    }
    const qc = quoted ? QUOTED_CAPTURES[name] : undefined;
    if (qc) {
      parts.push(qc);
      continue;
    }
    const v = VARS[name];
    if (!v) {
      bad(`unknown or unsupported variable '%${name}'`);
      continue;
    }
    parts.push(quoted && QUOTABLE.has(name) ? (f, t) => quote(v(f, t)) : v);
  }
  return (f, txn) => {
    let out = '';
    let pendingSep = false;
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k];
      if (p === SEP) {
        pendingSep = out.length > 0;
        continue;
      }
      const text = typeof p === 'string' ? p : p(f, txn);
      if (text === '') continue;
      if (pendingSep) out += ' ';
      pendingSep = false;
      out += text;
    }
    return pendingSep ? `${out} ` : out;
  };
}
