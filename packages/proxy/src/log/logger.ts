/**
 * The process logger: queues messages per target and flushes them once per event-loop turn
 * (UDP and unix datagrams, one per message; stdout/stderr as one write), so the request path never
 * waits on I/O. Event lines are echoed to stderr as HAProxy does in foreground mode.
 */
import { createSocket, type Socket } from 'node:dgram';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { GlobalModel, LogTarget, ProxyModel } from '@switchyard/config';
import { errnoName, UnixDgramSender } from '@switchyard/unixsock';
import type { LogOptions, ProxyLogger, SyslogLevel } from '../model/log-types.ts';
import { frameSyslog, type SyslogSender, targetAccepts } from './syslog.ts';

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
  private readonly sender: SyslogSender;
  private readonly out: NodeJS.WritableStream;
  private readonly errOut: NodeJS.WritableStream;
  private udp4?: Socket;
  private udp6?: Socket;
  private unix?: UnixDgramSender;
  /** Per target: the unix send error last reported (reported again only after a success). */
  private readonly unixErrors = new Map<string, string>();
  /** `sample R:S`: messages seen per target (HAProxy's curr_idx), by target object. */
  private readonly sampled = new WeakMap<LogTarget, number>();
  private pending: Array<[LogTarget, Buffer]> = [];
  private scheduled = false;
  /** Datagrams that could not be sent (reported once per burst on stderr). */
  dropped = 0;

  constructor(opts: LoggerOptions) {
    this.globalTargets = opts.globalTargets;
    this.sender = { tag: opts.tag ?? 'switchyard', pid: process.pid, hostname: undefined };
    this.out = opts.stdout ?? process.stdout;
    this.errOut = opts.stderr ?? process.stderr;
  }

  /** Takes the global section's targets, `log-tag` and `log-send-hostname` (at start and reload). */
  useGlobal(g: GlobalModel): void {
    this.globalTargets = g.logs;
    if (g.logTag) this.sender.tag = g.logTag;
    this.sender.hostname = g.logSendHostname === '' ? hostname() : g.logSendHostname;
  }

  /** ProxyLogger.log: events and messages for a proxy's targets (or the global ones). */
  log(proxy: ProxyModel | undefined, level: SyslogLevel, msg: string, opts?: LogOptions): void {
    this.send(proxy ? proxy.logs : this.globalTargets, level, msg);
    if (opts?.stderr !== false && level !== 'debug') {
      this.errOut.write(stderrLine(STDERR_PREFIX[opts?.stderrLevel ?? level] ?? 'NOTICE', this.sender.pid, msg));
    }
  }

  /** Queues `msg` for every target in `targets` that accepts `level`. */
  send(targets: LogTarget[], level: SyslogLevel, msg: string): void {
    if (targets.length === 0) return;
    const ms = performance.timeOrigin + performance.now();
    const now = new Date(Math.floor(ms));
    const micros = Math.floor(ms * 1000) % 1000;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      if (!targetAccepts(t, level) || (t.sample && !this.inSample(t))) continue;
      this.pending.push([t, frameSyslog(t, level, msg, now, this.sender, micros)]);
    }
    if (!this.scheduled && this.pending.length > 0) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /**
   * `sample RANGES:SIZE`: the message's number in its run of SIZE (from 1) must fall in a range,
   * as haproxy 2.6 counts them (after the level filter, per target).
   */
  private inSample(t: LogTarget): boolean {
    const smp = t.sample;
    if (!smp) return true;
    const idx = ((this.sampled.get(t) ?? 0) % smp.size) + 1;
    this.sampled.set(t, idx);
    for (const [lo, hi] of smp.ranges) if (idx >= lo && idx <= hi) return true;
    return false;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    for (const [t, line] of batch) {
      if (t.kind === 'stdout') stdout.push(line);
      else if (t.kind === 'udp') this.sendUdp(t, line);
      else if (t.kind === 'unix') this.sendUnix(t, line);
      else stderr.push(line);
    }
    if (stdout.length) this.out.write(Buffer.concat(stdout));
    if (stderr.length) this.errOut.write(Buffer.concat(stderr));
  };

  /**
   * One datagram to a syslog daemon's unix socket. A full queue (EAGAIN) or a missing daemon
   * drops the line, as HAProxy does; the error is printed once until a send succeeds again.
   */
  private sendUnix(t: LogTarget, line: Buffer): void {
    const path = t.path ?? '/dev/log';
    let e: number;
    let why: string;
    try {
      this.unix ??= new UnixDgramSender();
      e = this.unix.send(path, line);
      why = e === 0 ? '' : errnoName(e);
    } catch (x) {
      e = -1;
      why = (x as Error).message;
    }
    if (e === 0) {
      if (this.unixErrors.size) this.unixErrors.delete(path);
      return;
    }
    this.dropped++;
    if (this.unixErrors.get(path) === why) return;
    this.unixErrors.set(path, why);
    this.errOut.write(stderrLine('ALERT', this.sender.pid, `sendto() failed for log target '${path}': ${why}`));
  }

  private sendUdp(t: LogTarget, line: Buffer): void {
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
    this.unix?.close();
    this.unix = undefined;
  }
}
