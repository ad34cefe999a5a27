/**
 * One check over the network: a TCP connect (L4), optionally followed by an HTTP exchange (L7),
 * or an agent exchange (one reply line). Callback style with a cancel handle so a check engine
 * with a thousand servers allocates little and `stop()` can close every socket at once.
 */
import { connect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { connectFailure, describeSocketError } from '../model/check-status.ts';
import type { CheckResult } from '../model/server-state.ts';
import { encodeProxyHeader } from '../wire/proxy-protocol.ts';
import { probeH2Check } from './h2-probe.ts';
import { CHECK_BUFFER_SIZE, type CompiledHttpCheck, judgeResponse } from './http-check.ts';

/** Where and how long: connect is bounded by `connectMs`, the exchange after it by `readMs`. */
export interface ProbeSpec {
  host: string;
  port: number;
  connectMs: number;
  readMs: number;
  /** The server is DOWN now: `disable-on-404` does not apply (a 404 is then a failure). */
  serverDown?: boolean;
  /** TLS checks (`ssl` / `check-ssl`): handshake after connect, reported as L6OK/L6TOUT/L6RSP. */
  tls?: ConnectionOptions;
  /**
   * A PROXY header opens the check connection: the server's `send-proxy` (1) / `send-proxy-v2`
   * (2) when the server has no check `port` / `addr`, as HAProxy does.
   */
  sendProxy?: 1 | 2;
  /** The HTTP check speaks HTTP/2: always, or when TLS ALPN chooses h2 (h2-probe.ts). */
  h2?: 'always' | 'alpn';
}

/**
 * The PROXY header haproxy 2.6 writes on a check connection (captured from the real one): v1 names
 * the check's own addresses (`PROXY TCP4 LOCAL SERVER LPORT SPORT`), v2 is a LOCAL header.
 */
export function checkProxyHeader(version: 1 | 2, s: Socket): Buffer {
  if (version === 2) return encodeProxyHeader(2, { local: true, src: '', srcPort: 0, dst: '', dstPort: 0 });
  return encodeProxyHeader(1, {
    local: false,
    src: s.localAddress ?? '',
    srcPort: s.localPort ?? 0,
    dst: s.remoteAddress ?? '',
    dstPort: s.remotePort ?? 0,
  });
}

/** Cancels an in-flight probe (its callback is then never called). */
export type CancelProbe = () => void;

/**
 * Runs a health check: TCP connect only (L4OK/L4TOUT/L4CON/SOCKERR), a TLS handshake
 * (L6OK/L6TOUT/L6RSP) or, with `http`, send the request and judge the response
 * (L7OK/L7OKC/L7STS/L7RSP/L7TOUT). Calls `done` exactly once.
 */
export function probeCheck(
  spec: ProbeSpec,
  http: CompiledHttpCheck | undefined,
  done: (r: CheckResult) => void,
): CancelProbe {
  if (http && spec.h2) return probeH2Check(spec, http, done);
  const start = performance.now();
  let finished = false;
  let connected = false;
  let timer: NodeJS.Timeout | undefined;
  let chunks: Buffer[] | undefined;
  let received = 0;
  let sock: Socket;

  const finish = (r: CheckResult): void => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    r.durationMs = Math.round(performance.now() - start);
    sock.destroy();
    done(r);
  };

  const cancel: CancelProbe = () => {
    finished = true;
    if (timer) clearTimeout(timer);
    sock.destroy();
  };

  const judge = (closed: boolean): void => {
    if (!http || finished) return;
    const buf =
      chunks === undefined ? Buffer.alloc(0) : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    if (chunks && chunks.length > 1) chunks = [buf];
    const r = judgeResponse(http, buf, closed, spec.serverDown);
    if (r) finish(r);
  };

  try {
    sock = spec.tls ? tlsConnect({ ...spec.tls, host: spec.host, port: spec.port }) : connect(spec.port, spec.host);
  } catch (err) {
    const r: CheckResult = {
      status: 'SOCKERR',
      info: describeSocketError(err as NodeJS.ErrnoException),
      durationMs: 0,
    };
    queueMicrotask(() => done(r));
    return () => {};
  }
  timer = setTimeout(() => finish({ status: 'L4TOUT' }), spec.connectMs);
  if (!http && !spec.tls) {
    // A TCP check only needs to know whether the connection opens: two listeners, nothing read.
    sock.once('connect', () => {
      if (spec.sendProxy) sock.write(checkProxyHeader(spec.sendProxy, sock));
      // Close with a reset as haproxy does (no TIME_WAIT left behind per check).
      sock.resetAndDestroy();
      finish({ status: 'L4OK' });
    });
    sock.once('error', (err: NodeJS.ErrnoException) => finish(connectFailure(err)));
    return cancel;
  }
  // Without TLS the connection is usable as soon as it opens; with TLS after the handshake.
  let secure = !spec.tls;
  const ready = (): void => {
    if (!http) {
      finish({ status: 'L6OK' });
      return;
    }
    chunks = [];
    // A PROXY header goes before TLS, which this probe cannot do: validateHealthChecks() refuses it.
    if (spec.sendProxy && !spec.tls) sock.write(checkProxyHeader(spec.sendProxy, sock));
    sock.write(http.request);
  };
  sock.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    timer = setTimeout(() => finish({ status: secure ? 'L7TOUT' : 'L6TOUT' }), spec.readMs);
    if (secure) ready();
  });
  if (spec.tls) {
    sock.once('secureConnect', () => {
      secure = true;
      ready();
    });
  }
  sock.on('data', (d: Buffer) => {
    if (!chunks || finished) return;
    chunks.push(d);
    received += d.length;
    judge(received >= CHECK_BUFFER_SIZE);
  });
  sock.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected) return finish(connectFailure(err));
    if (!secure) {
      finish({ status: 'L6RSP', info: err.message });
      return;
    }
    // Reset before any answer: haproxy reports a socket error (SOCKERR, "Connection reset by peer").
    if (received === 0) {
      finish({ status: 'SOCKERR', info: describeSocketError(err) });
      return;
    }
    // Reset while answering: judge what arrived (usually an incomplete, invalid response).
    judge(true);
    finish({ status: 'L7RSP', info: describeSocketError(err) });
  });
  sock.on('close', () => {
    if (connected && !secure) finish({ status: 'L6RSP' });
    if (connected) judge(true);
    finish({ status: connected ? 'L7RSP' : 'L4CON' });
  });
  return cancel;
}

