/** IPv4 address helpers: VRRP code keeps addresses as unsigned 32-bit numbers for cheap compares. */

/** Parses dotted-quad IPv4 text to an unsigned 32-bit number, or undefined if it is not one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n >>> 0;
}

/** Formats an unsigned 32-bit number as dotted-quad IPv4 text. */
export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** True for 224.0.0.0/4. */
export function isMulticast(n: number): boolean {
  return n >>> 28 === 14;
}

/** The VRRP IPv4 multicast group 224.0.0.18. */
export const VRRP_GROUP = 0xe0000012;
