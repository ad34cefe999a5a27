/** `.if/.elif/.else/.endif` conditional blocks and `.diag/.notice/.warning/.alert` (HAProxy 2.4+). */
import type { Reporter } from './diagnostics.ts';
import type { Env } from './lexer.ts';
import type { SourceLoc } from './model.ts';
import { didYouMean } from './suggest.ts';
import { compareVersions } from './version.ts';

/** `feature(NAME)` names that are true for Switchyard. */
const FEATURES = new Set(['OPENSSL']);

/** The HAProxy version Switchyard's config dialect follows (for `version_atleast()`). */
export const EMULATED_HAPROXY_VERSION = '2.6.0';

/** Evaluates one term: `0`, `1`, `defined(VAR)`, `feature(NAME)`, `streq(A,B)`, `strneq(A,B)`, `version_atleast(V)`, `version_before(V)`. */
function evalTerm(w: string, env: Record<string, string | undefined>): boolean | string {
  if (/^\d+$/.test(w)) return w !== '0' && !/^0+$/.test(w);
  const m = /^([a-z_]+)\((.*)\)$/s.exec(w);
  if (!m) return `unknown term '${w}'`;
  const args = m[2].split(',');
  switch (m[1]) {
    case 'defined':
      return env[args[0]] !== undefined;
    case 'feature':
      // Build features of HAProxy: only TLS (Node's OpenSSL) has a Switchyard equivalent.
      return FEATURES.has(args[0]);
    case 'streq':
    case 'strneq':
      if (args.length !== 2) return `'${m[1]}' expects two arguments`;
      return (args[0] === args[1]) === (m[1] === 'streq');
    case 'version_atleast':
      return compareVersions(EMULATED_HAPROXY_VERSION, args[0]) >= 0;
    case 'version_before':
      return compareVersions(EMULATED_HAPROXY_VERSION, args[0]) < 0;
    default:
      return `unknown predicate '${m[1]}' (supported: defined, feature, streq, strneq, version_atleast, version_before)`;
  }
}

/**
 * Evaluates a `.if` condition as HAProxy 2.6: terms combined with `&&` and `||` (`&&` binds tighter),
 * negated with `!`, grouped with `( )`. Returns an error message string when malformed.
 */
export function evalPredicate(words: string[], env: Record<string, string | undefined>): boolean | string {
  const text = words.join(' ');
  if (text.trim() === '') return 'expects a condition (e.g. defined(VAR), streq("$A",x))';
  let pos = 0;
  const skip = (): void => {
    while (text[pos] === ' ') pos++;
  };
  class Fail extends Error {}
  const term = (): boolean => {
    skip();
    const start = pos;
    let depth = 0;
    while (pos < text.length) {
      const c = text[pos];
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
        if (depth === 0) {
          pos++;
          break;
        }
      } else if (depth === 0 && (c === ' ' || c === '&' || c === '|')) break;
      pos++;
    }
    const v = evalTerm(text.slice(start, pos), env);
    if (typeof v === 'string') throw new Fail(v);
    return v;
  };
  const unary = (): boolean => {
    skip();
    if (text[pos] === '!') {
      pos++;
      return !unary();
    }
    if (text[pos] === '(') {
      pos++;
      const v = or();
      skip();
      if (text[pos] !== ')') throw new Fail("missing ')'");
      pos++;
      return v;
    }
    return term();
  };
  const and = (): boolean => {
    let v = unary();
    for (skip(); text.startsWith('&&', pos); skip()) {
      pos += 2;
      v = unary() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    for (skip(); text.startsWith('||', pos); skip()) {
      pos += 2;
      v = and() || v;
    }
    return v;
  };
  try {
    const v = or();
    skip();
    if (pos < text.length) return `unexpected '${text.slice(pos)}'`;
    return v;
  } catch (e) {
    if (e instanceof Fail) return e.message;
    throw e;
  }
}

/** Tracks nested `.if` blocks; `active` says whether the current line is used. */
export class CondStack {
  private frames: Array<{ taken: boolean; active: boolean; parentActive: boolean; seenElse: boolean; line: number }> =
    [];

  get active(): boolean {
    return this.frames.length === 0 || this.frames[this.frames.length - 1].active;
  }

  get depth(): number {
    return this.frames.length;
  }

  get openLine(): number | undefined {
    return this.frames[this.frames.length - 1]?.line;
  }

  /** `.if`: cond is ignored when the enclosing block is inactive. */
  push(cond: boolean, line: number): void {
    const parentActive = this.active;
    const v = parentActive && cond;
    this.frames.push({ taken: v, active: v, parentActive, seenElse: false, line });
  }

  /** `.elif` / `.else`. Returns an error message when misplaced. */
  alternative(cond: boolean, isElse: boolean): string | undefined {
    const f = this.frames[this.frames.length - 1];
    if (!f) return `'${isElse ? '.else' : '.elif'}' without '.if'`;
    if (f.seenElse) return `'${isElse ? '.else' : '.elif'}' after '.else'`;
    f.seenElse = isElse;
    f.active = f.parentActive && !f.taken && cond;
    if (f.active) f.taken = true;
    return undefined;
  }

  /** `.endif`. */
  pop(): string | undefined {
    if (!this.frames.pop()) return "'.endif' without '.if'";
    return undefined;
  }
}

/** Handles `.if`, `.elif`, `.else`, `.endif`, `.diag`, `.notice`, `.warning`, `.alert`. */
export function directive(kw: string, args: string[], loc: SourceLoc, cond: CondStack, r: Reporter, env: Env): void {
  const evaluate = (): boolean => {
    const v = evalPredicate(args, env);
    if (typeof v === 'string') {
      r.error(loc, 'CFG_SYNTAX', `'${kw}': ${v}`);
      return false;
    }
    return v;
  };
  switch (kw) {
    case '.if':
      cond.push(cond.active ? evaluate() : false, loc.line);
      return;
    case '.elif':
    case '.else': {
      const e = cond.alternative(kw === '.else' ? true : evaluate(), kw === '.else');
      if (e) r.error(loc, 'CFG_SYNTAX', e);
      return;
    }
    case '.endif': {
      const e = cond.pop();
      if (e) r.error(loc, 'CFG_SYNTAX', e);
      return;
    }
  }
  if (!cond.active) return;
  const text = args.join(' ');
  if (kw === '.alert') r.error(loc, 'CFG_SYNTAX', text);
  else if (kw === '.warning') r.warn(loc, 'CFG_NO_EFFECT', text);
  else if (kw === '.notice') r.warn(loc, 'CFG_NO_EFFECT', text);
  else if (kw === '.diag')
    return; // HAProxy prints these only with -dD
  else
    r.error(
      loc,
      'CFG_UNKNOWN_KEYWORD',
      `unknown directive '${kw}'${didYouMean(kw, ['.if', '.elif', '.else', '.endif', '.diag', '.notice', '.warning', '.alert'])}`,
    );
}
