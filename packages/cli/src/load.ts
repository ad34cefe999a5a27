/** Configuration files -> model -> compiled runtime, with every diagnostic of both stages. */
import {
  type ConfigModel,
  type Diagnostic,
  formatDiagnostic,
  loadConfigFiles,
  readReferencedFile,
} from '@switchyard/config';
import {
  buildRuntime,
  type CompiledRuntime,
  type Logger,
  registerBuiltinFetches,
  registerFetch,
  stderrLine,
} from '@switchyard/proxy';
import { checkStateConfig, registerStateFetches } from '@switchyard/state';

export interface Loaded {
  model: ConfigModel;
  runtime?: CompiledRuntime;
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
}

/** Parses `files` and, when parsing found no error, builds the runtime (nothing is bound). */
export function loadRuntime(files: string[], logger: Logger, previous?: CompiledRuntime): Loaded {
  // the ACL language's fetches: the built-in ones and those other packages add (stick
  // counters), before anything compiles
  registerBuiltinFetches();
  registerStateFetches(registerFetch);
  const parsed = loadConfigFiles(files, { readFile: readReferencedFile });
  const diagnostics = [...parsed.diagnostics];
  let runtime: CompiledRuntime | undefined;
  // The runtime is built even after parse errors so -c reports build problems too; it is only
  // served when there is no error at all.
  const built = buildRuntime(parsed.model, { logger, previous, checks: [checkStateConfig] });
  // What the parser already reported (same line, or the same check by code) is not reported
  // again by the later stages, whose checks also guard models built without the parser.
  const parserErrors = parsed.diagnostics.filter((d) => d.severity === 'error');
  const lines = new Set(parserErrors.map((d) => `${d.loc.file}:${d.loc.line}`));
  const codes = new Set(parserErrors.map((d) => d.code));
  for (const d of built.diagnostics) {
    const dup = d.severity === 'error' && (lines.has(`${d.loc.file}:${d.loc.line}`) || codes.has(d.code));
    if (!dup) diagnostics.push(d);
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors === 0) runtime = built.runtime;
  return { model: parsed.model, runtime, diagnostics, errors, warnings: diagnostics.length - errors };
}

/** Diagnostics as printed lines, in file/line order. */
export function diagnosticLines(ds: Diagnostic[]): string[] {
  return [...ds]
    .sort((a, b) => (a.loc.file === b.loc.file ? a.loc.line - b.loc.line : 0))
    .map((d) => formatDiagnostic(d));
}

/**
 * loadRuntime at start: every diagnostic printed; undefined (with the ALERT printed) when the
 * configuration has errors and nothing may start.
 */
export function loadAtStart(files: string[], logger: Logger): (Loaded & { runtime: CompiledRuntime }) | undefined {
  const loaded = loadRuntime(files, logger);
  for (const line of diagnosticLines(loaded.diagnostics)) process.stderr.write(`${line}\n`);
  if (loaded.runtime) return loaded as Loaded & { runtime: CompiledRuntime };
  process.stderr.write(
    stderrLine('ALERT', process.pid, `Fatal errors found in configuration (${loaded.errors}); nothing was started.`),
  );
  return undefined;
}
