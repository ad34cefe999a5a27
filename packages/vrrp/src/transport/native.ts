/**
 * Loader for the vrrp_raw N-API addon (packages/vrrp/native). Node has no raw sockets, so this
 * small C addon provides them; see packages/vrrp/README.md for why not an npm package.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The addon's functions (see native/src/vrrp_raw.c). Addresses are unsigned 32-bit numbers. */
export interface RawAddon {
  socket(protocol: number): number;
  setsockoptInt(fd: number, level: number, name: number, value: number): void;
  bindToDevice(fd: number, ifname: string): void;
  ifIndex(ifname: string): number;
  multicastIf(fd: number, ifindex: number): void;
  membership(fd: number, group: number, ifindex: number, join: boolean): void;
  sendTo(fd: number, buf: Buffer, dst: number): number;
  recv(fd: number, buf: Buffer): number;
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
    | 'IP_TTL',
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
