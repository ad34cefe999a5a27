/**
 * Runs a compiled tcp-check ruleset (tcp-check.ts) against one server, as HAProxy 2.6's
 * tcpcheck_main() does: connect, send, expect in order; the input is dropped at each connect and
 * send; an expect that needs more bytes waits and is evaluated again, from the first negated expect
 * of its chain, when more arrive; the check ends at the first failure or after the last rule.
 */
import { connect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { describeSocketError } from '../model/check-status.ts';
import type { CheckResult } from '../model/server-state.ts';
import { type CancelProbe, checkProxyHeader, type ProbeSpec } from './probe.ts';
import {
  type CompiledTcpCheck,
  cString,
  evaluateExpect,
  stepContext,
  stepId,
  successResult,
  TCP_CHECK_BUFFER,
  type TcpStep,
  withInfo,
} from './tcp-check.ts';

/** What a tcp-check needs besides the compiled rules. */
export interface TcpCheckSpec extends ProbeSpec {
  /** TLS settings of the server for `connect ssl` (verify, ca-file), with SNI and ALPN added per rule. */
  tlsBase: ConnectionOptions;
  /** `http-check disable-on-404` of the backend (a status code 404 then is L7OKC). */
  disableOn404?: boolean;
  /** The server's `send-proxy` (1) / `send-proxy-v2` (2): the version a `send-proxy` connect writes. */
  proxyVersion?: 1 | 2;
}

/** Connect errors HAProxy reports as L4CON (others are SOCKERR). */
const L4_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);

