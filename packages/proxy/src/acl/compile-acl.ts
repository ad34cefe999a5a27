/**
 * `acl NAME CRITERION [flags] [operator] [patterns...]` compiled once into a predicate.
 * Flags as HAProxy parses them: they come first and stop at the first word not starting with
 * '-' or at `--`; `-i` folds case, `-n` (no DNS) is accepted, `-m METHOD`, `-f FILE` (patterns,
 * one per line), `-M` (the files are maps: the first word of a line is the pattern), `-u ID`.
 */
import type { AclModel, Diagnostic, SourceLoc } from '@switchyard/config';
import { fileRef, idTaken, inlineRef, type PatRef } from '../model/pattern-refs.ts';
import { ACL_KEYWORDS } from './acl-keywords.ts';
import type { Scalar } from './cast.ts';
import { AclCode, report } from './diag.ts';
import { parseExpr } from './expr-parse.ts';
import { buildMatcher, buildMethodMatcher, INT_OPERATORS, MATCH_METHODS, type MatchMethod } from './matchers.ts';
import { refsMatcher, registerAclExprs } from './ref-matcher.ts';
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

/**
 * An integer pattern with the operator before it, as haproxy stores it (acl.c): `gt 5` is `6:`,
 * `le 3` is `:3`; a pattern with ':' or '-' is kept as written.
 */
function withOperator(p: string, op: string): string {
  if (op === '' || op === 'eq' || p.includes(':') || p.includes('-') || !/^[+]?[0-9]+$/.test(p)) return p;
  const n = Number(p);
  if (op === 'gt') return `${n + 1}:`;
  if (op === 'ge') return `${n}:`;
  if (op === 'lt') return `:${n - 1}`;
  return `:${n}`;
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
  inCondition = false,
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
  let forcedId: number | undefined;
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
      else if (!/^-?[0-9]+$/.test(v)) return fail(AclCode.BAD_FLAG, 'the argument of -u must be an integer');
      else if (idTaken(Number(v))) return fail(AclCode.BAD_FLAG, 'the id is already used');
      else forcedId = Number(v);
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
  const refs: PatRef[] = [];
  for (const f of files) {
    const ref = fileRef(f, map ? 'map' : 'acl', map, loc, inCondition);
    if (typeof ref === 'string') {
      report(diags, AclCode.PATTERN_FILE, `error detected while parsing ${what} : ${ref}`, loc);
      return undefined;
    }
    ref.acl = true;
    refs.push(ref);
  }
  const intLike = method === 'int' || method === 'len';
  const inline: string[] = [];
  let op = '';
  for (; i < args.length; i++) {
    if (intLike && INT_OPERATORS.has(args[i])) op = args[i];
    else inline.push(intLike ? withOperator(args[i], op) : args[i]);
  }
  if (method === 'found' || method === 'bool') {
    if (inline.length > 0) {
      report(
        diags,
        AclCode.NO_PATTERN,
        `${what}: '-m ${method}' takes no pattern; the patterns are ignored`,
        loc,
        'warning',
      );
    }
  } else if (inline.length === 0 && files.length === 0 && !sawDashes) {
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
  const build = (pats: string[]) => {
    const tuples = pats.map((p): [string, string] => ['', p]);
    return methodFetch ? buildMethodMatcher(tuples, icase) : buildMatcher(method, tuples, icase);
  };
  // name the pattern file line when the bad pattern came from one
  for (const r of refs)
    for (const e of r.entries)
      if (typeof build([e.key]) === 'string')
        return fail(AclCode.BAD_PATTERN, `${build([e.key])} (at ${r.file}:${e.line})`);
  refs.push(inlineRef(parsed.fetch.name, inline, loc, inCondition, forcedId));
  registerAclExprs(refs, method, icase);
  const match = refsMatcher(refs, build);
  if (typeof match === 'string') return fail(AclCode.BAD_PATTERN, match);
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
