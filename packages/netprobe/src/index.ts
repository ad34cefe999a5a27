/**
 * @switchyard/netprobe: health-check sockets on a native epoll thread (packages/netprobe/native).
 * A probe connects, optionally sends prepared bytes, reads until its mode's stop rule, and reports
 * one final event (or, for `httpBody`, partial reads first). Judging the bytes is the caller's job.
 * A recurring probe does that again and again on the thread's own schedule (one report per round).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Where a probe stops reading. `connect`: as soon as the connection opens (closed with a reset).
 * `http`: when the response head is complete, the first 5 bytes are not `HTTP/`, `maxBytes` are
 * read, the peer closes or the read deadline passes. `httpBody`: the same, but once the head is
 * complete every read is reported as `partial` until the caller cancels. `line`: at the first `\n`.
 */
export const ProbeMode = { connect: 0, http: 1, httpBody: 2, line: 3 } as const;
export type ProbeMode = (typeof ProbeMode)[keyof typeof ProbeMode];

/** What a report says. Every event but `partial` is final (the socket is closed). */
export const ProbeEvent = {
  /** `connect` mode: the connection opened. */
  connected: 0,
  /** The stop rule was met; `data` holds what was read. */
  done: 1,
  /** `httpBody` mode: more bytes after a complete head; the probe goes on until cancelled. */
  partial: 2,
  /** The peer closed; `data` holds what was read. */
  eof: 3,
  connectError: 4,
  readError: 5,
  writeError: 6,
  connectTimeout: 7,
  readTimeout: 8,
} as const;
export type ProbeEvent = (typeof ProbeEvent)[keyof typeof ProbeEvent];

/** One probe: an IP literal (v4 or v6) and port, deadlines in ms, bytes to send after connect. */
export interface ProbeRequest {
  host: string;
  port: number;
  mode: ProbeMode;
  /** Bound on the connect, from the call. */
  connectMs: number;
  /** Bound on the exchange, from the moment the connection opens. */
  readMs: number;
  /** Stop after the read that reaches this many bytes. */
  maxBytes: number;
  send?: Buffer;
}

/**
 * A report: `errno` is the positive errno of error events (0 otherwise), `durationMs` the time
 * since the call, `data` the bytes read so far (undefined for `connect` mode and early failures).
 */
export type ProbeReport = (event: ProbeEvent, errno: number, durationMs: number, data: Buffer | undefined) => void;

/** Stops a probe: its socket is closed and no further report is delivered. */
export type CancelProbe = () => void;

/** When a recurring probe runs: first round after `firstDelayMs`, then `intervalMs` after each report. */
export interface ProbeSchedule {
  firstDelayMs: number;
  intervalMs: number;
  /** HAProxy's `spread-checks`: each wait varies by up to this many percent either way (0-50). */
  spreadPct: number;
}

/**
 * A probe the native thread re-runs by itself. Each round reports once (final events only: the
 * `httpBody` mode is not allowed); no call from JavaScript is needed between rounds.
 */
export interface RecurringProbe {
  /**
   * New interval. Between rounds, the next one starts `delayMs` from now; during a round, the new
   * interval counts from its report (as it would have anyway).
   */
  retime(intervalMs: number, delayMs: number): void;
  /** No round after the one in flight; that one still reports. */
  drain(): void;
  /** Stops at once: the socket of a round in flight is closed and nothing more is reported. */
  cancel(): void;
}

export interface NetProbe {
  /** Starts a probe; undefined when `req.host` is not an IP literal (resolve it, or use another way). */
  start(req: ProbeRequest, report: ProbeReport): CancelProbe | undefined;
  /**
   * Starts a recurring probe (not `httpBody`); undefined when `req.host` is not an IP literal.
   * Unlike a single probe it does not keep the event loop alive (as an unref'd timer would not).
   */
  schedule(req: ProbeRequest, when: ProbeSchedule, report: ProbeReport): RecurringProbe | undefined;
  /** Probes whose callback is still due (recurring ones until drained or cancelled). */
  readonly inFlight: number;
  /** Sockets the native thread still holds (cancelled ones close asynchronously). */
  nativeActive(): number;
}

/** Raised when the addon is missing, fails to load or is not supported here; `code` is stable. */
export class NetProbeUnavailableError extends Error {
  readonly code = 'NETPROBE_NATIVE_MISSING';
}

interface Addon {
  supported: boolean;
  /**
   * Starts the thread. Each batch of reports comes as one dispatch(count, datas) call: report i is
   * id, event, errno, ms at 4*i.. in the returned array, its bytes at datas[i].
   */
  init(dispatch: (count: number, datas: (Buffer | undefined)[] | undefined) => void, tickMs?: number): Float64Array;
  submit(
    id: number,
    host: string,
    port: number,
    mode: number,
    connectMs: number,
    readMs: number,
    maxBytes: number,
    send?: Buffer,
    intervalMs?: number,
    firstDelayMs?: number,
    spreadPct?: number,
  ): boolean;
  retime(id: number, intervalMs: number, delayMs: number): void;
  drain(id: number): void;
  cancel(id: number): void;
  ref(): void;
  unref(): void;
  active(): number;
}

