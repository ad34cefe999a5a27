/**
 * HAProxy's line tokenizer (tools.c parse_line): words separated by blanks, `#` comments outside
 * quotes, 'single quotes' (literal), "double quotes" (escapes and ${ENV} expansion), and the
 * backslash escapes `\ `, `\\`, `\#`, `\'`, `\"`, `\t`, `\n`, `\r`, `\xHH`; any other backslash
 * is kept as is (so regexes like `^/img\.png$` survive unquoted). There is no line continuation.
 */

/** HAProxy's MAX_LINE_ARGS. */
export const MAX_WORDS = 64;

export type LexResult =
  | { ok: true; words: string[]; unsetEnv: string[] }
  | { ok: false; message: string; words: string[]; unsetEnv: string[] };

/** Environment used for `"${VAR}"` expansion. */
export type Env = Record<string, string | undefined>;

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\v' || c === '\f';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** Splits one configuration line into words. `line` must not contain the line terminator. */
export function tokenizeLine(line: string, env: Env = {}): LexResult {
  const words: string[] = [];
  const unsetEnv: string[] = [];
  let cur = '';
  let inWord = false;
  let squote = false;
  let dquote = false;
  let i = 0;
  const fail = (message: string): LexResult => ({ ok: false, message, words, unsetEnv });
  while (i < line.length) {
    const c = line[i];
    if (c === '#' && !squote && !dquote) break;
    if (c === '"' && !squote) {
      dquote = !dquote;
      inWord = true;
      i++;
      continue;
    }
    if (c === "'" && !dquote) {
      squote = !squote;
      inWord = true;
      i++;
      continue;
    }
    if (c === '\\' && !squote) {
      const n = line[i + 1];
      inWord = true;
      if (n === ' ' || n === '\\' || n === '#' || n === "'" || n === '"') {
        cur += n;
        i += 2;
      } else if (n === 't' || n === 'n' || n === 'r') {
        cur += n === 't' ? '\t' : n === 'n' ? '\n' : '\r';
        i += 2;
      } else if (n === '$' && dquote) {
        cur += '$';
        i += 2;
      } else if (n === 'x') {
        if (!isHex(line[i + 2]) || !isHex(line[i + 3]))
          return fail(`invalid hex escape sequence at '${line.slice(i, i + 4)}'`);
        cur += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        cur += '\\';
        i++;
      }
      continue;
    }
    if (isSpace(c) && !squote && !dquote) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      while (i < line.length && isSpace(line[i])) i++;
      continue;
    }
    if (c === '$' && dquote) {
      const m = /^\$(\{)?([A-Za-z_][A-Za-z0-9_]*)/.exec(line.slice(i));
      if (!m) return fail(`invalid environment variable name at '${line.slice(i, i + 10)}'`);
      const name = m[2];
      let j = i + m[0].length;
      let value = env[name];
      if (m[1]) {
        if (line[j] === '-') {
          const end = line.indexOf('}', j);
          if (end < 0) return fail(`unmatched brace in environment variable '\${${name}'`);
          if (value === undefined) value = line.slice(j + 1, end);
          j = end;
        }
        if (line[j] !== '}') return fail(`unmatched brace in environment variable '\${${name}'`);
        j++;
      }
      if (value === undefined) unsetEnv.push(name);
      cur += value ?? '';
      inWord = true;
      i = j;
      continue;
    }
    cur += c;
    inWord = true;
    i++;
  }
  if (inWord) words.push(cur);
  if (squote || dquote) return fail(`unmatched ${squote ? 'single' : 'double'} quote`);
  if (words.length > MAX_WORDS) return fail(`too many words on one line (maximum is ${MAX_WORDS})`);
  return { ok: true, words, unsetEnv };
}

/** Splits a file's text into lines (LF, CRLF or lone CR). */
export function splitLines(text: string): string[] {
  // A UTF-8 byte order mark (editors on Windows add one) is not part of the first keyword.
  return (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\n|\r/);
}