/** Result of an agent exchange: the reply line, or why there is none. */
export type AgentOutcome = { ok: true; line: string; durationMs: number } | { ok: false; result: CheckResult };

/** Longest agent reply read (HAProxy reads one line from a small buffer). */
export const AGENT_MAX = 1024;

/** The outcome of an agent exchange from the text it returned: its first line, or L7RSP when empty. */
export function agentOutcome(text: string, durationMs: number): AgentOutcome {
  const nl = text.indexOf('\n');
  const line = (nl >= 0 ? text.slice(0, nl) : text).replace(/\r$/, '');
  if (line.trim() === '') return { ok: false, result: { status: 'L7RSP', info: 'empty agent reply', durationMs } };
  return { ok: true, line, durationMs };
}

/** Connects to an agent, sends `send` if any, and reads one reply line (up to `\n` or close). */
export function probeAgent(spec: ProbeSpec, send: string | undefined, done: (o: AgentOutcome) => void): CancelProbe {
  const start = performance.now();
  let finished = false;
  let connected = false;
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  const sock = connect(spec.port, spec.host);
  const finish = (o: AgentOutcome): void => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    sock.destroy();
    done(o);
  };
  const ms = (): number => Math.round(performance.now() - start);
  const reply = (): void => finish(agentOutcome(text, ms()));
  timer = setTimeout(
    () => finish({ ok: false, result: { status: connected ? 'L7TOUT' : 'L4TOUT', durationMs: ms() } }),
    spec.connectMs,
  );
  sock.setEncoding('latin1');
  sock.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    timer = setTimeout(() => finish({ ok: false, result: { status: 'L7TOUT', durationMs: ms() } }), spec.readMs);
    if (send) sock.write(send, 'latin1');
  });
  sock.on('data', (d: string) => {
    text += d;
    if (text.includes('\n') || text.length >= AGENT_MAX) reply();
  });
  sock.on('error', (err: NodeJS.ErrnoException) => {
    if (connected && text.length > 0) return reply();
    const r = connected ? { status: 'L7RSP', info: describeSocketError(err) } : connectFailure(err);
    finish({ ok: false, result: { ...r, durationMs: ms() } });
  });
  sock.on('close', () => {
    if (connected) reply();
    else finish({ ok: false, result: { status: 'L4CON', durationMs: ms() } });
  });
  return () => {
    finished = true;
    if (timer) clearTimeout(timer);
    sock.destroy();
  };
}
