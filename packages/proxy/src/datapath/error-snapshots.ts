/**
 * The last invalid request of each frontend, as HAProxy keeps them for the runtime API's `show
 * errors` (one snapshot per proxy and direction, replaced by the next one; a process-wide event
 * counter). Only requests whose head the HTTP/1 parser refused are captured here.
 */
import type { FrontendRuntime } from '../model/types.ts';

export interface ErrorSnapshot {
  /** Epoch ms of the event. */
  when: number;
  /** HAProxy's event number (error_snapshot_id at capture, from 0). */
  event: number;
  srcIp: string;
  srcPort: number;
  /** The bytes received (up to HAProxy's buffer size). */
  buf: Buffer;
  /** Offset of the byte the parser refused. */
  errorAt: number;
  /** The parser's error code (llhttp's `HPE_*`). */
  code: string;
}

/** HAProxy's default tune.bufsize: what a snapshot keeps at most. */
export const SNAPSHOT_BUFSIZE = 16384;

const requests = new WeakMap<FrontendRuntime, ErrorSnapshot>();
let events = 0;

/** Records an invalid request head received by `fe`. */
export function recordRequestError(
  fe: FrontendRuntime,
  head: Buffer,
  errorAt: number,
  code: string,
  src: { ip: string; port: number },
): void {
  const buf = Buffer.from(head.subarray(0, SNAPSHOT_BUFSIZE));
  const at = Math.max(0, Math.min(errorAt, buf.length));
  requests.set(fe, { when: Date.now(), event: events++, srcIp: src.ip, srcPort: src.port, buf, errorAt: at, code });
}

/** The last invalid request of `fe`, if any. */
export function requestError(fe: FrontendRuntime): ErrorSnapshot | undefined {
  return requests.get(fe);
}

/** Error events captured since the start (HAProxy's `Total events captured`). */
export function errorEvents(): number {
  return events;
}
