/**
 * The last invalid request of each frontend and the last invalid response of each backend, as
 * HAProxy keeps them for the runtime API's `show errors` (one snapshot per proxy and direction,
 * replaced by the next one; a process-wide event counter). Requests and responses whose head the
 * HTTP/1 parser refused are captured here.
 */
import type { ServerState } from '../model/server-state.ts';
import type { BackendRuntime, FrontendRuntime } from '../model/types.ts';

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

/** A response snapshot names the other end too: the frontend of the request, the server. */
export interface ResponseSnapshot extends ErrorSnapshot {
  frontend: { name: string; id: number };
  server: { name: string; id: number };
}

/** HAProxy's default tune.bufsize: what a snapshot keeps at most. */
export const SNAPSHOT_BUFSIZE = 16384;

const requests = new WeakMap<FrontendRuntime, ErrorSnapshot>();
const responses = new WeakMap<BackendRuntime, ResponseSnapshot>();
let events = 0;

/** Records an invalid request head received by `fe`. */
export function recordRequestError(
  fe: FrontendRuntime,
  head: Buffer,
  errorAt: number,
  code: string,
  src: { ip: string; port: number },
): void {
  requests.set(fe, snapshot(head, errorAt, code, src));
}

/** A new snapshot of `head` (at most a buffer), its event number taken. */
function snapshot(head: Buffer, errorAt: number, code: string, src: { ip: string; port: number }): ErrorSnapshot {
  const buf = Buffer.from(head.subarray(0, SNAPSHOT_BUFSIZE));
  const at = Math.max(0, Math.min(errorAt, buf.length));
  return { when: Date.now(), event: events++, srcIp: src.ip, srcPort: src.port, buf, errorAt: at, code };
}

/** Records an invalid response head `server` of `be` sent for a request of `fe`. */
export function recordResponseError(
  be: BackendRuntime,
  fe: FrontendRuntime,
  server: ServerState,
  head: Buffer,
  errorAt: number,
  code: string,
  src: { ip: string; port: number },
): void {
  responses.set(be, {
    ...snapshot(head, errorAt, code, src),
    frontend: { name: fe.name, id: fe.id },
    server: { name: server.name, id: server.id },
  });
}

/** The last invalid response of `be`, if any. */
export function responseError(be: BackendRuntime): ResponseSnapshot | undefined {
  return responses.get(be);
}

/** The last invalid request of `fe`, if any. */
export function requestError(fe: FrontendRuntime): ErrorSnapshot | undefined {
  return requests.get(fe);
}

/** Error events captured since the start (HAProxy's `Total events captured`). */
export function errorEvents(): number {
  return events;
}
