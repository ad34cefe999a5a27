/** `http-request`, `http-response` and `redirect` rules. */
import type { ConditionModel, HttpRuleModel, RedirectModel } from '../model.ts';
import { configPath, err, type LineCtx, type SectionState, splitCondition } from '../state.ts';
import { didYouMean } from '../suggest.ts';
import { parseCaptureRule } from './capture.ts';
import { BE, FE, type ProxyKeyword } from './types.ts';
import { isVarAction, parseVarRule } from './vars.ts';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DENY_CODES = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];
const REDIRECT_CODES = [301, 302, 303, 307, 308];

/** Actions HAProxy has that Switchyard does not implement: refused so nothing is silently skipped. */
const UNSUPPORTED_ACTIONS = [
  'set-log-level',
  'set-nice',
  'set-tos',
  'set-mark',
  'set-src',
  'set-src-port',
  'set-dst',
  'set-dst-port',
  'set-timeout',
  'normalize-uri',
  'early-hint',
  'lua',
  'sc-inc-gpc0',
  'sc-inc-gpc1',
  'sc-set-gpt0',
  'silent-drop',
  'wait-for-body',
  'wait-for-handshake',
  'do-resolve',
  'send-spoe-group',
  'strict-mode',
  'set-priority-class',
  'set-priority-offset',
];

/** Actions of both http-request and http-response, then those of one side only (messages, suggestions). */
const BOTH_SIDES = [
  'allow',
  'deny',
  'redirect',
  'set-header',
  'add-header',
  'del-header',
  'replace-header',
  'replace-value',
  'return',
  'set-var',
  'set-var-fmt',
  'unset-var',
  'set-map',
  'del-map',
  'add-acl',
  'del-acl',
  'capture',
];
const REQUEST_ONLY = [
  'auth',
  'tarpit',
  'use-service',
  'track-sc0',
  'track-sc1',
  'track-sc2',
  'set-path',
  'set-pathq',
  'set-query',
  'set-uri',
  'set-method',
  'reject',
  'disable-l7-retry',
  'cache-use',
  'replace-path',
  'replace-pathq',
  'replace-uri',
];
const RESPONSE_ONLY = ['set-status', 'cache-store'];

function status(ctx: LineCtx, v: string | undefined, allowed: number[] | undefined, what: string): number | undefined {
  if (v === undefined || !/^\d{3}$/.test(v))
    return void err(ctx, 'CFG_BAD_VALUE', `${what} expects a 3-digit status code, got '${v ?? ''}'`);
  const n = Number(v);
  // HAProxy's http_parse_http_reply: "Unexpected status code" outside 200..599
  if (allowed ? !allowed.includes(n) : n < 200 || n > 599) {
    return void err(
      ctx,
      'CFG_BAD_VALUE',
      `${what}: status ${n} is not allowed${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`,
    );
  }
  return n;
}

/** Parses redirect words (`location|prefix|scheme VALUE [code N] ...`) starting at words[0]. */
function redirectFrom(
  ctx: LineCtx,
  words: string[],
  cond: ConditionModel | undefined,
  what: string,
): RedirectModel | undefined {
  const type = words[0];
  const types = ['location', 'prefix', 'scheme'];
  if (!type || !types.includes(type)) {
    return void err(
      ctx,
      type ? 'CFG_BAD_VALUE' : 'CFG_MISSING_ARG',
      `${what} expects location, prefix or scheme${type ? `, got '${type}'${didYouMean(type, types)}` : ''}`,
    );
  }
  const value = words[1];
  if (value === undefined) return void err(ctx, 'CFG_MISSING_ARG', `${what} ${type} expects a value`);
  const r: RedirectModel = {
    type: type as RedirectModel['type'],
    value,
    code: 302,
    dropQuery: false,
    appendSlash: false,
    cond,
    loc: { ...ctx.loc },
  };
  for (let i = 2; i < words.length; i++) {
    const w = words[i];
    if (w === 'code') {
      const c = status(ctx, words[++i], REDIRECT_CODES, `${what} code`);
      if (c === undefined) return undefined;
      r.code = c;
    } else if (w === 'drop-query') r.dropQuery = true;
    else if (w === 'append-slash') r.appendSlash = true;
    else if (w === 'set-cookie' || w === 'clear-cookie') {
      const v = words[++i];
      if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `${what}: '${w}' expects a cookie`);
      if (w === 'set-cookie') r.setCookie = v;
      else r.clearCookie = v;
    } else if (w === 'ignore-empty') {
      r.ignoreEmpty = true;
    } else {
      return void err(
        ctx,
        'CFG_EXTRA_ARGS',
        `${what}: unknown option '${w}'${didYouMean(w, ['code', 'drop-query', 'append-slash', 'set-cookie', 'clear-cookie'])}`,
      );
    }
  }
  return r;
}

