/**
 * Unsolicited neighbour advertisements (RFC 4861 4.4, 7.2.6) for IPv6 VIPs: what keepalived's
 * vrrp_ndisc.c sends instead of gratuitous ARP. ICMPv6 type 136 from the VIP to ff02::1, hop limit
 * 255, Override set (Router when the interface forwards), target = VIP, target link-layer option
 * = the interface MAC. The kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets.
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { ALL_NODES6, ipv6Bytes, parseIPv6, writeIPv6 } from '../codec/ipv6.ts';
import { loadAddon } from '../transport/native.ts';

const ND_NEIGHBOR_ADVERT = 136;
const ND_OPT_TARGET_LINKADDR = 2;
const FLAG_ROUTER = 0x80;
const FLAG_OVERRIDE = 0x20;

/** The NA message (ICMPv6 part, checksum left 0 for the kernel) for `target` owned by `mac`. */
export function neighbourAdvert(target: bigint, mac: Uint8Array, router: boolean): Buffer {
  const b = Buffer.alloc(32);
  b[0] = ND_NEIGHBOR_ADVERT;
  b[4] = FLAG_OVERRIDE | (router ? FLAG_ROUTER : 0);
  writeIPv6(target, b, 8);
  b[24] = ND_OPT_TARGET_LINKADDR;
  b[25] = 1;
  b.set(mac.subarray(0, 6), 26);
  return b;
}

/** The MAC address of `dev` as 6 bytes, or undefined when the interface is unknown. */
export function interfaceMac(dev: string): Uint8Array | undefined {
  const mac = networkInterfaces()[dev]?.[0]?.mac;
  if (!mac) return undefined;
  return Uint8Array.from(mac.split(':').map((x) => Number.parseInt(x, 16)));
}

/** keepalived sets the Router flag when IPv6 forwarding is on for the interface. */
function forwarding(dev: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${dev}/forwarding`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** Sends `count` unsolicited NAs for `address` on `dev`; resolves with an error message or undefined. */
export function sendNeighbourAdverts(dev: string, address: string, count: number): string | undefined {
  const target = parseIPv6(address);
  if (target === undefined) return `${address} is not an IPv6 address`;
  const mac = interfaceMac(dev);
  if (!mac) return `interface ${dev} not found`;
  let a: ReturnType<typeof loadAddon>;
  try {
    a = loadAddon();
  } catch (e) {
    return (e as Error).message;
  }
  const c = a.constants;
  let fd = -1;
  try {
    const ifindex = a.ifIndex(dev);
    fd = a.socket6(c.IPPROTO_ICMPV6);
    a.bindToDevice(fd, dev);
    a.setsockoptInt(fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_HOPS, 255);
    a.setsockoptInt(fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF, ifindex);
    a.setsockoptInt(fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_LOOP, 0);
    const msg = neighbourAdvert(target, mac, forwarding(dev));
    const dst = ipv6Bytes(ALL_NODES6);
    const src = ipv6Bytes(target);
    for (let i = 0; i < count; i++) a.sendTo6(fd, msg, dst, ifindex, src);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    if (fd >= 0) a.close(fd);
  }
}
