/** Internet checksum (RFC 1071) helpers for VRRP and its IPv4 and IPv6 pseudo-headers. */

/** One's-complement sum of `len` bytes of `buf` from `off`, added to `acc` (not folded). */
export function sum16(buf: Uint8Array, off: number, len: number, acc = 0): number {
  let i = off;
  const end = off + len;
  for (; i + 1 < end; i += 2) acc += (buf[i] << 8) | buf[i + 1];
  if (i < end) acc += buf[i] << 8;
  return acc;
}

/** Folds a 32-bit accumulator and returns the 16-bit one's complement (the checksum field value). */
export function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

/** Sum of the IPv4 pseudo-header (src, dst, zero, protocol 112, VRRP length) used by VRRPv3. */
export function pseudoHeaderSum(src: number, dst: number, vrrpLen: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 112 + vrrpLen;
}

/** Sum of the IPv6 pseudo-header (RFC 8200 8.1: src, dst, upper-layer length, next header 112). */
export function pseudoHeaderSum6(src: bigint, dst: bigint, vrrpLen: number): number {
  let acc = 112 + (vrrpLen >>> 16) + (vrrpLen & 0xffff);
  for (let i = 0n; i < 128n; i += 16n) acc += Number((src >> i) & 0xffffn) + Number((dst >> i) & 0xffffn);
  return acc;
}
