/**
 * One log line per request, in HAProxy's words: `option httplog`, the default (tcplog-like)
 * HTTP line, or the same fields as JSON (`--log-format json`).
 */

/** What the datapath records about a finished request. */
export interface RequestLogFields {
  clientIp: string;
  clientPort: number;
  /** Epoch ms when the request started (accept date of the request). */
  start: number;
  /** Frontend name, with `~` appended for TLS connections (as HAProxy's %ft). */
  frontend: string;
  backend: string;
  /** Server name, `<STATS>` / `<PROMEX>` when an applet answered, or `<NOSRV>`. */
  server: string;
  /** Timers (ms), -1 when the phase was not reached: TR Tw Tc Tr Ta. */
  tR: number;
  tw: number;
  tc: number;
  tr: number;
  ta: number;
  status: number;
  /** Bytes sent to the client (`%B`). */
  bytes: number;
  /** Bytes received from the client (`%U`). */
  bytesIn: number;
  /** Termination state, 4 chars (`----`, `SC--`, `sH--`, `cD--`, ...). */
  termState: string;
  actconn: number;
  feconn: number;
  beconn: number;
  srvconn: number;
  retries: number;
  redispatched: boolean;
  srvQueue: number;
  backendQueue: number;
  method: string;
  uri: string;
  httpVersion: string;
  /** Request / response capture slots of the frontend (undefined entry: nothing captured), when it has any. */
  reqCap?: Array<string | undefined>;
  resCap?: Array<string | undefined>;
  /** `capture cookie`: `%CC` and `%CS` (undefined: `-`). */
  cliCookie?: string;
  srvCookie?: string;
}

/** HAProxy's hdr_encode_map: control bytes, bytes from 127 and `"#{|}` become `#XX` in captures. */
function hdrEncode(v: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 32 && c < 127 && c !== 34 && c !== 35 && c !== 123 && c !== 124 && c !== 125) continue;
    const b = c & 0xff;
    out += `${v.slice(from, i)}#${b < 16 ? '0' : ''}${b.toString(16).toUpperCase()}`;
    from = i + 1;
  }
  return from === 0 ? v : out + v.slice(from);
}

/** `%hr` / `%hs`: `{a|b}` (quoted: `"{a|b}"`), nothing when the frontend has no such slots. */
export function captureBlock(caps: Array<string | undefined> | undefined, quoted = false): string {
  if (!caps) return '';
  let out = '{';
  for (let i = 0; i < caps.length; i++) {
    if (i > 0) out += '|';
    const v = caps[i];
    if (v !== undefined) out += hdrEncode(v);
  }
  out += '}';
  return quoted ? `"${out}"` : out;
}

/** `%hrl` / `%hsl`: one field per slot, `-` for nothing captured (quoted: `"v"`, `""`). */
export function captureList(caps: Array<string | undefined> | undefined, quoted = false): string {
  if (!caps) return '';
  return caps
    .map((v) => (quoted ? `"${v === undefined ? '' : hdrEncode(v)}"` : v === undefined ? '-' : hdrEncode(v)))
    .join(' ');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function p2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `21/Nov/2026:19:32:49.248` (HAProxy's %tr, local time). */
export function httpLogDate(ms: number): string {
  const d = new Date(ms);
  const m = d.getMilliseconds();
  return `${p2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${m < 10 ? `00${m}` : m < 100 ? `0${m}` : m}`;
}

/** Request line as HAProxy quotes it: `"GET /x HTTP/1.1"`, `"<BADREQ>"` when there is none. */
function requestText(f: RequestLogFields): string {
  if (!f.method) return '<BADREQ>';
  return `${f.method} ${f.uri} HTTP/${f.httpVersion}`;
}

function retriesText(f: RequestLogFields): string {
  return f.redispatched ? `+${f.retries}` : String(f.retries);
}

/** `option httplog` line. */
export function formatHttpLog(f: RequestLogFields): string {
  return `${f.clientIp}:${f.clientPort} [${httpLogDate(f.start)}] ${f.frontend} ${f.backend}/${f.server} ${f.tR}/${f.tw}/${f.tc}/${f.tr}/${f.ta} ${f.status} ${f.bytes} ${f.cliCookie || '-'} ${f.srvCookie || '-'} ${f.termState} ${f.actconn}/${f.feconn}/${f.beconn}/${f.srvconn}/${retriesText(f)} ${f.srvQueue}/${f.backendQueue} "${requestText(f)}"`;
}

/** `21/Nov/2026:20:40:36 +0000` (HAProxy's %trg: local time and UTC offset). */
export function clfDate(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  const tz = `${off < 0 ? '-' : '+'}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
  return `${p2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${tz}`;
}

/** `option httplog clf`: HAProxy 2.6's CLF_HTTP_LOG_FORMAT (checked against haproxy's output). */
export function formatClfLog(f: RequestLogFields): string {
  const ms = new Date(f.start).getMilliseconds();
  return `${f.clientIp} - - [${clfDate(f.start)}] "${requestText(f)}" ${f.status} ${f.bytes} "" "" ${f.clientPort} ${ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : ms} "${f.frontend}" "${f.backend}" "${f.server}" ${f.tR} ${f.tw} ${f.tc} ${f.tr} ${f.ta} ${f.termState} ${f.actconn} ${f.feconn} ${f.beconn} ${f.srvconn} ${retriesText(f)} ${f.srvQueue} ${f.backendQueue} "${f.cliCookie ?? ''}" "${f.srvCookie ?? ''}" `;
}

/** HAProxy's default line for HTTP proxies without `option httplog` (timers Tw/Tc/Tt, 2-char state). */
export function formatDefaultLog(f: RequestLogFields): string {
  return `${f.clientIp}:${f.clientPort} [${httpLogDate(f.start)}] ${f.frontend} ${f.backend}/${f.server} ${f.tw}/${f.tc}/${f.ta} ${f.bytes} ${f.termState.slice(0, 2)} ${f.actconn}/${f.feconn}/${f.beconn}/${f.srvconn}/${retriesText(f)} ${f.srvQueue}/${f.backendQueue}`;
}

/** The same fields as one JSON object (names follow HAProxy's log-format aliases). */
export function formatJsonLog(f: RequestLogFields): string {
  return JSON.stringify({
    client_ip: f.clientIp,
    client_port: f.clientPort,
    date: new Date(f.start).toISOString(),
    frontend: f.frontend,
    backend: f.backend,
    server: f.server,
    TR: f.tR,
    Tw: f.tw,
    Tc: f.tc,
    Tr: f.tr,
    Ta: f.ta,
    status: f.status,
    bytes: f.bytes,
    termination_state: f.termState,
    actconn: f.actconn,
    feconn: f.feconn,
    beconn: f.beconn,
    srvconn: f.srvconn,
    retries: f.retries,
    redispatched: f.redispatched,
    srv_queue: f.srvQueue,
    backend_queue: f.backendQueue,
    method: f.method,
    uri: f.uri,
    http_version: f.httpVersion,
    request: requestText(f),
    // only with captures configured (undefined keys are left out; an empty slot is null)
    request_captures: f.reqCap,
    response_captures: f.resCap,
    captured_request_cookie: f.cliCookie,
    captured_response_cookie: f.srvCookie,
  });
}
