/**
 * `server ... ssl alpn h2,http/1.1` without `proto h2`: the protocol of the server side is the
 * one the server picks by ALPN, as HAProxy 2.6 chooses the mux (h2 or h1) from the negotiated
 * protocol of each connection.
 *
 * - Until a connection told which protocol the server speaks, requests wait for one probing TLS
 *   connection; its socket then becomes the first connection of the HTTP/2 pool (h2) or of the
 *   HTTP/1 pool (anything else, no ALPN included), and the waiting requests go there.
 * - Later connections offer the same list. One that negotiates the other protocol (the server
 *   changed) fails as a connection error (ECONNRESET before any byte: the stream retries) and
 *   switches the pool, so the retry goes to the right one.
 */
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { UpstreamError } from '../model/codes.ts';
import { H1Pool, type UpstreamHandler, type UpstreamRequest } from './h1-client.ts';
import { H2Pool, type H2PoolOptions } from './h2-client.ts';

type Waiting = [UpstreamRequest, UpstreamHandler];

/** Connections to one TLS server whose protocol (h2 or HTTP/1) ALPN decides. */
export class AlpnPool {
  private readonly opts: H2PoolOptions;
  private readonly h1: H1Pool;
  private readonly h2: H2Pool;
  /** What the last connection negotiated (undefined: not known yet). */
  private proto: 'h1' | 'h2' | undefined;
  private probe: Socket | undefined;
  private waiting: Waiting[] = [];
  private closed = false;

  constructor(opts: H2PoolOptions) {
    this.opts = opts;
    const onOtherProtocol = (alpn: string): void => {
      this.proto = alpn === 'h2' ? 'h2' : 'h1';
    };
    this.h1 = new H1Pool({ ...opts, onOtherProtocol });
    this.h2 = new H2Pool({ ...opts, onOtherProtocol });
  }

  /** The protocol chosen by the server so far (tests, stats). */
  get negotiated(): 'h1' | 'h2' | undefined {
    return this.proto;
  }

  get connectionCount(): number {
    return this.h1.connectionCount + this.h2.connectionCount + (this.probe ? 1 : 0);
  }

  get idleCount(): number {
    return this.h1.idleCount + this.h2.idleCount;
  }

  /** Sends `req` over the negotiated protocol; true when an existing connection carried it. */
  dispatch(req: UpstreamRequest, handler: UpstreamHandler): boolean {
    if (this.closed) throw new UpstreamError('the pool is closed', 'UND_ERR_CLOSED');
    // an upgrade goes over HTTP/1 until the server is known to speak h2 (then: extended CONNECT)
    if (this.proto === 'h1' || (req.upgrade && this.proto !== 'h2')) return this.h1.dispatch(req, handler);
    if (this.proto === 'h2') return this.h2.dispatch(req, handler);
    this.waiting.push([req, handler]);
    if (!this.probe) this.startProbe();
    return false;
  }

  private startProbe(): void {
    const o = this.opts;
    const sock = tlsConnect({ ...o.tls, host: o.host, port: o.port, ALPNProtocols: o.alpn });
    sock.setNoDelay(true);
    if (o.proxyHeader) sock.write(o.proxyHeader);
    this.probe = sock;
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: Error): void => {
      if (timer) clearTimeout(timer);
      sock.off('secureConnect', onConnect);
      this.probe = undefined;
      sock.destroy();
      for (const [, h] of this.waiting.splice(0)) h.onError(err);
    };
    const onError = (err: Error): void => fail(err);
    const onConnect = (): void => {
      if (timer) clearTimeout(timer);
      sock.off('error', onError);
      this.probe = undefined;
      const waiting = this.waiting.splice(0);
      if (this.closed) {
        sock.destroy();
        for (const [, h] of waiting) h.onError(new UpstreamError('the pool is closed', 'UND_ERR_CLOSED'));
        return;
      }
      if (sock.alpnProtocol === 'h2') {
        this.proto = 'h2';
        this.h2.adopt(sock, waiting[0]?.[0].client);
      } else {
        this.proto = 'h1';
        this.h1.adopt(sock);
      }
      for (const [req, h] of waiting) this.dispatch(req, h);
    };
    sock.once('secureConnect', onConnect);
    sock.on('error', onError);
    if (o.connectTimeout > 0)
      timer = setTimeout(() => fail(new UpstreamError('connect timeout', 'UND_ERR_CONNECT_TIMEOUT')), o.connectTimeout);
  }

  async close(): Promise<void> {
    this.closed = true;
    // the requests waiting for the probe fail with it
    this.probe?.destroy(new UpstreamError('the pool is closed', 'UND_ERR_CLOSED'));
    await Promise.all([this.h1.close(), this.h2.close()]);
  }

  async destroy(): Promise<void> {
    this.closed = true;
    this.probe?.destroy(new UpstreamError('the pool was destroyed', 'UND_ERR_DESTROYED'));
    await Promise.all([this.h1.destroy(), this.h2.destroy()]);
  }
}
