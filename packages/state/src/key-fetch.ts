/**
 * Key expressions of `stick ...` rules and `track-sc` when no ACL compiler is handed to the
 * state layer (the ACL package's compileFetch is preferred: see StateCompiler), plus the
 * response-side fetches `stick store-response` needs (`res.cook(NAME)`, `res.hdr(NAME)`), which
 * read the server's response headers rather than the request.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FetchFn, HttpTxn } from '@switchyard/proxy';
import { headerValues } from '@switchyard/proxy';

/** A fetch over the response headers of the server. */
export type ResponseFetchFn = (headers: IncomingHttpHeaders) => string | undefined;

const CALL = /^([a-z_][a-z0-9_.]*)(?:\(([^)]*)\))?$/;

/** Last value of cookie `name` in the request's Cookie headers (HAProxy's req.cook: last occurrence). */
export function requestCookie(txn: HttpTxn, name: string): string | undefined {
  let found: string | undefined;
  for (const line of headerValues(txn, 'cookie')) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq >= 0 && part.slice(0, eq).trim() === name) found = part.slice(eq + 1).trim();
    }
  }
  return found;
}

/** Compiles a request-side key expression; returns the error message when unsupported. */
export function compileKeyFetch(expr: string): FetchFn | string {
  const m = CALL.exec(expr.trim());
  if (!m) return `'${expr}': converters and nested expressions need the ACL compiler`;
  const [, name, rawArg] = m;
  const arg = rawArg?.trim();
  switch (name) {
    case 'src':
      return (t) => t.srcIp;
    case 'dst':
      return (t) => t.dstIp;
    case 'src_port':
      return (t) => t.srcPort;
    case 'dst_port':
      return (t) => t.dstPort;
    case 'path':
      return (t) => t.path;
    case 'url':
      return (t) => t.url;
    case 'req.cook':
    case 'cook':
      if (!arg) return `'${expr}': needs a cookie name`;
      return (t) => requestCookie(t, arg);
    case 'req.hdr':
    case 'hdr':
    case 'req.fhdr': {
      if (!arg) return `'${expr}': needs a header name`;
      const lname = arg.split(',')[0].trim().toLowerCase();
      return (t) => {
        const v = headerValues(t, lname);
        return v.length ? v[v.length - 1] : undefined;
      };
    }
    case 'url_param':
    case 'urlp': {
      if (!arg) return `'${expr}': needs a parameter name`;
      return (t) => {
        let found: string | undefined;
        for (const kv of t.query.split('&')) {
          const eq = kv.indexOf('=');
          if (eq >= 0 && kv.slice(0, eq) === arg) found = kv.slice(eq + 1);
        }
        return found;
      };
    }
    default:
      return `'${expr}': unknown fetch for a stick key (supported here: src, dst, src_port, dst_port, path, url, req.cook(), req.hdr(), url_param())`;
  }
}

/** Compiles a response-side key (`stick store-response`); returns the error message when unsupported. */
export function compileResponseKeyFetch(expr: string): ResponseFetchFn | string {
  const m = CALL.exec(expr.trim());
  if (!m) return `'${expr}': only res.cook(NAME) and res.hdr(NAME) are supported in stick store-response`;
  const [, name, rawArg] = m;
  const arg = rawArg?.trim();
  if (!arg) return `'${expr}': needs a name argument`;
  switch (name) {
    case 'res.cook':
    case 'set-cookie':
    case 'scook':
      return (h) => {
        let found: string | undefined;
        for (const sc of h['set-cookie'] ?? []) {
          const eq = sc.indexOf('=');
          if (eq >= 0 && sc.slice(0, eq).trim() === arg) {
            const semi = sc.indexOf(';', eq);
            found = sc.slice(eq + 1, semi < 0 ? undefined : semi).trim();
          }
        }
        return found;
      };
    case 'res.hdr':
    case 'shdr':
    case 'res.fhdr': {
      const lname = arg.toLowerCase();
      return (h) => {
        const v = h[lname];
        if (v === undefined) return undefined;
        return Array.isArray(v) ? v[v.length - 1] : String(v);
      };
    }
    default:
      return `'${expr}': only res.cook(NAME) and res.hdr(NAME) are supported in stick store-response`;
  }
}
