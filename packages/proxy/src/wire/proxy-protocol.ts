/**
 * The PROXY protocol (haproxy.org/download/2.6/doc/proxy-protocol.txt), versions 1 and 2: parsing
 * the header a load balancer in front sends (`bind ... accept-proxy`) and writing one to servers
 * (`server ... send-proxy|send-proxy-v2`). Parsing is incremental and bounded: v1 is at most 107
 * bytes, v2 at most 16 + 65535, and anything that is not a valid header is an error, never a wait.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The addresses a PROXY header carries (`local`: a health check of the sender, keep the real ones). */
export interface ProxiedAddresses {
  local: boolean;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
}

export type ProxyParse =
  | { kind: 'more' }
  | { kind: 'error'; reason: string }
  | { kind: 'done'; header: ProxiedAddresses; consumed: number };

const V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_MAX = 107;

/** Parses a header at the start of `buf` (what arrived so far). */
export function parseProxyHeader(buf: Buffer): ProxyParse {
  if (buf.length === 0) return { kind: 'more' };
  if (buf[0] === 0x0d) return parseV2(buf);
  if (buf[0] === 0x50) return parseV1(buf);
  return { kind: 'error', reason: 'not a PROXY protocol header' };
}

function parseV1(buf: Buffer): ProxyParse {
  const sig = 'PROXY ';
  const n = Math.min(buf.length, sig.length);
  if (buf.toString('latin1', 0, n) !== sig.slice(0, n)) return { kind: 'error', reason: 'not a PROXY protocol header' };
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end < 0) return buf.length >= V1_MAX ? { kind: 'error', reason: 'PROXY v1 line too long' } : { kind: 'more' };
  if (end + 2 > V1_MAX) return { kind: 'error', reason: 'PROXY v1 line too long' };
  const parts = buf.toString('latin1', 0, end).split(' ');
  const consumed = end + 2;
  if (parts[1] === 'UNKNOWN')
    return { kind: 'done', header: { local: true, src: '', srcPort: 0, dst: '', dstPort: 0 }, consumed };
  if (parts.length !== 6) return { kind: 'error', reason: 'PROXY v1 header has the wrong number of fields' };
  const [, fam, src, dst, sp, dp] = parts;
  const okIp = fam === 'TCP4' ? isIPv4 : fam === 'TCP6' ? isIPv6 : undefined;
  if (!okIp) return { kind: 'error', reason: `PROXY v1 unknown protocol '${fam}'` };
  if (!okIp(src) || !okIp(dst)) return { kind: 'error', reason: 'PROXY v1 invalid address' };
  const srcPort = port(sp);
  const dstPort = port(dp);
  if (srcPort < 0 || dstPort < 0) return { kind: 'error', reason: 'PROXY v1 invalid port' };
  return { kind: 'done', header: { local: false, src, srcPort, dst, dstPort }, consumed };
}

function port(s: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(s)) return -1;
  const n = Number(s);
  return n > 65535 ? -1 : n;
}

