/**
 * VRRP advertisement encoding and decoding: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798) over IPv4,
 * VRRPv3 over IPv6. IPv4 packets are handled with their IPv4 header: the transport sends with
 * IP_HDRINCL (as keepalived does, so TTL, TOS and source are ours) and raw receive sockets deliver
 * the IP header. IPv6 raw sockets carry the VRRP part only: the kernel writes the IPv6 header and
 * hands hop limit and destination over as ancillary data (parseVrrp6).
 */
import { fold, pseudoHeaderSum, pseudoHeaderSum6, sum16 } from './checksum.ts';
import { type Addr, readIPv6, writeIPv6 } from './ipv6.ts';

export const IPPROTO_VRRP = 112;
export const VRRP_TTL = 255;
export const VRRP_TYPE_ADVERT = 1;
export const AUTH_NONE = 0;
export const AUTH_PASS = 1;
export const AUTH_AH = 2;
export const VRRP_HEADER_LEN = 8;
export const AUTH_DATA_LEN = 8;
const IP_HEADER_LEN = 20;

export type VrrpVersion = 2 | 3;

/** What an advertisement says: the fields an encoder needs. */
export interface Advert {
  version: VrrpVersion;
  vrid: number;
  priority: number;
  /** Advertisement interval in centiseconds (v2 carries whole seconds: must be a multiple of 100). */
  advertIntCs: number;
  /** v2 only: 0 none, 1 PASS. */
  authType: number;
  /** v2 PASS: the first 8 bytes of auth_pass, zero-padded (see authData()). */
  authData?: Uint8Array;
  /** Address family of the advert (default 4); 6 is VRRPv3 only. */
  family?: 4 | 6;
  /** Virtual addresses: unsigned 32-bit numbers (IPv4) or bigints (IPv6). */
  addrs: readonly Addr[];
}

/** A received packet carrying VRRP, parsed but not yet validated against an instance. */
export interface ReceivedPacket {
  family: 4 | 6;
  /** IPv4 header length (0 for IPv6: the socket gives the VRRP part only). */
  ihl: number;
  /** IPv4 TTL or IPv6 hop limit (-1 when the kernel did not report it). */
  ttl: number;
  protocol: number;
  /** IPv4 total length; for IPv6 the received length. */
  ipTotalLen: number;
  src: Addr;
  dst: Addr;
  /** Bytes actually received (IP header included). */
  length: number;
  version: number;
  type: number;
  vrid: number;
  priority: number;
  naddr: number;
  /** v2: auth type byte; v3: 0. */
  authType: number;
  /** v2: seconds x 100; v3: the 12-bit centisecond field. */
  advertIntCs: number;
  checksum: number;
  /** The buffer the packet lives in and where its VRRP part starts (for checksums and addresses). */
  buf: Uint8Array;
  vrrpOffset: number;
}

/** Why a buffer could not even be parsed as IPv4 + VRRP header. */
export type ParseFailure = { ok: false; code: 'short' | 'not-ipv4' | 'not-vrrp'; message: string };

/** The 8 auth bytes keepalived sends for `auth_type PASS`: auth_pass truncated/zero-padded to 8. */
export function authData(pass: string): Uint8Array {
  const out = new Uint8Array(AUTH_DATA_LEN);
  out.set(Buffer.from(pass, 'utf8').subarray(0, AUTH_DATA_LEN));
  return out;
}

/**
 * Length of the VRRP part (header + addresses + v2 auth data). keepalived's VRRPv2 over IPv6 has no
 * auth data (expected_vrrp_pkt_len()).
 */
export function vrrpLength(version: VrrpVersion, naddr: number, family: 4 | 6 = 4): number {
  return VRRP_HEADER_LEN + (family === 6 ? 16 : 4) * naddr + (version === 2 && family === 4 ? AUTH_DATA_LEN : 0);
}

/** The checksum covers a pseudo-header for VRRPv3, and for anything over IPv6 (the kernel's IPV6_CHECKSUM in keepalived). */
function withPseudoHeader(version: number, family: 4 | 6): boolean {
  return version === 3 || family === 6;
}

