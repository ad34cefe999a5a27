/**
 * HAProxy's cookie dates for `maxidle` / `maxlife`: the inserted value is `VAL|LLLLL[|FFFFF]`,
 * where each date is seconds/4 encoded as 5 base64 characters, most significant first
 * (s30tob64 / b64tos30 in HAProxy's src/tools.c). Keeping the same encoding lets a client
 * move between HAProxy and Switchyard nodes without losing its cookie.
 */
const TAB = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const REV = new Int8Array(128).fill(-1);
for (let i = 0; i < TAB.length; i++) REV[TAB.charCodeAt(i)] = i;

/** Encodes a 30-bit number as 5 base64 characters. */
export function s30tob64(n: number): string {
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += TAB[(n >> 24) & 0x3f];
    n <<= 6;
  }
  return out;
}

/** Decodes 5 base64 characters at `s[at..at+5]`, or -1 when invalid. */
export function b64tos30(s: string, at = 0): number {
  if (s.length < at + 5) return -1;
  let out = 0;
  for (let i = 0; i < 5; i++) {
    const c = s.charCodeAt(at + i);
    const v = c < 128 ? REV[c] : -1;
    if (v < 0) return -1;
    out = (out << 6) + v;
  }
  return out;
}

/** The encoded form of "now" (epoch seconds) as HAProxy writes it: ((sec + 3) >> 2). */
export function encodeCookieDate(sec: number): string {
  return s30tob64(((sec + 3) >> 2) & 0x3fffffff);
}

/** Decodes a date written by encodeCookieDate back to epoch seconds, or -1. */
export function decodeCookieDate(s: string, at = 0): number {
  const v = b64tos30(s, at);
  return v < 0 ? -1 : v * 4;
}
