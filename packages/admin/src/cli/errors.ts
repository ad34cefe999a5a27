/**
 * `show errors [<px>] [request|response]`: the last invalid request of each frontend, in
 * HAProxy 2.6's format (header with the event count, one block per snapshot, the bytes dumped
 * as its dump_text_line does). The H1 connection, stream and message flags are HAProxy's
 * internals: printed as 0; the message state is derived from where the parser stopped.
 * Invalid responses are not captured (none is listed: as a haproxy that saw none).
 */
import {
  type ErrorSnapshot,
  errorEvents,
  httpLogDate,
  type ProxyRuntime,
  requestError,
  SNAPSHOT_BUFSIZE,
} from '@switchyard/proxy';

/** What HAProxy prints as `wraps at` for a request read at the start of its buffer. */
const WRAP = SNAPSHOT_BUFSIZE - 48;

/** HAProxy's h1m_state of the parser when it stopped at `pos` (request side). */
function msgState(buf: Buffer, pos: number): string {
  const head = buf.toString('latin1', 0, pos + 1);
  const eol = head.indexOf('\n');
  if (eol < 0 || pos <= eol) {
    const line = head.slice(0, pos);
    if (/^\r?\n?$/.test(line) && pos === 0) return 'MSG_RQBEFORE(0)';
    const spaces = (line.match(/ +/g) ?? []).length;
    if (spaces === 0) return 'MSG_RQMETH(2)';
    if (spaces === 1) return line.endsWith(' ') ? 'MSG_RQMETH_SP(3)' : 'MSG_RQURI(4)';
    return line.endsWith(' ') ? 'MSG_RQURI_SP(5)' : 'MSG_RQVER(6)';
  }
  const lineStart = head.lastIndexOf('\n', pos - 1) + 1;
  const line = buf.toString('latin1', lineStart, pos);
  if (line === '' || line === '\r') return 'MSG_LAST_LF(25)';
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

function block(name: string, id: number, es: ErrorSnapshot): string {
  const len = es.buf.length;
  const [at, state] = errorPoint(es);
  let out = ` \n[${httpLogDate(es.when)}] frontend ${name} (#${id}): invalid request\n`;
  out += `  backend <NONE> (#-1), server <NONE> (#-1), event #${es.event}, src ${es.srcIp}:${es.srcPort}\n`;
  out += `  buffer starts at 0 (including 0 out), ${SNAPSHOT_BUFSIZE - len} free,\n`;
  out += `  len ${len}, wraps at ${WRAP}, error at position ${at}\n`;
  out += '  H1 connection flags 0x00000000, H1 stream flags 0x00000000\n';
  out += `  H1 msg state ${state}, H1 msg flags 0x00000000\n`;
  out += '  H1 chunk len 0 bytes, H1 body len 0 bytes :\n  \n';
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

/** `show errors [<px>] [request|response]` over `rt`'s frontends. */
export function showErrors(rt: ProxyRuntime, args: string[], now = Date.now()): string {
  let iid = -1;
  if (args[0]) {
    const named = [...rt.frontends.values(), ...rt.backends.values()].find((p) => p.name === args[0]);
    iid = named ? named.id : Number.parseInt(args[0], 10) || 0;
    if (!iid) return 'No such proxy.\n';
  }
  let out = `Total events captured on [${httpLogDate(now)}] : ${errorEvents()}\n`;
  if (args[1] === 'response') return out;
  // HAProxy walks its proxies list, the last declared first
  const fes = [...rt.frontends.values()].sort((a, b) => b.id - a.id);
  for (const fe of fes) {
    if (iid >= 0 && fe.id !== iid) continue;
    const es = requestError(fe);
    if (es) out += block(fe.name, fe.id, es);
  }
  return out;
}
