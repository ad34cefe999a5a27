/** Diagnostics: stable codes, a collector the parser writes to, and the printed form. */
import type { Code } from './codes.ts';
import type { Diagnostic, Severity, SourceLoc } from './model.ts';

/** Collects diagnostics in the order they are found. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  /** Record an error: the configuration is refused. */
  error(loc: SourceLoc, code: Code, message: string): void {
    this.push('error', loc, code, message);
  }

  /** Record a warning: the configuration is accepted. */
  warn(loc: SourceLoc, code: Code, message: string): void {
    this.push('warning', loc, code, message);
  }

  /** True when at least one error was recorded. */
  get hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }

  private push(severity: Severity, loc: SourceLoc, code: Code, message: string): void {
    this.diagnostics.push({ severity, code, message, loc: { file: loc.file, line: loc.line } });
  }
}

/** `[ALERT] FILE:LINE: message` / `[WARNING] FILE:LINE: message` (line 0 = whole file: `FILE: message`). */
export function formatDiagnostic(d: Diagnostic): string {
  const prefix = d.severity === 'error' ? '[ALERT]' : '[WARNING]';
  const where = d.loc.line > 0 ? `${d.loc.file}:${d.loc.line}` : d.loc.file;
  return `${prefix} ${where}: ${d.message}`;
}
