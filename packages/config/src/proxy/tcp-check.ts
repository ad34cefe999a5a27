/**
 * `option tcp-check` with `tcp-check connect|send|send-binary|send-lf|send-binary-lf|expect|comment`,
 * and the protocol checks HAProxy 2.6 builds on the same engine: `option mysql-check`,
 * `pgsql-check`, `redis-check`, `smtpchk`, `ldap-check`, `ssl-hello-chk`.
 */
import type { SourceLoc, TcpCheckModel, TcpCheckRuleModel } from '../model.ts';
import { err, type LineCtx, noExtra, type SectionState, warn } from '../state.ts';
import { didYouMean } from '../suggest.ts';

type ExpectRule = Extract<TcpCheckRuleModel, { action: 'expect' }>;

/** The check options parsed here (`option NAME`). */
export const TCP_CHECK_OPTIONS = [
  'tcp-check',
  'mysql-check',
  'pgsql-check',
  'redis-check',
  'smtpchk',
  'ldap-check',
  'ssl-hello-chk',
];

/**
 * The literal text of a log-format string, or an Error naming what is not supported: Switchyard
 * takes `%%` (a percent sign) and plain text; sample expressions and variables are refused.
 */
export function literalLogFormat(text: string): string | Error {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    if (text[i + 1] === '%') {
      out += '%';
      i++;
      continue;
    }
    const rest = text.slice(i);
    const expr = rest.startsWith('%[')
      ? rest.slice(0, rest.indexOf(']') + 1 || undefined)
      : (/^%(?:\{[^}]*\})?\w*/.exec(rest)?.[0] ?? '%');
    return new Error(
      `log-format expressions ('${expr}') are not supported here: write literal text ('%%' for a percent sign)`,
    );
  }
  return out;
}

/** True for an even number of hex digits (HAProxy's parse_binary). */
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** `option tcp-check|mysql-check|pgsql-check|redis-check|smtpchk|ldap-check|ssl-hello-chk`. */
export function parseTcpCheckOption(ctx: LineCtx, s: SectionState): void {
  const name = ctx.args[1] as string;
  const a = ctx.args;
  const loc = { ...ctx.loc };
  let chk: TcpCheckModel | undefined;
  switch (name) {
    case 'tcp-check':
      if (!noExtra(ctx, 2)) return;
      chk = { kind: 'tcp-check', rules: [], loc };
      break;
    case 'redis-check':
    case 'ldap-check':
    case 'ssl-hello-chk':
      if (!noExtra(ctx, 2)) return;
      chk = { kind: name, loc };
      break;
    case 'smtpchk': {
      if (!noExtra(ctx, 4)) return;
      // As HAProxy: only `HELO x` / `EHLO x` change the greeting; anything else means HELO localhost.
      const verb = a[2];
      const domain = a[3];
      let command = 'HELO localhost';
      if ((verb === 'HELO' || verb === 'EHLO') && domain) command = `${verb} ${domain}`;
      else if (verb !== undefined)
        warn(
          ctx,
          'CFG_BAD_VALUE',
          `'option smtpchk ${a.slice(2).join(' ')}': expected 'HELO domain' or 'EHLO domain' (case matters); the check sends 'HELO localhost', as HAProxy does`,
        );
      chk = { kind: 'smtpchk', command, loc };
      break;
    }
    case 'pgsql-check': {
      if (!noExtra(ctx, 4)) return;
      if (a[2] !== 'user' || !a[3])
        return void err(ctx, 'CFG_MISSING_ARG', "'option pgsql-check' expects 'user <username>' as argument");
      chk = { kind: 'pgsql-check', user: a[3], loc };
      break;
    }
    case 'mysql-check': {
      if (!noExtra(ctx, 5)) return;
      if (a[2] === undefined) {
        chk = { kind: 'mysql-check', post41: true, loc };
        break;
      }
      if (a[2] !== 'user')
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `'option mysql-check' only supports optional values: 'user' (got '${a[2]}')`,
        );
      if (!a[3]) return void err(ctx, 'CFG_MISSING_ARG', "'option mysql-check user' expects <username> as argument");
      const v = a[4];
      if (v !== undefined && v !== 'post-41' && v !== 'pre-41')
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `'option mysql-check user' only supports 'post-41' and 'pre-41' (got '${v}')`,
        );
      chk = { kind: 'mysql-check', user: a[3], post41: v !== 'pre-41', loc };
      break;
    }
    default:
      return void err(ctx, 'CFG_UNKNOWN_KEYWORD', `unknown check option '${name}'`);
  }
  // One check type per proxy: the last option line wins, as in HAProxy.
  delete s.model.options.httpchk;
  s.model.options.tcpCheck = chk;
}