/**
 * Encodes a full IPv4 packet (20-byte header, TOS 0xc0, TTL 255, protocol 112) carrying `adv`
 * from `src` to `dst`. The kernel fills the IP header checksum and id with IP_HDRINCL.
 */
export function encodePacket(adv: Advert, src: number, dst: number): Buffer {
  const vlen = vrrpLength(adv.version, adv.addrs.length);
  const buf = Buffer.alloc(IP_HEADER_LEN + vlen);
  buf[0] = 0x45;
  buf[1] = 0xc0;
  buf.writeUInt16BE(IP_HEADER_LEN + vlen, 2);
  buf[8] = VRRP_TTL;
  buf[9] = IPPROTO_VRRP;
  buf.writeUInt32BE(src >>> 0, 12);
  buf.writeUInt32BE(dst >>> 0, 16);
  encodeVrrp(adv, buf, IP_HEADER_LEN, src, dst);
  // IP header checksum too, so the bytes are a valid packet on their own (tests, pcap).
  buf.writeUInt16BE(fold(sum16(buf, 0, IP_HEADER_LEN)), 10);
  return buf;
}

/**
 * Encodes the VRRP part of an IPv6 advert (RFC 5798 5.1.2: the kernel sends it with hop limit 255
 * from `src`, the link-local address, to ff02::12 or a unicast peer); checksum over the IPv6
 * pseudo-header.
 */
export function encodeVrrp6(adv: Advert, src: bigint, dst: bigint): Buffer {
  const a: Advert = { ...adv, family: 6 };
  const buf = Buffer.alloc(vrrpLength(adv.version, adv.addrs.length, 6));
  encodeVrrp(a, buf, 0, src, dst);
  return buf;
}

/** Writes the VRRP part of `adv` into `buf` at `off`, checksum included. */
export function encodeVrrp(adv: Advert, buf: Uint8Array, off: number, src: Addr, dst: Addr): number {
  const n = adv.addrs.length;
  const v6 = adv.family === 6;
  const vlen = vrrpLength(adv.version, n, v6 ? 6 : 4);
  buf[off] = (adv.version << 4) | VRRP_TYPE_ADVERT;
  buf[off + 1] = adv.vrid;
  buf[off + 2] = adv.priority;
  buf[off + 3] = n;
  if (adv.version === 2) {
    buf[off + 4] = adv.authType;
    buf[off + 5] = Math.floor(adv.advertIntCs / 100);
  } else {
    const cs = adv.advertIntCs & 0x0fff;
    buf[off + 4] = cs >> 8;
    buf[off + 5] = cs & 0xff;
  }
  buf[off + 6] = 0;
  buf[off + 7] = 0;
  let p = off + VRRP_HEADER_LEN;
  for (const a of adv.addrs) {
    if (typeof a === 'bigint') {
      writeIPv6(a, buf, p);
      p += 16;
      continue;
    }
    buf[p] = a >>> 24;
    buf[p + 1] = (a >>> 16) & 255;
    buf[p + 2] = (a >>> 8) & 255;
    buf[p + 3] = a & 255;
    p += 4;
  }
  if (adv.version === 2 && !v6) {
    buf.fill(0, p, p + AUTH_DATA_LEN);
    if (adv.authType === AUTH_PASS && adv.authData) buf.set(adv.authData.subarray(0, AUTH_DATA_LEN), p);
  }
  const acc = withPseudoHeader(adv.version, v6 ? 6 : 4) ? pseudoSum(src, dst, vlen) : 0;
  const ck = fold(sum16(buf, off, vlen, acc));
  buf[off + 6] = ck >> 8;
  buf[off + 7] = ck & 0xff;
  return vlen;
}

