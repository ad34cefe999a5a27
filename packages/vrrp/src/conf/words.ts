/** keepalived's word-level helpers: comment stripping, line tokenising, script command splitting. */
import type { Diagnostic, SourceLoc } from './model.ts';

/** keepalived's decomment(): strips leading/trailing blanks and a comment outside quotes. */
export function decomment(text: string, loc: SourceLoc, diags: Diagnostic[]): string {
  let out = '';
  let quote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      quote = !quote;
      out += c;
    } else if (c === '\\' && i + 1 < text.length) {
      const n = text[i + 1];
      if (!quote && (n === '#' || n === '!')) out += n;
      else out += c + n;
      i++;
    } else if (!quote && (c === '!' || c === '#')) {
      break;
    } else out += c;
  }
  if (quote) {
    diags.push({
      severity: 'error',
      code: 'KA_UNTERMINATED_QUOTE',
      message: `Unterminated quote '${text.trim()}'`,
      loc,
    });
  }
  return out.trim();
}

/** keepalived's alloc_strvec(): whitespace-separated words, `"..."` kept whole without the quotes. */
export function tokenize(s: string, loc: SourceLoc, diags: Diagnostic[], report = true): string[] {
  const out: string[] = [];
  let i = 0;
  const ws = (c: string) => c === ' ' || c === '\t' || c === '\f' || c === '\v' || c === '\r' || c === '\n';
  while (i < s.length) {
    while (i < s.length && ws(s[i])) i++;
    if (i >= s.length) break;
    if (s[i] === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) {
        if (report)
          diags.push({ severity: 'error', code: 'KA_UNMATCHED_QUOTE', message: `Unmatched quote: '${s}'`, loc });
        break;
      }
      out.push(s.slice(i + 1, end));
      i = end + 1;
    } else {
      let j = i;
      while (j < s.length && !ws(s[j]) && s[j] !== '"') j++;
      out.push(s.slice(i, j));
      i = j;
    }
  }
  return out;
}

/**
 * keepalived's alloc_strvec_quoted_escaped(), used for script command lines: words split on blanks,
 * '...' and "..." group, backslash escapes (\n \t \\ \" \' \xHH, octal). Returns a message on an
 * unterminated quote.
 */
export function splitCommand(s: string): string[] | string {
  const out: string[] = [];
  const ws = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
  const esc: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
  let i = 0;
  while (i < s.length) {
    while (i < s.length && ws(s[i])) i++;
    if (i >= s.length) break;
    let word = '';
    let quote = '';
    while (i < s.length) {
      const c = s[i];
      if (c === '\\') {
        const n = s[i + 1];
        if (n === undefined) return `Missing escape char at end: '${s}'`;
        const hex = n === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 2)) : null;
        const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1));
        if (hex) {
          word += String.fromCharCode(Number.parseInt(hex[0], 16));
          i += 2 + hex[0].length;
        } else if (oct) {
          word += String.fromCharCode(Number.parseInt(oct[0], 8));
          i += 1 + oct[0].length;
        } else {
          word += esc[n] ?? n;
          i += 2;
        }
        continue;
      }
      if (quote) {
        if (c === quote) quote = '';
        else word += c;
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        i++;
        continue;
      }
      if (ws(c)) break;
      word += c;
      i++;
    }
    if (quote) return `String '${s}': missing terminating ${quote}`;
    out.push(word);
  }
  return out;
}