/** The first `tcp-check` line of a proxy replaces the rules it inherited from defaults, as HAProxy does. */
function ownRules(s: SectionState): void {
  if (s.tcpRulesOwn) return;
  s.tcpRulesOwn = true;
  s.tcpRules = [];
}

/** Reads `comment C` at `i` into `out`; returns the next index, or -1 after an error. */
function readComment(ctx: LineCtx, i: number, what: string): { next: number; comment?: string } | undefined {
  const v = ctx.args[i + 1];
  if (v === undefined) {
    err(ctx, 'CFG_MISSING_ARG', `'${what}': 'comment' expects a string as argument`);
    return undefined;
  }
  return { next: i + 2, comment: v };
}

function parseConnect(ctx: LineCtx, s: SectionState): TcpCheckRuleModel | undefined {
  const what = 'tcp-check connect';
  // As HAProxy: the rules before the first connect may only be comments.
  const firstConnect = s.tcpRules.findIndex((r) => r.action === 'connect');
  const before = firstConnect < 0 ? s.tcpRules : s.tcpRules.slice(0, firstConnect);
  if (before.some((r) => r.action !== 'comment')) {
    err(
      ctx,
      'CFG_BAD_VALUE',
      `'${what}': first step MUST also be a 'connect', optionally preceded by a 'comment', when there is a 'connect' step in the tcp-check ruleset`,
    );
    return undefined;
  }
  const r: Extract<TcpCheckRuleModel, { action: 'connect' }> = {
    action: 'connect',
    ssl: false,
    sendProxy: false,
    linger: false,
    useDefault: false,
    loc: { ...ctx.loc },
  };
  const a = ctx.args;
  const known = ['port', 'addr', 'ssl', 'sni', 'alpn', 'send-proxy', 'linger', 'comment', 'default'];
  for (let i = 2; i < a.length; ) {
    const k = a[i] as string;
    const v = a[i + 1];
    switch (k) {
      case 'default':
        r.useDefault = true;
        i++;
        continue;
      case 'ssl':
        r.ssl = true;
        i++;
        continue;
      case 'send-proxy':
        r.sendProxy = true;
        i++;
        continue;
      case 'linger':
        r.linger = true;
        i++;
        continue;
      case 'comment': {
        const c = readComment(ctx, i, what);
        if (!c) return undefined;
        r.comment = c.comment;
        i = c.next;
        continue;
      }
      case 'port': {
        if (v === undefined) {
          err(ctx, 'CFG_MISSING_ARG', `'${what}': 'port' expects a port number as argument`);
          return undefined;
        }
        if (!/^\d+$/.test(v)) {
          err(
            ctx,
            'CFG_UNSUPPORTED',
            `'${what}': 'port ${v}': a sample expression as port is not supported; write a port number`,
          );
          return undefined;
        }
        const n = Number(v);
        if (n < 1 || n > 65535) {
          err(ctx, 'CFG_BAD_VALUE', `'${what}': expects a valid TCP port (from range 1 to 65535), got ${v}`);
          return undefined;
        }
        r.port = n;
        i += 2;
        continue;
      }
      case 'addr': {
        if (v === undefined) {
          err(ctx, 'CFG_MISSING_ARG', `'${what}': 'addr' expects <ipv4|ipv6> as argument`);
          return undefined;
        }
        const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)|([0-9a-fA-F:]*:[0-9a-fA-F:.]*))(?::(\d+))?$/.exec(v);
        const ip = m ? (m[1] ?? m[2] ?? m[3]) : undefined;
        // A bare IPv6 address has no port part: the regex's last group belongs to the address.
        if (!m || !ip || (m[3] !== undefined && m[4] !== undefined)) {
          err(
            ctx,
            'CFG_BAD_VALUE',
            `'${what}': 'addr ${v}' is not an IPv4 or IPv6 address (host names are not resolved here)`,
          );
          return undefined;
        }
        r.addr = ip;
        if (m[4] !== undefined && r.port === undefined) {
          const p = Number(m[4]);
          if (p >= 1 && p <= 65535) r.port = p;
        }
        i += 2;
        continue;
      }
      case 'sni':
      case 'alpn':
        if (v === undefined) {
          err(ctx, 'CFG_MISSING_ARG', `'${what}': '${k}' expects a string as argument`);
          return undefined;
        }
        if (k === 'sni') r.sni = v;
        else r.alpn = v;
        i += 2;
        continue;
      case 'via-socks4':
      case 'proto':
        err(ctx, 'CFG_UNSUPPORTED', `'${what}': '${k}' is not supported`);
        return undefined;
      default:
        err(
          ctx,
          'CFG_UNKNOWN_KEYWORD',
          `'${what}': expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn', 'linger' or 'default' but got '${k}' as argument${didYouMean(k, known)}`,
        );
        return undefined;
    }
  }
  return r;
}

