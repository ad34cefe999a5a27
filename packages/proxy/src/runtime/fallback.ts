/**
 * TEMPORARY local stand-ins for acl/ and selection/ until those land (removed before finishing).
 */
import type { AclModel, ConditionModel, Diagnostic, SourceLoc } from '@switchyard/config';
import type { CompiledCondition } from '../acl/types.ts';
import type { Selector } from '../selection/types.ts';
import type { HttpTxn } from '../txn.ts';
import { isUsable, type ServerState } from './server-state.ts';
import type { BackendRuntime } from './types.ts';

export type AclTable = Map<string, CompiledCondition>;

function hostOf(txn: HttpTxn): string {
  for (let i = 0; i < txn.rawHeaders.length; i += 2)
    if (txn.rawHeaders[i].toLowerCase() === 'host') return txn.rawHeaders[i + 1];
  return '';
}

export function compileAcls(acls: AclModel[], diags: Diagnostic[]): AclTable {
  const t: AclTable = new Map();
  for (const a of acls) {
    const pats = a.args.filter((x) => !x.startsWith('-'));
    let fn: CompiledCondition;
    if (a.criterion === 'hdr_dom(host)' || a.criterion === 'hdr_end(host)' || a.criterion === 'hdr(host)') {
      fn = (txn) => {
        const h = hostOf(txn).toLowerCase().split(':')[0];
        return pats.some((p) => h === p || h.endsWith(`.${p}`));
      };
    } else if (a.criterion === 'path_beg') fn = (txn) => pats.some((p) => txn.path.startsWith(p));
    else {
      diags.push({ severity: 'error', code: 'ACL_UNKNOWN', message: `fallback acl: ${a.criterion}`, loc: a.loc });
      fn = () => false;
    }
    const prev = t.get(a.name);
    t.set(a.name, prev ? (x) => prev(x) || fn(x) : fn);
  }
  return t;
}

export function compileCondition(cond: ConditionModel, table: AclTable, diags: Diagnostic[]): CompiledCondition {
  const parts: Array<[boolean, CompiledCondition]> = [];
  let neg = false;
  for (let i = 0; i < cond.terms.length; i++) {
    const t = cond.terms[i];
    if (t === '!') {
      neg = true;
      continue;
    }
    let fn: CompiledCondition | undefined;
    if (t === '{' && cond.terms[i + 1] === 'ssl_fc' && cond.terms[i + 2] === '}') {
      fn = (x) => x.ssl;
      i += 2;
    } else if (t === 'TRUE') fn = () => true;
    else if (t === 'FALSE') fn = () => false;
    else fn = table.get(t);
    if (!fn) {
      diags.push({ severity: 'error', code: 'ACL_UNKNOWN', message: `unknown acl '${t}'`, loc: cond.loc });
      fn = () => false;
    }
    parts.push([neg, fn]);
    neg = false;
  }
  const all: CompiledCondition = (x) => parts.every(([n, f]) => f(x) !== n);
  return cond.polarity === 'unless' ? (x) => !all(x) : all;
}

export function compileLogFormat(fmt: string, _loc: SourceLoc, _diags: Diagnostic[]): (txn: HttpTxn) => string {
  if (fmt === '%[src]') return (t) => t.srcIp;
  return () => fmt;
}

export function createSelector(backend: BackendRuntime): Selector {
  let i = 0;
  return {
    pick(_txn: HttpTxn, exclude?: ServerState) {
      const usable = backend.servers.filter((s) => isUsable(s) && !s.backup);
      const pool = usable.length ? usable : backend.servers.filter((s) => isUsable(s) && s.backup);
      if (!pool.length) return null;
      for (let k = 0; k < pool.length; k++) {
        const s = pool[i++ % pool.length];
        if (s !== exclude || pool.length === 1) return s;
      }
      return pool[0];
    },
    update() {},
  };
}
