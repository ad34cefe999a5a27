/**
 * IPv6 address helpers: VRRP code keeps IPv6 addresses as 128-bit bigints (IPv4 ones as unsigned
 * 32-bit numbers), so both compare with === and < and fit one `Addr` type.
 */
import { isIPv4 } from 'node:net';
import { formatIPv4, isMulticast, parseIPv4 } from './ipv4.ts';

/** An address as VRRP code holds it: IPv4 as a number, IPv6 as a bigint. */
export type Addr = number | bigint;

/** Parses IPv6 text (an optional %zone is dropped) to a bigint, or undefined if it is not one. */
export function parseIPv6(text: string): bigint | undefined {
  const t = text.replace(/%.*$/, '');
  if (!/^[0-9a-fA-F:.]+$/.test(t)) return undefined;
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        if (!isIPv4(p)) return undefined;
        const v = parseIPv4(p)!;
        out.push(v >>> 16, v & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(Number.parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  let n = 0n;
  for (const g of [...head, ...new Array<number>(fill).fill(0), ...tail]) n = (n << 16n) | BigInt(g);
  return n;
}

/** Formats a 128-bit bigint as IPv6 text (RFC 5952: lower case, the longest zero run as ::). */
export function formatIPv6(n: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Writes a 128-bit address into `buf` at `off` (network order). */
export function writeIPv6(n: bigint, buf: Uint8Array, off: number): void {
  for (let i = 15; i >= 0; i--) {
    buf[off + i] = Number(n & 0xffn);
    n >>= 8n;
  }
}

/** Reads a 128-bit address from `buf` at `off`. */
export function readIPv6(buf: Uint8Array, off: number): bigint {
  let n = 0n;
  for (let i = 0; i < 16; i++) n = (n << 8n) | BigInt(buf[off + i]);
  return n;
}

/** The 16 bytes of an IPv6 address, as the addon takes them. */
export function ipv6Bytes(n: bigint): Buffer {
  const b = Buffer.alloc(16);
  writeIPv6(n, b, 0);
  return b;
}

/** The VRRP IPv6 multicast group ff02::12 (RFC 5798 5.1.2.2). */
export const VRRP_GROUP6 = (0xff02n << 112n) | 0x12n;
/** All-nodes ff02::1, where unsolicited neighbour advertisements go. */
export const ALL_NODES6 = (0xff02n << 112n) | 1n;

/** True for fe80::/10. */
export function isLinkLocal6(n: bigint): boolean {
  return n >> 118n === 0x3fan;
}

/** Parses an address of either family (IPv4 as number, IPv6 as bigint). */
export function parseAddr(text: string): Addr | undefined {
  return text.includes(':') ? parseIPv6(text) : parseIPv4(text);
}

/** Formats an address of either family. */
export function formatAddr(a: Addr): string {
  return typeof a === 'bigint' ? formatIPv6(a) : formatIPv4(a);
}

/** True for IPv4 224.0.0.0/4 and IPv6 ff00::/8. */
export function isMulticastAddr(a: Addr): boolean {
  return typeof a === 'bigint' ? a >> 120n === 0xffn : isMulticast(a);
}
