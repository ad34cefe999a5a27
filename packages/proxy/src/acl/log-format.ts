/**
 * Log-format strings for header values and `lf-string` bodies: literal text, `%%`, sample
 * expressions `%[expr]`, `%{+Q}` quoting, and the request-time variables below.
 *
 * HAProxy renders them differently by context (checked against HAProxy 2.6): in HTTP rules
 * (`set-header`, `return lf-string`) an absent or empty sample is empty and +Q does not quote
 * samples (it does quote variables); in log lines an absent or empty sample prints `-` and +Q
 * quotes everything (`""` when empty).
 */
import { hostname } from 'node:os';
import type { Diagnostic, SourceLoc } from '@switchyard/config';
import { type HttpTxn, uniqueId } from '../model/txn.ts';
import { AclCode, didYouMean, report } from './diag.ts';
import { compileSample } from './sample.ts';
import { sslCipher, sslVersion } from './ssl-fetches.ts';
import type { RulePhase } from './types.ts';

type Part = (txn: HttpTxn) => string;

/** Request-time variables: name -> value. */
const VARS: Record<string, Part> = {
  ci: (t) => t.srcIp,
  cp: (t) => String(t.srcPort),
  fi: (t) => t.dstIp,
  fp: (t) => String(t.dstPort),
  f: (t) => t.frontend,
  ft: (t) => (t.ssl ? `${t.frontend}~` : t.frontend),
  b: (t) => t.backend ?? t.frontend,
  H: () => hostname(),
  pid: () => String(process.pid),
  HM: (t) => t.method,
  HU: (t) => t.url,
  HP: (t) => t.path,
  HQ: (t) => (t.url.indexOf('?') >= 0 ? `?${t.query}` : ''),
  HV: (t) => `HTTP/${t.httpVersion}`,
  Ts: () => String(Math.floor(Date.now() / 1000)),
  rt: (t) => String(t.counter ?? 0),
  sslc: sslCipher,
  sslv: sslVersion,
};

/** `%{+X}`: the hexadecimal forms HAProxy 2.6 prints (lf_ip, lf_port, `%04X` counters). */
export const HEX: Record<string, (t: HttpTxn) => string> = {
  ci: (t) => hexIp(t.srcIp),
  cp: (t) => hexPad(t.srcPort, 4),
  fi: (t) => hexIp(t.dstIp),
  fp: (t) => hexPad(t.dstPort, 4),
  Ts: () => hexPad(Math.floor(Date.now() / 1000), 4),
  rt: (t) => hexPad(t.counter ?? 0, 4),
  pid: () => hexPad(process.pid, 4),
};

/** `%0NX` of a number. */
export function hexPad(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

/** An address as HAProxy's lf_ip writes it under +X: its bytes in hex, most significant first. */
export function hexIp(ip: string): string {
  const v4 = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  if (v4.includes('.'))
    return v4
      .split('.')
      .map((b) => hexPad(Number(b), 2))
      .join('');
  if (!ip.includes(':')) return ip;
  const [head, tail = ''] = ip.split('::');
  const a = head ? head.split(':') : [];
  const b = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...a, ...Array(8 - a.length - b.length).fill('0'), ...b] : a;
  return groups.map((g) => g.toUpperCase().padStart(4, '0')).join('');
}

/** Variables HAProxy has that only exist once the response or the log line is known. */
const LOG_ONLY = new Set([
  's',
  'sp',
  'si',
  'bi',
  'bp',
  'ST',
  'B',
  'U',
  'r',
  't',
  'tr',
  'trg',
  'trl',
  'T',
  'Ta',
  'Tc',
  'Td',
  'Th',
  'Ti',
  'Tq',
  'Tr',
  'Tt',
  'Tw',
  'ac',
  'fc',
  'bc',
  'sc',
  'rc',
  'sq',
  'bq',
  'ts',
  'tsc',
  'CC',
  'CS',
  'hr',
  'hs',
  'hrl',
  'hsl',
  'lc',
  'ms',
  'o',
  'Tl',
  'Tu',
]);

function quote(v: string): string {
  return `"${v.replace(/"/g, '\\"')}"`;
}

