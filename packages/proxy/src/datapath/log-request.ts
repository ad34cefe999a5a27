/** logging phase: builds the request's log fields and hands the line to the logger. */
import {
  formatClfLog,
  formatDefaultLog,
  formatHttpLog,
  formatJsonLog,
  type RequestLogFields,
} from '../log/request-line.ts';
import type { Stream } from './stream.ts';
import type { StreamCore } from './stream-core.ts';

/**
 * The log fields of a finished stream, HTTP or tcp. `tR`: ms spent receiving the request head
 * (-1 for tcp); `gone`: 1 when the client connection was already released (HAProxy logs before
 * releasing it, so it still counts in actconn/feconn); `applet`: the server field of a request
 * an applet answered (`<STATS>`, `<PROMEX>`). `bytes`/`bytesIn`: to / from the client.
 */
export function streamLogFields(
  s: StreamCore,
  now: number,
  bytes: number,
  bytesIn: number,
  tR: number,
  gone: number,
  applet?: string,
): RequestLogFields {
  const fe = s.fe;
  const be = s.be;
  const server = s.server;
  const txn = s.txn;
  const head = Math.max(tR, 0);
  return {
    clientIp: txn.srcIp,
    clientPort: txn.srcPort,
    start: s.start - head,
    frontend: txn.ssl ? `${fe.name}~` : fe.name,
    backend: be ? be.name : fe.name,
    server: server ? server.name : (applet ?? '<NOSRV>'),
    tR,
    tw: s.tw,
    tc: s.tw < 0 ? -1 : s.tc,
    tr: s.tr,
    ta: now - s.start + head,
    status: s.status || -1,
    bytes,
    bytesIn,
    termState: s.termState,
    actconn: s.ctx.actconn + gone,
    feconn: fe.conns + gone,
    beconn: be ? be.conns : 0,
    srvconn: server ? server.cur : 0,
    retries: s.retries,
    redispatched: s.redispatched,
    srvQueue: server ? server.queued : 0,
    backendQueue: be ? be.counters.qcur : 0,
    method: txn.method,
    uri: txn.url,
    httpVersion: txn.httpVersion,
    reqCap: txn.reqCap,
    resCap: txn.resCap,
    cliCookie: txn.cliCookie,
    srvCookie: txn.srvCookie,
  };
}

/** Formats and queues the log line of a finished request. */
export function logRequest(s: Stream, now: number, bytes: number, bytesIn: number): void {
  const fe = s.fe;
  if (fe.dontlogNormal && s.termState === '----' && s.retries === 0 && s.status < 500) return;
  const txn = s.txn;
  const f = streamLogFields(s, now, bytes, bytesIn, s.req.headMs, 0, s.applet);
  const line = s.ctx.jsonLog
    ? formatJsonLog(f)
    : fe.logFormat
      ? fe.logFormat(f, txn)
      : fe.httplogClf
        ? formatClfLog(f)
        : fe.httplog
          ? formatHttpLog(f)
          : formatDefaultLog(f);
  s.ctx.log?.send(fe.logTargets, 'info', line);
}
