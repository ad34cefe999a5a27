/**
 * One VRRP instance's raw socket: IP protocol 112 on one interface, multicast (224.0.0.18 or
 * vrrp_mcast_group4) or unicast peers. Sends whole IPv4 packets (IP_HDRINCL: TTL 255, TOS 0xc0,
 * our source, as keepalived), receives with the IP header (TTL checked by the codec), and reads
 * on libuv readiness so nothing blocks.
 */
import { IPPROTO_VRRP, type ParseFailure, parsePacket, type ReceivedPacket } from '../codec/packet.ts';
import { loadAddon, type RawAddon } from './native.ts';

/** Where and how to talk VRRP. */
export interface RawSocketOptions {
  ifname: string;
  /** Multicast group (unsigned 32-bit) joined when there are no unicast peers. */
  group: number;
  unicast: boolean;
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
  private closed = false;
  readonly ifindex: number;

  constructor(private readonly opts: RawSocketOptions) {
    this.addon = loadAddon();
    const a = this.addon;
    const c = a.constants;
    try {
      this.ifindex = a.ifIndex(opts.ifname);
    } catch (err) {
      throw new TransportError('VRRP_NO_INTERFACE', `interface ${opts.ifname} not found: ${(err as Error).message}`);
    }
    try {
      this.fd = a.socket(IPPROTO_VRRP);
    } catch (err) {
      const e = err as Error & { code?: string };
      const hint = e.code === 'EPERM' || e.code === 'EACCES' ? ' (raw sockets need root or CAP_NET_RAW)' : '';
      throw new TransportError('VRRP_SOCKET', `cannot open a raw VRRP socket: ${e.message}${hint}`);
    }
    try {
      a.setsockoptInt(this.fd, c.IPPROTO_IP, c.IP_HDRINCL, 1);
      a.setsockoptInt(this.fd, c.IPPROTO_IP, c.IP_MULTICAST_ALL, 0);
      a.bindToDevice(this.fd, opts.ifname);
      if (!opts.unicast) {
        a.multicastIf(this.fd, this.ifindex);
        a.setsockoptInt(this.fd, c.IPPROTO_IP, c.IP_MULTICAST_LOOP, 0);
        a.setsockoptInt(this.fd, c.IPPROTO_IP, c.IP_MULTICAST_TTL, 255);
        a.membership(this.fd, opts.group, this.ifindex, true);
      }
      this.poller = a.poll(this.fd, (status) => this.onReadable(status));
    } catch (err) {
      a.close(this.fd);
      throw new TransportError('VRRP_SOCKET', `cannot set up VRRP socket on ${opts.ifname}: ${(err as Error).message}`);
    }
  }

  /** Sends a whole IPv4 packet to `dst`; returns an Error instead of throwing (the caller logs it). */
  send(packet: Buffer, dst: number): Error | undefined {
    if (this.closed) return new TransportError('VRRP_CLOSED', 'socket closed');
    try {
      this.addon.sendTo(this.fd, packet, dst);
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
        n = this.addon.recv(this.fd, this.rx);
      } catch (err) {
        this.opts.onError(err as Error);
        return;
      }
      if (n < 0) return;
      const p = parsePacket(this.rx, Math.min(n, this.rx.length));
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
        a.membership(this.fd, this.opts.group, this.ifindex, false);
      } catch {
        // The interface may be gone already; closing the socket drops the membership anyway.
      }
    }
    a.close(this.fd);
  }
}
