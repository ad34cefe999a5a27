/**
 * `if COND` / `unless COND` compiled into one closure. HAProxy grammar: ACL names (or anonymous
 * `{ criterion flags patterns }`) side by side are ANDed, `or`/`||` separates alternatives, `!`
 * negates the next ACL (it may be glued: `!{`, `!name`). Switchyard also accepts parentheses
 * `( a || b ) !c`. ACL names resolve to the proxy's own ACLs first, then predefined ones.
 */
import type { ConditionModel, Diagnostic, SourceLoc } from '@switchyard/config';
import type { HttpTxn } from '../model/txn.ts';
import { compileAclLine } from './compile-acl.ts';
import { AclCode, didYouMean, report } from './diag.ts';
import { FINAL, MORE_DATA } from './payload-fetches.ts';
import { PREDEFINED_ACLS, predefinedAcl } from './predefined.ts';
import type { AclTable, CompiledCondition, RulePhase } from './types.ts';

type Tok =
  | { t: 'not' }
  | { t: 'or' }
  | { t: 'lp' }
  | { t: 'rp' }
  | { t: 'name'; name: string }
  | { t: 'anon'; words: string[] };

class CondError extends Error {}

function tokenize(terms: readonly string[]): Tok[] {
  const out: Tok[] = [];
  for (let i = 0; i < terms.length; i++) {
    let w = terms[i];
    while (w.startsWith('!')) {
      out.push({ t: 'not' });
      w = w.slice(1);
    }
    if (w === '') continue;
    if (w === 'or' || w === '||') {
      out.push({ t: 'or' });
      continue;
    }
    if (w === '{') {
      const words: string[] = [];
      let j = i + 1;
      while (j < terms.length && terms[j] !== '}') words.push(terms[j++]);
      if (j >= terms.length) throw new CondError("missing closing '}' in condition");
      if (words.length === 0) throw new CondError("empty anonymous ACL '{ }'");
      out.push({ t: 'anon', words });
      i = j;
      continue;
    }
    if (w === '}') throw new CondError("unexpected '}' in condition");
    if (w === '&&') throw new CondError("'&&' is not an operator: ACLs written side by side are ANDed");
    while (w.startsWith('(')) {
      out.push({ t: 'lp' });
      w = w.slice(1);
    }
    let close = 0;
    while (w.endsWith(')')) {
      close++;
      w = w.slice(0, -1);
    }
    if (w !== '') out.push({ t: 'name', name: w });
    for (let k = 0; k < close; k++) out.push({ t: 'rp' });
  }
  return out;
}

/** How a parsed condition is assembled: boolean closures, or HAProxy's three-valued ones. */
interface Algebra<F> {
  and(list: F[]): F;
  or(list: F[]): F;
  not(f: F): F;
  /** An ACL (named or anonymous) as a term of this algebra. */
  leaf(f: CompiledCondition): F;
  never: F;
}

const BOOL: Algebra<CompiledCondition> = {
  and(list) {
    if (list.length === 1) return list[0];
    if (list.length === 2) {
      const [a, b] = list;
      return (txn) => a(txn) && b(txn);
    }
    return (txn) => {
      for (const f of list) if (!f(txn)) return false;
      return true;
    };
  },
  or(list) {
    if (list.length === 1) return list[0];
    if (list.length === 2) {
      const [a, b] = list;
      return (txn) => a(txn) || b(txn);
    }
    return (txn) => {
      for (const f of list) if (f(txn)) return true;
      return false;
    };
  },
  not: (f) => (txn) => !f(txn),
  leaf: (f) => f,
  never: () => false,
};

/** HAProxy's acl_test_res: FAIL 0, MISS 1 (the answer may change with more data), PASS 3. */
export const FAIL = 0;
export const MISS = 1;
export const PASS = 3;
export type TriResult = typeof FAIL | typeof MISS | typeof PASS;
/** A condition of a tcp content rule, evaluated as HAProxy's acl_exec_cond. */
export type TriCondition = (txn: HttpTxn) => TriResult;

/**
 * Three-valued, as acl_exec_cond: an ACL that did not match on data that may still change (a
 * fetch flagged MORE_DATA, outside a final evaluation) is MISS; AND is the bitwise and, OR the
 * bitwise or, and negation swaps PASS and FAIL but leaves MISS.
 */
const TRI: Algebra<TriCondition> = {
  and: (list) => (txn) => {
    let r: number = PASS;
    for (const f of list) {
      r &= f(txn);
      if (r !== PASS) break;
    }
    return r as TriResult;
  },
  or: (list) => (txn) => {
    let r: number = FAIL;
    for (const f of list) {
      r |= f(txn);
      if (r === PASS) break;
    }
    return r as TriResult;
  },
  not: (f) => (txn) => {
    const r = f(txn);
    return r === MISS ? MISS : r === PASS ? FAIL : PASS;
  },
  leaf: (f) => (txn) => {
    const c = txn.cache;
    c[MORE_DATA] = false;
    if (f(txn)) return PASS;
    return c[MORE_DATA] === true && c[FINAL] !== true ? MISS : FAIL;
  },
  never: () => FAIL,
};

class Parser<F> {
  pos = 0;
  constructor(
    readonly toks: Tok[],
    readonly resolve: (name: string) => CompiledCondition,
    readonly anon: (words: string[]) => CompiledCondition,
    readonly alg: Algebra<F>,
  ) {}

