/**
 * `show errors [<px>] [request|response]`: the last invalid request of each frontend and the
 * last invalid response of each backend, in HAProxy 2.6's format (header with the event count,
 * one block per snapshot, the bytes dumped as its dump_text_line does). The H1 connection,
 * stream and message flags are HAProxy's internals: printed as 0; the message state is derived
 * from where the parser stopped.
 */
import {
  type ErrorSnapshot,
  errorEvents,
  httpLogDate,
  type ProxyRuntime,
  type ResponseSnapshot,
  requestError,
  responseError,
  SNAPSHOT_BUFSIZE,
} from '@switchyard/proxy';

/** What HAProxy prints as `wraps at` for a request read at the start of its buffer. */
const WRAP = SNAPSHOT_BUFSIZE - 48;

/** HAProxy's h1m_state names of the first line's states, request then response side. */
const FIRST_LINE = {
  request: ['MSG_RQBEFORE(0)', 'MSG_RQMETH(2)', 'MSG_RQMETH_SP(3)', 'MSG_RQURI(4)', 'MSG_RQURI_SP(5)', 'MSG_RQVER(6)'],
  response: [
    'MSG_RPBEFORE(8)',
    'MSG_RPVER(10)',
    'MSG_RPVER_SP(11)',
    'MSG_RPCODE(12)',
    'MSG_RPCODE_SP(13)',
    'MSG_RPREASON(14)',
  ],
};

/** HAProxy's h1m_state of the parser when it stopped at `pos`. */
function msgState(buf: Buffer, pos: number, side: 'request' | 'response' = 'request'): string {
  const head = buf.toString('latin1', 0, pos + 1);
  const eol = head.indexOf('\n');
  if (eol < 0 || pos <= eol) {
    const [before, first, firstSp, second, secondSp, third] = FIRST_LINE[side];
    const line = head.slice(0, pos);
    if (/^\r?\n?$/.test(line) && pos === 0) return before;
    const spaces = (line.match(/ +/g) ?? []).length;
    if (spaces === 0) return first;
    if (spaces === 1) return line.endsWith(' ') ? firstSp : second;
    return line.endsWith(' ') ? secondSp : third;
  }
  const lineStart = head.lastIndexOf('\n', pos - 1) + 1;
  const line = buf.toString('latin1', lineStart, pos);
  if (line === '' || line === '\r') return 'MSG_LAST_LF(25)';
  // a Content-Length refused (a second, different one): haproxy checks it once the line is
  // whole and reports the value's first byte
  if (/^content-length[ \t]*:[ \t]*$/i.test(line)) return 'MSG_HDR_L2_LWS(24)';
  return line.includes(':') ? 'MSG_HDR_VAL(22)' : 'MSG_HDR_NAME(17)';
}

