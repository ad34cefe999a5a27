/** response_filter phase: a proxy's `http-response` rules on the server's response headers. */

import type { HttpTxnResponse } from '../acl/types.ts';
import { runVarAction } from '../acl/vars.ts';
import { editByAction } from '../model/pattern-refs.ts';
import type { HttpTxn } from '../model/txn.ts';
import type { BackendPlan, CompiledResponseRule } from '../runtime/plan.ts';
import { storeCapture } from './capture.ts';
import { deleteHeader, replaceHeader, setHeader } from './headers.ts';
import type { Stream } from './stream.ts';

/**
 * `http-after-response` rules on any response about to be written, the backend's then the
 * frontend's (before a backend is chosen, the frontend's only), as HAProxy's
 * http_eval_after_res_rules. Returns the status and reason when set-status matched.
 */
export function applyAfterResponseRules(s: Stream, headers: string[], status: number): [number, string] | undefined {
  const fe = s.fe;
  const be = s.be;
  let out: [number, string] | undefined;
  if (be && be.afterResponseRules.length > 0) out = applyResponseRules(s, be.afterResponseRules, headers, status);
  if ((!be || be.model !== fe.model) && fe.afterResponseRules.length > 0) {
    const o = applyResponseRules(s, fe.afterResponseRules, headers, out ? out[0] : status);
    if (o) out = o;
  }
  return out;
}

/** True when a response would run http-after-response rules (so the caller copies what they edit). */
export function hasAfterResponseRules(s: Stream): boolean {
  return s.fe.afterResponseRules.length > 0 || (s.be !== undefined && s.be.afterResponseRules.length > 0);
}

/** Runs http-response rules on `headers`; returns a new status when set-status matched. */
export function applyResponseRules(
  s: Stream,
  rules: CompiledResponseRule[],
  headers: string[],
  status: number,
): [number, string] | undefined {
  let out: [number, string] | undefined;
  const txn = s.txn as HttpTxn & HttpTxnResponse;
  // response fetches (`status`, `res.hdr()`) read these
  txn.status = status;
  txn.resHeaders = headers;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (r.cond !== undefined && !r.cond(txn)) continue;
    switch (r.action) {
      case 'allow':
        return out;
      case 'var':
        runVarAction(txn, r.var);
        break;
      case 'map':
        editByAction(r.ref(), r.edit, r.key(txn), r.value?.(txn));
        break;
      case 'replace-header':
      case 'replace-value':
        replaceHeader(headers, r.lname, r.re, r.replace(txn), r.action === 'replace-value');
        break;
      case 'set-header':
        setHeader(headers, r.name, r.lname, r.value(txn));
        break;
      case 'add-header':
        headers.push(r.name, r.value(txn));
        break;
      case 'del-header':
        deleteHeader(headers, r.lname);
        break;
      case 'set-status':
        out = [r.status, r.reason ?? ''];
        txn.status = r.status;
        break;
      case 'deny':
        s.fe.counters.dresp++;
        (s.be as BackendPlan).counters.dresp++;
        s.cutUpstream('response denied');
        s.respond(r.response, 'PH', true);
        return out;
      case 'capture':
        storeCapture(txn, 'response', r.id, r.value(txn));
        break;
    }
  }
  return out;
}