function parseSend(ctx: LineCtx): TcpCheckRuleModel | undefined {
  const a = ctx.args;
  const kw = a[1] as 'send' | 'send-binary' | 'send-lf' | 'send-binary-lf';
  const what = `tcp-check ${kw}`;
  const binary = kw === 'send-binary' || kw === 'send-binary-lf';
  const raw = a[2];
  if (raw === undefined) {
    err(ctx, 'CFG_MISSING_ARG', `'${what}' expects a ${binary ? 'binary string' : 'string'} as argument`);
    return undefined;
  }
  let data = raw;
  if (kw.endsWith('-lf')) {
    const lit = literalLogFormat(raw);
    if (lit instanceof Error) {
      err(ctx, 'CFG_UNSUPPORTED', `'${what}': ${lit.message}`);
      return undefined;
    }
    data = lit;
  }
  if (binary && !HEX.test(data)) {
    err(ctx, 'CFG_BAD_VALUE', `'${what}': '${data}' invalid binary string (an even number of hex digits expected)`);
    return undefined;
  }
  let comment: string | undefined;
  for (let i = 3; i < a.length; ) {
    if (a[i] !== 'comment') {
      err(ctx, 'CFG_EXTRA_ARGS', `'${what}': expects 'comment' but got '${a[i]}' as argument`);
      return undefined;
    }
    const c = readComment(ctx, i, what);
    if (!c) return undefined;
    comment = c.comment;
    i = c.next;
  }
  return { action: 'send', kind: binary ? 'binary' : 'string', data, comment, loc: { ...ctx.loc } };
}

const OK_STATUS = ['L7OK', 'L7OKC', 'L6OK', 'L4OK'] as const;
const ERR_STATUS = ['L7RSP', 'L7STS', 'L7OKC', 'L6RSP', 'L4CON'] as const;
const TOUT_STATUS = ['L7TOUT', 'L6TOUT', 'L4TOUT'] as const;

function pickStatus<T extends string>(
  ctx: LineCtx,
  k: string,
  v: string | undefined,
  allowed: readonly T[],
): T | false {
  const up = v?.toUpperCase();
  const hit = allowed.find((x) => x === up);
  if (v === undefined || !hit) {
    err(
      ctx,
      'CFG_BAD_VALUE',
      `'tcp-check expect': '${k}' only supports ${allowed.map((x) => `'${x}'`).join(', ')} (got '${v ?? ''}')`,
    );
    return false;
  }
  return hit;
}

