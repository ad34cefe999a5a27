/**
 * Splits a sample expression `fetch(args),conv(args),...` into its parts (load time only).
 * Arguments are separated by commas; quotes (' or ") group, `\,` `\(` `\)` `\\` escape, and any
 * other backslash is kept (regex escapes like `\.` reach the regex unchanged).
 */

export interface ExprCall {
  name: string;
  args: string[];
  /** Whether `(...)` was written (even empty). */
  hasParens: boolean;
}

export interface ParsedExpr {
  fetch: ExprCall;
  converters: ExprCall[];
}

function splitTop(text: string): string[] | string {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
      continue;
    }
    if (quote) {
      if (c === quote) quote = '';
      cur += c;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') {
      if (--depth < 0) return `unbalanced ')' in '${text}'`;
    } else if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (quote) return `missing closing quote in '${text}'`;
  if (depth !== 0) return `missing ')' in '${text}'`;
  out.push(cur);
  return out;
}

/** Splits the inside of `(...)` into arguments, unescaping as described above. */
export function splitArgs(inner: string): string[] {
  if (inner === '') return [];
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '\\' && i + 1 < inner.length) {
      const n = inner[i + 1];
      if (n === ',' || n === '(' || n === ')' || n === '\\' || n === '"' || n === "'") cur += n;
      else cur += c + n;
      i++;
      continue;
    }
    if (quote) {
      if (c === quote) quote = '';
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    if (c === ',') {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

function parseCall(part: string): ExprCall | string {
  const open = part.indexOf('(');
  if (open < 0) {
    if (!/^[A-Za-z0-9_.-]+$/.test(part)) return `invalid keyword '${part}'`;
    return { name: part, args: [], hasParens: false };
  }
  if (!part.endsWith(')')) return `expected ')' at the end of '${part}'`;
  const name = part.slice(0, open);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return `invalid keyword '${name}'`;
  return { name, args: splitArgs(part.slice(open + 1, -1)), hasParens: true };
}

/** Parses `fetch(args),conv(args),...`; returns an error message string when malformed. */
export function parseExpr(text: string): ParsedExpr | string {
  if (text === '') return 'empty sample expression';
  const parts = splitTop(text);
  if (typeof parts === 'string') return parts;
  const calls: ExprCall[] = [];
  for (const p of parts) {
    if (p === '') return `empty converter in '${text}'`;
    const c = parseCall(p);
    if (typeof c === 'string') return c;
    calls.push(c);
  }
  return { fetch: calls[0], converters: calls.slice(1) };
}
