/** Configuration files -> model -> compiled runtime, with every diagnostic of both stages. */
import {
  type ConfigModel,
  type Diagnostic,
  formatDiagnostic,
  loadConfigFiles,
  readReferencedFile,
} from '@switchyard/config';
import { buildRuntime, type CompiledRuntime, type Logger } from '@switchyard/proxy';
import { checkStateConfig } from '@switchyard/state';

export interface Loaded {
  model: ConfigModel;
  runtime?: CompiledRuntime;
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
}

/** Parses `files` and, when parsing found no error, builds the runtime (nothing is bound). */
export function loadRuntime(files: string[], logger: Logger, previous?: CompiledRuntime): Loaded {
  const parsed = loadConfigFiles(files, { readFile: readReferencedFile });
  const diagnostics = [...parsed.diagnostics];
  let runtime: CompiledRuntime | undefined;
  // The runtime is built even after parse errors so -c reports build problems too; it is only
  // served when there is no error at all.
  const built = buildRuntime(parsed.model, { logger, previous });
  // A line the parser already reported is not reported again by the later stages.
  const reported = new Set(
    parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.loc.file}:${d.loc.line}`),
  );
  for (const d of [...built.diagnostics, ...checkStateConfig(parsed.model)]) {
    if (!(d.severity === 'error' && reported.has(`${d.loc.file}:${d.loc.line}`))) diagnostics.push(d);
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
