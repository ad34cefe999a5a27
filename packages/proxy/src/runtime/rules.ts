/** Compiles `http-request`, `http-response` and `redirect` rules of one proxy (once per load). */

import type { CaptureRuleModel, HttpRuleModel, RedirectModel, SourceLoc, VarRuleModel } from '@switchyard/config';
import { compileFetch, type RulePhase } from '../acl/index.ts';
import { boundedRegex } from '../acl/regex.ts';
import type { CompiledCondition, FetchFn } from '../acl/types.ts';
import { parseVarName, type VarAction } from '../acl/vars.ts';
import type { HttpCache } from '../model/http-cache.ts';
import { loadedRef } from '../model/pattern-refs.ts';
import { httpGetReason } from '../model/reasons.ts';
import type { CompileContext } from './build.ts';
import { defaultErrorPage, ErrorFileError, parseErrorFile } from './error-pages.ts';
import type {
  CannedResponse,
  CompiledMapRule,
  CompiledRedirect,
  CompiledReplaceHeader,
  CompiledRequestRule,
  CompiledResponseRule,
  ValueFn,
} from './plan.ts';

/**
 * A `deny`/`return` response: the proxy's error page for the status unless a body, a type or a
 * `hdr` is given (then the body given, maybe empty). `hdr` values are added per request (hdrFns).
 */
function canned(
  ctx: CompileContext,
  status: number,
  contentType: string | undefined,
  body: string | undefined,
  custom: boolean,
  errorfile?: { raw: string; loc: SourceLoc },
): CannedResponse {
  // `errorfile FILE` / `errorfiles NAME`: the file's response as it is, whatever the status said
  if (errorfile !== undefined) {
    try {
      return parseErrorFile(errorfile.raw);
    } catch (e) {
      if (!(e instanceof ErrorFileError)) throw e;
      ctx.diags.push({ severity: 'error', code: e.code, message: e.message, loc: errorfile.loc });
    }
  }
  if (body === undefined && contentType === undefined && !custom) {
    return ctx.errorPages.get(status) ?? defaultErrorPage(status);
  }
  const buf = Buffer.from(body ?? '');
  const h: Array<[string, string]> = [['content-length', String(buf.length)]];
  if (contentType) h.push(['content-type', contentType]);
  // haproxy's http_reply_to_htx: the reason of http_get_reason, not the error page's
  return { status, reason: httpGetReason(status), headers: h, body: buf };
}

/** The reply of a deny/return rule: its error file, its body, or empty when it has neither. */
function replyOf(
  ctx: CompileContext,
  r: {
    status: number;
    contentType?: string;
    body?: string;
    empty?: true;
    headers: unknown[];
    errorfile?: string;
    loc: SourceLoc;
  },
): CannedResponse {
  return canned(ctx, r.status, r.contentType, r.body, r.empty === true || r.headers.length > 0, errorfileOf(r));
}

function errorfileOf(r: { errorfile?: string; loc: SourceLoc }): { raw: string; loc: SourceLoc } | undefined {
  return r.errorfile === undefined ? undefined : { raw: r.errorfile, loc: r.loc };
}

/** `hdr NAME FMT` of deny/return: log-format values, evaluated per request. */
function hdrFns(
  ctx: CompileContext,
  headers: Array<[string, string]>,
  loc: SourceLoc,
): Array<[string, ValueFn]> | undefined {
  // HTX keeps header names lower case, so haproxy sends `hdr X-A` as `x-a`
  return headers.length === 0 ? undefined : headers.map(([n, v]) => [n.toLowerCase(), ctx.logFormat(v, loc)]);
}

/** A `replace-*` regex (bounded, see acl/regex.ts), or undefined after reporting why it is refused. */
function ruleRegex(source: string, loc: SourceLoc, ctx: CompileContext): RegExp | undefined {
  const re = boundedRegex(source);
  if (typeof re !== 'string') return re;
  ctx.diags.push({ severity: 'error', code: 'CFG_BAD_VALUE', message: re, loc });
  return undefined;
}

