/**
 * Server-side TLS session cache for session-ID resumption (TLS 1.2 clients that resume by ID
 * rather than by ticket, as curl does): HAProxy keeps one (tune.ssl.cachesize 20000 entries,
 * tune.ssl.lifetime 300 s); Node keeps none unless the server handles its session events.
 * The SNI is kept beside the session: OpenSSL reports none on a resumed handshake, where
 * HAProxy's `ssl_fc_sni` still gives the session's.
 */
import type { TLSSocket, Server as TlsServer } from 'node:tls';
import { sessionId } from '../acl/x509-fields.ts';

/** HAProxy 2.6's defaults: 20000 sessions, 300 s each. */
const MAX_SESSIONS = 20000;
const LIFETIME_MS = 300_000;

interface Entry {
  data: Buffer;
  expires: number;
  sni?: string;
}

/**
 * Keeps the sessions `server` creates and gives them back on resumption (oldest evicted
 * first). Call before adding the server's own `secureConnection` listener.
 */
export function attachSessionCache(server: TlsServer): void {
  const sessions = new Map<string, Entry>();
  const live = (key: string): Entry | undefined => {
    const e = sessions.get(key);
    if (e && e.expires < Date.now()) sessions.delete(key);
    return e && e.expires >= Date.now() ? e : undefined;
  };
  server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    const key = id.toString('hex');
    sessions.delete(key);
    sessions.set(key, { data, expires: Date.now() + LIFETIME_MS });
    if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
    done();
  });
  server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
    done(null, live(id.toString('hex'))?.data ?? null);
  });
  server.on('secureConnection', (s: TLSSocket) => {
    if (s.getProtocol() === 'TLSv1.3') return;
    const der = s.getSession();
    const key = der ? sessionId(der) : undefined;
    const e = key ? live(key) : undefined;
    if (!e) return;
    if (!s.isSessionReused()) e.sni = typeof s.servername === 'string' ? s.servername : undefined;
    else if (!s.servername && e.sni) s.servername = e.sni;
  });
}
