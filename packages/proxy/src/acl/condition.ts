/**
 * `if COND` / `unless COND` compiled into one closure. HAProxy grammar: ACL names (or anonymous
 * `{ criterion flags patterns }`) side by side are ANDed, `or`/`||` separates alternatives, `!`
 * negates the next ACL (it may be glued: `!{`, `!name`). Switchyard also accepts parentheses
 * `( a || b ) !c`. ACL names resolve to the proxy's own ACLs first, then predefined ones.
 */
import type { ConditionModel, Diagnostic, SourceLoc } from '@switchyard/config';
import { compileAclLine } from './compile-acl.ts';
import { AclCode, didYouMean, report } from './diag.ts';
import { PREDEFINED_ACLS, predefinedAcl, UNSUPPORTED_PREDEFINED } from './predefined.ts';
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

function and(list: CompiledCondition[]): CompiledCondition {
  if (list.length === 1) return list[0];
  if (list.length === 2) {
    const [a, b] = list;
    return (txn) => a(txn) && b(txn);
  }
  return (txn) => {
    for (const f of list) if (!f(txn)) return false;
    return true;
  };
}

function or(list: CompiledCondition[]): CompiledCondition {
  if (list.length === 1) return list[0];
  if (list.length === 2) {
    const [a, b] = list;
    return (txn) => a(txn) || b(txn);
  }
  return (txn) => {
    for (const f of list) if (f(txn)) return true;
    return false;
  };
}

class Parser {
  pos = 0;
  constructor(
    readonly toks: Tok[],
    readonly resolve: (name: string) => CompiledCondition,
    readonly anon: (words: string[]) => CompiledCondition,
  ) {}

  parseOr(depth: number): CompiledCondition {
    const alts: CompiledCondition[] = [this.parseAnd(depth)];
    while (this.pos < this.toks.length && this.toks[this.pos].t === 'or') {
      this.pos++;
      alts.push(this.parseAnd(depth));
    }
    return or(alts);
  }

  parseAnd(depth: number): CompiledCondition {
    const terms: CompiledCondition[] = [];
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
    return and(terms);
  }

  parseFactor(depth: number): CompiledCondition {
    let neg = false;
    while (this.toks[this.pos]?.t === 'not') {
      neg = !neg;
      this.pos++;
    }
    const tok = this.toks[this.pos++];
    let f: CompiledCondition;
    if (!tok) throw new CondError("'!' must be followed by an ACL");
    if (tok.t === 'name') f = this.resolve(tok.name);
    else if (tok.t === 'anon') f = this.anon(tok.words);
    else if (tok.t === 'lp') {
      f = this.parseOr(depth + 1);
      if (this.toks[this.pos]?.t !== 'rp') throw new CondError("missing ')' in condition");
      this.pos++;
    } else throw new CondError(`unexpected '${tok.t === 'or' ? 'or' : ')'}' in condition`);
    if (!neg) return f;
    const inner = f;
    return (txn) => !inner(txn);
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
    const pre = predefinedAcl(name, loc);
    if (pre) return pre;
    failed = true;
    const why = UNSUPPORTED_PREDEFINED.get(name);
    if (why) report(diags, AclCode.UNSUPPORTED_ACL, `predefined ACL '${name}' is not supported: ${why}`, loc);
    else {
      const hint = didYouMean(name, [...table.keys(), ...PREDEFINED_ACLS.keys()]);
      report(diags, AclCode.UNKNOWN_ACL, `no such ACL : '${name}'${hint}`, loc);
    }
    return () => false;
  };
  const anon = (words: string[]): CompiledCondition => {
    const t = compileAclLine(words[0], words.slice(1), 'anonymous ACL', loc, diags, phase);
    if (!t) {
      failed = true;
      return () => false;
    }
    return t;
  };
  let f: CompiledCondition;
  try {
    const p = new Parser(tokenize(cond.terms), resolve, anon);
    f = p.parseOr(0);
    if (p.pos < p.toks.length) throw new CondError("unexpected ')' in condition");
  } catch (e) {
    if (!(e instanceof CondError)) throw e;
    report(diags, AclCode.COND_SYNTAX, `'${cond.polarity}' condition: ${e.message}`, loc);
    return () => false;
  }
  if (failed || (diags.length > before && diags.slice(before).some((d) => d.severity === 'error'))) return () => false;
  if (cond.polarity === 'unless') {
    const inner = f;
    return (txn) => !inner(txn);
  }
  return f;
}
