/** keepalived.conf dialect: model, parser, `-t` check. */

export { type CheckResult, checkConfig, formatDiagnostic } from './check.ts';
export type { LexerOptions } from './lexer.ts';
export * from './model.ts';
export { type LoadOptions, loadKeepalivedConf, type ParseOptions, parseKeepalivedConf } from './parser.ts';
