/**
 * The process logger: queues messages per target and flushes them once per event-loop turn
 * (UDP datagrams, one per message; stdout/stderr/unix as one write), so the request path never
 * waits on I/O. Event lines are echoed to stderr as HAProxy does in foreground mode.
 */
import { createSocket, type Socket } from 'node:dgram';
import { hostname } from 'node:os';
import type { LogTarget, ProxyModel } from '@switchyard/config';
import type { LogOptions, ProxyLogger, SyslogLevel } from '../runtime/log-types.ts';
import { frameSyslog, targetAccepts } from './syslog.ts';

export interface LoggerOptions {
  /** Global targets (used when a message has no proxy). */
  globalTargets: LogTarget[];
  /** Program name in syslog headers. */
  tag?: string;
  /** Where stdout/stderr targets and echoed events go (tests pass their own). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

const STDERR_PREFIX: Partial<Record<SyslogLevel, 'NOTICE' | 'WARNING' | 'ALERT'>> = {
  emerg: 'ALERT',
  alert: 'ALERT',
  crit: 'ALERT',
  err: 'ALERT',
  warning: 'WARNING',
  notice: 'NOTICE',
  info: 'NOTICE',
};

/**
 * One stderr line as HAProxy prints them in the foreground: the tag padded to 11 columns,
 * e.g. `[NOTICE]   (1234) : msg`, `[WARNING]  (1234) : msg`, `[ALERT]    (1234) : msg`.
 */
export function stderrLine(tag: 'NOTICE' | 'WARNING' | 'ALERT', pid: number, msg: string): string {
  return `${`[${tag}]`.padEnd(11)}(${pid}) : ${msg}\n`;
}

/** A ProxyLogger that also takes request lines for explicit target lists. */
export class Logger implements ProxyLogger {
  globalTargets: LogTarget[];
  private readonly tag: string;
  private readonly pid = process.pid;
  private readonly host = hostname();
  private readonly out: NodeJS.WritableStream;
  private readonly errOut: NodeJS.WritableStream;
  private udp4?: Socket;
  private udp6?: Socket;
  private pending: Array<[LogTarget, string]> = [];
  private scheduled = false;
  /** Datagrams that could not be sent (reported once per burst on stderr). */
  dropped = 0;

  constructor(opts: LoggerOptions) {
    this.globalTargets = opts.globalTargets;
    this.tag = opts.tag ?? 'switchyard';
    this.out = opts.stdout ?? process.stdout;
    this.errOut = opts.stderr ?? process.stderr;
  }

  /** ProxyLogger.log: events and messages for a proxy's targets (or the global ones). */
  log(proxy: ProxyModel | undefined, level: SyslogLevel, msg: string, opts?: LogOptions): void {
    this.send(proxy ? proxy.logs : this.globalTargets, level, msg);
    if (opts?.stderr !== false && level !== 'debug') {
      this.errOut.write(stderrLine(STDERR_PREFIX[opts?.stderrLevel ?? level] ?? 'NOTICE', this.pid, msg));
    }
  }

  /** Queues `msg` for every target in `targets` that accepts `level`. */
  send(targets: LogTarget[], level: SyslogLevel, msg: string): void {
    if (targets.length === 0) return;
    const now = new Date();
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      if (!targetAccepts(t, level)) continue;
      this.pending.push([t, frameSyslog(t, level, msg, now, this.tag, this.pid, this.host)]);
    }
    if (!this.scheduled && this.pending.length > 0) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    let stdout = '';
    let stderr = '';
    for (const [t, line] of batch) {
      if (t.kind === 'stdout') stdout += line;
      else if (t.kind === 'udp') this.sendUdp(t, line);
      // stderr, and unix sockets (no unix datagram sockets in Node: the config check warns)
      else stderr += line;
    }
    if (stdout) this.out.write(stdout);
    if (stderr) this.errOut.write(stderr);
  };

  private sendUdp(t: LogTarget, line: string): void {
    const host = t.host ?? '127.0.0.1';
    const v6 = host.includes(':');
    let sock = v6 ? this.udp6 : this.udp4;
    if (!sock) {
      sock = createSocket(v6 ? 'udp6' : 'udp4');
      sock.unref();
      sock.on('error', () => {
        this.dropped++;
      });
      if (v6) this.udp6 = sock;
      else this.udp4 = sock;
    }
    sock.send(line, t.port ?? 514, host, (e) => {
      if (e) this.dropped++;
    });
  }

  /** Flushes what is queued now and closes sockets (at exit). */
  close(): void {
    this.flush();
    this.udp4?.close();
    this.udp6?.close();
    this.udp4 = undefined;
    this.udp6 = undefined;
  }
}
