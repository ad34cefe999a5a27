/**
 * Stick-table keys: a sample converted to the table's `type` as HAProxy does. IPv4 keys in an
 * `ip` table accept IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports);
 * `ipv6` tables map IPv4 to `::ffff:a.b.c.d`; `integer` keys are signed 32-bit; `string` keys
 * are truncated to `len` (default 32). A sample that does not convert gives no key (the rule
 * does nothing, as in HAProxy).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { StickTableType } from '@switchyard/config';

/** Converts a fetched sample to a key of a table of `type`, or undefined when it cannot. */
export function toKey(
  type: StickTableType,
  len: number,
  sample: string | number | boolean | string[] | undefined,
): string | undefined {
  if (sample === undefined) return undefined;
  if (Array.isArray(sample)) sample = sample[0];
  if (sample === undefined) return undefined;
  const s = typeof sample === 'string' ? sample : String(sample);
  switch (type) {
    case 'ip': {
      if (s.startsWith('::ffff:')) {
        const v4 = s.slice(7);
        return isIPv4(v4) ? v4 : undefined;
      }
      return isIPv4(s) ? s : undefined;
    }
    case 'ipv6': {
      if (isIPv4(s)) return `::ffff:${s}`;
      return isIPv6(s) ? s.toLowerCase() : undefined;
    }
    case 'integer': {
      if (typeof sample === 'boolean') return sample ? '1' : '0';
      if (!/^[-+]?\d+$/.test(s)) return undefined;
      const n = Number(s);
      if (n < -2147483648 || n > 2147483647) return undefined;
      return String(n);
    }
    case 'string':
    case 'binary':
      return s.length > len ? s.slice(0, len) : s;
  }
}
