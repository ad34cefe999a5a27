/**
 * HAProxy's hash functions (src/hash.c) over the bytes of a latin1 string (node:http hands
 * header and URL bytes over as latin1, so charCode & 0xff is the wire byte), and full_hash()
 * used by `avalanche` and the consistent-hash ring.
 */

export type HashFn = (s: string, start: number, end: number) => number;

/** sdbm, HAProxy's default. */
export function sdbm(s: string, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = ((s.charCodeAt(i) & 0xff) + (h << 6) + (h << 16) - h) >>> 0;
  return h;
}

/** djb2. */
export function djb2(s: string, start: number, end: number): number {
  let h = 5381;
  for (let i = start; i < end; i++) h = (h * 33 + (s.charCodeAt(i) & 0xff)) >>> 0;
  return h;
}

/** wt6 (Willy Tarreau's 2006 hash). */
export function wt6(s: string, start: number, end: number): number {
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let step0 = 6;
  let step1 = 18;
  for (let i = start; i < end; i++) {
    let t = s.charCodeAt(i) & 0xff;
    h0 = ~(h0 ^ t) >>> 0;
    h1 = ~(h1 + t) >>> 0;
    t = ((h1 << step0) | (h1 >>> (32 - step0))) >>> 0;
    h1 = ((h0 << step1) | (h0 >>> (32 - step1))) >>> 0;
    h0 = t;
    t = ((h0 >>> 16) ^ h1) & 0xffff;
    step0 = t & 0x1f;
    step1 = t >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32 (IEEE 802.3), as zlib computes it. */
export function crc32(s: string, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Bob Jenkins' / Thomas Wang's 32-bit integer mix (HAProxy full_hash()). */
export function fullHash(a: number): number {
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  // HAProxy then spreads values over the ring by a large prime close to 3/4 of 2^32
  return Math.imul(a, 3221225473) >>> 0;
}

export const HASH_FUNCTIONS: Record<'sdbm' | 'djb2' | 'wt6' | 'crc32', HashFn> = { sdbm, djb2, wt6, crc32 };
