/**
 * Response-side keys of `stick store-response`: `res.cook(NAME)` (alias `set-cookie(NAME)`,
 * `scook`) and `res.hdr(NAME)` (`shdr`, `res.fhdr`), read from the server's response headers
 * (request-side keys are compiled by the ACL package).
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A fetch over the response headers of the server. */
export type ResponseFetchFn = (headers: IncomingHttpHeaders) => string | undefined;

const CALL = /^([a-z_][a-z0-9_.-]*)\(([^)]*)\)$/;

/** The Set-Cookie values of a response whatever their shape (node gives a string for one). */
export function setCookies(h: IncomingHttpHeaders): string[] {
  const v = h['set-cookie'] as string | string[] | undefined;
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [String(v)];
}

/** Compiles a response-side key; returns the error message when unsupported. */
export function compileResponseKeyFetch(expr: string): ResponseFetchFn | string {
  const m = CALL.exec(expr.trim());
  const supported = 'supported in stick store-response: res.cook(NAME), res.hdr(NAME)';
  if (!m) return `'${expr}': ${supported} (converters are not)`;
  const [, name, rawArg] = m;
  const arg = rawArg.trim();
  if (!arg) return `'${expr}': needs a name argument`;
  switch (name) {
    case 'res.cook':
    case 'set-cookie':
    case 'scook':
      return (h) => {
        let found: string | undefined;
        for (const sc of setCookies(h)) {
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
      const lname = arg.split(',')[0].trim().toLowerCase();
      return (h) => {
        const v = h[lname];
        if (v === undefined) return undefined;
        return Array.isArray(v) ? v[v.length - 1] : String(v);
      };
    }
    default:
      return `'${expr}': ${supported}`;
  }
}
