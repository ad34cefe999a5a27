/**
 * Loader for the vrrp_raw N-API addon (packages/vrrp/native). Node has no raw sockets, so this
 * small C addon provides them; see packages/vrrp/README.md for why not an npm package.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The addon's functions (see native/src/vrrp_raw.c). IPv4 addresses are unsigned 32-bit numbers, IPv6 ones 16-byte Buffers. */
export interface RawAddon {
  socket(protocol: number): number;
  setsockoptInt(fd: number, level: number, name: number, value: number): void;
  bindToDevice(fd: number, ifname: string): void;
  ifIndex(ifname: string): number;
  multicastIf(fd: number, ifindex: number): void;
  membership(fd: number, group: number, ifindex: number, join: boolean): void;
  sendTo(fd: number, buf: Buffer, dst: number): number;
  recv(fd: number, buf: Buffer): number;
  /** Raw IPv6 socket (the kernel builds the IPv6 header). */
  socket6(protocol: number): number;
  bind6(fd: number, addr: Buffer, scopeId: number): void;
  membership6(fd: number, group: Buffer, ifindex: number, join: boolean): void;
  /** `src` all zeros: the kernel picks the source; else it is set per packet (IPV6_PKTINFO). */
  sendTo6(fd: number, buf: Buffer, dst: Buffer, scopeId: number, src: Buffer): number;
  /** Like recv; `meta` (36 bytes): source [0,16), destination [16,32), hop limit [32], flags [33]. */
  recv6(fd: number, buf: Buffer, meta: Buffer): number;
  close(fd: number): void;
  poll(fd: number, cb: (status: number) => void): unknown;
  pollStop(handle: unknown): void;
  constants: Record<
    | 'SOL_SOCKET'
    | 'IPPROTO_IP'
    | 'IP_HDRINCL'
    | 'IP_MULTICAST_TTL'
    | 'IP_MULTICAST_LOOP'
    | 'IP_MULTICAST_ALL'
    | 'SO_RCVBUF'
    | 'IP_TTL'
    | 'IPPROTO_IPV6'
    | 'IPPROTO_ICMPV6'
    | 'IPV6_MULTICAST_HOPS'
    | 'IPV6_UNICAST_HOPS'
    | 'IPV6_MULTICAST_LOOP'
    | 'IPV6_MULTICAST_IF'
    | 'IPV6_MULTICAST_ALL'
    | 'IPV6_RECVHOPLIMIT'
    | 'IPV6_RECVPKTINFO'
    | 'IPV6_TCLASS',
    number
  >;
}

/** Raised when the addon is missing or fails to load; `code` is stable. */
export class NativeAddonError extends Error {
  readonly code = 'VRRP_NATIVE_MISSING';
}

const ADDON = fileURLToPath(new URL('../../native/build/Release/vrrp_raw.node', import.meta.url));
let cached: RawAddon | undefined;

/** Loads the addon once; throws NativeAddonError with the command that builds it. */
export function loadAddon(): RawAddon {
  if (cached) return cached;
  if (!existsSync(ADDON)) {
    throw new NativeAddonError(
      `VRRP raw-socket addon not built (${ADDON} missing): run \`npm run build:native -w @switchyard/vrrp\` (needs make, g++ and python3)`,
    );
  }
  try {
    cached = createRequire(import.meta.url)(ADDON) as RawAddon;
  } catch (err) {
    throw new NativeAddonError(`VRRP raw-socket addon failed to load: ${(err as Error).message}`);
  }
  return cached;
}
