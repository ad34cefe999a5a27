/**
 * Validation of a received advertisement against one instance, in keepalived 2.2's order
 * (vrrp.c vrrp_check_packet) and with its reasons, so logs read the same on both.
 */
import { type Addr, formatAddr, isMulticastAddr } from './ipv6.ts';
import {
  AUTH_AH,
  AUTH_DATA_LEN,
  AUTH_NONE,
  AUTH_PASS,
  checksumOk,
  packetAddr,
  type ReceivedPacket,
  VRRP_TTL,
  VRRP_TYPE_ADVERT,
  type VrrpVersion,
  vrrpLength,
} from './packet.ts';

/** What validation needs to know about the receiving instance. */
export interface CheckParams {
  name: string;
  version: VrrpVersion;
  /** v2: 0 none or 1 PASS. */
  authType: number;
  authData?: Uint8Array;
  advertIntCs: number;
  vips: readonly Addr[];
  /** Unicast peers (empty: multicast). */
  unicastPeers: readonly Addr[];
  /** keepalived's global `vrrp_check_unicast_src`. */
  checkUnicastSrc?: boolean;
}

/** Stable reason codes for a dropped advertisement. */
export type DropCode =
  | 'length'
  | 'ttl'
  | 'version'
  | 'auth-type-invalid'
  | 'auth-type-mismatch'
  | 'auth-pass'
  | 'advert-int'
  | 'type'
  | 'naddr'
  | 'ip-length'
  | 'checksum'
  | 'cast-mismatch'
  | 'vip-list'
  | 'unicast-src';

export type AdvertCheck = { ok: true } | { ok: false; code: DropCode; message: string };

function fail(code: DropCode, message: string): AdvertCheck {
  return { ok: false, code, message };
}

/**
 * Checks `p` as keepalived does. `checkVips`: compare the address list (keepalived skips it for
 * repeated adverts from the current master when skip_check_adv_addr is set; we always check).
 */
export function checkAdvert(c: CheckParams, p: ReceivedPacket, checkVips = true): AdvertCheck {
  const expected = p.ihl + vrrpLength(c.version, c.vips.length, p.family);
  if (p.length !== expected) {
    return fail(
      'length',
      `vrrp packet too ${p.length > expected ? 'long' : 'short'}, length ${p.length} and expect ${expected}`,
    );
  }
  const unicast = c.unicastPeers.length > 0;
  if (!unicast && p.ttl !== VRRP_TTL) return fail('ttl', `invalid TTL/HL. Received ${p.ttl} and expect ${VRRP_TTL}`);
  if (p.version !== c.version) return fail('version', `wrong version. Received ${p.version} and expect ${c.version}`);
  if (c.version === 2) {
    if (p.authType !== AUTH_NONE && p.authType !== AUTH_PASS && p.authType !== AUTH_AH) {
      return fail('auth-type-invalid', `Invalid auth type: ${p.authType}`);
    }
    if (p.authType !== c.authType) {
      return fail('auth-type-mismatch', `received a ${p.authType} auth, expecting ${c.authType}!`);
    }
    if (c.authType === AUTH_PASS) {
      const at = p.ipTotalLen - AUTH_DATA_LEN;
      const want = c.authData ?? new Uint8Array(AUTH_DATA_LEN);
      let diff = 0;
      for (let i = 0; i < AUTH_DATA_LEN; i++) diff |= (p.buf[at + i] ?? 0) ^ (want[i] ?? 0);
      if (diff !== 0 || at < p.ihl) return fail('auth-pass', 'received an invalid passwd!');
    }
    if (p.advertIntCs !== c.advertIntCs) {
      return fail(
        'advert-int',
        `advertisement interval mismatch mine=${c.advertIntCs / 100} sec rcv'd=${p.advertIntCs / 100} sec`,
      );
    }
  }
  if (p.type !== VRRP_TYPE_ADVERT) return fail('type', `Invalid packet type. ${p.type} and expect ${VRRP_TYPE_ADVERT}`);
  if (p.naddr !== c.vips.length) {
    return fail('naddr', `received an unexpected ip number count ${p.naddr}, expected ${c.vips.length}!`);
  }
  if (p.ipTotalLen !== p.length) {
    return fail('ip-length', `ip_tot_len mismatch against received length. ${p.ipTotalLen} and received ${p.length}`);
  }
  if (!checksumOk(p)) return fail('checksum', `Invalid VRRPv${c.version} checksum`);
  if (isMulticastAddr(p.dst) === unicast) {
    return fail(
      'cast-mismatch',
      `Expected ${unicast ? 'un' : 'mult'}icast packet but received ${unicast ? 'mult' : 'un'}icast packet`,
    );
  }
  if (checkVips) {
    for (const vip of c.vips) {
      let found = false;
      for (let i = 0; i < p.naddr && !found; i++) found = packetAddr(p, i) === vip;
      if (!found) {
        return fail(
          'vip-list',
          `ip address associated with VRID ${p.vrid} not present in MASTER advert : ${formatAddr(vip)}`,
        );
      }
    }
    if (c.checkUnicastSrc && unicast && !c.unicastPeers.includes(p.src)) {
      return fail('unicast-src', `unicast source address ${formatAddr(p.src)} not a unicast peer`);
    }
  }
  return { ok: true };
}
