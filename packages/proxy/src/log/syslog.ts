/** Syslog framing as HAProxy sends it (RFC 3164 by default, `format raw|short|rfc5424`). */
import type { LogTarget } from '@switchyard/config';
import type { SyslogLevel } from '../model/log-types.ts';

const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  auth2: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  cron2: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** Severity numbers, most severe first. */
export const LEVELS: Record<SyslogLevel, number> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

/** Facility number of a name, or undefined when unknown. */
export function facilityCode(name: string): number | undefined {
  return FACILITIES[name];
}

/** True when a message at `level` passes the target's `level` (the least severe level sent). */
export function targetAccepts(t: LogTarget, level: SyslogLevel): boolean {
  return LEVELS[level] <= (LEVELS[t.level as SyslogLevel] ?? 7);
}

/**
 * Severity number sent for `level`: HAProxy's `minlevel` caps messages more severe than it to
 * that level (so `emerg` does not reach every terminal); it does not filter.
 */
export function sentSeverity(t: LogTarget, level: SyslogLevel): number {
  const sev = LEVELS[level];
  const min = t.minLevel ? LEVELS[t.minLevel as SyslogLevel] : undefined;
  return min !== undefined && sev < min ? min : sev;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `Nov  1 09:05:03` (RFC 3164 timestamp, local time, day padded with a space). */
export function rfc3164Time(d: Date): string {
  const day = d.getDate();
  return `${MONTHS[d.getMonth()]} ${day < 10 ? ` ${day}` : day} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** `2026-12-07T07:00:22.173414+01:00`: local time, microseconds and offset, as HAProxy's rfc5424/iso/timed. */
export function isoTime(d: Date, micros: number): string {
  const off = -d.getTimezoneOffset();
  const a = Math.abs(off);
  const us = String(d.getMilliseconds() * 1000 + (micros % 1000)).padStart(6, '0');
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${us}${off < 0 ? '-' : '+'}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`;
}

/** What the headers say about the sender: `log-tag`, the pid, `log-send-hostname` (unset: undefined). */
export interface SyslogSender {
  tag: string;
  pid: number;
  hostname: string | undefined;
}

/** HAProxy's default `len`: longer lines are cut to this many bytes before the newline. */
export const DEFAULT_LOG_LEN = 1024;

/**
 * One syslog message for `target`, newline-terminated, in HAProxy 2.6's format (compared with
 * haproxy 2.6.12's datagrams): rfc3164 carries the log-send-hostname host, or `localhost` when
 * `format rfc3164` is written and no host is set (none when the format is the default);
 * rfc5424 a `-`; `short` and `timed` carry the severity alone; the whole
 * line is cut at `len` bytes (default 1024) and the newline added after.
 */
export function frameSyslog(
  t: LogTarget,
  level: SyslogLevel,
  msg: string,
  now: Date,
  sender: SyslogSender,
  micros = 0,
): Buffer {
  const sev = sentSeverity(t, level);
  const pri = (facilityCode(t.facility) ?? 16) * 8 + sev;
  let line: string;
  switch (t.format) {
    case 'raw':
      line = msg;
      break;
    case 'short':
      line = `<${sev}>${msg}`;
      break;
    case 'priority':
      line = `<${pri}>${msg}`;
      break;
    case 'timed':
      line = `<${sev}>${isoTime(now, micros)} ${msg}`;
      break;
    case 'iso':
      line = `${isoTime(now, micros)} ${msg}`;
      break;
    case 'local':
      line = `<${pri}>${rfc3164Time(now)} ${sender.tag}[${sender.pid}]: ${msg}`;
      break;
    case 'rfc5424':
      line = `<${pri}>1 ${isoTime(now, micros)} ${sender.hostname || '-'} ${sender.tag} ${sender.pid} - - ${msg}`;
      break;
    default: {
      const host = sender.hostname || (t.formatGiven ? 'localhost' : '');
      line = `<${pri}>${rfc3164Time(now)} ${host ? `${host} ` : ''}${sender.tag}[${sender.pid}]: ${msg}`;
    }
  }
  const max = t.maxLen ?? DEFAULT_LOG_LEN;
  const b = Buffer.from(`${line}\n`);
  if (b.length - 1 <= max) return b;
  b[max] = 10;
  return b.subarray(0, max + 1);
}
