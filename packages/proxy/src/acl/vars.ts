/**
 * Variables (HAProxy 2.6 vars.c): `set-var(SCOPE.NAME[,COND...]) EXPR`, `set-var-fmt`, `unset-var`
 * and the `var(SCOPE.NAME[,DEFAULT])` fetch. Scopes: `proc` (this process), `sess` (the client
 * connection), `txn` (one request and its response), `req` / `res` (the request analysis, then the
 * response analysis: the datapath clears them before the http-response rules, as HAProxy does).
 * Values keep their sample type (string, integer, boolean).
 */
import { varNameError } from '@switchyard/config';
import { existingSessionVars, type HttpTxn, sessionVars } from '../model/txn.ts';
import type { Scalar } from './cast.ts';
import type { FetchDef, FetchFn } from './types.ts';

export type VarScope = 'proc' | 'sess' | 'txn' | 'req' | 'res' | 'check';

/** A parsed variable name: `scope` plus the full `scope.name` key its store uses. */
export interface VarRef {
  scope: VarScope;
  key: string;
}

/** Parses `scope.name` (checked by the config parser with HAProxy's messages). */
export function parseVarName(text: string): VarRef | string {
  const bad = varNameError(text);
  if (bad) return bad;
  const dot = text.indexOf('.');
  const scope = text.slice(0, dot) as VarScope;
  // `req.` and `res.` are one store in HAProxy (vars_reqres), pruned between the two analyses
  return { scope, key: scope === 'res' ? `req.${text.slice(dot + 1)}` : text };
}

/** Process-wide variables (`proc.` scope); one set per worker process. */
const PROC_VARS = new Map<string, Scalar>();

/** The store of `ref`'s scope for this transaction (created when `create`). */
function storeOf(txn: HttpTxn, ref: VarRef, create: boolean): Map<string, Scalar> | undefined {
  switch (ref.scope) {
    case 'proc':
      return PROC_VARS;
    case 'sess':
      // the connection's map may have been made since this transaction began (another stream of it)
      if (!txn.sessVars && txn.sessConn) txn.sessVars = existingSessionVars(txn.sessConn);
      if (!txn.sessVars && create) txn.sessVars = txn.sessConn ? sessionVars(txn.sessConn) : new Map();
      return txn.sessVars;
    case 'check':
      return undefined;
    default:
      if (!txn.vars && create) txn.vars = new Map();
      return txn.vars;
  }
}

/** The value of a variable, or undefined. */
export function getVar(txn: HttpTxn, ref: VarRef): Scalar | undefined {
  return storeOf(txn, ref, false)?.get(ref.key);
}

function isEmpty(v: Scalar): boolean {
  return typeof v === 'string' && v.length === 0;
}

/** Sets a variable unless one of `conds` forbids it (HAProxy's var_set conditions). */
export function setVar(txn: HttpTxn, ref: VarRef, v: Scalar, conds: readonly string[]): void {
  const store = storeOf(txn, ref, true);
  if (!store) return;
  const old = store.get(ref.key);
  for (const c of conds) {
    switch (c) {
      case 'ifexists':
      case 'ifset':
        if (old === undefined) return;
        break;
      case 'ifnotexists':
      case 'ifnotset':
        if (old !== undefined) return;
        break;
      case 'ifempty':
        if (!isEmpty(v)) return;
        break;
      case 'ifnotempty':
        if (isEmpty(v)) return;
        break;
      case 'ifgt':
        // set only when the variable holds an integer greater than the new one
        if (typeof old !== 'number' || typeof v !== 'number' || !(old > v)) return;
        break;
      case 'iflt':
        if (typeof old !== 'number' || typeof v !== 'number' || !(old < v)) return;
        break;
    }
  }
  store.set(ref.key, v);
}

export function unsetVar(txn: HttpTxn, ref: VarRef): void {
  storeOf(txn, ref, false)?.delete(ref.key);
}

/** Drops the `req`/`res` variables (HAProxy prunes them between request and response analysis). */
export function pruneReqVars(txn: HttpTxn): void {
  const m = txn.vars;
  if (!m) return;
  for (const k of m.keys()) if (k.charCodeAt(0) === 114 /* r */ && k.startsWith('req.')) m.delete(k);
}

/** The `var(name[,default])` fetch. */
export const VAR_FETCH: FetchDef = {
  type: 'any',
  minArgs: 1,
  maxArgs: 2,
  create(args): FetchFn | string {
    const ref = parseVarName(args[0]);
    if (typeof ref === 'string') return ref;
    const dflt = args[1];
    if (ref.scope === 'check') return () => dflt;
    return (txn) => getVar(txn, ref) ?? dflt;
  },
};

/** A compiled `set-var` / `set-var-fmt` / `unset-var` action (http and tcp rules alike). */
export interface VarAction {
  ref: VarRef;
  conds: readonly string[];
  /** The value to set; undefined for unset-var. A fetch without a sample sets nothing. */
  value?: (txn: HttpTxn) => Scalar | string[] | undefined;
}

/** Runs a variable action on `txn`. */
export function runVarAction(txn: HttpTxn, a: VarAction): void {
  if (!a.value) {
    unsetVar(txn, a.ref);
    return;
  }
  const v = a.value(txn);
  if (v === undefined) return;
  setVar(txn, a.ref, Array.isArray(v) ? (v[v.length - 1] ?? '') : v, a.conds);
}
