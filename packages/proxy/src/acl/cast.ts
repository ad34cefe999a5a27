/** Sample casts between HAProxy's types, as the matchers and converters need them. */
import { type IpAddr, parseIpCached } from './ip.ts';

/** A single sample value (before or after converters). */
export type Scalar = string | number | boolean;

/**
 * str -> int as HAProxy casts it (c_str2int/read_int64): an optional sign then digits up to the
 * first other character; no digits gives 0; only an empty string fails (undefined).
 */
export function toInt(v: Scalar): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v.length === 0) return undefined;
  let i = 0;
  let neg = false;
  if (v.charCodeAt(0) === 45 /* - */ || v.charCodeAt(0) === 43 /* + */) {
    neg = v.charCodeAt(0) === 45;
    i = 1;
  }
  let n = 0;
  for (; i < v.length; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
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
  return typeof v === 'string' ? parseIpCached(v) : undefined;
}

/**
 * HAProxy's strl2ic() as the `*_val` fetches (hdr_val, cook_val, urlp_val) use it: digits are
 * accumulated until a character above '9' (a space or '.' below '0' still adds its negative
 * offset, as in HAProxy), wrapping at 32 bits. Reproduced so those ACLs match like HAProxy's.
 */
export function strl2ic(s: string): number {
  let i = 0;
  if (s.length === 0) return 0;
  const signed = (c: number) => (c & 0x80 ? (c & 0xff) - 256 : c & 0xff);
  if (s.charCodeAt(0) !== 45 /* - */) {
    for (let n = 0; n < s.length; n++) {
      const j = signed(s.charCodeAt(n)) - 48;
      if (j > 9) break;
      i = (Math.imul(i, 10) + j) | 0;
    }
  } else {
    for (let n = 1; n < s.length; n++) {
      const j = signed(s.charCodeAt(n)) - 48;
      if (j > 9) break;
      i = (Math.imul(i, 10) - j) | 0;
    }
  }
  return i;
}