const PAYLOAD_ARGS = ['string', 'lf-string', 'file', 'lf-file', 'errorfile', 'errorfiles', 'default-errorfiles'];

/**
 * Reads an errorfile: a complete HTTP response (status line, headers, empty line, body), as
 * HAProxy's http_load_errorfile requires; undefined after reporting why not.
 */
export function readErrorFile(ctx: LineCtx, file: string, what: string): string | undefined {
  if (!ctx.readFile)
    return void err(
      ctx,
      'CFG_FILE_NOT_FOUND',
      `${what}: cannot read '${file}': the configuration was parsed without file access`,
    );
  const text = ctx.readFile(configPath(ctx, file));
  if (text instanceof Error)
    return void err(ctx, 'CFG_FILE_NOT_FOUND', `${what}: error opening file '${file}': ${text.message}`);
  if (!/^HTTP\/1\.[01] \d{3}[^\r\n]*\r?\n/.test(text) || !/\r?\n\r?\n/.test(text))
    return void err(
      ctx,
      'CFG_BAD_VALUE',
      `${what}: '${file}' is not an HTTP response (expected 'HTTP/1.0 503 ...', headers, then an empty line)`,
    );
  return text;
}

type DenyPayload = NonNullable<ReturnType<typeof payload>> & { empty?: true };

/**
 * The arguments of `deny`/`tarpit` as haproxy 2.6's parse_http_deny reads them: none, or a lone
 * `deny_status N`, is the legacy form (the default error file of N, so N must have one); otherwise
 * a leading `deny_status` is read as `status` and the rest as a `return` payload, where a status
 * with no payload and no error file is an empty reply (`empty`).
 */
function denyPayload(ctx: LineCtx, words: string[], what: string): DenyPayload | undefined {
  if (words.length === 1) return { headers: [] as Array<[string, string]> } as DenyPayload;
  if (words[1] === 'deny_status' && words.length <= 3) {
    const n = status(ctx, words[2], undefined, `${what} deny_status`);
    if (n === undefined) return undefined;
    if (!DENY_CODES.includes(n))
      return void err(
        ctx,
        'CFG_BAD_VALUE',
        `${what}: status code '${n}' not handled by default with 'default-errorfiles' argument`,
      );
    return { status: n, headers: [] as Array<[string, string]> } as DenyPayload;
  }
  const rest = words[1] === 'deny_status' ? ['', 'status', ...words.slice(2)] : words;
  const p = payload(ctx, rest, 1, what, 'status');
  if (!p) return undefined;
  return emptyReply(p) ? { ...p, empty: true } : p;
}

/** No body and no error file: haproxy sends an empty reply (HTTP_REPLY_EMPTY) with the status. */
function emptyReply(p: NonNullable<ReturnType<typeof payload>>): boolean {
  return p.body === undefined && p.errorfile === undefined && p.errorfiles === undefined && !p.defaultErrorfiles;
}

