/**
 * Server-side TLS session cache for session-ID resumption (TLS 1.2 clients that resume by ID
 * rather than by ticket, as curl does): HAProxy keeps one (tune.ssl.cachesize 20000 entries,
 * tune.ssl.lifetime 300 s); Node keeps none unless the server handles its session events.
 */
import type { Server as TlsServer } from 'node:tls';

/** HAProxy 2.6's defaults: 20000 sessions, 300 s each. */
const MAX_SESSIONS = 20000;
const LIFETIME_MS = 300_000;

/** Keeps the sessions `server` creates and gives them back on resumption (oldest evicted first). */
export function attachSessionCache(server: TlsServer): void {
  const sessions = new Map<string, { data: Buffer; expires: number }>();
  server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    const key = id.toString('hex');
    sessions.delete(key);
    sessions.set(key, { data, expires: Date.now() + LIFETIME_MS });
    if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
    done();
  });
  server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
    const key = id.toString('hex');
    const s = sessions.get(key);
    if (s && s.expires < Date.now()) sessions.delete(key);
    done(null, s && s.expires >= Date.now() ? s.data : null);
  });
}
