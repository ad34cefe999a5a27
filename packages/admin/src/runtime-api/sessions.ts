/**
 * `show sess [ID|all]` and `shutdown session ID` over the streams in progress (packages/proxy
 * live-streams.ts), in HAProxy 2.6's formats: one line per stream, or the detailed dump's head
 * (stream, frontend, backend, server, task, txn) for `show sess ID` and `show sess all`.
 * Fields of HAProxy's internals Switchyard has no equivalent of (channel and stream-connector
 * flags, task calls, rate, cpu, lat, fds, epoch) are printed as 0 or empty; the streams of the
 * CLI connections themselves are not listed (HAProxy lists them, fe=GLOBAL).
 */
import { findStream, httpLogDate, liveStreams, type StreamCore, streamPointer } from '@switchyard/proxy';
import { humanTime } from '../http/html.ts';

/** HAProxy's enum http_meth_t. */
const METHODS: Record<string, number> = {
  OPTIONS: 0,
  GET: 1,
  HEAD: 2,
  POST: 3,
  PUT: 4,
  DELETE: 5,
  TRACE: 6,
  CONNECT: 7,
};

/** strtoul(arg, NULL, 0): hex with 0x, octal with 0, decimal; garbage reads as 0. */
function parsePointer(a: string | undefined): number {
  const m = /^\s*[+]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(a ?? '');
  if (!m) return 0;
  return m[1].startsWith('0') && !/^0[xX]/.test(m[1]) ? Number.parseInt(m[1], 8) : Number(m[1]);
}

function proto(st: StreamCore): string {
  const ip = st.txn?.srcIp ?? '';
  if (ip === '' || ip.startsWith('unix')) return 'unix_stream';
  return ip.includes(':') ? 'tcpv6' : 'tcpv4';
}

function addr(ip: string | undefined, port: number | undefined): string {
  if (!ip) return 'unix:1';
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

const age = (st: StreamCore, now: number) => humanTime(Math.floor((now - st.start) / 1000));

/** One stream as `show sess` lists it. */
function line(st: StreamCore, now: number): string {
  const be = st.be?.name ?? '<NONE>';
  const srv = st.server?.name ?? '<none>';
  return (
    `${streamPointer(st)}: proto=${proto(st)} src=${addr(st.txn?.srcIp, st.txn?.srcPort)} fe=${st.fe.name} be=${be} srv=${srv} ` +
    `ts=00 epoch=0x0 age=${age(st, now)} calls=0 rate=0 cpu=0 lat=0 rq[f=0h,i=0,an=00h,rx=,wx=,ax=] ` +
    'rp[f=0h,i=0,an=00h,rx=,wx=,ax=] scf=[8,0h,fd=-1] scb=[8,0h,fd=-1] exp= rc=0 c_exp=\n'
  );
}

/** HAProxy's accept date: `[07/Dec/2026:12:58:39.658432]` (microseconds: the milliseconds, 000). */
const acceptDate = (ms: number) => `[${httpLogDate(ms)}000]`;

/** HAProxy's HTTP message states of the request and the response, from the stream's phase. */
function msgStates(st: StreamCore): [string, string] {
  switch (st.phase) {
    case 'R':
      return ['MSG_RQBEFORE', 'MSG_RPBEFORE'];
    case 'D':
      return ['MSG_DONE', 'MSG_DATA'];
    case '-':
      return ['MSG_DONE', 'MSG_DONE'];
    default:
      return ['MSG_DONE', 'MSG_RPBEFORE'];
  }
}

/** The head of HAProxy's detailed dump of one stream. */
function detail(st: StreamCore, now: number): string {
  const ptr = streamPointer(st);
  const txn = st.txn;
  const mode = st.fe.model.mode;
  let out = `${ptr}: ${acceptDate(st.start)} id=${st.id} proto=${proto(st)} source=${addr(txn?.srcIp, txn?.srcPort)}\n`;
  const srvConn = st.holdsSlot ? `0x${(Number(ptr) + 0x200).toString(16)}` : '(nil)';
  out += `  flags=0x0, conn_retries=${st.retries}, conn_exp=<NEVER> conn_et=0x000 srv_conn=${srvConn}, pend_pos=(nil) waiting=${st.phase === 'Q' ? 1 : 0} epoch=0x0\n`;
  out += `  frontend=${st.fe.name} (id=${st.fe.id} mode=${mode}), listener=? (id=1) addr=${addr(txn?.dstIp, txn?.dstPort)}\n`;
  out += st.be
    ? `  backend=${st.be.name} (id=${st.be.id} mode=${st.be.model.mode})\n`
    : '  backend=<NONE> (id=-1 mode=-)\n';
  out += st.server
    ? `  server=${st.server.name} (id=${st.server.id}) addr=${addr(st.server.host, st.server.port)}\n`
    : '  server=<NONE> (id=-1)\n';
  out += `  task=0x${(Number(ptr) + 0x100).toString(16)} (state=0x00 nice=0 calls=0 rate=0 exp=<NEVER> tmask=0x1 age=${age(st, now)})\n`;
  if (mode === 'http' && txn) {
    const [rq, rp] = msgStates(st);
    out += `  txn=0x${(Number(ptr) + 0x300).toString(16)} flags=0x0 meth=${METHODS[txn.method] ?? 8} status=${st.status || -1} req.st=${rq} rsp.st=${rp} req.f=0x00 rsp.f=0x00\n`;
  }
  return out;
}

/** `show sess [ID|all]`. */
export function showSess(args: string[], now = Date.now()): string {
  if (args[0] === 'all')
    return liveStreams()
      .map((st) => detail(st, now))
      .join('');
  const ptr = parsePointer(args[0]);
  if (ptr === 0)
    return liveStreams()
      .map((st) => line(st, now))
      .join('');
  const st = findStream(ptr);
  return st ? detail(st, now) : 'Session not found.\n';
}

/** `shutdown session ID`: ends the stream (termination state K, as HAProxy's SF_ERR_KILLED). */
export function shutdownSession(args: string[]): string {
  const ptr = parsePointer(args[0]);
  if (!ptr) return "Session pointer expected (use 'show sess').\n";
  const st = findStream(ptr);
  if (!st) return "No such session (use 'show sess').\n";
  st.kill('K');
  return '';
}