/** Runs `c` once; `done` is called exactly once unless the returned cancel is called first. */
export function runTcpCheck(spec: TcpCheckSpec, c: CompiledTcpCheck, done: (r: CheckResult) => void): CancelProbe {
  const start = performance.now();
  const steps = c.steps;
  let finished = false;
  let sock: Socket | undefined;
  let linger = false;
  let timer: NodeJS.Timeout | undefined;
  /** Bytes received since the last connect or send. */
  let buf = Buffer.alloc(0);
  let connected = false;
  let tlsPending = false;
  let tls = false;
  let eos = false;
  let sockErr: NodeJS.ErrnoException | undefined;
  /** The rule being run (HAProxy's current_step). */
  let current: TcpStep | undefined;
  /** Index to resume at when an expect waits for bytes, else -1. */
  let waitingAt = -1;
  /** What a passed custom expect said (logged, then cleared by the end of the ruleset as in HAProxy). */
  let passedInfo: string | undefined;

  const close = (): void => {
    if (!sock) return;
    const s = sock;
    sock = undefined;
    s.removeAllListeners('data');
    s.on('error', () => {});
    // Checks close with a reset unless the connect rule says `linger`, as in HAProxy.
    if (linger || s.connecting || (s as { encrypted?: boolean }).encrypted) s.destroy();
    else s.resetAndDestroy();
  };

  const finish = (r: CheckResult): void => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    r.durationMs = Math.round(performance.now() - start);
    close();
    done(r);
  };

  /** chk_report_conn_err(): a socket error or a timeout, worded by where the check stood. */
  const connFailure = (err: NodeJS.ErrnoException | undefined, expired: boolean): CheckResult => {
    const context = stepContext(c, current);
    const info = err ? `${describeSocketError(err)}${context}` : context;
    let status: string;
    if (!connected) status = err ? (L4_ERRORS.has(err.code ?? '') ? 'L4CON' : 'SOCKERR') : 'L4TOUT';
    else if (tlsPending) status = err ? 'L6RSP' : 'L6TOUT';
    else if (err) status = 'SOCKERR';
    else status = (current?.action === 'expect' && current.expect.toutStatus) || 'L7TOUT';
    if (expired && err === undefined && status === 'SOCKERR') status = 'L7TOUT';
    return withInfo({ status }, info);
  };

  const arm = (ms: number, onExpire: () => void): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onExpire, ms);
    // A check in flight must not keep a finished process alive (the engine's timers do the same).
    timer.unref();
  };

  const expire = (): void => finish(connFailure(undefined, true));

  const openConnection = (i: number, step: Extract<TcpStep, { action: 'connect' }>): void => {
    close();
    buf = Buffer.alloc(0);
    connected = false;
    tlsPending = false;
    eos = false;
    sockErr = undefined;
    linger = step.linger;
    const host = step.addr ?? spec.host;
    const port = step.port ?? spec.port;
    let opts: ConnectionOptions | undefined;
    if (step.ssl) {
      opts = { ...spec.tlsBase };
      const sni = step.sni ?? (step.useDefault ? spec.tls?.servername : undefined);
      if (sni) opts.servername = sni;
      if (step.alpn) opts.ALPNProtocols = step.alpn;
    } else if (step.useDefault && spec.tls) {
      opts = { ...spec.tls };
      if (step.sni) opts.servername = step.sni;
      if (step.alpn) opts.ALPNProtocols = step.alpn;
    }
    tls = opts !== undefined;
    // `send-proxy` on the rule, or the server's own send-proxy for a default connect (spec.sendProxy).
    const proxy = step.sendProxy ? (spec.proxyVersion ?? 1) : step.useDefault ? spec.sendProxy : undefined;
    arm(spec.connectMs, expire);
    let s: Socket;
    try {
      const raw = connect({ host, port });
      s = raw;
      if (opts) {
        tlsPending = true;
        raw.once('connect', () => {
          connected = true;
          if (proxy) raw.write(checkProxyHeader(proxy, raw));
        });
        s = tlsConnect({ ...opts, socket: raw, host });
        // Errors of an earlier connection's socket must not reach this one.
        raw.on('error', (e: NodeJS.ErrnoException) => {
          if (sock === s) onError(e);
        });
        s.once('secureConnect', () => {
          tlsPending = false;
          onConnected(i);
        });
      } else {
        s.once('connect', () => {
          connected = true;
          if (proxy) s.write(checkProxyHeader(proxy, s));
          onConnected(i);
        });
      }
    } catch (err) {
      finish(withInfo({ status: 'SOCKERR' }, describeSocketError(err as NodeJS.ErrnoException)));
      return;
    }
    sock = s;
    s.on('data', (d: Buffer) => {
      if (finished || s !== sock) return;
      if (buf.length < TCP_CHECK_BUFFER) buf = Buffer.concat([buf, d.subarray(0, TCP_CHECK_BUFFER - buf.length)]);
      if (waitingAt >= 0) resume();
    });
    s.on('end', () => {
      if (finished || s !== sock) return;
      eos = true;
      if (waitingAt >= 0) resume();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (s === sock) onError(e);
    });
    s.on('close', () => {
      if (finished || s !== sock) return;
      eos = true;
      if (waitingAt >= 0) resume();
      else if (!connected)
        finish(connFailure(sockErr ?? { name: 'Error', message: 'closed', code: 'ECONNRESET' }, false));
    });
  };

  const onError = (e: NodeJS.ErrnoException): void => {
    if (finished) return;
    sockErr = e;
    if (!connected || tlsPending) {
      if (tlsPending && connected)
        return void finish(withInfo({ status: 'L6RSP' }, `SSL handshake failure${stepContext(c, current)}`));
      return void finish(connFailure(e, false));
    }
    if (waitingAt >= 0) resume();
  };

  const onConnected = (i: number): void => {
    if (finished) return;
    connected = true;
    arm(spec.readMs, expire);
    run(i + 1, true);
  };

  const resume = (): void => {
    const i = waitingAt;
    waitingAt = -1;
    run(i, true);
  };

  /** Evaluates rules from `from`; `mustRead`: the next expect needs bytes read since the last connect/send. */
  const run = (from: number, mustReadIn: boolean): void => {
    let mustRead = mustReadIn;
    for (let i = from; i < steps.length; i++) {
      if (finished) return;
      const step = steps[i] as TcpStep;
      current = step;
      if (step.action === 'connect') {
        openConnection(i, step);
        return;
      }
      if (step.action === 'send') {
        buf = Buffer.alloc(0);
        if (sockErr || eos || !sock)
          return void finish(connFailure(sockErr ?? { name: 'Error', message: 'closed', code: 'EPIPE' }, false));
        sock.write(step.bytes());
        mustRead = true;
        continue;
      }
      if (mustRead) {
        if (buf.length === 0) {
          if (sockErr) return void finish(connFailure(sockErr, false));
          if (eos) {
            const r = withInfo(
              { status: step.expect.errorStatus ?? 'L7RSP', code: 0 },
              `TCPCHK got an empty response at step ${stepId(step)}${step.comment ? ` comment: '${step.comment}'` : ''}`,
            );
            return void finish(r);
          }
          waitingAt = step.expect.head;
          current = steps[waitingAt];
          return;
        }
        mustRead = false;
      }
      const v = evaluateExpect(c, step, buf, eos || sockErr !== undefined, i === steps.length - 1);
      if (v === 'wait') {
        if (eos || sockErr) return void finish(connFailure(sockErr, false));
        waitingAt = step.expect.head;
        current = steps[waitingAt];
        return;
      }
      if (typeof v === 'object' && 'passed' in v) passedInfo = cString(v.passed);
      else if (v !== 'continue') return void finish(v);
    }
    const r = successResult(c, current, buf, tls, spec.disableOn404 ?? false);
    if (passedInfo !== undefined && r.info === undefined) r.logInfo = passedInfo;
    finish(r);
  };

  run(0, true);
  return () => {
    finished = true;
    if (timer) clearTimeout(timer);
    close();
  };
}
