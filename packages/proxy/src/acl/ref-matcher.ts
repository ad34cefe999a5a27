/**
 * Matchers over pattern references (model/pattern-refs.ts): an ACL line reads its inline
 * reference and its `-f` files, rebuilt when one of them is edited at run time; `get acl|map`
 * asks which entry a sample matches, as haproxy's lookup returns it (exact and longest-prefix
 * trees first, then the list in file order).
 */
import { addExpr, current, type PatEntry, type PatExpr, type PatRef } from '../model/pattern-refs.ts';
import { type IpNet, netContains, parseIp, parseNet } from './ip.ts';
import { buildMatcher, type Matcher, type MatchMethod } from './matchers.ts';

/** True for entries haproxy indexes in a tree for `method` (`idx=tree` in `get`). */
export function treeIndexed(method: string, icase: boolean): boolean {
  return (method === 'str' || method === 'beg') && !icase ? true : method === 'ip';
}

/** The entry of `entries` that `sample` matches under `method`, as haproxy's lookup picks it. */
export function findEntry(
  method: MatchMethod,
  icase: boolean,
  entries: PatEntry[],
  sample: string,
): PatEntry | undefined {
  if (method === 'found' || method === 'bool') return undefined;
  if (method === 'ip') {
    const ip = parseIp(sample);
    if (!ip) return undefined;
    let best: [PatEntry, IpNet] | undefined;
    for (const e of entries) {
      const n = parseNet(e.key);
      if (typeof n !== 'string' && netContains(n, ip) && (!best || n.bits > best[1].bits)) best = [e, n];
    }
    return best?.[0];
  }
  if (method === 'beg' && !icase) {
    let best: PatEntry | undefined;
    for (const e of entries) if (sample.startsWith(e.key) && (!best || e.key.length > best.key.length)) best = e;
    return best;
  }
  for (const e of entries) {
    const m = buildMatcher(method, [['', e.key]], icase);
    if (typeof m !== 'string' && m(sample)) return e;
  }
  return undefined;
}

/** Registers an ACL line's expression on each of its references (shared as haproxy shares them). */
export function registerAclExprs(refs: PatRef[], method: MatchMethod, icase: boolean): void {
  for (const ref of refs) {
    const expr: PatExpr = {
      method,
      icase,
      find: (s) => findEntry(method, icase, current(ref), s),
      tree: () => treeIndexed(method, icase),
      check: (key) => {
        const m = buildMatcher(method, [['', key]], icase);
        return typeof m === 'string' ? m : undefined;
      },
    };
    addExpr(ref, expr);
  }
}

/**
 * A matcher over the current entries of `refs`, rebuilt by `build` when one is edited. A rebuild
 * that fails (an entry no matcher can read) keeps the previous matcher.
 */
export function refsMatcher(refs: PatRef[], build: (patterns: string[]) => Matcher | string): Matcher | string {
  const stamp = () => {
    let n = 0;
    for (const r of refs) n += r.version;
    return n;
  };
  const patterns = () => refs.flatMap((r) => current(r).map((e) => e.key));
  const first = build(patterns());
  if (typeof first === 'string') return first;
  let match = first;
  let at = stamp();
  return (v) => {
    const now = stamp();
    if (now !== at) {
      at = now;
      const again = build(patterns());
      if (typeof again !== 'string') match = again;
    }
    return match(v);
  };
}