/** Path of the built addon. */
export const ADDON_PATH = fileURLToPath(new URL('../native/build/Release/netprobe.node', import.meta.url));

let cached: NetProbe | undefined;

/**
 * While busy, the native thread looks at its sockets once per tick (and at once after starting
 * probes) rather than on every event: fewer wake-ups here and in the JS thread. Reads and result
 * delivery may wait up to this long; durations and deadlines are measured on the thread.
 */
const TICK_MS = 4;

/** Loads the addon and starts its thread once per process (or worker); throws NetProbeUnavailableError. */
export function loadNetProbe(): NetProbe {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) {
    throw new NetProbeUnavailableError(
      `netprobe addon not built (${ADDON_PATH} missing): run \`npm run build:native -w @switchyard/netprobe\` (needs make, a C compiler and python3)`,
    );
  }
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (err) {
    throw new NetProbeUnavailableError(`netprobe addon failed to load: ${(err as Error).message}`);
  }
  if (!addon.supported)
    throw new NetProbeUnavailableError('netprobe addon: not supported on this platform (Linux only)');
  cached = createNetProbe(addon);
  return cached;
}

/** The thread's report that a drained recurring probe was freed between rounds (never passed on). */
const EV_STOPPED: number = 9;

const wholeMs = (n: number): number => Math.max(0, Math.floor(n));

interface Recurring {
  report: ProbeReport;
  /** Drained: its next report (if a round was in flight) is its last. */
  draining: boolean;
}

function createNetProbe(addon: Addon): NetProbe {
  const pending = new Map<number, ProbeReport>();
  const recurring = new Map<number, Recurring>();
  let nextId = 0;

  // The thread's reports keep the event loop alive only while a probe is in flight, like a socket.
  const forget = (id: number): void => {
    if (pending.delete(id) && pending.size === 0) addon.unref();
  };

  /** Hands `req` to the thread under a new id (recurring with `when`); undefined if not an IP literal. */
  const submit = (req: ProbeRequest, when?: ProbeSchedule): number | undefined => {
    do nextId = (nextId + 1) >>> 0;
    while (pending.has(nextId) || recurring.has(nextId));
    const ok = addon.submit(
      nextId,
      req.host,
      req.port,
      req.mode,
      wholeMs(req.connectMs),
      wholeMs(req.readMs),
      req.maxBytes,
      req.send,
      when && Math.max(1, wholeMs(when.intervalMs)),
      when && wholeMs(when.firstDelayMs),
      when && Math.min(50, wholeMs(when.spreadPct)),
    );
    return ok ? nextId : undefined;
  };

  const deliver = (id: number, event: number, errno: number, ms: number, data: Buffer | undefined): void => {
    const report = pending.get(id);
    if (report) {
      if (event !== ProbeEvent.partial) forget(id);
      report(event as ProbeEvent, errno, ms, data);
      return;
    }
    const r = recurring.get(id);
    if (!r) return; // cancelled: the report crossed the cancel
    if (r.draining) recurring.delete(id);
    if (event !== EV_STOPPED) r.report(event as ProbeEvent, errno, ms, data);
  };

  const slots = addon.init((count, datas) => {
    let error: unknown;
    let failed = false;
    for (let i = 0, o = 0; i < count; i++, o += 4) {
      try {
        deliver(slots[o] as number, slots[o + 1] as number, slots[o + 2] as number, slots[o + 3] as number, datas?.[i]);
      } catch (err) {
        // The other reports of the batch are still delivered; the first error is then raised.
        if (!failed) error = err;
        failed = true;
      }
    }
    if (failed) throw error;
  }, TICK_MS);

  return {
    schedule(req, when, report) {
      if (req.mode === ProbeMode.httpBody) throw new TypeError('netprobe: a recurring probe cannot use httpBody mode');
      const id = submit(req, when);
      if (id === undefined) return undefined;
      const entry: Recurring = { report, draining: false };
      recurring.set(id, entry);
      return {
        retime(intervalMs, delayMs) {
          if (recurring.get(id) === entry && !entry.draining)
            addon.retime(id, Math.max(1, wholeMs(intervalMs)), wholeMs(delayMs));
        },
        drain() {
          if (recurring.get(id) !== entry || entry.draining) return;
          entry.draining = true;
          addon.drain(id);
        },
        cancel() {
          if (recurring.get(id) !== entry) return;
          recurring.delete(id);
          addon.cancel(id);
        },
      };
    },
    start(req, report) {
      const id = submit(req);
      if (id === undefined) return undefined;
      if (pending.size === 0) addon.ref();
      pending.set(id, report);
      return () => {
        if (!pending.has(id)) return;
        forget(id);
        addon.cancel(id);
      };
    },
    get inFlight() {
      return pending.size + recurring.size;
    },
    nativeActive: () => addon.active(),
  };
}
