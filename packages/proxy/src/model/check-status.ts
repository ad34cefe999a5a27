/**
 * HAProxy's check status codes and the words it logs for them (src/check.c, `check_statuses`).
 * These words are an interface: the stats page, the CSV `check_status`/`check_desc` columns and
 * the UP/DOWN log lines all show them.
 */
import type { CheckResult } from './server-state.ts';

/** Every status a check can end with, as HAProxy names them. */
export type CheckStatus =
  | 'UNK'
  | 'INI'
  | 'SOCKERR'
  | 'L4OK'
  | 'L4TOUT'
  | 'L4CON'
  | 'L6OK'
  | 'L6TOUT'
  | 'L6RSP'
  | 'L7TOUT'
  | 'L7RSP'
  | 'L7OK'
  | 'L7OKC'
  | 'L7STS'
  | 'HANA';

const DESCRIPTIONS: Record<CheckStatus, string> = {
  UNK: 'Unknown',
  INI: 'Initializing',
  SOCKERR: 'Socket error',
  L4OK: 'Layer4 check passed',
  L4TOUT: 'Layer4 timeout',
  L4CON: 'Layer4 connection problem',
  L6OK: 'Layer6 check passed',
  L6TOUT: 'Layer6 timeout',
  L6RSP: 'Layer6 invalid response',
  L7TOUT: 'Layer7 timeout',
  L7RSP: 'Layer7 invalid response',
  L7OK: 'Layer7 check passed',
  L7OKC: 'Layer7 check conditionally passed',
  L7STS: 'Layer7 wrong status',
  HANA: 'Health analyze',
};

/** Statuses that carry an HTTP code in logs (HAProxy's `>= HCHK_STATUS_L57DATA`). */
const WITH_CODE = new Set<string>(['L7OK', 'L7OKC', 'L7STS']);

/** True when HAProxy shows an HTTP code with the status (logs, stats `check_code`, LastChk `L7STS/500`). */
export function statusHasCode(status: string): boolean {
  return WITH_CODE.has(status);
}

/** Human description of a status, e.g. `Layer7 wrong status` (the stats `check_desc` column). */
export function describeStatus(status: string): string {
  return DESCRIPTIONS[status as CheckStatus] ?? DESCRIPTIONS.UNK;
}

/** True when the status counts as a passed check. */
export function isPassed(status: string): boolean {
  return status === 'L4OK' || status === 'L6OK' || status === 'L7OK' || status === 'L7OKC';
}

/**
 * The `reason: ...` fragment of HAProxy's server log lines:
 * `reason: Layer7 wrong status, code: 500, info: "Internal Server Error", check duration: 3ms`.
 */
export function formatCheckReason(r: CheckResult): string {
  let out = `reason: ${describeStatus(r.status)}`;
  if (WITH_CODE.has(r.status) && r.code !== undefined) out += `, code: ${r.code}`;
  if (r.info) out += `, info: "${r.info}"`;
  if (r.durationMs !== undefined && r.durationMs >= 0) out += `, check duration: ${Math.round(r.durationMs)}ms`;
  return out;
}

/** Errors of the connect phase HAProxy counts as a connection problem (L4CON); others are SOCKERR. */
const L4_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The result of a check whose connection could not be opened: L4CON or SOCKERR, with the error's words. */
export function connectFailure(err: NodeJS.ErrnoException): CheckResult {
  return { status: L4_ERRORS.has(err.code ?? '') ? 'L4CON' : 'SOCKERR', info: describeSocketError(err) };
}

/** Text of a socket error as HAProxy shows it (strerror words), e.g. `Connection refused`. */
export function describeSocketError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'EHOSTUNREACH':
      return 'No route to host';
    case 'ENETUNREACH':
      return 'Network is unreachable';
    case 'EADDRNOTAVAIL':
      return 'Cannot assign requested address';
    case 'EPIPE':
      return 'Broken pipe';
    case 'ETIMEDOUT':
      return 'Connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'Name resolution failed';
    default:
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}
