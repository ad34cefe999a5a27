/**
 * The client's addresses as the rest of the datapath sees them: the socket's own, or those a
 * PROXY protocol header announced (`bind ... accept-proxy`, `tcp-request connection
 * expect-proxy layer4`), which then replace them for fetches (`src`, `dst`), logs and
 * `send-proxy` to servers, as in HAProxy.
 */
import type { Socket } from 'node:net';
import { type ProxiedAddresses, parseProxyHeader } from '../wire/proxy-protocol.ts';

/** Addresses announced by a PROXY header, kept on the client socket (and found from a TLS socket). */
export const PROXIED = Symbol('switchyard.proxied');
export type ProxiedSocket = Socket & { [PROXIED]?: ProxiedAddresses; _parent?: ProxiedSocket };

/** Source and destination of the client connection `s` (TLS sockets: of the socket under them). */
export function socketAddresses(s: Socket): ProxiedAddresses {
  const p = s as ProxiedSocket;
  const announced = p[PROXIED] ?? p._parent?.[PROXIED];
  if (announced) return announced;
  return {
    local: false,
    src: s.remoteAddress ?? '',
    srcPort: s.remotePort ?? 0,
    dst: s.localAddress ?? '',
    dstPort: s.localPort ?? 0,
  };
}

/**
 * Reads a PROXY header off `s`, then calls back with the addresses and the bytes after it (the
 * socket is paused again). Errors: a malformed header, the client closing first, or nothing
 * complete within `timeoutMs` (`timeout client`; 0: none).
 */
export function readProxyHeader(
  s: Socket,
  timeoutMs: number,
  done: (err: string | undefined, addrs?: ProxiedAddresses, rest?: Buffer) => void,
): void {
  let buf: Buffer = Buffer.alloc(0);
  let over = false;
  const finish = (err: string | undefined, addrs?: ProxiedAddresses, rest?: Buffer): void => {
    if (over) return;
    over = true;
    s.off('data', onData);
    s.off('end', onEnd);
    s.off('close', onEnd);
    if (timer) clearTimeout(timer);
    s.pause();
    done(err, addrs, rest);
  };
  const onData = (d: Buffer): void => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    const r = parseProxyHeader(buf);
    if (r.kind === 'more') return;
    if (r.kind === 'error') finish(`Received something which does not look like a PROXY protocol header (${r.reason})`);
    else finish(undefined, r.header, buf.subarray(r.consumed));
  };
  const onEnd = (): void => finish('Connection closed while waiting for PROXY protocol header');
  const timer =
    timeoutMs > 0 ? setTimeout(() => finish('Timeout while waiting for PROXY protocol header'), timeoutMs) : undefined;
  s.on('data', onData);
  s.on('end', onEnd);
  s.on('close', onEnd);
  s.on('error', noop);
  s.resume();
}

function noop(): void {}