function parseExpect(ctx: LineCtx): TcpCheckRuleModel | undefined {
  const a = ctx.args;
  const what = 'tcp-check expect';
  if (a[2] === undefined) {
    err(ctx, 'CFG_MISSING_ARG', `'${what}' expects at least a matching pattern as arguments`);
    return undefined;
  }
  let negate = false;
  let kind: ExpectRule['kind'] | undefined;
  let pattern = '';
  const r: Partial<ExpectRule> = { minRecv: -1 };
  const needValue = (k: string, i: number): string | undefined => {
    const v = a[i + 1];
    if (v === undefined) err(ctx, 'CFG_MISSING_ARG', `'${what}': '${k}' expects an argument`);
    return v;
  };
  for (let i = 2; i < a.length; i++) {
    let k = a[i] as string;
    if (k.startsWith('!')) {
      while (k.startsWith('!')) {
        negate = !negate;
        k = k.slice(1);
      }
      if (k === '') {
        i++;
        k = a[i] ?? '';
      }
      if (!['string', 'rstring', 'binary', 'rbinary'].includes(k)) {
        err(ctx, 'CFG_BAD_VALUE', `'${what}': [!] not supported with '${k}'`);
        return undefined;
      }
    }
    switch (k) {
      case 'string':
      case 'rstring':
      case 'binary':
      case 'rbinary': {
        if (kind) {
          err(ctx, 'CFG_EXTRA_ARGS', `'${what}': only one pattern expected`);
          return undefined;
        }
        const v = needValue(k, i);
        if (v === undefined) return undefined;
        kind = k;
        pattern = v;
        i++;
        break;
      }
      case 'string-lf':
      case 'binary-lf':
      case 'custom':
        err(
          ctx,
          'CFG_UNSUPPORTED',
          `'${what}': '${k}' matching is not supported (use string, rstring, binary or rbinary)`,
        );
        return undefined;
      case 'status':
      case 'rstatus':
      case 'hdr':
      case 'fhdr':
        err(
          ctx,
          'CFG_BAD_VALUE',
          `'${what}': '${k}' is an http-check match; tcp-check expects string, rstring, binary or rbinary`,
        );
        return undefined;
      case 'min-recv': {
        const v = needValue(k, i);
        if (v === undefined) return undefined;
        if (!/^-?\d+$/.test(v) || Number(v) < -1 || Number(v) > 2147483647) {
          err(ctx, 'CFG_BAD_VALUE', `'${what}': 'min-recv' expects -1 or an integer from 0 to INT_MAX, got '${v}'`);
          return undefined;
        }
        r.minRecv = Number(v);
        i++;
        break;
      }
      case 'comment':
      case 'on-success':
      case 'on-error': {
        const v = needValue(k, i);
        if (v === undefined) return undefined;
        if (k === 'comment') r.comment = v;
        else {
          const lit = literalLogFormat(v);
          if (lit instanceof Error) {
            err(ctx, 'CFG_UNSUPPORTED', `'${what}': '${k}': ${lit.message}`);
            return undefined;
          }
          if (k === 'on-success') r.onSuccess = lit;
          else r.onError = lit;
        }
        i++;
        break;
      }
      case 'ok-status': {
        const st = pickStatus(ctx, k, a[i + 1], OK_STATUS);
        if (!st) return undefined;
        r.okStatus = st;
        i++;
        break;
      }
      case 'error-status': {
        const st = pickStatus(ctx, k, a[i + 1], ERR_STATUS);
        if (!st) return undefined;
        r.errorStatus = st;
        i++;
        break;
      }
      case 'tout-status': {
        const st = pickStatus(ctx, k, a[i + 1], TOUT_STATUS);
        if (!st) return undefined;
        r.toutStatus = st;
        i++;
        break;
      }
      case 'status-code': {
        const v = needValue(k, i);
        if (v === undefined) return undefined;
        const m = /^res\.payload\((\d+),(\d+)\)$/.exec(v);
        if (!m) {
          err(
            ctx,
            'CFG_UNSUPPORTED',
            `'${what}': 'status-code ${v}': only 'res.payload(OFFSET,LENGTH)' is supported as status-code expression`,
          );
          return undefined;
        }
        r.statusCode = { offset: Number(m[1]), length: Number(m[2]) };
        i++;
        break;
      }
      default: {
        const kws = ['string', 'rstring', 'binary', 'rbinary', 'min-recv', 'comment', 'on-success', 'on-error'];
        err(
          ctx,
          'CFG_UNKNOWN_KEYWORD',
          `'${what}': only supports min-recv, [!]binary, [!]string, [!]rstring, [!]rbinary, comment, on-success, on-error, ok-status, error-status, tout-status or status-code but got '${k}' as argument${didYouMean(k, kws)}`,
        );
        return undefined;
      }
    }
  }
  if (!kind) {
    err(ctx, 'CFG_MISSING_ARG', `'${what}': pattern not found (string, rstring, binary or rbinary)`);
    return undefined;
  }
  if (kind === 'binary' && !HEX.test(pattern)) {
    err(
      ctx,
      'CFG_BAD_VALUE',
      `'${what} binary': '${pattern}' invalid binary string (an even number of hex digits expected)`,
    );
    return undefined;
  }
  if (kind === 'rstring' || kind === 'rbinary') {
    try {
      new RegExp(pattern);
    } catch (e) {
      err(ctx, 'CFG_BAD_VALUE', `'${what} ${kind}': invalid regular expression '${pattern}': ${(e as Error).message}`);
      return undefined;
    }
  }
  return { ...(r as ExpectRule), action: 'expect', negate, kind, pattern, loc: { ...ctx.loc } };
}

