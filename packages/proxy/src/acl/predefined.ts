/**
 * HAProxy 2.6's predefined ACLs (acl.c `default_acl_list`), usable in any condition unless the
 * proxy defines an ACL of the same name.
 */
import type { SourceLoc } from '@switchyard/config';
import { compileAclLine } from './compile-acl.ts';
import type { CompiledCondition } from './types.ts';

/** name -> [criterion, ...args] */
export const PREDEFINED_ACLS: ReadonlyMap<string, readonly string[]> = new Map([
  ['TRUE', ['always_true']],
  ['FALSE', ['always_false']],
  ['LOCALHOST', ['src', '127.0.0.1/8']],
  ['HTTP', ['req.proto_http']],
  ['HTTP_1.0', ['req.ver', '1.0']],
  ['HTTP_1.1', ['req.ver', '1.1']],
  ['HTTP_2.0', ['req.ver', '2.0']],
  ['HTTP_CONTENT', ['req.hdr_val(content-length)', 'gt', '0']],
  ['HTTP_URL_ABS', ['url_reg', '^[^/:]*://']],
  ['HTTP_URL_SLASH', ['url_beg', '/']],
  ['HTTP_URL_STAR', ['url', '*']],
  ['METH_CONNECT', ['method', 'CONNECT']],
  ['METH_DELETE', ['method', 'DELETE']],
  ['METH_GET', ['method', 'GET', 'HEAD']],
  ['METH_HEAD', ['method', 'HEAD']],
  ['METH_OPTIONS', ['method', 'OPTIONS']],
  ['METH_POST', ['method', 'POST']],
  ['METH_PUT', ['method', 'PUT']],
  ['METH_TRACE', ['method', 'TRACE']],
  ['REQ_CONTENT', ['req.len', 'gt', '0']],
  ['WAIT_END', ['wait_end']],
  ['RDP_COOKIE', ['req.rdp_cookie_cnt', 'gt', '0']],
]);

/** Per proxy (its ACL table), as haproxy adds a predefined ACL to the proxy on first use. */
const compiled = new WeakMap<object, Map<string, CompiledCondition>>();

/**
 * The compiled predefined ACL `name` for the proxy of `table`, or undefined when there is no such
 * predefined ACL. Its pattern reference is made where it is first used (`show acl` names that line).
 */
export function predefinedAcl(name: string, loc: SourceLoc, table: object): CompiledCondition | undefined {
  let mine = compiled.get(table);
  const hit = mine?.get(name);
  if (hit) return hit;
  const def = PREDEFINED_ACLS.get(name);
  if (!def) return undefined;
  const t = compileAclLine(def[0], def.slice(1), `predefined ACL '${name}'`, loc, [], undefined, true);
  if (!t) throw new Error(`predefined ACL ${name} failed to compile`); // a bug in the table above
  if (!mine) compiled.set(table, (mine = new Map()));
  mine.set(name, t);
  return t;
}
