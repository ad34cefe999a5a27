/**
 * IPv4/IPv6 addresses and networks for `src`, `dst`, `hdr_ip` and `-m ip`, with HAProxy's
 * cross-family rules: an IPv4 pattern matches an IPv6 sample that carries an IPv4 address
 * (`::ffff:a.b.c.d` mapped, `::a.b.c.d` compatible, `2002:AABB:CCDD::` 6to4), and an IPv6
 * pattern matches an IPv4 sample through its mapped form `::ffff:a.b.c.d`.
 */

/** A parsed address: IPv4 as one unsigned 32-bit word, IPv6 as four. */
export type IpAddr = { v: 4; a: number } | { v: 6; w: [number, number, number, number] };

/** A network pattern: address plus prefix length. */
export interface IpNet {
  addr: IpAddr;
  bits: number;
}

/** Parses dotted-quad IPv4 into an unsigned 32-bit number, or undefined. */
export function parseIPv4(s: string): number | undefined {
  let n = 0;
  let parts = 0;
  let cur = -1;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46 /* . */) {
      if (cur < 0 || cur > 255) return undefined;
      n = n * 256 + cur;
      parts++;
      cur = -1;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      cur = (cur < 0 ? 0 : cur * 10) + (c - 48);
    } else return undefined;
  }
  return parts === 4 ? n >>> 0 : undefined;
}

/** Parses an IPv6 address (with `::` and an optional trailing dotted IPv4), or undefined. */
export function parseIPv6(s: string): [number, number, number, number] | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const groups: number[] = [];
  let gap = -1;
  const segs = s.split(':');
  // leading or trailing '::' produce empty segments
  let start = 0;
  let end = segs.length;
  if (segs[0] === '') {
    if (segs[1] !== '') return undefined;
    start = 1;
  }
  if (segs[end - 1] === '') {
    if (segs[end - 2] !== '') return undefined;
    end--;
  }
  for (let i = start; i < end; i++) {
    const seg = segs[i];
    if (seg === '') {
      if (gap >= 0) return undefined;
      gap = groups.length;
      continue;
    }
    if (i === end - 1 && seg.includes('.')) {
      const v4 = parseIPv4(seg);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
      continue;
    }
    if (seg.length > 4 || !/^[0-9a-fA-F]+$/.test(seg)) return undefined;
    groups.push(Number.parseInt(seg, 16));
  }
  if (gap >= 0) {
    if (groups.length > 7) return undefined;
    groups.splice(gap, 0, ...new Array<number>(8 - groups.length).fill(0));
  } else if (groups.length !== 8) return undefined;
  return [
    ((groups[0] << 16) | groups[1]) >>> 0,
    ((groups[2] << 16) | groups[3]) >>> 0,
    ((groups[4] << 16) | groups[5]) >>> 0,
    ((groups[6] << 16) | groups[7]) >>> 0,
  ];
}

/** Parses an IPv4 or IPv6 address (brackets allowed around IPv6), or undefined. */
export function parseIp(s: string): IpAddr | undefined {
  if (s.length > 2 && s.charCodeAt(0) === 91 /* [ */ && s.charCodeAt(s.length - 1) === 93) s = s.slice(1, -1);
  // fast path for what dual-stack listeners report for IPv4 clients
  if (s.startsWith('::ffff:') && s.indexOf('.') > 0) {
    const a = parseIPv4(s.slice(7));
    if (a !== undefined) return { v: 6, w: [0, 0, 0xffff, a] };
  }
  if (s.includes(':')) {
    const w = parseIPv6(s);
    return w ? { v: 6, w } : undefined;
  }
  const a = parseIPv4(s);
  return a === undefined ? undefined : { v: 4, a };
}

let memoKey = '';
let memoVal: IpAddr | undefined;

/**
 * parseIp() with a one-entry memo: every ACL and the `source` hash of a request read the same
 * client address, so it is parsed once per request. Results are shared: never mutate them.
 */
export function parseIpCached(s: string): IpAddr | undefined {
  if (s !== memoKey) {
    memoVal = parseIp(s);
    memoKey = s;
  }
  return memoVal;
}

/**
 * Parses a network pattern as HAProxy does: `ADDR`, `ADDR/BITS`, or IPv4 `ADDR/DOTTED.MASK`.
 * Returns an error message string when invalid.
 */
export function parseNet(s: string): IpNet | string {
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const addr = parseIp(addrText);
  if (!addr) return `'${s}' is not a valid IPv4 or IPv6 address`;
  const max = addr.v === 4 ? 32 : 128;
  if (slash < 0) return { addr, bits: max };
  const m = s.slice(slash + 1);
  if (/^[0-9]{1,3}$/.test(m)) {
    const bits = Number(m);
    if (bits > max) return `'${s}': prefix length ${bits} is larger than ${max}`;
    return { addr, bits };
  }
  if (addr.v === 4) {
    const mask = parseIPv4(m);
    if (mask !== undefined) {
      // a dotted mask must be contiguous ones followed by zeros
      const inv = ~mask >>> 0;
      if ((inv & (inv + 1)) === 0) return { addr, bits: 32 - Math.log2(inv + 1) };
    }
  }
  return `'${s}' has an invalid network mask`;
}

function maskedEq32(a: number, b: number, bits: number): boolean {
  if (bits <= 0) return true;
  if (bits >= 32) return a === b;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

/** The IPv4 address an IPv6 one carries (mapped, compatible or 6to4), as HAProxy extracts it. */
function embeddedV4(w: [number, number, number, number]): number | undefined {
  if (w[0] === 0 && w[1] === 0 && (w[2] === 0xffff || w[2] === 0)) return w[3];
  if (w[0] >>> 16 === 0x2002) return ((w[0] & 0xffff) * 65536 + (w[1] >>> 16)) >>> 0;
  return undefined;
}

/** True when `ip` is inside `net`, applying the cross-family rules above. */
export function netContains(net: IpNet, ip: IpAddr): boolean {
  const p = net.addr;
  if (p.v === 4) {
    if (ip.v === 4) return maskedEq32(ip.a, p.a, net.bits);
    const v4 = embeddedV4(ip.w);
    return v4 !== undefined && maskedEq32(v4, p.a, net.bits);
  }
  const w = ip.v === 6 ? ip.w : ([0, 0, 0xffff, ip.a] as [number, number, number, number]);
  let bits = net.bits;
  for (let i = 0; i < 4; i++) {
    if (!maskedEq32(w[i], p.w[i], bits)) return false;
    bits -= 32;
    if (bits <= 0) return true;
  }
  return true;
}

/** IPv4 of an address, mapped form folded (for hashing `balance source`). */
export function ipWords(ip: IpAddr): number[] {
  if (ip.v === 4) return [ip.a];
  if (ip.w[0] === 0 && ip.w[1] === 0 && ip.w[2] === 0xffff) return [ip.w[3]];
  return ip.w;
}
