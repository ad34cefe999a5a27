/** Parser-internal state shared by the keyword handlers. Not part of the public API. */
import { dirname, isAbsolute, join } from 'node:path';
import type { Code } from './codes.ts';
import type { Reporter } from './diagnostics.ts';
import type { ServerParams } from './factory.ts';
import type { ConditionModel, ConfigModel, HttpCheckModel, ProxyModel, SourceLoc, TcpCheckRuleModel } from './model.ts';
import { parseTime, type ValueError } from './units.ts';

/** Overrides from `http-check send` (applied over `option httpchk` when the proxy is finished). */
export interface CheckSend {
  method?: string;
  uri?: string;
  version?: string;
  headers: Array<[string, string]>;
  body?: string;
  loc: SourceLoc;
}

/** A frontend/backend/listen, or a defaults section, being parsed. */
export interface SectionState {
  kind: 'defaults' | 'frontend' | 'backend' | 'listen';
  name: string;
  /** For defaults, `model.kind` is 'listen' and unused. */
  model: ProxyModel;
  serverDefaults: ServerParams;
  checkSend?: CheckSend;
  /** `http-check expect` / `disable-on-404` seen before (or without) `option httpchk`. */
  checkRules: Pick<HttpCheckModel, 'expect' | 'disableOn404'>;
  checkRulesLoc?: SourceLoc;
  /** True once this section wrote its own `http-check` line (inherited ones are then dropped). */
  checkRulesOwn: boolean;
  /** `tcp-check` lines in effect (own, or inherited from defaults until the first own line). */
  tcpRules: TcpCheckRuleModel[];
  tcpRulesOwn: boolean;
  explicitId: boolean;
  explicitServerIds: Set<string>;
  /** Where `timeout X` was set, for diagnostics. */
  timeoutLocs: Record<string, SourceLoc>;
  defaultBackendLoc?: SourceLoc;
}

/** What a keyword handler gets: the words of its line and where to report. */
export interface LineCtx {
  /** All words of the line, args[0] is the keyword (after any `no` prefix was removed). */
  args: string[];
  /** True when the line started with `no`. */
  negated: boolean;
  loc: SourceLoc;
  r: Reporter;
  config: ConfigModel;
  env: Record<string, string | undefined>;
  /** Reads a file referenced by the config (errorfile, return file); undefined when unavailable. */
  readFile?: (path: string) => string | Error;
}

/** Report helpers bound to a line. */
export function err(ctx: LineCtx, code: Code, message: string): false {
  ctx.r.error(ctx.loc, code, message);
  return false;
}

export function warn(ctx: LineCtx, code: Code, message: string): void {
  ctx.r.warn(ctx.loc, code, message);
}

/** Reports a ValueError and returns undefined, or passes the value through. */
export function valueOr<T>(ctx: LineCtx, v: T | ValueError, what: string): T | undefined {
  if (v instanceof Error) {
    ctx.r.error(ctx.loc, v.code, `${what}: ${v.message}`);
    return undefined;
  }
  return v;
}

/** A file path as written, resolved against `default-path` when relative (HAProxy's rule). */
export function configPath(ctx: LineCtx, p: string): string {
  const d = ctx.config.global.defaultPath;
  if (!d || d.mode === 'current' || isAbsolute(p)) return p;
  const dir = dirname(ctx.loc.file);
  const base = d.mode === 'config' ? dir : d.mode === 'parent' ? dirname(dir) : (d.path ?? '.');
  return join(base, p);
}

/** Parses a time in a config line: HAProxy's lenient form (text after the unit warns, value kept). */
export function configTime(ctx: LineCtx, text: string, defaultUnit: 'ms' | 's' = 'ms'): number | ValueError {
  return parseTime(text, defaultUnit, (w) => ctx.r.warn(ctx.loc, 'CFG_TIME_TRAILING', w));
}

/** Errors on missing argument N; returns it otherwise. */
export function need(ctx: LineCtx, i: number, what: string): string | undefined {
  const a = ctx.args[i];
  if (a === undefined || a === '') {
    ctx.r.error(ctx.loc, 'CFG_MISSING_ARG', `'${ctx.args.slice(0, Math.min(i, 2)).join(' ')}' expects ${what}`);
    return undefined;
  }
  return a;
}

/** Errors when words remain after index `from` (exclusive end of what the keyword takes). */
export function noExtra(ctx: LineCtx, from: number): boolean {
  if (ctx.args.length > from) {
    ctx.r.error(
      ctx.loc,
      'CFG_EXTRA_ARGS',
      `'${ctx.args.slice(0, Math.min(from, 2)).join(' ')}' does not take the argument '${ctx.args[from]}'`,
    );
    return false;
  }
  return true;
}

/**
 * Splits `... if|unless COND` off the end of a rule. Returns the words before it and the condition,
 * or undefined (after reporting) when `if`/`unless` has no condition after it: such a rule is dropped,
 * never applied unconditionally.
 */
export function splitCondition(ctx: LineCtx, start: number): { words: string[]; cond?: ConditionModel } | undefined {
  const a = ctx.args;
  for (let i = start; i < a.length; i++) {
    if (a[i] === 'if' || a[i] === 'unless') {
      const terms = a.slice(i + 1);
      if (terms.length === 0) {
        ctx.r.error(ctx.loc, 'CFG_MISSING_ARG', `missing condition after '${a[i]}'`);
        return undefined;
      }
      return { words: a.slice(start, i), cond: { polarity: a[i] as 'if' | 'unless', terms, loc: { ...ctx.loc } } };
    }
  }
  return { words: a.slice(start) };
}
