/** Small IPv4/IPv6 helpers for subnet checks (BigInt keeps both families in one code path). */
import { isIP } from 'node:net';

/** Address as a BigInt plus its bit width, or undefined when not an IP. */
export function ipToBigInt(ip: string): { value: bigint; bits: 32 | 128 } | undefined {
  const fam = isIP(ip);
  if (fam === 4) {
    let v = 0n;
    for (const p of ip.split('.')) v = (v << 8n) | BigInt(Number(p));
    return { value: v, bits: 32 };
  }
  if (fam === 6) {
    let s = ip;
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
    if (v4) {
      const n = ipToBigInt(v4[1])!.value;
      s = `${s.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail] = s.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
    const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    let v = 0n;
    for (const g of groups) v = (v << 16n) | BigInt(Number.parseInt(g, 16));
    return { value: v, bits: 128 };
  }
  return undefined;
}

/** True when `ip` lies in `net/prefix` (same family required). */
export function inSubnet(ip: string, net: string, prefix: number): boolean {
  const a = ipToBigInt(ip);
  const b = ipToBigInt(net);
  if (!a || !b || a.bits !== b.bits) return false;
  const shift = BigInt(a.bits - prefix);
  return a.value >> shift === b.value >> shift;
}

/** Parses `ADDR/PREFIX` (prefix required). */
export function parseCidr(s: string): { address: string; prefix: number } | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const fam = isIP(m[1]);
  const prefix = Number(m[2]);
  if (fam === 0 || prefix > (fam === 4 ? 32 : 128)) return undefined;
  return { address: m[1], prefix };
}
