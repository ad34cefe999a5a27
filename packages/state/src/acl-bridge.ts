/**
 * The ACL package's compilers, used for stick keys and stick-rule conditions (the same compilers
 * the runtime builder uses, so keys and conditions mean the same everywhere).
 */
import type { Diagnostic, ProxyModel } from '@switchyard/config';
import { type AclTable, compileAcls, compileCondition, compileFetch } from '@switchyard/proxy';
import type { StateCompiler } from './plan.ts';

/** A StateCompiler over the ACL package; problems are reported into the plan's diagnostics. */
export function aclCompiler(): StateCompiler {
  const tables = new WeakMap<ProxyModel, AclTable>();
  return {
    fetch(expr, loc, diags) {
      return compileFetch(expr, loc, diags);
    },
    cond(c, proxy, diags) {
      let acls = tables.get(proxy);
      if (!acls) {
        // the runtime builder already reported problems in the ACL lines themselves
        const ignored: Diagnostic[] = [];
        acls = compileAcls(proxy.acls, ignored);
        tables.set(proxy, acls);
      }
      return compileCondition(c, acls, diags);
    },
  };
}
