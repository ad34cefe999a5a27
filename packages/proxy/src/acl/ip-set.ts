/**
 * A set of networks answering "is this address in any of them" in at most one hash lookup per
 * distinct prefix length (HAProxy keeps ip patterns in a tree for the same reason): long `-f`
 * lists of addresses stay cheap per request. Same cross-family rules as netContains().
 */
import { type IpAddr, type IpNet, netContains } from './ip.ts';

function mask32(a: number, bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return a >>> 0;
  return (a & (0xffffffff << (32 - bits))) >>> 0;
}

function key6(w: readonly number[], bits: number): string {
  let k = '';
  for (let i = 0; i < 4; i++) k += `${mask32(w[i], bits - i * 32)}.`;
  return k;
}

/** The IPv4 address an IPv6 one carries (mapped, compatible or 6to4), as netContains() reads it. */
function embeddedV4(w: readonly number[]): number | undefined {
  if (w[0] === 0 && w[1] === 0 && (w[2] === 0xffff || w[2] === 0)) return w[3];
  if (w[0] >>> 16 === 0x2002) return ((w[0] & 0xffff) * 65536 + (w[1] >>> 16)) >>> 0;
  return undefined;
}

export class IpSet {
  private readonly v4 = new Map<number, Set<number>>();
  private readonly v6 = new Map<number, Set<string>>();
  private readonly v4Lens: number[];
  private readonly v6Lens: number[];

  constructor(nets: readonly IpNet[]) {
    for (const n of nets) {
      if (n.addr.v === 4) {
        let s = this.v4.get(n.bits);
        if (!s) this.v4.set(n.bits, (s = new Set()));
        s.add(mask32(n.addr.a, n.bits));
      } else {
        let s = this.v6.get(n.bits);
        if (!s) this.v6.set(n.bits, (s = new Set()));
        s.add(key6(n.addr.w, n.bits));
      }
    }
    this.v4Lens = [...this.v4.keys()];
    this.v6Lens = [...this.v6.keys()];
  }

  private has4(a: number): boolean {
    for (const bits of this.v4Lens) if (this.v4.get(bits)!.has(mask32(a, bits))) return true;
    return false;
  }

  private has6(w: readonly number[]): boolean {
    for (const bits of this.v6Lens) if (this.v6.get(bits)!.has(key6(w, bits))) return true;
    return false;
  }

  /** True when `ip` is in one of the networks. */
  has(ip: IpAddr): boolean {
    if (ip.v === 4) return this.has4(ip.a) || (this.v6Lens.length > 0 && this.has6([0, 0, 0xffff, ip.a]));
    if (this.v6Lens.length > 0 && this.has6(ip.w)) return true;
    if (this.v4Lens.length === 0) return false;
    const a = embeddedV4(ip.w);
    return a !== undefined && this.has4(a);
  }
}

/** A matcher over networks: a linear scan for a few, an IpSet for many. */
export function netMatcher(nets: readonly IpNet[]): (ip: IpAddr) => boolean {
  if (nets.length <= 8) {
    return (ip) => {
      for (const n of nets) if (netContains(n, ip)) return true;
      return false;
    };
  }
  const set = new IpSet(nets);
  return (ip) => set.has(ip);
}