/** `tcp-check connect|send|send-binary|send-lf|send-binary-lf|expect|comment`. */
export function parseTcpCheck(ctx: LineCtx, s: SectionState): void {
  const sub = ctx.args[1];
  const subs = ['connect', 'send', 'send-binary', 'send-lf', 'send-binary-lf', 'expect', 'comment'];
  let rule: TcpCheckRuleModel | undefined;
  // The connect rule's "first step" test must see this proxy's own rules, not inherited ones.
  ownRules(s);
  switch (sub) {
    case 'connect':
      rule = parseConnect(ctx, s);
      break;
    case 'send':
    case 'send-binary':
    case 'send-lf':
    case 'send-binary-lf':
      rule = parseSend(ctx);
      break;
    case 'expect':
      rule = parseExpect(ctx);
      break;
    case 'comment':
      if (ctx.args[2] === undefined)
        return void err(ctx, 'CFG_MISSING_ARG', "'tcp-check comment' expects a string as argument");
      if (!noExtra(ctx, 3)) return;
      rule = { action: 'comment', comment: ctx.args[2], loc: { ...ctx.loc } };
      break;
    case 'set-var':
    case 'unset-var':
      return void err(
        ctx,
        'CFG_UNSUPPORTED',
        `'tcp-check ${sub}' is not supported (check variables are not implemented)`,
      );
    default:
      return void err(
        ctx,
        'CFG_UNKNOWN_KEYWORD',
        `'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'send-lf', 'send-binary-lf' and 'expect', but got '${sub ?? ''}'${didYouMean(sub ?? '', subs)}`,
      );
  }
  if (rule) s.tcpRules.push(rule);
}

/** Gives `option tcp-check` its rules once the proxy is complete; warns about rules nothing uses. */
export function finishTcpCheck(s: SectionState, warnUnused: (loc: SourceLoc, msg: string) => void): void {
  const c = s.model.options.tcpCheck;
  if (c?.kind === 'tcp-check') {
    c.rules = [...s.tcpRules];
    return;
  }
  if (s.tcpRulesOwn && s.tcpRules.length > 0) {
    const loc = s.tcpRules[0]?.loc ?? s.model.loc;
    warnUnused(loc, `${s.kind} '${s.name}' uses tcp-check rules without 'option tcp-check', so the rules are ignored`);
  }
}