/** Compiles a variable rule; the name was checked by the config parser. Undefined on a bad expression. */
export function compileVarRule<C = CompiledCondition>(
  r: VarRuleModel,
  ctx: CompileContext,
  phase: RulePhase,
  cond: C | undefined,
): { action: 'var'; var: VarAction; cond?: C } | undefined {
  const ref = parseVarName(r.name);
  if (typeof ref === 'string') throw new Error(`variable name '${r.name}' passed the config parser: ${ref}`);
  if (r.action === 'unset-var') return { action: 'var', var: { ref, conds: r.conds }, cond };
  const expr = r.expr ?? '';
  const value =
    r.action === 'set-var-fmt' ? ctx.logFormat(expr, r.loc, phase) : compileFetch(expr, r.loc, ctx.diags, phase);
  return value ? { action: 'var', var: { ref, conds: r.conds, value }, cond } : undefined;
}

/**
 * Compiles a `set-map`/`del-map`/`add-acl`/`del-acl` rule. As haproxy, the file is the one a map
 * converter or an ACL `-f` of the configuration loaded (found when the rule runs); a file nothing
 * loaded makes the rule do nothing.
 */
function compileMapRule(
  r: Extract<HttpRuleModel, { action: 'set-map' | 'del-map' | 'add-acl' | 'del-acl' }>,
  ctx: CompileContext,
  phase: RulePhase,
  cond: CompiledCondition | undefined,
): CompiledMapRule {
  const key = ctx.logFormat(r.key, r.loc, phase);
  const value = r.value === undefined ? undefined : ctx.logFormat(r.value, r.loc, phase);
  return { action: 'map', edit: r.action, ref: loadedRef(r.file), key, value, cond };
}

/** Compiles one http-request rule; `index` is its position (track-sc hooks get it). */
export function compileRequestRule(
  r: HttpRuleModel,
  index: number,
  ctx: CompileContext,
): CompiledRequestRule | undefined {
  const cond = ctx.cond(r.cond);
  switch (r.action) {
    case 'set-var':
    case 'set-var-fmt':
    case 'unset-var':
      return compileVarRule(r, ctx, 'request', cond);
    case 'set-map':
    case 'del-map':
    case 'add-acl':
    case 'del-acl':
      return compileMapRule(r, ctx, 'request', cond);
    case 'allow':
    case 'reject':
    case 'disable-l7-retry':
      return { action: r.action, cond };
    case 'cache-use':
      return { action: r.action, cache: ctx.caches.get(r.cache) as HttpCache, cond };
    case 'replace-header':
    case 'replace-value':
      return replaceHeaderRule(r, ctx, 'request', cond);
    case 'replace-path':
    case 'replace-pathq':
    case 'replace-uri': {
      const re = ruleRegex(r.match, r.loc, ctx);
      return re && { action: r.action, re, replace: ctx.logFormat(r.replace, r.loc), cond };
    }
    case 'deny':
      return {
        action: 'deny',
        response: replyOf(ctx, r),
        hdrFns: hdrFns(ctx, r.headers, r.loc),
        cond,
      };
    case 'tarpit':
      return { action: 'tarpit', response: canned(ctx, r.status, undefined, undefined, r.empty === true), cond };
    case 'auth': {
      // HAProxy writes the proxy's 401 reply, drops its WWW-Authenticate headers, then adds its own
      const page = canned(ctx, 401, undefined, undefined, false);
      const headers = page.headers.filter(([n]) => n.toLowerCase() !== 'www-authenticate');
      headers.push(['www-authenticate', `Basic realm="${r.realm ?? ctx.proxyName}"`]);
      return { action: 'auth', response: { ...page, headers }, cond };
    }
    case 'redirect':
      return { action: 'redirect', redirect: compileRedirect(r.redirect, ctx), cond };
    case 'set-header':
    case 'add-header':
      return {
        action: r.action,
        name: r.name,
        lname: r.name.toLowerCase(),
        value: ctx.logFormat(r.value, r.loc),
        cond,
      };
    case 'del-header':
      return { action: 'del-header', lname: r.name.toLowerCase(), cond };
    case 'return': {
      const response = replyOf(ctx, r);
      // lf-string / lf-file: the body is a log-format evaluated per request
      const bodyFn = r.lf && r.body !== undefined ? ctx.logFormat(r.body, r.loc) : undefined;
      return { action: 'return', response, bodyFn, hdrFns: hdrFns(ctx, r.headers, r.loc), cond };
    }
    case 'use-service':
      return { action: 'use-service', service: r.service, cond };
    case 'track-sc':
      return { action: 'track-sc', index, cond };
    case 'set-path':
    case 'set-pathq':
    case 'set-query':
    case 'set-uri':
    case 'set-method':
      return { action: r.action, value: ctx.logFormat(r.value, r.loc), cond };
    case 'set-status':
      return { action: 'set-status', status: r.status, reason: r.reason ?? httpGetReason(r.status), cond };
    case 'capture':
      return compileCaptureRule(r, ctx, 'request', cond);
  }
}

