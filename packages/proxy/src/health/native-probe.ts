/**
 * Checks through @switchyard/netprobe: the socket work runs on the addon's epoll thread and this
 * file turns its reports into the same results probe.ts gives (same judging code, same words).
 * TLS checks and hosts that are not IP literals go through probe.ts.
 */
import { getSystemErrorName } from 'node:util';
import {
  loadNetProbe,
  type NetProbe,
  NetProbeUnavailableError,
  ProbeEvent,
  ProbeMode,
  type ProbeReport,
  type ProbeSchedule,
} from '@switchyard/netprobe';
import { connectFailure, describeSocketError } from '../model/check-status.ts';
import type { CheckResult } from '../model/server-state.ts';
import type { CheckTransport, RecurringCheck } from './engine.ts';
import { CHECK_BUFFER_SIZE, type CompiledHttpCheck, judgeResponse } from './http-check.ts';
import {
  AGENT_MAX,
  type AgentOutcome,
  agentOutcome,
  type CancelProbe,
  type ProbeSpec,
  probeAgent,
  probeCheck,
} from './probe.ts';

/** The JS probe (probe.ts): TLS checks, hostnames, and everything when the addon is not built. */
export const jsTransport: CheckTransport = { check: probeCheck, agent: probeAgent };

/** A system error shaped as Node reports it (`connect ECONNREFUSED 127.0.0.1:80`, `read ECONNRESET`). */
function systemError(syscall: string, errno: number, spec: ProbeSpec): NodeJS.ErrnoException {
  const code = getSystemErrorName(-errno);
  const message = syscall === 'connect' ? `connect ${code} ${spec.host}:${spec.port}` : `${syscall} ${code}`;
  return { name: 'Error', message, code, errno: -errno, syscall };
}

const ioSyscall = (event: number): string => (event === ProbeEvent.writeError ? 'write' : 'read');

/**
 * Turns the addon's reports of one check into the result probe.ts gives. `cancel` ends the probe
 * once an `httpBody` read is judged enough (single probes only: recurring ones never get partial).
 */
function checkReport(
  spec: ProbeSpec,
  http: CompiledHttpCheck | undefined,
  done: (r: CheckResult) => void,
  cancel: () => void,
): ProbeReport {
  const judge = (data: Buffer | undefined, closed: boolean): CheckResult | undefined =>
    judgeResponse(http as CompiledHttpCheck, data ?? Buffer.alloc(0), closed, spec.serverDown);
  const finish = (r: CheckResult, ms: number): void => {
    r.durationMs = Math.round(ms);
    done(r);
  };
  const report: ProbeReport = (event, errno, ms, data) => {
    switch (event) {
      case ProbeEvent.connected:
        return finish({ status: 'L4OK' }, ms);
      case ProbeEvent.connectTimeout:
        return finish({ status: 'L4TOUT' }, ms);
      case ProbeEvent.readTimeout:
        return finish({ status: 'L7TOUT' }, ms);
      case ProbeEvent.connectError:
        return finish(connectFailure(systemError('connect', errno, spec)), ms);
      case ProbeEvent.partial: {
        // The head is complete and the body is wanted: judge as probe.ts does on each read.
        const r = judge(data, false);
        if (r) {
          cancel();
          finish(r, ms);
        }
        return;
      }
      case ProbeEvent.done:
        // Head complete, not HTTP, or the buffer full: probe.ts finishes on the same bytes.
        return finish(judge(data, (data?.length ?? 0) >= CHECK_BUFFER_SIZE) ?? { status: 'L7RSP' }, ms);
      case ProbeEvent.eof:
        return finish(judge(data, true) ?? { status: 'L7RSP' }, ms);
      default: {
        const err = systemError(ioSyscall(event), errno, spec);
        // Reset before any answer: haproxy reports a socket error; while answering, judge what came.
        if (!data || data.length === 0) return finish({ status: 'SOCKERR', info: describeSocketError(err) }, ms);
        return finish(judge(data, true) ?? { status: 'L7RSP', info: describeSocketError(err) }, ms);
      }
    }
  };
  return report;
}

/** What the addon needs for a check of `spec` (with `http`, an HTTP exchange). */
const checkRequest = (spec: ProbeSpec, http: CompiledHttpCheck | undefined) => ({
  host: spec.host,
  port: spec.port,
  mode: http ? (http.needsBody ? ProbeMode.httpBody : ProbeMode.http) : ProbeMode.connect,
  connectMs: spec.connectMs,
  readMs: spec.readMs,
  maxBytes: CHECK_BUFFER_SIZE,
  send: http?.request,
});