/** `return`/`deny` payload: [status N] [content-type T] [string S|lf-string S|file F] [hdr N V]... */
export function payload(
  ctx: LineCtx,
  words: string[],
  start: number,
  what: string,
  statusKw: 'status' | 'deny_status',
  allowed?: number[],
) {
  const out: {
    status?: number;
    contentType?: string;
    body?: string;
    lf?: boolean;
    /** `errorfile FILE`: its content, a complete HTTP response. */
    errorfile?: string;
    /** `errorfiles NAME`. */
    errorfiles?: string;
    defaultErrorfiles?: boolean;
    headers: Array<[string, string]>;
  } = { headers: [] };
  // HAProxy's http_parse_http_reply: one payload argument at most
  let payloadArg: string | undefined;
  for (let i = start; i < words.length; i++) {
    const w = words[i];
    const v = words[i + 1];
    if (PAYLOAD_ARGS.includes(w)) {
      if (payloadArg !== undefined)
        return void err(ctx, 'CFG_BAD_VALUE', `${what}: unexpected '${w}' argument, '${payloadArg}' already defined`);
      payloadArg = w;
    }
    if (w === statusKw) {
      const n = status(ctx, v, allowed, `${what} ${statusKw}`);
      if (n === undefined) return undefined;
      out.status = n;
    } else if (w === 'content-type') {
      if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `${what}: 'content-type' expects a value`);
      out.contentType = v;
    } else if (w === 'string' || w === 'lf-string') {
      if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `${what}: '${w}' expects a text`);
      out.body = v;
      out.lf = w === 'lf-string';
    } else if (w === 'file' || w === 'lf-file') {
      if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `${what}: '${w}' expects a file`);
      if (!ctx.readFile)
        return void err(
          ctx,
          'CFG_FILE_NOT_FOUND',
          `${what}: cannot read '${v}': the configuration was parsed without file access`,
        );
      const text = ctx.readFile(configPath(ctx, v));
      if (text instanceof Error)
        return void err(ctx, 'CFG_FILE_NOT_FOUND', `${what}: cannot read '${v}': ${text.message}`);
      out.body = text;
      out.lf = w === 'lf-file';
    } else if (w === 'hdr') {
      const hv = words[i + 2];
      if (v === undefined || hv === undefined)
        return void err(ctx, 'CFG_MISSING_ARG', `${what}: 'hdr' expects a name and a value`);
      if (!TOKEN.test(v)) return void err(ctx, 'CFG_BAD_VALUE', `${what}: invalid header name '${v}'`);
      out.headers.push([v, hv]);
      i++;
    } else if (w === 'default-errorfiles') {
      out.defaultErrorfiles = true;
      continue;
    } else if (w === 'errorfiles') {
      if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `${what}: 'errorfiles' expects <name> as argument`);
      out.errorfiles = v;
    } else if (w === 'errorfile') {
      if (v === undefined) return void err(ctx, 'CFG_MISSING_ARG', `${what}: 'errorfile' expects <fmt> as argument`);
      const raw = readErrorFile(ctx, v, what);
      if (raw === undefined) return undefined;
      out.errorfile = raw;
    } else {
      return void err(
        ctx,
        'CFG_EXTRA_ARGS',
        `${what}: unknown argument '${w}'${didYouMean(w, [statusKw, 'content-type', 'hdr', ...PAYLOAD_ARGS])}`,
      );
    }
    i++;
  }
  if (out.body !== undefined && !out.contentType)
    return void err(ctx, 'CFG_MISSING_ARG', `${what}: a 'content-type' is required with a body`);
  // as haproxy: a reply taken from error files needs a status those files have
  const from = out.errorfiles !== undefined ? 'errorfiles' : out.defaultErrorfiles ? 'default-errorfiles' : undefined;
  if (from && out.status !== undefined && !DENY_CODES.includes(out.status))
    return void err(
      ctx,
      'CFG_BAD_VALUE',
      `${what}: status code '${out.status}' not handled by default with '${from}' argument`,
    );
  return out;
}

/** Actions of `http-after-response` (HAProxy 2.6), all shared with http-response. */
const AFTER_RESPONSE = [
  'allow',
  'set-header',
  'add-header',
  'del-header',
  'replace-header',
  'replace-value',
  'set-status',
  'set-var',
  'set-var-fmt',
  'unset-var',
];
/** 2.6 after-response actions Switchyard does not have yet. */
const AFTER_RESPONSE_UNSUPPORTED = ['capture', 'strict-mode'];

