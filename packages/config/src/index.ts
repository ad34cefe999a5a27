export { Codes, formatDiagnostic, Reporter } from './diagnostics.ts';
export { newGlobal, newHttpCheck, newProxy, newServerParams, type ServerParams } from './factory.ts';
export { tokenizeLine } from './lexer.ts';
export { loadConfigFiles, readReferencedFile } from './load.ts';
export * from './model.ts';
export { type ParseOptions, parseConfig } from './parser.ts';
export { VAR_CONDITIONS, varNameError } from './proxy/vars.ts';
export { closest, editDistance } from './suggest.ts';
export { parseIntRange, parseSize, parseTime, ValueError } from './units.ts';
