/**
 * request_filter phase: a proxy's `http-request` rules in order, `redirect` rules, the stats
 * page and `use-service`. Each function answers the request itself when a rule ends it.
 */

import type { ServerResponse } from 'node:http';
import type { StatsModel } from '@switchyard/config';
import { expandMatch } from '../acl/regex.ts';
import { pruneReqVars, runVarAction } from '../acl/vars.ts';
import { editByAction } from '../model/pattern-refs.ts';
import { type HttpTxn, makeTxn, originForm } from '../model/txn.ts';
import type { CannedResponse, CompiledRedirect, ProxyBehaviour, ValueFn } from '../runtime/plan.ts';
import { storeCapture } from './capture.ts';
import { deleteHeader, getHeader, replaceHeader, setHeader } from './headers.ts';
import { Phase } from './phase.ts';
import { applyAfterResponseRules, hasAfterResponseRules } from './response-filter.ts';
import type { Stream } from './stream.ts';

/** Runs a proxy's http-request rules; false when the request was answered. */
export function requestFilter(s: Stream, p: ProxyBehaviour & { name: string }): boolean {
  const rules = p.requestRules;
  const txn = s.txn;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (r.cond !== undefined && !r.cond(txn)) continue;
    switch (r.action) {
      case 'allow':
        return true;
      case 'var':
        runVarAction(txn, r.var);
        break;
      case 'map':
        editByAction(r.ref(), r.edit, r.key(txn), r.value?.(txn));
        break;
      case 'disable-l7-retry':
        s.l7RetryDisabled = true;
        break;
      case 'reject':
        if (s.be) s.be.counters.dreq++;
        s.reject(s.fe);
        return false;
      case 'replace-header':
      case 'replace-value':
        replaceHeader(txn.rawHeaders, r.lname, r.re, r.replace(txn), r.action === 'replace-value');
        txn.cache = {};
        break;
      case 'replace-path':
      case 'replace-pathq':
      case 'replace-uri': {
        const subject =
          r.action === 'replace-path'
            ? txn.path
            : r.action === 'replace-uri'
              ? txn.url
              : txn.query
                ? `${txn.path}?${txn.query}`
                : txn.path;
        const m = r.re.exec(subject);
        const to = m && expandMatch(m, r.replace(txn));
        if (to != null) rewrite(txn, r.action === 'replace-path' ? 'set-path' : 'set-uri', to);
        break;
      }
      case 'deny':
        s.fe.counters.dreq++;
        if (s.be) s.be.counters.dreq++;
        s.respond(r.hdrFns ? reply(r.response, txn, undefined, r.hdrFns) : r.response, 'PR', false);
        return false;
      case 'auth':
        // as HAProxy: counted as intercepted when the frontend's own rules answered
        if (p.name === s.fe.name) s.fe.counters.intercepted++;
        s.respond(r.response, 'LR', false);
        return false;
      case 'tarpit': {
        // HAProxy holds a tarpitted request for `timeout tarpit` (the connect timeout when
        // unset, which is all the model has) before answering, to slow abusers down.
        s.fe.counters.dreq++;
        if (s.be) s.be.counters.dreq++;
        s.phase = Phase.Tarpit;
        const response = r.response;
        setTimeout(() => s.respond(response, 'PT', true), p.timeouts.connect ?? 0);
        return false;
      }
      case 'redirect':
        redirect(s, r.redirect);
        return false;
      case 'return':
        s.fe.counters.intercepted++;
        s.respond(r.bodyFn || r.hdrFns ? reply(r.response, txn, r.bodyFn, r.hdrFns) : r.response, 'LR', false);
        return false;
      case 'use-service':
        s.fe.counters.intercepted++;
        if (s.ctx.services.prometheus) {
          s.serveBy('<PROMEX>');
          const [req, res] = s.res.forService();
          afterRulesOnService(s, res);
          s.ctx.services.prometheus(req, res, txn);
        } else s.respond(s.errorPage(503), 'PR', false);
        return false;
      case 'set-header':
        setHeader(txn.rawHeaders, r.name, r.lname, r.value(txn));
        txn.cache = {};
        break;
      case 'add-header':
        txn.rawHeaders.push(r.name, r.value(txn));
        txn.cache = {};
        break;
      case 'del-header':
        deleteHeader(txn.rawHeaders, r.lname);
        txn.cache = {};
        break;
      case 'track-sc':
        s.ctx.hooks.trackSc?.(txn, p.name, r.index);
        break;
      case 'set-path':
      case 'set-pathq':
      case 'set-query':
      case 'set-uri':
      case 'set-method':
        rewrite(txn, r.action, r.value(txn));
        break;
      case 'set-status':
        break;
      case 'capture':
        storeCapture(txn, 'request', r.id, r.value(txn));
        break;
    }
  }
  return true;
}

