/**
 * Regular expressions of the configuration (`-m reg`, `*_reg` fetches, `map_reg`/`map_regm`,
 * `replace-*`, `regsub`, check `rstring`), bounded as HAProxy's PCRE2 match limit bounds them:
 * a pattern with catastrophic backtracking must not stall the event loop on a hostile input.
 *
 * V8 has a linear-time engine (an automaton, no backtracking) beside Irregexp. With
 * `--enable-experimental-regexp-engine-on-excessive-backtracks` a match that backtracks more than
 * `--regexp-backtracks-before-fallback` times (V8's default, 50,000) is run again on that engine,
 * so the usual patterns keep Irregexp's speed and a pathological one costs linear time. The linear
 * engine has no case folding, backreferences or lookarounds: `-i` is turned into ASCII classes
 * (`a` -> `[aA]`, PCRE's caseless matching without UTF), and a pattern that still cannot run there
 * (a backreference or lookaround) is refused when it also repeats a group containing a repetition
 * or an alternation, the shape of catastrophic backtracking; other such patterns stay on Irregexp.
 */
import { setFlagsFromString } from 'node:v8';

// V8 reads these when a regexp is compiled and run: set before any pattern of the configuration
setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
// only lets linearSafe() ask V8 whether a pattern can run on the linear engine (the `l` flag)
setFlagsFromString('--enable-experimental-regexp-engine');

const isLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const swapCase = (c: string) => (c >= 'a' && c <= 'z' ? c.toUpperCase() : c.toLowerCase());

/** The case variants of the ASCII letters in the class range lo-hi, as class text ('' when none). */
function foldRange(lo: number, hi: number): string {
  let out = '';
  for (const [a, z, d] of [
    [97, 122, -32],
    [65, 90, 32],
  ]) {
    const from = Math.max(lo, a);
    const to = Math.min(hi, z);
    if (from > to) continue;
    out +=
      from === to ? String.fromCharCode(from + d) : `${String.fromCharCode(from + d)}-${String.fromCharCode(to + d)}`;
  }
  return out;
}

/** Length of the escape starting at `i` (a backslash): `\xHH`, `\uHHHH`, `\cX`, `\k<name>`, or one char. */
function escapeLength(s: string, i: number): number {
  const c = s[i + 1];
  if (c === 'x') return 4;
  if (c === 'u') return s[i + 2] === '{' ? s.indexOf('}', i) - i + 1 : 6;
  if (c === 'c') return 3;
  if (c === 'k' && s[i + 2] === '<') return s.indexOf('>', i) - i + 1;
  return 2;
}

/** The class `[...]` starting at `i` with the case variants of its letters added; [text, end]. */
function foldClass(s: string, i: number): [string, number] {
  let j = i + 1;
  let out = '[';
  if (s[j] === '^') {
    out += '^';
    j++;
  }
  if (s[j] === ']') {
    out += '\\]';
    j++;
  }
  let extra = '';
  while (j < s.length && s[j] !== ']') {
    let atom: string;
    let code: number | undefined;
    if (s[j] === '\\') {
      const n = escapeLength(s, j);
      atom = s.slice(j, j + n);
      j += n;
    } else {
      atom = s[j];
      code = atom.charCodeAt(0);
      j++;
    }
    if (code !== undefined && s[j] === '-' && s[j + 1] !== ']' && s[j + 1] !== undefined && s[j + 1] !== '\\') {
      const hi = s.charCodeAt(j + 1);
      out += `${atom}-${s[j + 1]}`;
      extra += foldRange(code, hi);
      j += 2;
      continue;
    }
    // a literal '-' last in the class would make a range with the letters appended after it
    out += atom === '-' && s[j] === ']' ? '\\-' : atom;
    if (code !== undefined) extra += foldRange(code, code);
  }
  return [`${out}${extra}]`, j + 1];
}