/** `http-after-response ACTION ...`: the http-response parser, restricted to HAProxy's after-response actions. */
function parseAfterResponseRule(ctx: LineCtx): HttpRuleModel | undefined {
  const action = ctx.args[1] ?? '';
  const base = action.replace(/\(.*$/s, '');
  if (!AFTER_RESPONSE.includes(base)) {
    if (AFTER_RESPONSE_UNSUPPORTED.includes(base))
      return void err(
        ctx,
        'CFG_UNSUPPORTED',
        `'http-after-response ${base}' is not supported yet (supported: ${AFTER_RESPONSE.join(', ')})`,
      );
    if (!action) return void err(ctx, 'CFG_MISSING_ARG', `'http-after-response' expects an action`);
    return void err(
      ctx,
      'CFG_UNKNOWN_KEYWORD',
      `unknown action 'http-after-response ${base}'${didYouMean(base, AFTER_RESPONSE)} (supported: ${AFTER_RESPONSE.join(', ')})`,
    );
  }
  return parseRule(ctx, 'response', 'http-after-response');
}

/** Parses one rule for `http-request` (req) or `http-response` (res). */
function parseRule(ctx: LineCtx, side: 'request' | 'response', kw = `http-${side}`): HttpRuleModel | undefined {
  const what = `'${kw} ${ctx.args[1] ?? ''}'`;
  const split = splitCondition(ctx, 1);
  if (!split) return;
  const { words, cond } = split;
  const action = words[0];
  const loc = { ...ctx.loc };
  if (!action) return void err(ctx, 'CFG_MISSING_ARG', `'${kw}' expects an action`);
  if (isVarAction(action)) {
    const v = parseVarRule(ctx, words, kw);
    return v ? { ...v, cond, loc } : undefined;
  }
  const arity = (n: number): boolean => {
    if (words.length - 1 < n) return err(ctx, 'CFG_MISSING_ARG', `${what} expects ${n} argument${n > 1 ? 's' : ''}`);
    if (words.length - 1 > n)
      return err(ctx, 'CFG_EXTRA_ARGS', `${what}: unexpected argument '${words[n + 1]}' (missing 'if' or 'unless'?)`);
    return true;
  };
  const regex = (v: string): boolean => {
    try {
      new RegExp(v);
      return true;
    } catch (e) {
      return err(ctx, 'CFG_BAD_VALUE', `${what}: invalid regex '${v}': ${(e as Error).message}`);
    }
  };
  const mapAction = /^(set-map|del-map|add-acl|del-acl)\((.*)\)$/s.exec(action);
  if (mapAction) {
    const kind = mapAction[1] as 'set-map' | 'del-map' | 'add-acl' | 'del-acl';
    if (!mapAction[2])
      return void err(
        ctx,
        'CFG_MISSING_ARG',
        `${what}: expects ${kind.endsWith('acl') ? 'an ACL' : 'a map'} file name between parentheses`,
      );
    const n = kind === 'set-map' ? 2 : 1;
    if (words.length - 1 !== n)
      return void err(ctx, 'CFG_MISSING_ARG', `${what}: expects exactly ${n} argument${n > 1 ? 's' : ''}`);
    return { action: kind, file: mapAction[2], key: words[1], value: words[2], cond, loc };
  }
  switch (action) {
    case 'allow':
      return arity(0) ? { action, cond, loc } : undefined;
    case 'reject':
    case 'disable-l7-retry':
      if (side === 'response') break;
      return arity(0) ? { action, cond, loc } : undefined;
    case 'cache-use':
    case 'cache-store':
      if ((action === 'cache-use') !== (side === 'request')) break;
      return arity(1) ? { action, cache: words[1], cond, loc } : undefined;
    case 'replace-header':
    case 'replace-value':
      if (!arity(3) || !regex(words[2])) return undefined;
      if (!TOKEN.test(words[1])) return void err(ctx, 'CFG_BAD_VALUE', `${what}: invalid header name '${words[1]}'`);
      return { action, name: words[1], match: words[2], replace: words[3], cond, loc };
    case 'replace-path':
    case 'replace-pathq':
    case 'replace-uri':
      if (side === 'response') break;
      if (!arity(2) || !regex(words[1])) return undefined;
      return { action, match: words[1], replace: words[2], cond, loc };
    case 'deny': {
      const p = denyPayload(ctx, words, what);
      if (!p) return undefined;
      if (p.headers.length && side === 'response')
        return void err(ctx, 'CFG_UNSUPPORTED', `${what}: 'hdr' is not supported on http-response deny`);
      return {
        action,
        status: p.status ?? (side === 'request' ? 403 : 502),
        contentType: p.contentType,
        body: p.body,
        ...(p.errorfile !== undefined ? { errorfile: p.errorfile } : {}),
        ...(p.errorfiles !== undefined ? { errorfiles: p.errorfiles } : {}),
        headers: p.headers,
        ...(p.empty ? { empty: true } : {}),
        cond,
        loc,
      };
    }
    case 'auth':
      if (side === 'response') break;
      if (words[1] === undefined) return { action, cond, loc };
      if (words[1] !== 'realm')
        return void err(ctx, 'CFG_EXTRA_ARGS', `${what}: expected 'realm NAME', got '${words[1]}'`);
      if (words[2] === undefined) return void err(ctx, 'CFG_MISSING_ARG', `${what}: missing realm value`);
      if (words.length > 3)
        return void err(
          ctx,
          'CFG_EXTRA_ARGS',
          `${what}: unexpected argument '${words[3]}' (missing 'if' or 'unless'?)`,
        );
      return { action, realm: words[2], cond, loc };
    case 'tarpit': {
      if (side === 'response') break;
      const p = denyPayload(ctx, words, what);
      if (!p) return undefined;
      if (p.body !== undefined || p.headers.length || p.errorfile !== undefined || p.errorfiles !== undefined)
        return void err(ctx, 'CFG_UNSUPPORTED', `${what}: only 'status'/'deny_status' is supported on tarpit`);
      return { action, status: p.status ?? 500, ...(p.empty ? { empty: true } : {}), cond, loc };
    }
    case 'redirect': {
      const r = redirectFrom(ctx, words.slice(1), cond, what);
      if (!r) return undefined;
      if (side === 'response' && r.type !== 'location')
        return void err(ctx, 'CFG_BAD_VALUE', `${what}: only 'redirect location' is allowed in http-response`);
      return { action, redirect: r, cond, loc };
    }
    case 'set-header':
    case 'add-header':
      if (!arity(2)) return undefined;
      if (!TOKEN.test(words[1])) return void err(ctx, 'CFG_BAD_VALUE', `${what}: invalid header name '${words[1]}'`);
      return { action, name: words[1], value: words[2], cond, loc };
    case 'del-header':
      if (words[2] === '-m')
        return void err(ctx, 'CFG_UNSUPPORTED', `${what}: '-m' matching is not supported; give the exact header name`);
      if (!arity(1)) return undefined;
      return { action, name: words[1], cond, loc };
    case 'return': {
      const p = payload(ctx, words, 1, what, 'status');
      if (!p) return undefined;
      return {
        action,
        status: p.status ?? 200,
        contentType: p.contentType,
        body: p.body,
        ...(p.lf ? { lf: true } : {}),
        ...(p.errorfile !== undefined ? { errorfile: p.errorfile } : {}),
        ...(p.errorfiles !== undefined ? { errorfiles: p.errorfiles } : {}),
        headers: p.headers,
        ...(emptyReply(p) ? { empty: true as const } : {}),
        cond,
        loc,
      };
    }
    case 'use-service':
      if (side === 'response') break;
      if (!arity(1)) return undefined;
      if (words[1] !== 'prometheus-exporter')
        return void err(
          ctx,
          'CFG_UNSUPPORTED',
          `${what}: unknown service '${words[1]}' (only 'prometheus-exporter' is available)`,
        );
      return { action, service: 'prometheus-exporter', cond, loc };
    case 'track-sc0':
    case 'track-sc1':
    case 'track-sc2': {
      if (side === 'response') break;
      const key = words[1];
      if (!key) return void err(ctx, 'CFG_MISSING_ARG', `${what} expects a key (fetch), e.g. src`);
      let table: string | undefined;
      if (words[2] !== undefined) {
        if (words[2] !== 'table' || !words[3] || words.length > 4)
          return void err(
            ctx,
            'CFG_EXTRA_ARGS',
            `${what}: expected 'table NAME' after the key, got '${words.slice(2).join(' ')}'`,
          );
        table = words[3];
      }
      return { action: 'track-sc', slot: Number(action.slice(-1)), key, table, cond, loc };
    }
    case 'set-path':
    case 'set-pathq':
    case 'set-query':
    case 'set-uri':
    case 'set-method':
      if (side === 'response') break;
      if (!arity(1)) return undefined;
      if (action === 'set-method' && !TOKEN.test(words[1]))
        return void err(ctx, 'CFG_BAD_VALUE', `${what}: invalid method '${words[1]}'`);
      return { action, value: words[1], cond, loc };
    case 'set-status': {
      if (side === 'request') break;
      const n = status(ctx, words[1], undefined, what);
      if (n === undefined) return undefined;
      if (words[2] !== undefined && (words[2] !== 'reason' || words[3] === undefined || words.length > 4)) {
        return void err(ctx, 'CFG_EXTRA_ARGS', `${what}: expected 'reason TEXT' after the status`);
      }
      return { action, status: n, reason: words[3], cond, loc };
    }
  }
  const known = side === 'request' ? [...BOTH_SIDES, ...REQUEST_ONLY] : [...BOTH_SIDES, ...RESPONSE_ONLY];
  // actions with arguments in parentheses (`do-resolve(VAR,RESOLVERS,ipv4)`) are named by their word
  const name = action.replace(/\(.*$/s, '');
  if (UNSUPPORTED_ACTIONS.includes(name) || REQUEST_ONLY.includes(name) || RESPONSE_ONLY.includes(name)) {
    return void err(
      ctx,
      'CFG_UNSUPPORTED',
      `${what}: action '${name}' is not supported in http-${side} (supported: ${known.join(', ')})`,
    );
  }
  err(ctx, 'CFG_UNKNOWN_KEYWORD', `unknown action 'http-${side} ${action}'${didYouMean(action, known)}`);
}

/** `http-request capture SAMPLE len N|id N`, `http-response capture SAMPLE id N`. */
function parseCapture(ctx: LineCtx, s: SectionState, side: 'request' | 'response'): HttpRuleModel | undefined {
  const split = splitCondition(ctx, 1);
  if (!split) return undefined;
  const what = `'http-${side} capture'`;
  const r = parseCaptureRule(ctx, s, split.words, side, what, side === 'request' ? ['len', 'id'] : ['id']);
  return r ? { ...r, cond: split.cond, loc: { ...ctx.loc } } : undefined;
}

export const HTTP_RULE_KEYWORDS: Record<string, ProxyKeyword> = {
  /** Request rules, evaluated in order before routing. */
  'http-request': {
    caps: FE | BE,
    fn: (ctx: LineCtx, s: SectionState) => {
      const r = ctx.args[1] === 'capture' ? parseCapture(ctx, s, 'request') : parseRule(ctx, 'request');
      if (r) s.model.httpRequest.push(r);
    },
  },
  /** Response rules, evaluated in order on the server's response. */
  'http-response': {
    caps: FE | BE,
    fn: (ctx: LineCtx, s: SectionState) => {
      const r = ctx.args[1] === 'capture' ? parseCapture(ctx, s, 'response') : parseRule(ctx, 'response');
      if (r) s.model.httpResponse.push(r);
    },
  },
  /** Rules on every response (the server's and the proxy's own), after http-response. */
  'http-after-response': {
    caps: FE | BE,
    fn: (ctx: LineCtx, s: SectionState) => {
      const r = parseAfterResponseRule(ctx);
      if (r) s.model.httpAfterResponse.push(r);
    },
  },
  /** `redirect location|prefix|scheme VALUE [code N] [drop-query] [append-slash] [set-cookie X] [clear-cookie X] [if|unless COND]`. */
  redirect: {
    caps: FE | BE,
    fn: (ctx: LineCtx, s: SectionState) => {
      const split = splitCondition(ctx, 1);
      if (!split) return;
      const { words, cond } = split;
      const r = redirectFrom(ctx, words, cond, "'redirect'");
      if (r) s.model.redirects.push(r);
    },
  },
};
