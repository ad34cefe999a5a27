/**
 * ACLs compiled once at load: a condition becomes a function of the transaction.
 * Nothing is parsed per request.
 */
import type { HttpTxn } from '../txn.ts';

/** A compiled `if COND` / `unless COND`: true when the rule applies. */
export type CompiledCondition = (txn: HttpTxn) => boolean;

/** A sample fetch: returns the sample(s) for this request, or undefined when absent. */
export type FetchFn = (txn: HttpTxn) => string | number | boolean | string[] | undefined;
