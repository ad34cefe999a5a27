/** Syslog framing as HAProxy sends it (RFC 3164 by default, `format raw|short|rfc5424`). */
import type { LogTarget } from '@switchyard/config';
import type { SyslogLevel } from '../runtime/log-types.ts';

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

/** One syslog message for `target`, newline-terminated as HAProxy sends it. */
export function frameSyslog(
  t: LogTarget,
  level: SyslogLevel,
  msg: string,
  now: Date,
  tag: string,
  pid: number,
  hostname: string,
): string {
  const pri = (facilityCode(t.facility) ?? 16) * 8 + sentSeverity(t, level);
  switch (t.format) {
    case 'raw':
      return `${msg}\n`;
    case 'short':
      return `<${pri}>${msg}\n`;
    case 'rfc5424':
      return `<${pri}>1 ${now.toISOString()} ${hostname} ${tag} ${pid} - - ${msg}\n`;
    default:
      return `<${pri}>${rfc3164Time(now)} ${tag}[${pid}]: ${msg}\n`;
  }
}
