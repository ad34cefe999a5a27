/**
 * Compiles sample expressions (`fetch(args),conv,...`) into closures, for ACL criteria and for
 * `%[...]`, track-sc, stick and balance keys. Parsed once at load.
 */
import type { Diagnostic, SourceLoc } from '@switchyard/config';
import type { Scalar } from './cast.ts';
import { CONVERTERS, type ConvFn } from './converters.ts';
import { AclCode, didYouMean, report } from './diag.ts';
import type { ExprCall } from './expr-parse.ts';
import { parseExpr } from './expr-parse.ts';
import { fetchNames, lookupFetch } from './registry.ts';
import type { FetchFn, RulePhase, SampleType } from './types.ts';

export interface CompiledSample {
  fn: FetchFn;
  /** Type after converters: decides the default match method. */
  type: SampleType;
  /** The fetch reads the response (status, res.hdr...). */
  response: boolean;
}

/** Applies a converter to one value or to each value of a list (dropping lost ones). */
/** Fetches of the request's headers and start line that haproxy 2.6 refuses (log-format) or never matches (ACL) in response rules (checked with haproxy -c). */
const REQUEST_HEADER_FETCHES = new Set([
  'base',
  'cook',
  'cook_val',
  'hdr',
  'hdr_cnt',
  'hdr_ip',
  'hdr_val',
  'http_auth_pass',
  'http_auth_type',
  'http_auth_user',
  'path',
  'pathq',
  'query',
  'req.cook',
  'req.cook_cnt',
  'req.cook_val',
  'req.fhdr',
  'req.fhdr_cnt',
  'req.hdr',
  'req.hdr_cnt',
  'req.ver',
  'req_ver',
  'url',
  'url_ip',
  'url_param',
  'url_port',
  'urlp',
  'urlp_val',
]);

function applyConv(fetch: FetchFn, conv: ConvFn): FetchFn {
  return (txn) => {
    const v = fetch(txn);
    if (v === undefined) return undefined;
    if (Array.isArray(v)) {
      let out: string[] | undefined;
      for (const x of v) {
        const r = conv(x);
        if (r !== undefined) (out ??= []).push(typeof r === 'string' ? r : String(r));
      }
      return out;
    }
    return conv(v as Scalar);
  };
}

/**
 * Builds a fetch from a parsed call plus converters; `baseName` lets ACL keywords like
 * `hdr_beg` reuse the `hdr` fetch. Reports problems and returns undefined on error.
 */
export function buildSample(
  fetch: ExprCall,
  converters: ExprCall[],
  baseName: string,
  multi: boolean,
  loc: SourceLoc,
  diags: Diagnostic[],
  extraNames: Iterable<string> = [],
  phase?: RulePhase,
): CompiledSample | undefined {
  const def = lookupFetch(baseName);
  if (!def) {
    report(
      diags,
      AclCode.UNKNOWN_FETCH,
      `unknown fetch method '${fetch.name}'${didYouMean(fetch.name, [...fetchNames(), ...extraNames])}`,
      loc,
    );
    return undefined;
  }
  if (def.phase === 'response' && phase === 'request') {
    report(
      diags,
      AclCode.WRONG_PHASE,
      `fetch '${fetch.name}' reads the response: it can only be used in http-response rules`,
      loc,
    );
    return undefined;
  }
  if (phase === 'response' && REQUEST_HEADER_FETCHES.has(fetch.name)) {
    // haproxy 2.6: the request's headers are gone once the response is analysed
    if (!multi) {
      report(
        diags,
        AclCode.WRONG_PHASE,
        `sample fetch <${fetch.name}> may not be reliably used here because it needs 'HTTP request headers' which is not available here`,
        loc,
      );
      return undefined;
    }
    report(
      diags,
      AclCode.WRONG_PHASE,
      `anonymous acl will never match because it uses keyword '${fetch.name}' which is incompatible with 'http-response header rule'`,
      loc,
      'warning',
    );
    return { fn: () => undefined, type: def.type, response: false };
  }
  // `str()` is one empty argument for a fetch that needs one (HAProxy accepts it)
  const args = fetch.hasParens && fetch.args.length === 0 && def.minArgs > 0 ? [''] : fetch.args;
  if (args.length < def.minArgs || args.length > def.maxArgs) {
    const want = def.minArgs === def.maxArgs ? `${def.minArgs}` : `${def.minArgs} to ${def.maxArgs}`;
    report(diags, AclCode.BAD_ARGS, `fetch '${fetch.name}' expects ${want} argument(s), got ${args.length}`, loc);
    return undefined;
  }
  const made = def.create(args, { multi, loc });
  if (typeof made === 'string') {
    report(diags, AclCode.BAD_ARGS, `fetch '${fetch.name}': ${made}`, loc);
    return undefined;
  }
  let fn = made;
  let type = def.type;
  for (const c of converters) {
    const cdef = CONVERTERS.get(c.name);
    if (!cdef) {
      report(
        diags,
        AclCode.UNKNOWN_CONVERTER,
        `unknown converter '${c.name}'${didYouMean(c.name, CONVERTERS.keys())}`,
        loc,
      );
      return undefined;
    }
    if (c.args.length < cdef.minArgs || c.args.length > cdef.maxArgs) {
      const want = cdef.minArgs === cdef.maxArgs ? `${cdef.minArgs}` : `${cdef.minArgs} to ${cdef.maxArgs}`;
      report(diags, AclCode.BAD_ARGS, `converter '${c.name}' expects ${want} argument(s), got ${c.args.length}`, loc);
      return undefined;
    }
    const conv = cdef.create(c.args, loc);
    if (typeof conv === 'string') {
      report(diags, AclCode.BAD_ARGS, `converter '${c.name}': ${conv}`, loc);
      return undefined;
    }
    fn = applyConv(fn, conv);
    type = cdef.out;
  }
  return { fn, type, response: def.phase === 'response' };
}

/**
 * Compiles a sample expression for single-value use (`%[req.hdr(host),lower]`, `track-sc0 src`,
 * `stick on req.cook(sid)`): multi-valued fetches return one value (the last occurrence unless
 * an occurrence is given). Problems go to `diags` with `loc`; returns undefined on error.
 * `phase: 'request'` refuses response fetches (`status`, `res.hdr`); leave it out when unknown.
 */
export function compileFetch(
  expr: string,
  loc: SourceLoc,
  diags: Diagnostic[],
  phase?: RulePhase,
): FetchFn | undefined {
  return compileSample(expr, loc, diags, phase)?.fn;
}

/** compileFetch() plus the output type. */
export function compileSample(
  expr: string,
  loc: SourceLoc,
  diags: Diagnostic[],
  phase?: RulePhase,
): CompiledSample | undefined {
  const parsed = parseExpr(expr);
  if (typeof parsed === 'string') {
    report(diags, AclCode.BAD_ARGS, `sample expression '${expr}': ${parsed}`, loc);
    return undefined;
  }
  return buildSample(parsed.fetch, parsed.converters, parsed.fetch.name, false, loc, diags, [], phase);
}
