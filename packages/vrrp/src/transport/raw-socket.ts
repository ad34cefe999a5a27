/**
 * One VRRP instance's raw socket: IP protocol 112 on one interface, multicast (224.0.0.18 or
 * vrrp_mcast_group4; ff02::12 or vrrp_mcast_group6) or unicast peers. IPv4: sends whole packets
 * (IP_HDRINCL: TTL 255, TOS 0xc0, our source, as keepalived), receives with the IP header (TTL
 * checked by the codec). IPv6 (RFC 5798 5.1.2): the kernel writes the header with hop limit 255
 * and our link-local source (IPV6_PKTINFO per packet, as keepalived), and reports hop limit and
 * destination on receive. Reads on libuv readiness so nothing blocks.
 */
import { type Addr, ipv6Bytes, readIPv6 } from '../codec/ipv6.ts';
import { IPPROTO_VRRP, type ParseFailure, parsePacket, parseVrrp6, type ReceivedPacket } from '../codec/packet.ts';
import { loadAddon, type RawAddon } from './native.ts';

/** Where and how to talk VRRP. */
export interface RawSocketOptions {
  ifname: string;
  /** 4 (default) or 6. */
  family?: 4 | 6;
  /** Multicast group joined when there are no unicast peers (IPv4 number, IPv6 bigint). */
  group: Addr;
  unicast: boolean;
  /** IPv6: the source address of what we send (link-local, or unicast_src_ip). */
  src6?: bigint;
  /** Called synchronously for each received packet; the buffer is reused afterwards. */
  onPacket(pkt: ReceivedPacket): void;
  /** A packet that is not even IPv4+VRRP. */
  onMalformed(fail: ParseFailure): void;
  /** A socket error while reading. */
  onError(err: Error): void;
}

/** Errors opening or using the socket, with the interface named. */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An open raw VRRP socket. */
export class RawVrrpSocket {
  private readonly addon: RawAddon;
  private readonly fd: number;
  private poller: unknown;
  private readonly rx = Buffer.alloc(4096);
  private readonly meta = Buffer.alloc(36);
  private readonly src6: Buffer;
  private closed = false;
  readonly ifindex: number;
  readonly family: 4 | 6;

  constructor(private readonly opts: RawSocketOptions) {
    this.addon = loadAddon();
    const a = this.addon;
    const c = a.constants;
    this.family = opts.family ?? 4;
    this.src6 = ipv6Bytes(opts.src6 ?? 0n);
    try {
      this.ifindex = a.ifIndex(opts.ifname);
    } catch (err) {
      throw new TransportError('VRRP_NO_INTERFACE', `interface ${opts.ifname} not found: ${(err as Error).message}`);
    }
    try {
      this.fd = this.family === 6 ? a.socket6(IPPROTO_VRRP) : a.socket(IPPROTO_VRRP);
    } catch (err) {
      const e = err as Error & { code?: string };
      const hint = e.code === 'EPERM' || e.code === 'EACCES' ? ' (raw sockets need root or CAP_NET_RAW)' : '';
      throw new TransportError('VRRP_SOCKET', `cannot open a raw VRRP socket: ${e.message}${hint}`);
    }
    try {
      if (this.family === 6) this.setup6(opts);
      else {
        a.setsockoptInt(this.fd, c.IPPROTO_IP, c.IP_HDRINCL, 1);
        a.setsockoptInt(this.fd, c.IPPROTO_IP, c.IP_MULTICAST_ALL, 0);
        a.bindToDevice(this.fd, opts.ifname);
        if (!opts.unicast) {
          a.multicastIf(this.fd, this.ifindex);
          a.setsockoptInt(this.fd, c.IPPROTO_IP, c.IP_MULTICAST_LOOP, 0);
          a.setsockoptInt(this.fd, c.IPPROTO_IP, c.IP_MULTICAST_TTL, 255);
          a.membership(this.fd, opts.group as number, this.ifindex, true);
        }
      }
      this.poller = a.poll(this.fd, (status) => this.onReadable(status));
    } catch (err) {
      a.close(this.fd);
      throw new TransportError('VRRP_SOCKET', `cannot set up VRRP socket on ${opts.ifname}: ${(err as Error).message}`);
    }
  }

  /** IPv6 options: hop limit 255, traffic class 0xc0, hop limit and destination reported on receive. */
  private setup6(opts: RawSocketOptions): void {
    const a = this.addon;
    const c = a.constants;
    a.setsockoptInt(this.fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_ALL, 0);
    a.setsockoptInt(this.fd, c.IPPROTO_IPV6, c.IPV6_RECVHOPLIMIT, 1);
    a.setsockoptInt(this.fd, c.IPPROTO_IPV6, c.IPV6_RECVPKTINFO, 1);
    a.setsockoptInt(this.fd, c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS, 255);
    // Traffic class 0xc0 (network control), as keepalived's if_setsockopt_priority.
    a.setsockoptInt(this.fd, c.IPPROTO_IPV6, c.IPV6_TCLASS, 0xc0);
    a.bindToDevice(this.fd, opts.ifname);
    if (!opts.unicast) {
      a.setsockoptInt(this.fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF, this.ifindex);
      a.setsockoptInt(this.fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_LOOP, 0);
      a.setsockoptInt(this.fd, c.IPPROTO_IPV6, c.IPV6_MULTICAST_HOPS, 255);
      a.membership6(this.fd, ipv6Bytes(opts.group as bigint), this.ifindex, true);
    }
  }

  /**
   * Sends a packet to `dst` (IPv4: the whole packet; IPv6: the VRRP part); returns an Error
   * instead of throwing (the caller logs it).
   */
  send(packet: Buffer, dst: Addr): Error | undefined {
    if (this.closed) return new TransportError('VRRP_CLOSED', 'socket closed');
    try {
      if (typeof dst === 'bigint') this.addon.sendTo6(this.fd, packet, ipv6Bytes(dst), this.ifindex, this.src6);
      else this.addon.sendTo(this.fd, packet, dst);
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  private onReadable(status: number): void {
    if (this.closed) return;
    if (status < 0) {
      this.opts.onError(new TransportError('VRRP_POLL', `poll error ${status} on ${this.opts.ifname}`));
      return;
    }
    // Drain everything queued; bounded so a flood cannot starve the loop.
    for (let i = 0; i < 64 && !this.closed; i++) {
      let n: number;
      try {
        n = this.family === 6 ? this.addon.recv6(this.fd, this.rx, this.meta) : this.addon.recv(this.fd, this.rx);
      } catch (err) {
        this.opts.onError(err as Error);
        return;
      }
      if (n < 0) return;
      const len = Math.min(n, this.rx.length);
      const m = this.meta;
      const p =
        this.family === 6
          ? parseVrrp6(this.rx, len, readIPv6(m, 0), readIPv6(m, 16), m[33] & 1 ? m[32] : -1)
          : parsePacket(this.rx, len);
      if ('ok' in p) this.opts.onMalformed(p);
      else {
        // MSG_TRUNC gives the real length: a datagram larger than our buffer must fail the length check.
        p.length = n;
        this.opts.onPacket(p);
      }
    }
  }

  /** Stops polling, leaves the group, closes the socket (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const a = this.addon;
    if (this.poller !== undefined) a.pollStop(this.poller);
    if (!this.opts.unicast) {
      try {
        const g = this.opts.group;
        if (typeof g === 'bigint') a.membership6(this.fd, ipv6Bytes(g), this.ifindex, false);
        else a.membership(this.fd, g, this.ifindex, false);
      } catch {
        // The interface may be gone already; closing the socket drops the membership anyway.
      }
    }
    a.close(this.fd);
  }
}