/** `source` matched without case as PCRE does without UTF: every ASCII letter stands for both cases. */
export function foldAsciiCase(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; ) {
    const c = source[i];
    if (c === '\\') {
      const n = escapeLength(source, i);
      out += source.slice(i, i + n);
      i += n;
    } else if (c === '[') {
      const [cls, end] = foldClass(source, i);
      out += cls;
      i = end;
    } else if (c === '(' && source.startsWith('(?<', i) && source[i + 3] !== '=' && source[i + 3] !== '!') {
      // a group name is not matched text
      const end = source.indexOf('>', i);
      out += source.slice(i, end + 1);
      i = end + 1;
    } else if (c === '{') {
      const end = source.indexOf('}', i);
      const q = end > 0 ? source.slice(i, end + 1) : '';
      out += /^\{[0-9]+(,[0-9]*)?\}$/.test(q) ? q : c;
      i += /^\{[0-9]+(,[0-9]*)?\}$/.test(q) ? q.length : 1;
    } else {
      out += isLetter(c) ? `[${c}${swapCase(c)}]` : c;
      i++;
    }
  }
  return out;
}

/** True when V8's linear engine can run `source` (no backreference, no lookaround). */
function linearSafe(source: string, flags: string): boolean {
  try {
    new RegExp(source, `${flags}l`);
    return true;
  } catch {
    return false;
  }
}

/**
 * True when a repeated group contains a repetition or an alternation (`(a+)+`, `(a|ab)*`,
 * `(x{2,})+`): the shape whose backtracking grows exponentially with the input.
 */
export function nestedRepetition(source: string): boolean {
  const stack: boolean[] = [];
  let inner = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i += escapeLength(source, i) - 1;
    else if (c === '[') i = foldClass(source, i)[1] - 1;
    else if (c === '(') {
      stack.push(inner);
      inner = false;
    } else if (c === ')') {
      const next = source[i + 1];
      const repeated = next === '*' || next === '+' || (next === '{' && /^\{[0-9]+,/.test(source.slice(i + 1)));
      if (repeated && inner) return true;
      inner = (stack.pop() ?? false) || inner;
    } else if (c === '|' || c === '*' || c === '+' || (c === '{' && /^\{[0-9]+,/.test(source.slice(i)))) inner = true;
  }
  return false;
}

/**
 * Compiles a configuration regex (`icase` for `-i`/flag `i`, `global` for regsub's `g`), or
 * returns the message refusing it.
 */
export function boundedRegex(source: string, icase = false, global = false): RegExp | string {
  const flags = global ? 'g' : '';
  try {
    new RegExp(source);
  } catch (e) {
    return `invalid regex '${source}': ${(e as Error).message}`;
  }
  const folded = icase ? foldAsciiCase(source) : source;
  if (linearSafe(folded, flags)) return new RegExp(folded, flags);
  if (nestedRepetition(source))
    return (
      `regex '${source}' repeats a group that contains a repetition or an alternation and uses a ` +
      'backreference or a lookaround: Node can only run it by backtracking, so a hostile input could stall ' +
      'the process for seconds (HAProxy bounds it with its PCRE match limit); rewrite it without the ' +
      'backreference/lookaround or without the nested repetition'
    );
  return new RegExp(source, icase ? `${flags}i` : flags);
}

/** boundedRegex() for patterns checked already (the config parser refused the bad ones): throws otherwise. */
export function checkedRegex(source: string, icase = false, global = false): RegExp {
  const re = boundedRegex(source, icase, global);
  if (typeof re === 'string') throw new Error(re);
  return re;
}

/**
 * HAProxy's exp_replace(): `repl` with `\0`..`\9` replaced by the groups of `m` (empty when a
 * group did not take part), `\xHH` by that byte, `\C` by C. Undefined for a trailing backslash
 * (haproxy fails the replacement).
 */
export function expandMatch(m: RegExpExecArray, repl: string): string | undefined {
  if (repl.indexOf('\\') < 0) return repl;
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = repl[++i];
    if (n === undefined) return undefined;
    if (n >= '0' && n <= '9') out += m[Number(n)] ?? '';
    else if (n === 'x') {
      if (repl[i + 1] === undefined || repl[i + 2] === undefined) return undefined;
      const hex = (ch: string) => {
        const u = ch.toUpperCase().charCodeAt(0) - 48;
        return u > 9 ? u - 7 : u;
      };
      out += String.fromCharCode(((hex(repl[i + 1]) << 4) + hex(repl[i + 2])) & 0xff);
      i += 2;
    } else out += n;
  }
  return out;
}