/** `capture SAMPLE ...`: the sample is fetched when the rule runs (undefined on a bad expression). */
export function compileCaptureRule<C>(
  r: CaptureRuleModel,
  ctx: CompileContext,
  phase: RulePhase,
  cond: C | undefined,
): { action: 'capture'; value: FetchFn; id: number; cond?: C } | undefined {
  const value = compileFetch(r.sample, r.loc, ctx.diags, phase);
  return value ? { action: 'capture', value, id: r.id, cond } : undefined;
}

/** Compiles one http-response rule; actions that only exist on requests are reported. */
export function compileResponseRule(r: HttpRuleModel, ctx: CompileContext): CompiledResponseRule | undefined {
  const cond = ctx.cond(r.cond, 'response');
  switch (r.action) {
    case 'set-var':
    case 'set-var-fmt':
    case 'unset-var':
      return compileVarRule(r, ctx, 'response', cond);
    case 'set-map':
    case 'del-map':
    case 'add-acl':
    case 'del-acl':
      return compileMapRule(r, ctx, 'response', cond);
    case 'cache-store':
      return { action: r.action, cache: ctx.caches.get(r.cache) as HttpCache, cond };
    case 'set-header':
    case 'add-header':
      return {
        action: r.action,
        name: r.name,
        lname: r.name.toLowerCase(),
        value: ctx.logFormat(r.value, r.loc, 'response'),
        cond,
      };
    case 'del-header':
      return { action: 'del-header', lname: r.name.toLowerCase(), cond };
    case 'replace-header':
    case 'replace-value':
      return replaceHeaderRule(r, ctx, 'response', cond);
    case 'set-status':
      return { action: 'set-status', status: r.status, reason: r.reason ?? httpGetReason(r.status), cond };
    case 'deny':
      return {
        action: 'deny',
        response: canned(ctx, r.status, r.contentType, r.body, r.empty === true, errorfileOf(r)),
        cond,
      };
    case 'allow':
      return { action: 'allow', cond };
    case 'capture':
      return compileCaptureRule(r, ctx, 'response', cond);
    default:
      ctx.diags.push({
        severity: 'error',
        code: 'CFG_BAD_RESPONSE_RULE',
        message: `'http-response ${r.action}' is not supported (only on http-request)`,
        loc: r.loc,
      });
      return undefined;
  }
}

function replaceHeaderRule(
  r: Extract<HttpRuleModel, { action: 'replace-header' | 'replace-value' }>,
  ctx: CompileContext,
  phase: RulePhase,
  cond: CompiledCondition | undefined,
): CompiledReplaceHeader | undefined {
  const re = ruleRegex(r.match, r.loc, ctx);
  if (!re) return undefined;
  return {
    action: r.action,
    lname: r.name.toLowerCase(),
    re,
    replace: ctx.logFormat(r.replace, r.loc, phase),
    cond,
  };
}

/** Compiles a redirect; `location`/`prefix` values are log-format strings as in HAProxy. */
export function compileRedirect(r: RedirectModel, ctx: CompileContext): CompiledRedirect {
  const value: ValueFn = r.type === 'scheme' ? () => r.value : ctx.logFormat(r.value, r.loc);
  return { model: r, code: r.code, value };
}
