/** Test helpers: parse inline config text and pick diagnostics. */
import { type Diagnostic, type ParseResult, type ProxyModel, parseConfig } from '@switchyard/config';

/** Parses `text` as file `t.cfg` with an empty environment. */
export function parse(text: string, env: Record<string, string> = {}): ParseResult {
  return parseConfig([{ file: 't.cfg', text }], { env });
}

/** `LINE CODE` of every diagnostic of a severity, for compact exact assertions. */
export function codes(r: ParseResult, severity?: Diagnostic['severity']): string[] {
  return r.diagnostics.filter((d) => !severity || d.severity === severity).map((d) => `${d.loc.line} ${d.code}`);
}

/** The only error of a result (asserts there is exactly one). */
export function oneError(r: ParseResult): Diagnostic {
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length !== 1) throw new Error(`expected exactly one error, got ${JSON.stringify(errors, null, 1)}`);
  return errors[0];
}

/** A proxy by name (throws when missing). */
export function proxy(r: ParseResult, name: string): ProxyModel {
  const p = r.model.proxies.find((x) => x.name === name);
  if (!p) throw new Error(`no proxy ${name}`);
  return p;
}

/** Minimal valid prelude: defaults with the three timeouts, so tests see only their own diagnostics. */
export const DEFAULTS = 'defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n';
