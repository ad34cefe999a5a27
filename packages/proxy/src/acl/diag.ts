/**
 * Diagnostics helpers for ACL, sample and log-format compilation: stable codes, messages a user
 * can act on, and "did you mean" suggestions.
 */
import type { Code, Diagnostic, SourceLoc } from '@switchyard/config';
import type { ProxyDiagnosticCode } from '../model/codes.ts';

export { AclCode } from '../model/codes.ts';

/** Pushes an error (or a warning) diagnostic. */
export function report(
  diags: Diagnostic[],
  code: ProxyDiagnosticCode | Code,
  message: string,
  loc: SourceLoc,
  severity: 'error' | 'warning' = 'error',
): void {
  diags.push({ severity, code, message, loc });
}

/** Edit distance (Levenshtein), small inputs only. */
function distance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** ` (did you mean 'x'?)` for the closest candidate, or '' when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best = '';
  let bestD = Number.POSITIVE_INFINITY;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best && bestD <= limit ? ` (did you mean '${best}'?)` : '';
}
