/** `log` lines: `log ADDR[:PORT] [len N] [format F] [sample R:S] FACILITY [LEVEL [MINLEVEL]]`. */
import { parseAddress } from './address.ts';
import type { LogTarget } from './model.ts';
import { err, type LineCtx } from './state.ts';
import { didYouMean } from './suggest.ts';

export const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'auth2',
  'ftp',
  'ntp',
  'audit',
  'alert',
  'cron2',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];
export const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const FORMATS = ['raw', 'rfc3164', 'rfc5424', 'short', 'local', 'iso', 'timed', 'priority'];

/** Parses `log ...` words after the keyword (args[1..]). Returns undefined after reporting an error. */
export function parseLogTarget(ctx: LineCtx): LogTarget | undefined {
  const a = ctx.args;
  const addr = a[1];
  if (!addr) {
    err(
      ctx,
      'CFG_MISSING_ARG',
      "'log' expects an address (host[:port], stdout, stderr or a unix socket path) and a facility",
    );
    return undefined;
  }
  const t: Partial<LogTarget> & { loc: LogTarget['loc'] } = { loc: { ...ctx.loc } };
  if (addr === 'stdout' || addr === 'stderr' || addr === 'fd@1' || addr === 'fd@2') {
    t.kind = addr === 'stdout' || addr === 'fd@1' ? 'stdout' : 'stderr';
    t.format = 'raw';
  } else if (addr.startsWith('ring@')) {
    err(ctx, 'CFG_UNSUPPORTED', `log target '${addr}': rings are not supported; log to stdout or to syslog over UDP`);
    return undefined;
  } else {
    const s = addr.startsWith('udp@')
      ? addr.slice(4)
      : addr.startsWith('udp4@')
        ? `ipv4@${addr.slice(5)}`
        : addr.startsWith('udp6@')
          ? `ipv6@${addr.slice(5)}`
          : addr;
    const p = parseAddress(s);
    if (typeof p === 'string') {
      err(ctx, 'CFG_BAD_ADDRESS', `log: ${p}`);
      return undefined;
    }
    if (p.kind === 'unix') {
      t.kind = 'unix';
      t.path = p.path;
    } else {
      if (p.portEnd !== undefined) {
        err(ctx, 'CFG_BAD_ADDRESS', `log: port ranges are not allowed in '${addr}'`);
        return undefined;
      }
      t.kind = 'udp';
      t.host = p.host;
      t.port = p.port ?? 514;
    }
    t.format = 'rfc3164';
  }
  let i = 2;
  // haproxy 2.6 takes them in this order only (`format` before `len` is "unknown log facility")
  const order = ['len', 'format', 'sample'];
  let seen = -1;
  while (i < a.length) {
    const at = order.indexOf(a[i]);
    if (at >= 0 && at <= seen) {
      err(ctx, 'CFG_BAD_VALUE', `log: '${a[i]}' must come before '${order[seen]}' (order: len, format, sample)`);
      return undefined;
    }
    if (at >= 0) seen = at;
    if (a[i] === 'len') {
      const n = Number(a[i + 1]);
      if (!/^\d+$/.test(a[i + 1] ?? '') || n < 80 || n > 65535) {
        err(ctx, 'CFG_BAD_VALUE', `log: 'len' expects a length between 80 and 65535, got '${a[i + 1] ?? ''}'`);
        return undefined;
      }
      t.maxLen = n;
      i += 2;
    } else if (a[i] === 'format') {
      const f = a[i + 1] ?? '';
      if (!FORMATS.includes(f)) {
        err(
          ctx,
          'CFG_BAD_VALUE',
          `log: unknown format '${f}' (expected ${FORMATS.join(', ')})${didYouMean(f, FORMATS)}`,
        );
        return undefined;
      }
      t.format = f as LogTarget['format'];
      t.formatGiven = true;
      i += 2;
    } else if (a[i] === 'sample') {
      const smp = parseSample(a[i + 1] ?? '');
      if (typeof smp === 'string') {
        err(ctx, 'CFG_BAD_VALUE', `log: 'sample' ${smp}`);
        return undefined;
      }
      t.sample = smp;
      i += 2;
    } else break;
  }
  const facility = a[i];
  if (!facility) {
    err(ctx, 'CFG_MISSING_ARG', `log: missing facility after '${addr}' (e.g. local0)`);
    return undefined;
  }
  if (!FACILITIES.includes(facility)) {
    err(ctx, 'CFG_BAD_VALUE', `log: unknown facility '${facility}'${didYouMean(facility, FACILITIES)}`);
    return undefined;
  }
  t.facility = facility;
  t.level = 'debug';
  for (const [k, key] of [
    [i + 1, 'level'],
    [i + 2, 'minLevel'],
  ] as const) {
    const lv = a[k];
    if (lv === undefined) break;
    if (!LEVELS.includes(lv)) {
      err(ctx, 'CFG_BAD_VALUE', `log: unknown level '${lv}' (expected ${LEVELS.join(', ')})${didYouMean(lv, LEVELS)}`);
      return undefined;
    }
    t[key] = lv;
  }
  if (a.length > i + 3) {
    err(ctx, 'CFG_EXTRA_ARGS', `log: unexpected argument '${a[i + 3]}'`);
    return undefined;
  }
  return t as LogTarget;
}

/**
 * `sample RANGES:SIZE` as HAProxy 2.6: of each run of SIZE messages (numbered from 1) those in
 * RANGES (`1`, `2-4`, `1,5-6`) are sent. Ranges must be ascending, not overlap and not exceed SIZE.
 */
function parseSample(v: string): NonNullable<LogTarget['sample']> | string {
  const m = /^([0-9,-]+):(\d+)$/.exec(v);
  if (!m) return `expects RANGES:SIZE (e.g. 1:10 or 1-3,7:10), got '${v}'`;
  const size = Number(m[2]);
  if (size < 1) return `size must be at least 1, got '${m[2]}'`;
  const ranges: Array<[number, number]> = [];
  for (const part of m[1].split(',')) {
    const r = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!r) return `bad range '${part}' in '${v}'`;
    const lo = Number(r[1]);
    const hi = r[2] === undefined ? lo : Number(r[2]);
    if (lo < 1 || hi < lo) return `bad range '${part}' in '${v}'`;
    if (hi > size) return `range '${part}' exceeds the sample size ${size}`;
    const prev = ranges[ranges.length - 1];
    if (prev && lo <= prev[1]) return `ranges must be ascending and must not overlap in '${v}'`;
    ranges.push([lo, hi]);
  }
  return { ranges, size };
}
