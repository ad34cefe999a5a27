/** `option httpchk` (every form, including the 1.x one hiding headers in the version) and `http-check`. */
import { newHttpCheck } from '../factory.ts';
import type { HttpCheckModel } from '../model.ts';
import { err, type LineCtx, type SectionState, warn } from '../state.ts';
import { didYouMean } from '../suggest.ts';

const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STATUS_LIST = /^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/;

/** Quotes a word for a config line when it needs it. */
function q(w: string): string {
  return /^[^\s"'#\\]+$/.test(w) ? w : `"${w.replace(/["\\]/g, '\\$&')}"`;
}

/** Splits `HTTP/1.1\r\nHost: x\r\n\r\nbody` into version, headers and body. */
function splitLegacyVersion(v: string): {
  version: string;
  headers: Array<[string, string]>;
  body?: string;
  bad?: string;
} {
  const lines = v.split(/\r?\n/);
  const version = lines[0];
  const headers: Array<[string, string]> = [];
  let i = 1;
  for (; i < lines.length; i++) {
    const l = lines[i];
    if (l === '') {
      i++;
      break;
    }
    const c = l.indexOf(':');
    if (c <= 0) return { version, headers, bad: l };
    headers.push([l.slice(0, c).trim(), l.slice(c + 1).trim()]);
  }
  const body = lines.slice(i).join('\r\n');
  return { version, headers, body: body === '' ? undefined : body };
}

/** `option httpchk [[METHOD] URI [VERSION]]`. */
export function parseOptionHttpchk(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args.slice(2);
  if (a.length > 3)
    return void err(ctx, 'CFG_EXTRA_ARGS', `'option httpchk' takes at most METHOD URI VERSION, got extra '${a[3]}'`);
  const c = newHttpCheck({ ...ctx.loc });
  if (a.length === 1) c.uri = a[0];
  else if (a.length >= 2) {
    c.method = a[0];
    c.uri = a[1];
  }
  if (!METHOD.test(c.method)) return void err(ctx, 'CFG_BAD_VALUE', `'option httpchk': invalid method '${c.method}'`);
  if (a.length === 3) {
    const v = a[2];
    if (/[\r\n]/.test(v)) {
      const parts = splitLegacyVersion(v);
      if (parts.bad !== undefined)
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `'option httpchk': header line '${parts.bad}' in the version string has no ':'`,
        );
      c.version = parts.version;
      c.headers = parts.headers;
      c.body = parts.body;
      const modern = ['http-check send meth', q(c.method), 'uri', q(c.uri), 'ver', q(c.version)];
      for (const [n, hv] of c.headers) modern.push('hdr', q(n), q(hv));
      if (c.body !== undefined) modern.push('body', q(c.body));
      warn(
        ctx,
        'CFG_LEGACY_KEYWORD',
        `'option httpchk': hiding headers or a body in the version string is deprecated; write 'option httpchk' followed by '${modern.join(' ')}'`,
      );
    } else c.version = v;
  }
  if (!/^HTTP\/1\.[01]$/.test(c.version))
    return void err(
      ctx,
      'CFG_BAD_VALUE',
      `'option httpchk': invalid HTTP version '${c.version}' (checks speak HTTP/1.0 or HTTP/1.1)`,
    );
  s.model.options.httpchk = c;
}

/** The first `http-check` line of a proxy replaces the rules it inherited from defaults, as HAProxy does. */
function ownRules(s: SectionState): void {
  if (s.checkRulesOwn) return;
  s.checkRulesOwn = true;
  s.checkSend = undefined;
  s.checkRules = { expect: [], disableOn404: false };
}

function send(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args;
  const out: NonNullable<SectionState['checkSend']> = { headers: [], loc: { ...ctx.loc } };
  for (let i = 2; i < a.length; i++) {
    const k = a[i];
    const v = a[i + 1];
    const known = ['meth', 'uri', 'ver', 'hdr', 'body', 'comment', 'uri-lf', 'body-lf'];
    if (!known.includes(k))
      return void err(ctx, 'CFG_UNKNOWN_KEYWORD', `'http-check send': unknown argument '${k}'${didYouMean(k, known)}`);
    if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `'http-check send': '${k}' expects a value`);
    if (k === 'uri-lf' || k === 'body-lf')
      return void err(
        ctx,
        'CFG_UNSUPPORTED',
        `'http-check send': '${k}' (log-format) is not supported; use '${k.slice(0, -3)}'`,
      );
    if (k === 'meth') {
      if (!METHOD.test(v)) return void err(ctx, 'CFG_BAD_VALUE', `'http-check send': invalid method '${v}'`);
      out.method = v;
    } else if (k === 'uri') out.uri = v;
    else if (k === 'ver') {
      if (!/^HTTP\/1\.[01]$/.test(v))
        return void err(
          ctx,
          'CFG_BAD_VALUE',
          `'http-check send': invalid HTTP version '${v}' (checks speak HTTP/1.0 or HTTP/1.1)`,
        );
      out.version = v;
    } else if (k === 'hdr') {
      const hv = a[i + 2];
      if (hv === undefined) return void err(ctx, 'CFG_MISSING_ARG', `'http-check send': 'hdr ${v}' expects a value`);
      if (!METHOD.test(v)) return void err(ctx, 'CFG_BAD_VALUE', `'http-check send': invalid header name '${v}'`);
      out.headers.push([v, hv]);
      i++;
    } else if (k === 'body') out.body = v;
    i++;
  }
  ownRules(s);
  if (s.checkSend)
    return void err(
      ctx,
      'CFG_BAD_VALUE',
      "'http-check send' may appear only once per proxy (Switchyard sends one check request)",
    );
  s.checkSend = out;
}

function expect(ctx: LineCtx, s: SectionState): void {
  const a = ctx.args;
  let i = 2;
  let negate = false;
  while (
    a[i] === 'min-recv' ||
    a[i] === 'comment' ||
    a[i] === 'ok-status' ||
    a[i] === 'error-status' ||
    a[i] === 'tout-status'
  ) {
    warn(
      ctx,
      'CFG_IGNORED_KEYWORD',
      `'http-check expect': '${a[i]}' ignored: Switchyard reports HAProxy's default check statuses`,
    );
    i += 2;
  }
  if (a[i] === '!') {
    negate = true;
    i++;
  }
  const kind = a[i];
  const pattern = a[i + 1];
  const kinds = ['status', 'rstatus', 'string', 'rstring'];
  if (kind === undefined)
    return void err(ctx, 'CFG_MISSING_ARG', "'http-check expect' expects [!] status|rstatus|string|rstring PATTERN");
  if (!kinds.includes(kind)) {
    const unsupported = ['hdr', 'fhdr', 'custom', 'binary', 'rbinary', 'string-lf', 'binary-lf'].includes(kind);
    return void err(
      ctx,
      unsupported ? 'CFG_UNSUPPORTED' : 'CFG_UNKNOWN_KEYWORD',
      `'http-check expect': ${unsupported ? `'${kind}' matching is not supported` : `unknown match '${kind}'${didYouMean(kind, kinds)}`} (use status, rstatus, string or rstring)`,
    );
  }
  if (pattern === undefined) return void err(ctx, 'CFG_MISSING_ARG', `'http-check expect ${kind}' expects a pattern`);
  if (a.length > i + 2)
    return void err(ctx, 'CFG_EXTRA_ARGS', `'http-check expect ${kind}': unexpected argument '${a[i + 2]}'`);
  if (kind === 'status' && !STATUS_LIST.test(pattern)) {
    return void err(
      ctx,
      'CFG_BAD_VALUE',
      `'http-check expect status' expects a status code, a range or a list (e.g. 200, 200-399, 200,302), got '${pattern}'`,
    );
  }
  if (kind === 'rstatus' || kind === 'rstring') {
    try {
      new RegExp(pattern);
    } catch (e) {
      return void err(
        ctx,
        'CFG_BAD_VALUE',
        `'http-check expect ${kind}': invalid regular expression '${pattern}': ${(e as Error).message}`,
      );
    }
  }
  ownRules(s);
  s.checkRules.expect.push({
    negate,
    kind: kind as HttpCheckModel['expect'][number]['kind'],
    pattern,
    loc: { ...ctx.loc },
  });
  s.checkRulesLoc ??= { ...ctx.loc };
}

/** `http-check send|expect|disable-on-404|connect|send-state`. */
export function parseHttpCheck(ctx: LineCtx, s: SectionState): void {
  const sub = ctx.args[1];
  const subs = ['send', 'expect', 'disable-on-404', 'connect', 'send-state', 'comment'];
  switch (sub) {
    case 'send':
      send(ctx, s);
      return;
    case 'expect':
      expect(ctx, s);
      return;
    case 'disable-on-404':
      if (ctx.args.length > 2)
        return void err(ctx, 'CFG_EXTRA_ARGS', `'http-check disable-on-404' takes no argument, got '${ctx.args[2]}'`);
      ownRules(s);
      s.checkRules.disableOn404 = true;
      s.checkRulesLoc ??= { ...ctx.loc };
      return;
    case 'connect':
      if (ctx.args.length > 2)
        warn(
          ctx,
          'CFG_IGNORED_KEYWORD',
          `'http-check connect': options ignored (${ctx.args.slice(2).join(' ')}): checks connect to the server's check address and port`,
        );
      return;
    case 'send-state':
      return void warn(
        ctx,
        'CFG_IGNORED_KEYWORD',
        "'http-check send-state' ignored: the X-Haproxy-Server-State header is not sent",
      );
    case 'comment':
      return;
  }
  err(
    ctx,
    'CFG_UNKNOWN_KEYWORD',
    `unknown 'http-check ${sub ?? ''}'${didYouMean(sub ?? '', subs)} (expected send, expect, disable-on-404 or connect)`,
  );
}

/** Applies `http-check send/expect/disable-on-404` onto `option httpchk` once the proxy is complete. */
export function finishHttpCheck(
  s: SectionState,
  warnNoHttpchk: (loc: SectionState['model']['loc'], msg: string) => void,
): void {
  const c = s.model.options.httpchk;
  const hasRules = s.checkSend || s.checkRules.expect.length > 0 || s.checkRules.disableOn404;
  if (!c) {
    if (hasRules) {
      const loc = s.checkSend?.loc ?? s.checkRulesLoc ?? s.model.loc;
      warnNoHttpchk(loc, `'http-check' rules of ${s.kind} '${s.name}' are ignored because 'option httpchk' is not set`);
    }
    return;
  }
  const send = s.checkSend;
  if (send) {
    if (send.method) c.method = send.method;
    if (send.uri) c.uri = send.uri;
    if (send.version) c.version = send.version;
    if (send.headers.length)
      c.headers = [
        ...c.headers.filter(([n]) => !send.headers.some(([m]) => m.toLowerCase() === n.toLowerCase())),
        ...send.headers,
      ];
    if (send.body !== undefined) c.body = send.body;
  }
  c.expect = [...s.checkRules.expect];
  c.disableOn404 = s.checkRules.disableOn404;
}
