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
  if (typeof v !== 'string') return undefined;
  const text = headerIp(v);
  return text === undefined ? undefined : parseIpCached(text);
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

/** Length of a dotted IPv4 address at the start of `v` as HAProxy's url2ipv4() reads it, or 0. */
function leadingIPv4(v: string): number {
  let octets = 0;
  let cur = -1;
  let i = 0;
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (cur < 0) {
        if (++octets > 4) return 0;
        cur = 0;
      }
      cur = cur * 10 + (c - 48);
      if (cur > 255) return 0;
    } else if (c === 46 /* . */) {
      if (cur < 0 || octets === 4) return 0;
      cur = -1;
    } else break;
  }
  return octets === 4 && cur >= 0 ? i : 0;
}

/**
 * An address in text as HAProxy reads it (`hdr_ip`, and the str->ip cast of `-m ip`): a leading
 * dotted IPv4 address, whatever follows it (such as `:port`) ignored, else the whole text as an
 * IPv6 address (no brackets). Returns the address text, or undefined.
 */
export function headerIp(v: string): string | undefined {
  const n = leadingIPv4(v);
  if (n > 0) return n === v.length ? v : v.slice(0, n);
  if (v.charCodeAt(0) === 91 /* [ */) return undefined;
  const ip = parseIpCached(v);
  return ip !== undefined && ip.v === 6 ? v : undefined;
}
