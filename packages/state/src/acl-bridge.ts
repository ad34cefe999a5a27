/**
 * The ACL package's compilers and fetch registry, used for stick keys, stick-rule conditions and
 * to register the stick-counter fetches.
 *
 * Imported by relative path because @switchyard/proxy does not re-export its acl/ folder yet
 * (only its types); it is the same module instance the runtime builder uses, so the registry is
 * shared. Replace with `from '@switchyard/proxy'` once proxy's index exports acl/index.ts.
 */
import type { Diagnostic, ProxyModel } from '@switchyard/config';
import { compileAcls, compileCondition, compileFetch, registerFetch } from '../../proxy/src/acl/index.ts';
import type { AclTable } from '../../proxy/src/acl/types.ts';
import type { StateCompiler } from './plan.ts';

export { registerFetch };

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
