/** HAProxy's numeric argument forms: times with units, sizes with k/m/g suffixes, plain integers. */

/** An invalid time, size or number; `code` is the diagnostic code to report it with. */
export class ValueError extends Error {
  readonly code: 'CFG_BAD_TIME' | 'CFG_BAD_SIZE' | 'CFG_BAD_VALUE';
  constructor(code: ValueError['code'], message: string) {
    super(message);
    this.name = 'ValueError';
    this.code = code;
  }
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** HAProxy stores timers as signed 32-bit milliseconds. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Parses a HAProxy time (`5000`, `5s`, `100us`, `1m`, `2h`, `1d`) to milliseconds.
 * No unit means `defaultUnit` (ms for every timeout). Microseconds round up to a whole millisecond.
 * Text after a valid unit (`5sec`, `1m30s`) is an error, unless `onTrailing` is given: then, as
 * HAProxy 2.6 does, the value before it is used and `onTrailing` receives a warning saying so.
 */
export function parseTime(
  text: string,
  defaultUnit: 'ms' | 's' = 'ms',
  onTrailing?: (warning: string) => void,
): number | ValueError {
  const m = /^(\d+)(us|ms|s|m|h|d)?(.*)$/s.exec(text);
  if (!m || (m[3] !== '' && (!m[2] || !onTrailing))) {
    const bad = m ? (m[2] ? `'${m[3]}' after '${m[1]}${m[2]}'` : `unit '${m[3]}'`) : '';
    return new ValueError(
      'CFG_BAD_TIME',
      m
        ? `invalid time ${bad} in '${text}': use one unit among us, ms, s, m, h, d`
        : `invalid time '${text}': expected a number with an optional unit (us, ms, s, m, h, d)`,
    );
  }
  const factor = TIME_UNITS[m[2] || defaultUnit];
  const ms = Math.ceil(Number(m[1]) * factor);
  if (ms > MAX_TIMER_MS) {
    return new ValueError('CFG_BAD_TIME', `time '${text}' is too large (maximum is 2147483647 ms, about 24.8 days)`);
  }
  if (m[3] !== '')
    onTrailing?.(
      `'${m[3]}' after the time '${m[1]}${m[2]}' is ignored, as HAProxy 2.6 does: '${text}' means ${ms} ms; write one unit (e.g. '${ms}ms')`,
    );
  return ms;
}

/** Parses a size (`1000`, `100k`, `1m`, `2g`; binary multiples, as HAProxy's stick-table `size`). */
export function parseSize(text: string): number | ValueError {
  const m = /^(\d+)([kmgKMG]?)$/.exec(text);
  if (!m)
    return new ValueError(
      'CFG_BAD_SIZE',
      `invalid size '${text}': expected a number with an optional k, m or g suffix`,
    );
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * mult;
  if (!Number.isSafeInteger(n) || n > 0xffff_ffff) return new ValueError('CFG_BAD_SIZE', `size '${text}' is too large`);
  return n;
}

/** Parses a non-negative decimal integer within [min, max]. */
export function parseIntRange(text: string, min: number, max: number, what: string): number | ValueError {
  if (!/^\d+$/.test(text)) return new ValueError('CFG_BAD_VALUE', `${what} expects an integer, got '${text}'`);
  const n = Number(text);
  if (n < min || n > max)
    return new ValueError('CFG_BAD_VALUE', `${what} must be between ${min} and ${max}, got ${text}`);
  return n;
}