/** A deny/return response or error page made per request: an `lf-string` body, `hdr` values (log-format). */
export function reply(
  base: CannedResponse,
  txn: HttpTxn,
  bodyFn: ValueFn | undefined,
  hdrFns: Array<[string, ValueFn]> | undefined,
): CannedResponse {
  const body = bodyFn ? Buffer.from(bodyFn(txn)) : base.body;
  const headers: Array<[string, string]> = [];
  if (hdrFns) for (const [n, f] of hdrFns) headers.push([n, f(txn)]);
  for (const h of base.headers) headers.push(h[0] === 'content-length' ? [h[0], String(body.length)] : h);
  return { ...base, headers, body };
}

function rewrite(
  txn: HttpTxn,
  action: 'set-path' | 'set-pathq' | 'set-query' | 'set-uri' | 'set-method',
  v: string,
): void {
  if (action === 'set-method') txn.method = v;
  else if (action === 'set-uri' || action === 'set-pathq') {
    const fresh = makeTxn({ ...txn, url: v });
    txn.url = fresh.url;
    txn.path = fresh.path;
    txn.query = fresh.query;
  } else if (action === 'set-path') {
    txn.path = v;
    txn.url = txn.query ? `${v}?${txn.query}` : v;
  } else {
    txn.query = v.startsWith('?') ? v.slice(1) : v;
    txn.url = txn.query ? `${txn.path}?${txn.query}` : txn.path;
  }
  txn.cache = {};
}

export function isStatsRequest(txn: HttpTxn, uri: string): boolean {
  return originForm(txn).startsWith(uri);
}

export function serveStats(s: Stream, stats: StatsModel): void {
  s.fe.counters.intercepted++;
  const h = s.ctx.services.stats;
  if (!h) {
    s.respond(s.errorPage(503), 'PR', false);
    return;
  }
  s.serveBy('<STATS>');
  const [req, res] = s.res.forService();
  afterRulesOnService(s, res);
  h(req, res, s.fe, stats, s.txn);
}

/**
 * `http-after-response` rules on a service's response (stats page, exporter), as HAProxy runs them
 * on its applets' replies: the service's node:http head is edited when it is written.
 */
function afterRulesOnService(s: Stream, res: ServerResponse): void {
  if (!hasAfterResponseRules(s)) return;
  const writeHead = res.writeHead as (this: ServerResponse, status: number, reason?: string) => ServerResponse;
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    const reason = typeof rest[0] === 'string' ? rest[0] : undefined;
    const given = typeof rest[0] === 'string' ? rest[1] : rest[0];
    if (Array.isArray(given)) {
      for (let i = 0; i + 1 < given.length; i += 2) this.appendHeader(String(given[i]), String(given[i + 1]));
    } else if (given && typeof given === 'object') {
      for (const [k, v] of Object.entries(given)) if (v !== undefined) this.setHeader(k, v as string | string[]);
    }
    const flat: string[] = [];
    for (const [k, v] of Object.entries(this.getHeaders())) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const x of v) flat.push(k, x);
      else flat.push(k, String(v));
    }
    pruneReqVars(s.txn);
    const o = applyAfterResponseRules(s, flat, status);
    for (const n of this.getHeaderNames()) this.removeHeader(n);
    for (let i = 0; i < flat.length; i += 2) this.appendHeader(flat[i], flat[i + 1]);
    return o ? writeHead.call(this, o[0], o[1]) : writeHead.call(this, status, reason);
  } as ServerResponse['writeHead'];
}

export function redirect(s: Stream, r: CompiledRedirect): void {
  const m = r.model;
  const txn = s.txn;
  let location: string;
  if (m.type === 'location') location = r.value(txn);
  else if (m.type === 'prefix') {
    let path = m.dropQuery ? txn.path : originForm(txn);
    if (m.appendSlash && !txn.path.endsWith('/'))
      path = m.dropQuery ? `${txn.path}/` : txn.query ? `${txn.path}/?${txn.query}` : `${txn.path}/`;
    const prefix = r.value(txn);
    location = prefix === '/' ? path : prefix + path;
  } else {
    const host = getHeader(txn.rawHeaders, 'host') ?? '';
    const path = m.dropQuery ? txn.path : originForm(txn);
    location = `${r.value(txn)}://${host}${path}`;
  }
  const headers: Array<[string, string]> = [
    ['content-length', '0'],
    ['location', location],
    ['cache-control', 'no-cache'],
  ];
  if (m.setCookie) headers.push(['set-cookie', m.setCookie]);
  if (m.clearCookie) headers.push(['set-cookie', `${m.clearCookie}; Max-Age=0; Expires=Thu, 01-Jan-1970 00:00:01 GMT`]);
  s.fe.counters.intercepted++;
  s.respond({ status: r.code, reason: REDIRECT_REASONS[r.code] ?? 'Found', headers, body: EMPTY }, 'LR', false);
}

const EMPTY = Buffer.alloc(0);
const REDIRECT_REASONS: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
};
