/** Diagnostics: stable codes, a collector the parser writes to, and the printed form. */
import type { Diagnostic, Severity, SourceLoc } from './model.ts';

/** Stable diagnostic codes. Tests and tools may match on these; never rename one. */
export const Codes = {
  /** A file could not be read. */
  READ_FAILED: 'CFG_READ_FAILED',
  /** Tokenizer error: unmatched quote, bad escape, too many words. */
  SYNTAX: 'CFG_SYNTAX',
  /** A keyword the section does not know. */
  UNKNOWN_KEYWORD: 'CFG_UNKNOWN_KEYWORD',
  /** A HAProxy section Switchyard does not support (resolvers, userlist, ...). */
  UNSUPPORTED_SECTION: 'CFG_UNSUPPORTED_SECTION',
  /** A keyword used in a section where it has no meaning (e.g. `server` in a frontend). */
  NOT_ALLOWED: 'CFG_NOT_ALLOWED_HERE',
  /** A keyword needs an argument that is missing. */
  MISSING_ARG: 'CFG_MISSING_ARG',
  /** An argument is present but invalid. */
  BAD_VALUE: 'CFG_BAD_VALUE',
  /** Trailing words a keyword does not take. */
  EXTRA_ARGS: 'CFG_EXTRA_ARGS',
  BAD_TIME: 'CFG_BAD_TIME',
  /** `5sec`, `1m30s`: HAProxy 2.6 ignores what follows the unit, with a warning; so does Switchyard. */
  TIME_TRAILING: 'CFG_TIME_TRAILING',
  BAD_SIZE: 'CFG_BAD_SIZE',
  BAD_ADDRESS: 'CFG_BAD_ADDRESS',
  BAD_PORT: 'CFG_BAD_PORT',
  BAD_NAME: 'CFG_BAD_NAME',
  /** A HAProxy 1.x keyword accepted with a warning naming the modern form. */
  LEGACY_KEYWORD: 'CFG_LEGACY_KEYWORD',
  /** A keyword that has no meaning for a Node process; accepted with a warning. */
  IGNORED_KEYWORD: 'CFG_IGNORED_KEYWORD',
  /** A HAProxy feature Switchyard does not support (mode tcp, send-proxy, ...). */
  UNSUPPORTED: 'CFG_UNSUPPORTED',
  DUPLICATE_NAME: 'CFG_DUPLICATE_NAME',
  DUPLICATE_ID: 'CFG_DUPLICATE_ID',
  UNKNOWN_BACKEND: 'CFG_UNKNOWN_BACKEND',
  /** A frontend routes to a backend of another mode (http -> tcp). */
  MODE_MISMATCH: 'CFG_MODE_MISMATCH',
  /** `use-server` names a server the backend does not have. */
  UNKNOWN_SERVER: 'CFG_UNKNOWN_SERVER',
  UNKNOWN_DEFAULTS: 'CFG_UNKNOWN_DEFAULTS',
  /** A named defaults section used both through `from` and implicitly (HAProxy refuses it too). */
  AMBIGUOUS_DEFAULTS: 'CFG_AMBIGUOUS_DEFAULTS',
  UNKNOWN_PEERS: 'CFG_UNKNOWN_PEERS',
  /** `errorfiles NAME` names no http-errors section. */
  UNKNOWN_HTTP_ERRORS: 'CFG_UNKNOWN_HTTP_ERRORS',
  /** A server names a `resolvers` section that does not exist. */
  UNKNOWN_RESOLVERS: 'CFG_UNKNOWN_RESOLVERS',
  UNKNOWN_TABLE: 'CFG_UNKNOWN_TABLE',
  /** `timeout client/server/connect` missing: HAProxy warns too. */
  MISSING_TIMEOUT: 'CFG_MISSING_TIMEOUT',
  /** A frontend/listen without any `bind`. */
  NO_BIND: 'CFG_NO_BIND',
  /** A frontend with no backend to send traffic to. */
  NO_BACKEND: 'CFG_NO_BACKEND',
  /** A setting that is accepted but has no effect where it is written. */
  NO_EFFECT: 'CFG_NO_EFFECT',
  /** The same log destination listed twice for one proxy: every line would be sent twice. */
  DUPLICATE_LOG: 'CFG_DUPLICATE_LOG',
  /** `zero-warning` is set and there were warnings. */
  ZERO_WARNING: 'CFG_ZERO_WARNING',
  /** An environment variable used in the config is not set. */
  UNSET_ENV: 'CFG_UNSET_ENV',
  /** A file named by `errorfile`, `return file` could not be read. */
  FILE_NOT_FOUND: 'CFG_FILE_NOT_FOUND',
} as const;

export type Code = (typeof Codes)[keyof typeof Codes];

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