  parseOr(depth: number): F {
    const alts: F[] = [this.parseAnd(depth)];
    while (this.pos < this.toks.length && this.toks[this.pos].t === 'or') {
      this.pos++;
      alts.push(this.parseAnd(depth));
    }
    return this.alg.or(alts);
  }

  parseAnd(depth: number): F {
    const terms: F[] = [];
    while (this.pos < this.toks.length) {
      const tok = this.toks[this.pos];
      if (tok.t === 'or') break;
      if (tok.t === 'rp') {
        if (depth === 0) throw new CondError("unexpected ')' in condition");
        break;
      }
      terms.push(this.parseFactor(depth));
    }
    if (terms.length === 0) {
      const next = this.toks[this.pos];
      const prev = this.toks[this.pos - 1];
      if (next?.t === 'or' || prev?.t === 'or') throw new CondError("'or' must have a condition on each side");
      if (next?.t === 'rp' && prev?.t === 'lp') throw new CondError("empty parentheses '( )'");
      throw new CondError('missing condition');
    }
    return this.alg.and(terms);
  }

  parseFactor(depth: number): F {
    let neg = false;
    while (this.toks[this.pos]?.t === 'not') {
      neg = !neg;
      this.pos++;
    }
    const tok = this.toks[this.pos++];
    let f: F;
    if (!tok) throw new CondError("'!' must be followed by an ACL");
    if (tok.t === 'name') f = this.alg.leaf(this.resolve(tok.name));
    else if (tok.t === 'anon') f = this.alg.leaf(this.anon(tok.words));
    else if (tok.t === 'lp') {
      f = this.parseOr(depth + 1);
      if (this.toks[this.pos]?.t !== 'rp') throw new CondError("missing ')' in condition");
      this.pos++;
    } else throw new CondError(`unexpected '${tok.t === 'or' ? 'or' : ')'}' in condition`);
    return neg ? this.alg.not(f) : f;
  }
}

/**
 * Compiles `if|unless` + terms against the proxy's ACL table. Problems (unknown ACL, ACL used
 * before its declaration as HAProxy requires, syntax) are reported with the rule's loc; the
 * result is then a condition that never applies, so a `-c` run can list every problem.
 * `phase` says which rules it guards: in `request` rules, response fetches are refused (an
 * anonymous ACL) or warned about (a named ACL, which then never matches), as HAProxy does.
 */
export function compileCondition(
  cond: ConditionModel,
  table: AclTable,
  diags: Diagnostic[],
  phase?: RulePhase,
): CompiledCondition {
  return compileWith(cond, table, diags, phase, BOOL);
}

/**
 * The same, three-valued (TriCondition), for `tcp-request content` / `tcp-response content`
 * rules, which wait while a condition is MISS (HAProxy's tcp_inspect_request/response).
 */
export function compileTriCondition(
  cond: ConditionModel,
  table: AclTable,
  diags: Diagnostic[],
  phase?: RulePhase,
): TriCondition {
  return compileWith(cond, table, diags, phase, TRI);
}

function compileWith<F>(
  cond: ConditionModel,
  table: AclTable,
  diags: Diagnostic[],
  phase: RulePhase | undefined,
  alg: Algebra<F>,
): F {
  const loc: SourceLoc = cond.loc;
  const before = diags.length;
  let failed = false;
  const resolve = (name: string): CompiledCondition => {
    const acl = table.get(name);
    if (acl) {
      if (acl.loc.file === loc.file && acl.loc.line > loc.line) {
        failed = true;
        report(
          diags,
          AclCode.UNKNOWN_ACL,
          `no such ACL : '${name}' (it is declared later, at ${acl.loc.file}:${acl.loc.line}; ` +
            'HAProxy requires an ACL to be declared before the rules that use it)',
          loc,
        );
        return () => false;
      }
      if (acl.needsResponse && phase === 'request') {
        // HAProxy warns the same way: the rule stays, the ACL is false there
        report(
          diags,
          AclCode.WRONG_PHASE,
          `acl '${name}' will never match in http-request rules because it reads the response (declared at ${acl.loc.file}:${acl.loc.line})`,
          loc,
          'warning',
        );
        return () => false;
      }
      return acl.test;
    }
    const pre = predefinedAcl(name, loc, table);
    if (pre) return pre;
    failed = true;
    const hint = didYouMean(name, [...table.keys(), ...PREDEFINED_ACLS.keys()]);
    report(diags, AclCode.UNKNOWN_ACL, `no such ACL : '${name}'${hint}`, loc);
    return () => false;
  };
  const anon = (words: string[]): CompiledCondition => {
    const t = compileAclLine(words[0], words.slice(1), 'anonymous ACL', loc, diags, phase, true);
    if (!t) {
      failed = true;
      return () => false;
    }
    return t;
  };
  let f: F;
  try {
    const p = new Parser(tokenize(cond.terms), resolve, anon, alg);
    f = p.parseOr(0);
    if (p.pos < p.toks.length) throw new CondError("unexpected ')' in condition");
  } catch (e) {
    if (!(e instanceof CondError)) throw e;
    report(diags, AclCode.COND_SYNTAX, `'${cond.polarity}' condition: ${e.message}`, loc);
    return alg.never;
  }
  if (failed || (diags.length > before && diags.slice(before).some((d) => d.severity === 'error'))) return alg.never;
  return cond.polarity === 'unless' ? alg.not(f) : f;
}