/** HAProxy's dump_text_line: one line (at most 80 columns, `+` marks a continuation). */
function dumpLine(
  buf: Buffer,
  len: number,
  start: number,
  lineStart: number,
): { text: string; next: number; bol: number } {
  let out = `  ${String(start).padStart(5, '0')}${start === lineStart ? ' ' : '+'} `;
  const end = 80;
  let ptr = start;
  while (ptr < len) {
    const c = buf[ptr];
    let piece: string;
    if (c >= 0x20 && c < 0x7f && c !== 0x5c) piece = String.fromCharCode(c);
    else if (c === 9 || c === 10 || c === 13 || c === 27 || c === 0x5c)
      piece = `\\${c === 9 ? 't' : c === 10 ? 'n' : c === 13 ? 'r' : c === 27 ? 'e' : '\\'}`;
    else piece = `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
    if (out.length + piece.length > end - 1) break;
    out += piece;
    ptr++;
    if (c === 10) return { text: `${out}\n`, next: ptr, bol: ptr };
  }
  return { text: `${out}\n`, next: ptr, bol: lineStart };
}

/**
 * Where HAProxy reports the error and its parser state: at the refused byte, except for a bad
 * HTTP version, which HAProxy checks once the whole head is parsed (state MSG_DATA) and reports
 * at the version's first byte (`es.code` is llhttp's, not needed for that).
 */
function errorPoint(es: ErrorSnapshot): [number, string] {
  const eol = es.buf.indexOf(10);
  const line = es.buf.toString('latin1', 0, Math.max(0, eol));
  const sp = line.indexOf(' ', line.indexOf(' ') + 1);
  // llhttp stops inside the version (HPE_INVALID_VERSION, or HPE_INVALID_CONSTANT on `HTTX`)
  if (sp > 0 && es.errorAt > sp && es.errorAt < eol) return [sp + 1, 'MSG_DATA(27)'];
  return [es.errorAt, msgState(es.buf, es.errorAt)];
}

/** The Content-Length header the parser read before the error (haproxy's chunk and body lengths). */
function bodyLength(es: ErrorSnapshot): number {
  const m = /(?:^|\n)content-length[ \t]*:[ \t]*(\d+)[ \t]*\r?\n/i.exec(es.buf.toString('latin1', 0, es.errorAt));
  return m ? Number(m[1]) : 0;
}

function block(name: string, id: number, es: ErrorSnapshot, response?: ResponseSnapshot): string {
  const len = es.buf.length;
  const [at, state] = response ? [es.errorAt, msgState(es.buf, es.errorAt, 'response')] : errorPoint(es);
  let out = ` \n[${httpLogDate(es.when)}] `;
  if (response) {
    out += `backend ${name} (#${id}): invalid response\n  frontend ${response.frontend.name} (#${response.frontend.id})`;
    out += `, server ${response.server.name} (#${response.server.id})`;
  } else out += `frontend ${name} (#${id}): invalid request\n  backend <NONE> (#-1), server <NONE> (#-1)`;
  out += `, event #${es.event}, src ${es.srcIp}:${es.srcPort}\n`;
  out += `  buffer starts at 0 (including 0 out), ${SNAPSHOT_BUFSIZE - len} free,\n`;
  out += `  len ${len}, wraps at ${WRAP}, error at position ${at}\n`;
  out += '  H1 connection flags 0x00000000, H1 stream flags 0x00000000\n';
  out += `  H1 msg state ${state}, H1 msg flags 0x00000000\n`;
  const body = response ? bodyLength(es) : 0;
  out += `  H1 chunk len ${body} bytes, H1 body len ${body} bytes :\n  \n`;
  let ptr = 0;
  let bol = 0;
  while (ptr < len) {
    const l = dumpLine(es.buf, len, ptr, bol);
    out += l.text;
    ptr = l.next;
    bol = l.bol;
  }
  return out;
}

/** `show errors [<px>] [request|response]` over `rt`'s proxies (<px> names either end of a snapshot). */
export function showErrors(rt: ProxyRuntime, args: string[], now = Date.now()): string {
  let iid = -1;
  if (args[0]) {
    const named = [...rt.frontends.values(), ...rt.backends.values()].find((p) => p.name === args[0]);
    iid = named ? named.id : Number.parseInt(args[0], 10) || 0;
    if (!iid) return 'No such proxy.\n';
  }
  let out = `Total events captured on [${httpLogDate(now)}] : ${errorEvents()}\n`;
  // HAProxy walks its proxies list in declaration order (cfgparse reverses it once): each one's
  // request, then its response
  const ids = new Set([...rt.frontends.values(), ...rt.backends.values()].map((p) => p.id));
  const frontends = new Map([...rt.frontends.values()].map((f) => [f.id, f]));
  const backends = new Map([...rt.backends.values()].map((b) => [b.id, b]));
  for (const id of [...ids].sort((a, b) => a - b)) {
    const fe = frontends.get(id);
    const req = fe && args[1] !== 'response' ? requestError(fe) : undefined;
    if (fe && req && (iid < 0 || id === iid)) out += block(fe.name, id, req);
    const be = backends.get(id);
    const res = be && args[1] !== 'request' ? responseError(be) : undefined;
    if (be && res && (iid < 0 || id === iid || res.frontend.id === iid)) out += block(be.name, id, res, res);
  }
  return out;
}
