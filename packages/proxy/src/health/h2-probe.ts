/**
 * HTTP health checks over HTTP/2, as HAProxy 2.6 runs them: for a `proto h2` server (its checks
 * take the server's protocol) or `check-proto h2` (h2c, or h2 over `check-ssl`), and for
 * `check-alpn` lists the server answers with `h2`. One connection and one stream per check, the
 * request built from the same `option httpchk` / `http-check send` fields (`:scheme` https and no
 * `:authority` unless a Host field is given, as haproxy sends them); the response is judged by
 * the same code as HTTP/1 checks, in its HTTP/1 form.
 */
import { type ClientHttp2Session, connect as h2connect, type OutgoingHttpHeaders } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { connectFailure, describeSocketError } from '../model/check-status.ts';
import type { CheckResult } from '../model/server-state.ts';
import { CHECK_BUFFER_SIZE, type CompiledHttpCheck, judgeResponse } from './http-check.ts';
import type { CancelProbe, ProbeSpec } from './probe.ts';

/** Fields HTTP/2 cannot carry (RFC 9113 8.2.2). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * An HTTP check over HTTP/2 (`spec.h2` 'always'), or over what TLS ALPN chose ('alpn': h2, else
 * the HTTP/1 request on the same connection). Calls `done` exactly once.
 */
export function probeH2Check(spec: ProbeSpec, http: CompiledHttpCheck, done: (r: CheckResult) => void): CancelProbe {
  const start = performance.now();
  let finished = false;
  let connected = false;
  let session: ClientHttp2Session | undefined;
  const sock: Socket = spec.tls
    ? tlsConnect({ ...(spec.tls as ConnectionOptions), host: spec.host, port: spec.port })
    : connect(spec.port, spec.host);
  let timer = setTimeout(() => finish({ status: connected ? 'L7TOUT' : 'L4TOUT' }), spec.connectMs);

  function finish(r: CheckResult): void {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    r.durationMs = Math.round(performance.now() - start);
    session?.destroy();
    sock.destroy();
    done(r);
  }

  sock.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected) finish(connectFailure(err));
    else finish({ status: 'SOCKERR', info: describeSocketError(err) });
  });
  sock.once('close', () => finish({ status: connected ? 'L7RSP' : 'L4CON' }));
  sock.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    timer = setTimeout(() => finish({ status: 'L7TOUT' }), spec.readMs);
  });
  sock.once(spec.tls ? 'secureConnect' : 'connect', () => {
    const alpn = (sock as Socket & { alpnProtocol?: string | false }).alpnProtocol;
    if (spec.h2 === 'alpn' && alpn !== 'h2') http1(sock, http, spec, finish);
    else session = exchange(sock, http, spec, finish);
  });
  return () => {
    finished = true;
    clearTimeout(timer);
    session?.destroy();
    sock.destroy();
  };
}

/** The check as one HTTP/2 stream on `sock`. */
function exchange(
  sock: Socket,
  http: CompiledHttpCheck,
  spec: ProbeSpec,
  finish: (r: CheckResult) => void,
): ClientHttp2Session {
  const p = http.parts;
  const headers: OutgoingHttpHeaders = { ':method': p.method, ':scheme': 'https', ':path': p.uri };
  for (const [n, v] of p.headers) {
    if (n === 'host') headers[':authority'] = v;
    else if (!CONNECTION_SPECIFIC.has(n)) headers[n] = v;
  }
  if (p.body.length > 0) headers['content-length'] = String(Buffer.byteLength(p.body));
  const s = h2connect(`${spec.tls ? 'https' : 'http'}://${spec.host}:${spec.port}`, { createConnection: () => sock });
  if (headers[':authority'] === undefined) withoutAuthority(s);
  s.on('error', (err: NodeJS.ErrnoException) => finish({ status: 'SOCKERR', info: describeSocketError(err) }));
  const st = s.request(headers, { endStream: p.body.length === 0 });
  if (p.body.length > 0) st.end(p.body);
  let head = '';
  const body: Buffer[] = [];
  let size = 0;
  const judge = (closed: boolean): void => {
    const r = judgeResponse(http, Buffer.concat([Buffer.from(head, 'latin1'), ...body]), closed, spec.serverDown);
    if (r) finish(r);
  };
  st.on('response', (h: Record<string, unknown>, _f: number, raw: string[]) => {
    head = `HTTP/1.1 ${String(h[':status'])} \r\n`;
    for (let i = 0; i < raw.length; i += 2) if (raw[i].charCodeAt(0) !== 58) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
    head += '\r\n';
    if (!http.needsBody) judge(false);
  });
  st.on('data', (d: Buffer) => {
    body.push(d);
    size += d.length;
    if (size >= CHECK_BUFFER_SIZE) judge(true);
  });
  st.on('end', () => judge(true));
  st.on('error', () => {});
  // reset by the server before an answer: haproxy reports a socket error
  st.on('close', () => (head === '' ? finish({ status: 'SOCKERR', info: 'stream reset' }) : judge(true)));
  return s;
}

/** The HTTP/1 check on a TLS connection whose ALPN did not choose h2. */
function http1(sock: Socket, http: CompiledHttpCheck, spec: ProbeSpec, finish: (r: CheckResult) => void): void {
  const chunks: Buffer[] = [];
  let received = 0;
  const judge = (closed: boolean): void => {
    const r = judgeResponse(http, Buffer.concat(chunks), closed, spec.serverDown);
    if (r) finish(r);
  };
  sock.on('data', (d: Buffer) => {
    chunks.push(d);
    received += d.length;
    judge(received >= CHECK_BUFFER_SIZE);
  });
  sock.prependOnceListener('close', () => judge(true));
  sock.write(http.request);
}

/**
 * node:http2 fills in `:authority` from the URL when a request has none; haproxy's checks send
 * none without a Host field (and nghttp2 servers then refuse the stream). The session's default
 * authority (an internal symbol) is cleared so the field is left out.
 */
function withoutAuthority(s: ClientHttp2Session): void {
  const key = Object.getOwnPropertySymbols(s).find((k) => k.description === 'authority');
  if (key !== undefined) (s as unknown as Record<symbol, unknown>)[key] = undefined;
}
