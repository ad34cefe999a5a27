/**
 * `acl NAME CRITERION [flags] [operator] [patterns...]` compiled once into a predicate.
 * Flags as HAProxy parses them: they come first and stop at the first word not starting with
 * '-' or at `--`; `-i` folds case, `-n` (no DNS) is accepted, `-m METHOD`, `-f FILE` (patterns,
 * one per line), `-M` (the files are maps: the first word of a line is the pattern), `-u ID`.
 */
import { readFileSync } from 'node:fs';
import type { AclModel, Diagnostic, SourceLoc } from '@switchyard/config';
import { ACL_KEYWORDS } from './acl-keywords.ts';
import type { Scalar } from './cast.ts';
import { AclCode, report } from './diag.ts';
import { parseExpr } from './expr-parse.ts';
import { buildMatcher, buildMethodMatcher, INT_OPERATORS, MATCH_METHODS, type MatchMethod } from './matchers.ts';
import { buildSample } from './sample.ts';
import type { AclTable, CompiledCondition, RulePhase, SampleType } from './types.ts';

/** Compiled ACL lines that read the response (status, res.hdr...). */
const responseDependent = new WeakSet<CompiledCondition>();

/** True when a predicate from compileAclLine() reads the response. */
export function usesResponse(f: CompiledCondition): boolean {
  return responseDependent.has(f);
}

const DEFAULT_METHOD: Record<SampleType, MatchMethod | undefined> = {
  str: 'str',
  int: 'int',
  bool: 'bool',
  ip: 'ip',
  any: undefined,
};

