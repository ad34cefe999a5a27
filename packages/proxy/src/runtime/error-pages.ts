/**
 * HAProxy's built-in error pages (src/http_htx.c in 2.6, byte for byte) and `errorfile`
 * parsing. An errorfile holds a complete raw HTTP response, as HAProxy requires.
 */
import type { CannedResponse } from './plan.ts';

const PAGES: Array<[number, string, string]> = [
  [200, 'OK', 'Service ready.'],
  [400, 'Bad request', 'Your browser sent an invalid request.'],
  [401, 'Unauthorized', 'You need a valid user and password to access this content.'],
  [403, 'Forbidden', 'Request forbidden by administrative rules.'],
  [404, 'Not Found', 'The resource could not be found.'],
  [405, 'Method Not Allowed', 'A request was made of a resource using a request method not supported by that resource'],
  [407, 'Unauthorized', 'You need a valid user and password to access this content.'],
  [408, 'Request Time-out', "Your browser didn't send a complete request in time."],
  [410, 'Gone', 'The resource is no longer available and will not be available again.'],
  [413, 'Payload Too Large', 'The request entity exceeds the maximum allowed.'],
  [421, 'Misdirected Request', 'Request sent to a non-authoritative server.'],
  [422, 'Unprocessable Content', 'The server cannot process the contained instructions.'],
  [425, 'Too Early', 'Your browser sent early data.'],
  [429, 'Too Many Requests', 'You have sent too many requests in a given amount of time.'],
  [500, 'Internal Server Error', 'An internal server error occurred.'],
  [501, 'Not Implemented', 'The server does not support the functionality required to fulfill the request.'],
  [502, 'Bad Gateway', 'The server returned an invalid or incomplete response.'],
  [503, 'Service Unavailable', 'No server is available to handle this request.'],
  [504, 'Gateway Time-out', "The server didn't respond in time."],
];

/** Status codes HAProxy lets `errorfile` override. */
export const ERRORFILE_CODES = new Set([
  200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504,
]);

function page(status: number, reason: string, text: string): CannedResponse {
  const body = Buffer.from(`<html><body><h1>${status} ${reason}</h1>\n${text}\n</body></html>\n`);
  return {
    status,
    reason,
    headers: [
      ['content-length', String(body.length)],
      ['cache-control', 'no-cache'],
      ['content-type', 'text/html'],
    ],
    body,
  };
}

const DEFAULTS = new Map<number, CannedResponse>(PAGES.map(([s, r, t]) => [s, page(s, r, t)]));

/** HAProxy's default page for a status (falls back to a generic page for other codes). */
export function defaultErrorPage(status: number): CannedResponse {
  return DEFAULTS.get(status) ?? page(status, reasonPhrase(status), 'An error occurred.');
}

/**
 * The bytes haproxy's H1 mux writes itself (h1_send_error: the raw http_err_msgs entry, with its
 * own capitalisation and `Connection: close`) for a request it could not parse or that timed out
 * before a stream existed; `errorfile` does not change these.
 */
export function muxErrorBytes(status: 400 | 408): Buffer {
  const p = DEFAULTS.get(status) as CannedResponse;
  const head = `HTTP/1.1 ${status} ${p.reason}\r\nContent-length: ${p.body.length}\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), p.body]);
}

/** The table of default pages (copied so a proxy can override entries). */
export function defaultErrorPages(): Map<number, CannedResponse> {
  return new Map(DEFAULTS);
}

/** Reason phrase HAProxy uses for a status. */
export function reasonPhrase(status: number): string {
  const p = DEFAULTS.get(status);
  if (p) return p.reason;
  return REASONS[status] ?? 'Unknown';
}

const REASONS: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  406: 'Not Acceptable',
  409: 'Conflict',
  411: 'Length Required',
  412: 'Precondition Failed',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
  505: 'HTTP Version Not Supported',
};

export class ErrorFileError extends Error {
  readonly code = 'CFG_BAD_ERRORFILE';
}

/**
 * Parses an errorfile's raw HTTP response (`HTTP/1.x CODE REASON`, headers, blank line, body).
 * Throws ErrorFileError with a message naming what is wrong.
 */
export function parseErrorFile(raw: string): CannedResponse {
  const sep = raw.search(/\r?\n\r?\n/);
  const head = sep < 0 ? raw : raw.slice(0, sep);
  const body = sep < 0 ? '' : raw.slice(sep).replace(/^\r?\n\r?\n/, '');
  const lines = head.split(/\r?\n/);
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!m)
    throw new ErrorFileError(
      `errorfile must start with an HTTP status line ("HTTP/1.0 503 Service Unavailable"), got "${(lines[0] ?? '').slice(0, 60)}"`,
    );
  const status = Number(m[1]);
  const headers: Array<[string, string]> = [];
  let lengthAt = -1;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    const c = l.indexOf(':');
    if (c <= 0) throw new ErrorFileError(`errorfile header line ${i + 1} is not "Name: value": "${l.slice(0, 60)}"`);
    const name = l.slice(0, c).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw new ErrorFileError(`errorfile header name "${name}" is not a valid token`);
    // HAProxy sends an errorfile through its HTX form: names in lower case, framing its own
    const lname = name.toLowerCase();
    if (lname === 'content-length') {
      if (lengthAt < 0) lengthAt = headers.length;
      continue;
    }
    if (lname === 'transfer-encoding' || lname === 'connection') continue;
    headers.push([lname, l.slice(c + 1).trim()]);
  }
  const buf = Buffer.from(body, 'latin1');
  // the length where the file had it (the body's real one); without one the close ends the body
  if (lengthAt >= 0) headers.splice(lengthAt, 0, ['content-length', String(buf.length)]);
  const page: CannedResponse = { status, reason: m[2] || reasonPhrase(status), headers, body: buf };
  if (lines[0].startsWith('HTTP/1.0')) page.version10 = true;
  if (lengthAt < 0) page.closeDelimited = true;
  return page;
}