/** A check (TCP connect, or HTTP exchange with `http`) through `np`; same results as probeCheck(). */
export function nativeCheck(
  np: NetProbe,
  spec: ProbeSpec,
  http: CompiledHttpCheck | undefined,
  done: (r: CheckResult) => void,
): CancelProbe {
  // TLS and PROXY headers: the JS probe.
  if (spec.tls || spec.sendProxy || spec.h2) return probeCheck(spec, http, done);
  let cancel: CancelProbe | undefined;
  const report = checkReport(spec, http, done, () => cancel?.());
  cancel = np.start(checkRequest(spec, http), report);
  return cancel ?? probeCheck(spec, http, done);
}

/**
 * The same check run again and again by the addon's thread on `when`'s schedule, `done` called
 * with each result (the same results as nativeCheck). Undefined when the addon cannot (TLS, a
 * host name, an `http-check expect` that reads the body): the caller then runs single checks.
 * `spec.serverDown` is read when each result is judged.
 */
export function nativeRecurringCheck(
  np: NetProbe,
  spec: ProbeSpec,
  http: CompiledHttpCheck | undefined,
  when: ProbeSchedule,
  done: (r: CheckResult) => void,
): RecurringCheck | undefined {
  if (spec.tls || spec.sendProxy || spec.h2 || http?.needsBody) return undefined;
  return np.schedule(
    checkRequest(spec, http),
    when,
    checkReport(spec, http, done, () => {}),
  );
}

/** `agent-send` strings as bytes, made once. */
const agentSendBytes = new Map<string, Buffer>();

/** An agent exchange through `np`; same outcomes as probeAgent(). */
export function nativeAgent(
  np: NetProbe,
  spec: ProbeSpec,
  send: string | undefined,
  done: (o: AgentOutcome) => void,
): CancelProbe {
  let bytes: Buffer | undefined;
  if (send) {
    bytes = agentSendBytes.get(send);
    if (!bytes) agentSendBytes.set(send, (bytes = Buffer.from(send, 'latin1')));
  }
  const fail = (r: CheckResult, ms: number): void => done({ ok: false, result: { ...r, durationMs: Math.round(ms) } });
  const report: ProbeReport = (event, errno, ms, data) => {
    switch (event) {
      case ProbeEvent.connectTimeout:
        return fail({ status: 'L4TOUT' }, ms);
      case ProbeEvent.readTimeout:
        return fail({ status: 'L7TOUT' }, ms);
      case ProbeEvent.connectError:
        return fail(connectFailure(systemError('connect', errno, spec)), ms);
      case ProbeEvent.done:
      case ProbeEvent.eof:
        return done(agentOutcome(data ? data.toString('latin1') : '', Math.round(ms)));
      default:
        if (data && data.length > 0) return done(agentOutcome(data.toString('latin1'), Math.round(ms)));
        return fail({ status: 'L7RSP', info: describeSocketError(systemError(ioSyscall(event), errno, spec)) }, ms);
    }
  };
  const req = {
    host: spec.host,
    port: spec.port,
    mode: ProbeMode.line,
    connectMs: spec.connectMs,
    readMs: spec.readMs,
    maxBytes: AGENT_MAX,
    send: bytes,
  };
  return np.start(req, report) ?? probeAgent(spec, send, done);
}

/** The transport checks use by default, and why it is not the native one when it is not. */
export interface DefaultTransport {
  transport: CheckTransport;
  native: boolean;
  /** Why the addon could not be used (set when `native` is false). */
  reason?: string;
}

let chosen: DefaultTransport | undefined;

/**
 * The native transport when the netprobe addon loads, else the JS probe with the reason.
 * `SWITCHYARD_CHECKS=js` in the environment asks for the JS probe (comparisons, a suspected bug).
 */
export function defaultCheckTransport(): DefaultTransport {
  if (chosen) return chosen;
  if (process.env.SWITCHYARD_CHECKS === 'js') {
    chosen = { native: false, transport: jsTransport, reason: 'SWITCHYARD_CHECKS=js' };
    return chosen;
  }
  try {
    const np = loadNetProbe();
    chosen = {
      native: true,
      transport: {
        check: (spec, http, done) => nativeCheck(np, spec, http, done),
        recurring: (spec, http, when, done) => nativeRecurringCheck(np, spec, http, when, done),
        agent: (spec, send, done) => nativeAgent(np, spec, send, done),
      },
    };
  } catch (err) {
    if (!(err instanceof NetProbeUnavailableError)) throw err;
    chosen = { native: false, transport: jsTransport, reason: err.message };
  }
  return chosen;
}
