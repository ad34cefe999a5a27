/** logging phase: builds the request's log fields and hands the line to the logger. */
import {
  formatClfLog,
  formatDefaultLog,
  formatHttpLog,
  formatJsonLog,
  type RequestLogFields,
} from '../log/request-line.ts';
import type { Stream } from './stream.ts';

/** Formats and queues the log line of a finished request. */
export function logRequest(s: Stream, now: number, bytes: number): void {
  const fe = s.fe;
  if (fe.dontlogNormal && s.termState === '----' && s.retries === 0 && s.status < 500) return;
  const be = s.be;
  const server = s.server;
  const txn = s.txn;
  const f: RequestLogFields = {
    clientIp: txn.srcIp,
    clientPort: txn.srcPort,
    start: s.start - s.req.headMs,
    frontend: txn.ssl ? `${fe.name}~` : fe.name,
    backend: be ? be.name : fe.name,
    server: server ? server.name : (s.applet ?? '<NOSRV>'),
    tR: s.req.headMs,
    tw: s.tw,
    tc: s.tw < 0 ? -1 : s.tc,
    tr: s.tr,
    ta: now - s.start + s.req.headMs,
    status: s.status || -1,
    bytes,
    termState: s.termState,
    actconn: s.ctx.actconn,
    feconn: fe.conns,
    beconn: be ? be.conns : 0,
    srvconn: server ? server.cur : 0,
    retries: s.retries,
    redispatched: s.redispatched,
    srvQueue: server ? server.queued : 0,
    backendQueue: be ? be.counters.qcur : 0,
    method: txn.method,
    uri: txn.url,
    httpVersion: txn.httpVersion,
  };
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
