/** `.if/.elif/.else/.endif` conditional blocks and `.diag/.notice/.warning/.alert` (HAProxy 2.4+). */
import type { Reporter } from './diagnostics.ts';
import type { Env } from './lexer.ts';
import type { SourceLoc } from './model.ts';
import { didYouMean } from './suggest.ts';
import { compareVersions } from './version.ts';

/** The HAProxy version Switchyard's config dialect follows (for `version_atleast()`). */
export const EMULATED_HAPROXY_VERSION = '2.6.0';

/**
 * Evaluates one `.if` predicate: `0`, `1`, `defined(VAR)`, `feature(NAME)`, `streq(A,B)`,
 * `strneq(A,B)`, `version_atleast(V)`, `version_before(V)`, optionally prefixed by `!`.
 */
export function evalPredicate(words: string[], env: Record<string, string | undefined>): boolean | string {
  if (words.length !== 1) return 'expects a single term (e.g. defined(VAR), streq("$A",x))';
  let w = words[0];
  let neg = false;
  while (w.startsWith('!')) {
    neg = !neg;
    w = w.slice(1);
  }
  let r: boolean;
  if (w === '0' || w === '') r = false;
  else if (/^\d+$/.test(w)) r = true;
  else {
    const m = /^([a-z_]+)\((.*)\)$/.exec(w);
    if (!m) return `unknown term '${w}'`;
    const args = m[2].split(',');
    switch (m[1]) {
      case 'defined':
        r = env[args[0]] !== undefined;
        break;
      case 'feature':
        r = false;
        break;
      case 'streq':
      case 'strneq':
        if (args.length !== 2) return `'${m[1]}' expects two arguments`;
        r = (args[0] === args[1]) === (m[1] === 'streq');
        break;
      case 'version_atleast':
        r = compareVersions(EMULATED_HAPROXY_VERSION, args[0]) >= 0;
        break;
      case 'version_before':
        r = compareVersions(EMULATED_HAPROXY_VERSION, args[0]) < 0;
        break;
      default:
        return `unknown predicate '${m[1]}' (supported: defined, feature, streq, strneq, version_atleast, version_before)`;
    }
  }
  return neg ? !r : r;
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