/** Reads a pattern file as HAProxy does: `#` in column 1 comments, leading blanks stripped, blank lines skipped. */
function readPatternFile(path: string, map: boolean): Array<[pattern: string, line: number]> | string {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    return `failed to open pattern file <${path}> (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
  const out: Array<[string, number]> = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n];
    if (raw.startsWith('#')) continue;
    let line = raw.replace(/^[ \t]+/, '');
    const cr = line.indexOf('\r');
    if (cr >= 0) line = line.slice(0, cr);
    if (line === '') continue;
    if (map) {
      const m = /^[^ \t]+/.exec(line);
      if (m) out.push([m[0], n + 1]);
    } else out.push([line, n + 1]);
  }
  return out;
}

/**
 * Compiles one ACL line (criterion + args) into a predicate; `what` names it in messages
 * (`ACL 'name'` or `anonymous ACL`). Returns undefined after reporting an error.
 */
export function compileAclLine(
  criterion: string,
  args: readonly string[],
  what: string,
  loc: SourceLoc,
  diags: Diagnostic[],
  phase?: RulePhase,
): CompiledCondition | undefined {
  const fail = (code: AclCode, msg: string) => {
    report(diags, code, `error detected while parsing ${what} : ${msg}`, loc);
    return undefined;
  };
  const parsed = parseExpr(criterion);
  if (typeof parsed === 'string') return fail(AclCode.BAD_ARGS, parsed);
  const kw = ACL_KEYWORDS.get(parsed.fetch.name);
  const sample = buildSample(
    parsed.fetch,
    parsed.converters,
    kw ? kw[0] : parsed.fetch.name,
    true,
    loc,
    diags,
    ACL_KEYWORDS.keys(),
    phase,
  );
  if (!sample) return undefined;
  const mark = (f: CompiledCondition): CompiledCondition => {
    if (sample.response) responseDependent.add(f);
    return f;
  };
  let method: MatchMethod | undefined = kw ? kw[1] : DEFAULT_METHOD[sample.type];
  let explicitMethod = false;
  let icase = false;
  let map = false;
  let sawDashes = false;
  const files: string[] = [];
  let i = 0;
  for (; i < args.length && args[i].startsWith('-'); i++) {
    const a = args[i];
    if (a === '--') {
      sawDashes = true;
      i++;
      break;
    }
    if (a === '-i') icase = true;
    else if (a === '-n') {
      // no DNS resolution: Switchyard never resolves patterns anyway
    } else if (a === '-M') map = true;
    else if (a === '-m' || a === '-f' || a === '-u') {
      const v = args[i + 1];
      if (v === undefined) return fail(AclCode.BAD_FLAG, `missing argument after '${a}'`);
      i++;
      if (a === '-m') {
        if (!(MATCH_METHODS as readonly string[]).includes(v)) {
          return fail(AclCode.BAD_FLAG, `unknown matching method '${v}' (expected one of ${MATCH_METHODS.join(', ')})`);
        }
        method = v as MatchMethod;
        explicitMethod = true;
      } else if (a === '-f') files.push(v);
      else if (!/^-?[0-9]+$/.test(v)) return fail(AclCode.BAD_FLAG, `'-u' expects a numeric id, got '${v}'`);
    } else {
      return fail(
        AclCode.BAD_FLAG,
        `'${a}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'`,
      );
    }
  }
  if (method === undefined)
    return fail(
      AclCode.BAD_FLAG,
      `matching method must be specified first (using '-m') when using a sample fetch of this type ('${parsed.fetch.name}')`,
    );
  const patterns: Array<[string, string]> = [];
  /** Where each pattern came from when it was read from a file (`FILE:LINE`). */
  const origins: Array<string | undefined> = [];
  for (const f of files) {
    const lines = readPatternFile(f, map);
    if (typeof lines === 'string') {
      report(diags, AclCode.PATTERN_FILE, `error detected while parsing ${what} : ${lines}`, loc);
      return undefined;
    }
    for (const [pat, line] of lines) {
      patterns.push(['', pat]);
      origins.push(`${f}:${line}`);
    }
  }
  const intLike = method === 'int' || method === 'len';
  let op = '';
  for (; i < args.length; i++) {
    if (intLike && INT_OPERATORS.has(args[i])) op = args[i];
    else patterns.push([op, args[i]]);
  }
  if (method === 'found' || method === 'bool') {
    if (patterns.length > 0) {
      report(
        diags,
        AclCode.NO_PATTERN,
        `${what}: '-m ${method}' takes no pattern; the patterns are ignored`,
        loc,
        'warning',
      );
    }
  } else if (patterns.length === 0 && files.length === 0 && !sawDashes) {
    report(
      diags,
      AclCode.NO_PATTERN,
      `${what} (${criterion}): no pattern to match against were provided, so this ACL will never match. ` +
        `Add '--' to silence this warning, use '-m found' to match only for existence, or '-m bool' to match an int as a bool`,
      loc,
      'warning',
    );
  }
  // `method` has its own matcher unless another one is asked for with -m
  const methodFetch = !kw && parsed.fetch.name === 'method' && parsed.converters.length === 0 && !explicitMethod;
  const match = methodFetch ? buildMethodMatcher(patterns, icase) : buildMatcher(method, patterns, icase);
  if (typeof match === 'string') {
    // name the pattern file line when the bad pattern came from one
    const bad = patterns.findIndex((p) => typeof buildMatcher(method, [p], icase) === 'string');
    const where = bad >= 0 && origins[bad] ? ` (at ${origins[bad]})` : '';
    return fail(AclCode.BAD_PATTERN, match + where);
  }
  const fetch = sample.fn;
  if (method === 'found') return mark((txn) => fetch(txn) !== undefined);
  return mark((txn) => {
    const v = fetch(txn);
    if (v === undefined) return false;
    if (Array.isArray(v)) {
      for (const x of v) if (match(x)) return true;
      return false;
    }
    return match(v as Scalar);
  });
}

/**
 * Compiles a proxy's `acl` lines: lines with the same name are ORed into one ACL. Problems are
 * pushed to `diags` with each line's FILE:LINE; a broken line is left out of its ACL (the name
 * stays defined so conditions do not report it a second time).
 */
export function compileAcls(acls: AclModel[], diags: Diagnostic[]): AclTable {
  const lines = new Map<string, { loc: SourceLoc; tests: CompiledCondition[]; response: boolean }>();
  for (const a of acls) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(a.name)) {
      report(
        diags,
        AclCode.BAD_ARGS,
        `ACL name '${a.name}' contains invalid characters (allowed: letters, digits, '-', '_', '.', ':')`,
        a.loc,
      );
      continue;
    }
    let entry = lines.get(a.name);
    if (!entry) lines.set(a.name, (entry = { loc: a.loc, tests: [], response: false }));
    const t = compileAclLine(a.criterion, a.args, `ACL '${a.name}'`, a.loc, diags);
    if (t) {
      entry.tests.push(t);
      if (usesResponse(t)) entry.response = true;
    }
  }
  const table: AclTable = new Map();
  for (const [name, { loc, tests, response }] of lines) {
    let test: CompiledCondition;
    if (tests.length === 0) test = () => false;
    else if (tests.length === 1) test = tests[0];
    else {
      test = (txn) => {
        for (const t of tests) if (t(txn)) return true;
        return false;
      };
    }
    table.set(name, { name, loc, test, needsResponse: response });
  }
  return table;
}
