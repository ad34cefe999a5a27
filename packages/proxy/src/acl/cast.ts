/** Sample casts between HAProxy's types, as the matchers and converters need them. */
import { type IpAddr, parseIp } from './ip.ts';

/** A single sample value (before or after converters). */
export type Scalar = string | number | boolean;

/** str -> int as HAProxy casts it: leading (optionally signed) digits; undefined when none. */
export function toInt(v: Scalar): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  let i = 0;
  let neg = false;
  if (v.charCodeAt(0) === 45 /* - */ || v.charCodeAt(0) === 43 /* + */) {
    neg = v.charCodeAt(0) === 45;
    i = 1;
  }
  const start = i;
  let n = 0;
  for (; i < v.length; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  if (i === start) return undefined;
  return neg ? -n : n;
}

/** Any sample as a string (ints in decimal, booleans as 1/0). */
export function toStr(v: Scalar): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

/** A sample as a boolean: non-zero integers are true. */
export function toBool(v: Scalar): boolean {
  if (typeof v === 'boolean') return v;
  const n = toInt(v);
  return n !== undefined && n !== 0;
}

/** A sample as an IP address (strings parsed; undefined when not an address). */
export function toIp(v: Scalar): IpAddr | undefined {
  return typeof v === 'string' ? parseIp(v.trim()) : undefined;
}