function parseV2(buf: Buffer): ProxyParse {
  const n = Math.min(buf.length, 12);
  if (buf.compare(V2_SIG, 0, n, 0, n) !== 0) return { kind: 'error', reason: 'not a PROXY protocol header' };
  if (buf.length < 16) return { kind: 'more' };
  const verCmd = buf[12];
  if (verCmd >> 4 !== 2) return { kind: 'error', reason: `PROXY v2 unknown version ${verCmd >> 4}` };
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return { kind: 'error', reason: `PROXY v2 unknown command ${cmd}` };
  const famProto = buf[13];
  const len = buf.readUInt16BE(14);
  if (buf.length < 16 + len) return { kind: 'more' };
  const consumed = 16 + len;
  const local: ProxiedAddresses = { local: true, src: '', srcPort: 0, dst: '', dstPort: 0 };
  if (cmd === 0) return { kind: 'done', header: local, consumed };
  const fam = famProto >> 4;
  const body = buf.subarray(16, consumed);
  if (fam === 1) {
    if (len < 12) return { kind: 'error', reason: 'PROXY v2 address block too short' };
    return {
      kind: 'done',
      header: {
        local: false,
        src: `${body[0]}.${body[1]}.${body[2]}.${body[3]}`,
        dst: `${body[4]}.${body[5]}.${body[6]}.${body[7]}`,
        srcPort: body.readUInt16BE(8),
        dstPort: body.readUInt16BE(10),
      },
      consumed,
    };
  }
  if (fam === 2) {
    if (len < 36) return { kind: 'error', reason: 'PROXY v2 address block too short' };
    return {
      kind: 'done',
      header: {
        local: false,
        src: ipv6Text(body.subarray(0, 16)),
        dst: ipv6Text(body.subarray(16, 32)),
        srcPort: body.readUInt16BE(32),
        dstPort: body.readUInt16BE(34),
      },
      consumed,
    };
  }
  // AF_UNSPEC or AF_UNIX: the receiver keeps the connection's own addresses (spec 2.2)
  return { kind: 'done', header: local, consumed };
}

function ipv6Text(b: Buffer): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  // the compressed form, as node prints socket addresses
  const s = parts.join(':');
  const best = /(?:^|:)0(?::0)+(?::|$)/g;
  let longest = '';
  for (const m of s.matchAll(best)) if (m[0].length > longest.length) longest = m[0];
  return longest ? s.replace(longest, '::') : s;
}

/** `::ffff:1.2.3.4` (a v4 client on a dual-stack socket) as the v4 address. */
function plain(ip: string): string {
  return ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** The header `send-proxy` (v1) or `send-proxy-v2` writes for a client connection. */
export function encodeProxyHeader(version: 1 | 2, a: ProxiedAddresses): Buffer {
  const src = plain(a.src);
  const dst = plain(a.dst);
  const v4 = isIPv4(src) && isIPv4(dst);
  const v6 = !v4 && isIPv6(src) && isIPv6(dst);
  if (version === 1) {
    if (!v4 && !v6) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
    return Buffer.from(`PROXY ${v4 ? 'TCP4' : 'TCP6'} ${src} ${dst} ${a.srcPort} ${a.dstPort}\r\n`, 'latin1');
  }
  if (!v4 && !v6) {
    const h = Buffer.alloc(16);
    V2_SIG.copy(h);
    h[12] = 0x20; // v2, LOCAL
    return h;
  }
  const addrLen = v4 ? 12 : 36;
  const h = Buffer.alloc(16 + addrLen);
  V2_SIG.copy(h);
  h[12] = 0x21; // v2, PROXY
  h[13] = v4 ? 0x11 : 0x21; // TCP over IPv4 / IPv6
  h.writeUInt16BE(addrLen, 14);
  if (v4) {
    writeV4(h, 16, src);
    writeV4(h, 20, dst);
    h.writeUInt16BE(a.srcPort, 24);
    h.writeUInt16BE(a.dstPort, 26);
  } else {
    writeV6(h, 16, src);
    writeV6(h, 32, dst);
    h.writeUInt16BE(a.srcPort, 48);
    h.writeUInt16BE(a.dstPort, 50);
  }
  return h;
}

function writeV4(b: Buffer, off: number, ip: string): void {
  const p = ip.split('.');
  for (let i = 0; i < 4; i++) b[off + i] = Number(p[i]);
}

function writeV6(b: Buffer, off: number, ip: string): void {
  let groups: string[];
  const dbl = ip.indexOf('::');
  const tailV4 = ip.includes('.') ? ip.slice(ip.lastIndexOf(':') + 1) : undefined;
  let text = ip;
  if (tailV4) {
    const p = tailV4.split('.').map(Number);
    text = `${ip.slice(0, ip.lastIndexOf(':') + 1)}${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  if (dbl >= 0) {
    const [head, tail] = text.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  } else groups = text.split(':');
  for (let i = 0; i < 8; i++) b.writeUInt16BE(Number.parseInt(groups[i] || '0', 16), off + i * 2);
}
