/** HTTP basic authentication for `stats auth user:pass` (several users), as HAProxy checks it. */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatsModel } from '@switchyard/config';

/** HAProxy's realm when `stats realm` is not set. */
export const DEFAULT_REALM = 'HAProxy Statistics';

const BODY_401 =
  '<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True when the request may see the stats (no `stats auth`, or valid basic credentials). */
export function authorized(req: IncomingMessage, stats: StatsModel): boolean {
  if (stats.auth.length === 0) return true;
  const h = req.headers.authorization;
  if (!h) return false;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
  if (!m) return false;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const pass = decoded.slice(colon + 1);
  let ok = false;
  // compare against every user so the time taken does not reveal which user names exist
  for (const a of stats.auth) if (same(a.user, user) && same(a.password, pass)) ok = true;
  return ok;
}

/** Sends HAProxy's 401 page with the realm. */
export function sendUnauthorized(res: ServerResponse, stats: StatsModel): void {
  const realm = (stats.realm ?? DEFAULT_REALM).replace(/["\\]/g, '');
  res.writeHead(401, {
    'content-length': Buffer.byteLength(BODY_401),
    'cache-control': 'no-cache',
    'content-type': 'text/html',
    'www-authenticate': `Basic realm="${realm}"`,
  });
  res.end(BODY_401);
}
