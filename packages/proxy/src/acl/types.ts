/**
 * ACLs compiled once at load: a condition becomes a function of the transaction.
 * Nothing is parsed per request.
 */
import type { SourceLoc } from '@switchyard/config';
import type { HttpTxn } from '../model/txn.ts';

/** A compiled `if COND` / `unless COND`: true when the rule applies. */
export type CompiledCondition = (txn: HttpTxn) => boolean;

/** A sample fetch: returns the sample(s) for this request, or undefined when absent. */
export type FetchFn = (txn: HttpTxn) => string | number | boolean | string[] | undefined;

/** The value types a fetch produces; they pick the default match method and the casts. */
/** `any`: the type is known per request only (`var()`); an ACL on it needs `-m`. */
export type SampleType = 'str' | 'int' | 'bool' | 'ip' | 'any';

/** What a fetch factory is told when it is compiled (once, at load). */
export interface FetchContext {
  /**
   * ACL context: multi-valued fetches (hdr, cook, url_param) return every occurrence as a
   * string[] and the ACL matches when any one matches. In sample context (`%[...]`, track-sc,
   * balance hdr) they return a single value (the last occurrence unless told otherwise).
   */
  multi: boolean;
  /** Where the expression was written, for messages. */
  loc: SourceLoc;
}

/**
 * A sample fetch keyword (built in or registered by another package with registerFetch).
 * `create` runs once per use at load time; it validates its arguments and returns the FetchFn,
 * or a string: the error message (reported with the location of the expression).
 */
export interface FetchDef {
  type: SampleType;
  /** `response`: reads the response (HttpTxnResponse); only meaningful in http-response rules. */
  phase?: 'response';
  minArgs: number;
  maxArgs: number;
  create(args: string[], ctx: FetchContext): FetchFn | string;
}

/** One compiled `acl NAME ...` (all lines of that name, ORed). */
export interface CompiledAcl {
  name: string;
  /** Some line of it reads the response: it never matches in http-request rules. */
  needsResponse?: boolean;
  /** First line that defined it. */
  loc: SourceLoc;
  test: CompiledCondition;
}

/** ACLs of one proxy by name, from compileAcls(). */
export type AclTable = Map<string, CompiledAcl>;

/**
 * The response side of a transaction that http-response conditions and response fetches
 * (`status`, `res.hdr()`, ...) read. The datapath sets both on the HttpTxn before running
 * http-response rules; `resHeaders` is the live [name, value, ...] list the rules edit.
 */
export interface HttpTxnResponse {
  status?: number;
  resHeaders?: string[];
  /** The `compression algo` the response is compressed with (`res.comp`, `res.comp_algo`). */
  resComp?: string;
}

/** Which rules a condition or log-format belongs to, so response-only fetches can be refused in request rules. */
export type RulePhase = 'request' | 'response';