export interface LogFormatOptions {
  /** `http` (default): header values and bodies; `log`: a log line. */
  context?: 'http' | 'log';
  /** `request`: refuse response fetches (`%[status]`); leave out when unknown. */
  phase?: RulePhase;
  /** HAProxy's LOG_OPT_MERGE_SPACES (`unique-id-format`): runs of spaces are one, none leads. */
  mergeSpaces?: boolean;
}

/**
 * Compiles a log-format string into a function of the transaction. Unknown or response-time
 * variables and bad expressions are reported with `loc`; they render as `-`.
 */
export function compileLogFormat(
  fmt: string,
  loc: SourceLoc,
  diags: Diagnostic[],
  options: LogFormatOptions = {},
): (txn: HttpTxn) => string {
  const forLog = options.context === 'log';
  const parts: Array<string | Part> = [];
  let lit = '';
  let i = 0;
  let gq = false;
  let gx = false;
  const pushLit = (text: string): void => {
    if (!options.mergeSpaces) return void parts.push(text);
    const merged = text.replace(/ +/g, ' ');
    const t = parts.length === 0 ? merged.replace(/^ /, '') : merged;
    if (t) parts.push(t);
  };
  const bad = (msg: string) => report(diags, AclCode.LOG_FORMAT, `log-format '${fmt}': ${msg}`, loc);
  while (i < fmt.length) {
    const c = fmt[i];
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    if (fmt[i + 1] === '%') {
      lit += '%';
      i += 2;
      continue;
    }
    i++;
    let q: boolean = gq;
    let x: boolean = gx;
    if (fmt[i] === '{') {
      const end = fmt.indexOf('}', i);
      if (end < 0) {
        bad("missing '}' after '%{'");
        break;
      }
      for (const opt of fmt.slice(i + 1, end).split(/(?=[+-])/)) {
        if (opt === '+Q') q = true;
        else if (opt === '-Q') q = false;
        else if (opt === '+X') x = true;
        else if (opt === '-X') x = false;
        else if (opt !== '') bad(`unsupported option '${opt}' (only +Q, -Q, +X and -X are supported)`);
      }
      i = end + 1;
      // `%{+X}o` sets the options of every following variable
      if (fmt[i] === 'o' && !/[A-Za-z]/.test(fmt[i + 1] ?? '')) {
        gq = q;
        gx = x;
        i++;
        continue;
      }
    }
    if (lit) pushLit(lit);
    lit = '';
    if (fmt[i] === '[') {
      // find the matching ']' (expressions may contain brackets in regex arguments)
      let depth = 0;
      let end = -1;
      for (let j = i; j < fmt.length; j++) {
        if (fmt[j] === '\\') j++;
        else if (fmt[j] === '[') depth++;
        else if (fmt[j] === ']' && --depth === 0) {
          end = j;
          break;
        }
      }
      if (end < 0) {
        bad("missing ']' after '%['");
        break;
      }
      const expr = fmt.slice(i + 1, end);
      i = end + 1;
      const s = compileSample(expr, loc, diags, options.phase);
      if (!s) continue;
      const fn = s.fn;
      parts.push((txn) => {
        let v = fn(txn);
        if (Array.isArray(v)) v = v[v.length - 1];
        const str = v === undefined ? '' : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
        if (!forLog) return str;
        if (q) return quote(str);
        return str === '' ? '-' : str;
      });
      continue;
    }
    const m = /^[A-Za-z]+/.exec(fmt.slice(i));
    if (!m) {
      bad(`'%' at position ${i} must be followed by a variable, '[' or '%' (write '%%' for a literal '%')`);
      lit += '%';
      continue;
    }
    const name = m[0];
    i += name.length;
    if (name === 'ID') {
      parts.push((t) => {
        const id = uniqueId(t) ?? '';
        return q ? quote(id) : forLog && id === '' ? '-' : id;
      });
      continue;
    }
    const v = (x && HEX[name]) || VARS[name];
    if (v) parts.push(q ? (t) => quote(v(t)) : v);
    else if (LOG_ONLY.has(name))
      bad(`variable '%${name}' is only known when logging, not while processing the request`);
    else bad(`unknown variable '%${name}'${didYouMean(name, Object.keys(VARS))}`);
  }
  if (lit) pushLit(lit);
  if (parts.length === 0) return () => '';
  if (parts.length === 1) {
    const p = parts[0];
    if (typeof p === 'string') return () => p;
    return p;
  }
  return (txn) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(txn);
    return out;
  };
}