/** Parses the IPv4 header and the fixed VRRP header of a received buffer. Never throws. */
export function parsePacket(buf: Uint8Array, length = buf.length): ReceivedPacket | ParseFailure {
  if (length > buf.length) length = buf.length;
  if (length < IP_HEADER_LEN)
    return { ok: false, code: 'short', message: `packet too short for an IP header (${length} bytes)` };
  if (buf[0] >> 4 !== 4) return { ok: false, code: 'not-ipv4', message: `not an IPv4 packet (version ${buf[0] >> 4})` };
  const ihl = (buf[0] & 0x0f) * 4;
  if (ihl < IP_HEADER_LEN) return { ok: false, code: 'not-ipv4', message: `invalid IPv4 header length ${ihl}` };
  const protocol = buf[9];
  if (protocol !== IPPROTO_VRRP) {
    const what = protocol === 51 ? 'IPsec AH (auth_type AH is not supported)' : `protocol ${protocol}`;
    return { ok: false, code: 'not-vrrp', message: `not a VRRP packet: ${what}` };
  }
  if (length < ihl + VRRP_HEADER_LEN) {
    return { ok: false, code: 'short', message: `packet too short for a VRRP header (${length} bytes)` };
  }
  const o = ihl;
  const version = buf[o] >> 4;
  const word = (buf[o + 4] << 8) | buf[o + 5];
  return {
    family: 4,
    ihl,
    ttl: buf[8],
    protocol,
    ipTotalLen: (buf[2] << 8) | buf[3],
    src: ((buf[12] << 24) | (buf[13] << 16) | (buf[14] << 8) | buf[15]) >>> 0,
    dst: ((buf[16] << 24) | (buf[17] << 16) | (buf[18] << 8) | buf[19]) >>> 0,
    length,
    version,
    type: buf[o] & 0x0f,
    vrid: buf[o + 1],
    priority: buf[o + 2],
    naddr: buf[o + 3],
    authType: version === 3 ? 0 : buf[o + 4],
    advertIntCs: version === 3 ? word & 0x0fff : buf[o + 5] * 100,
    checksum: (buf[o + 6] << 8) | buf[o + 7],
    buf,
    vrrpOffset: o,
  };
}

/**
 * Parses the VRRP part of an IPv6 packet as an IPv6 raw socket delivers it, with the source,
 * destination and hop limit the kernel reported. Never throws.
 */
export function parseVrrp6(
  buf: Uint8Array,
  length: number,
  src: bigint,
  dst: bigint,
  hopLimit: number,
): ReceivedPacket | ParseFailure {
  if (length > buf.length) length = buf.length;
  if (length < VRRP_HEADER_LEN) {
    return { ok: false, code: 'short', message: `packet too short for a VRRP header (${length} bytes)` };
  }
  const version = buf[0] >> 4;
  const word = (buf[4] << 8) | buf[5];
  return {
    family: 6,
    ihl: 0,
    ttl: hopLimit,
    protocol: IPPROTO_VRRP,
    ipTotalLen: length,
    src,
    dst,
    length,
    version,
    type: buf[0] & 0x0f,
    vrid: buf[1],
    priority: buf[2],
    naddr: buf[3],
    authType: version === 3 ? 0 : buf[4],
    advertIntCs: version === 3 ? word & 0x0fff : buf[5] * 100,
    checksum: (buf[6] << 8) | buf[7],
    buf,
    vrrpOffset: 0,
  };
}

/** The pseudo-header sum of the packet's family (IPv6 addresses are bigints). */
function pseudoSum(src: Addr, dst: Addr, vlen: number): number {
  if (typeof src === 'bigint' && typeof dst === 'bigint') return pseudoHeaderSum6(src, dst, vlen);
  return pseudoHeaderSum(Number(src) >>> 0, Number(dst) >>> 0, vlen);
}

/** The i-th address of a parsed packet (caller checked the length). */
export function packetAddr(p: ReceivedPacket, i: number): Addr {
  const b = p.buf;
  if (p.family === 6) return readIPv6(b, p.vrrpOffset + VRRP_HEADER_LEN + 16 * i);
  const o = p.vrrpOffset + VRRP_HEADER_LEN + 4 * i;
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** True when the VRRP checksum verifies (v3 with the pseudo-header from the packet's own src/dst). */
export function checksumOk(p: ReceivedPacket): boolean {
  const vlen = vrrpLength(p.version === 3 ? 3 : 2, p.naddr, p.family);
  if (p.vrrpOffset + vlen > p.length) return false;
  const acc = withPseudoHeader(p.version, p.family) ? pseudoSum(p.src, p.dst, vlen) : 0;
  return fold(sum16(p.buf, p.vrrpOffset, vlen, acc)) === 0;
}
