/**
 * The pass-through mux (HAProxy's mux_pt): bytes both ways between a client and a server socket,
 * with backpressure on each side (a side that cannot take more pauses the other's reads), half
 * close (a FIN from one side is passed on and the other direction goes on, bounded by
 * `timeout client-fin` / `server-fin`), and an inactivity timeout per side. Used by `mode tcp`
 * sessions and by HTTP upgrades (WebSocket) once the 101 is sent.
 */
import type { Socket } from 'node:net';

export interface RelayOptions {
  /** Inactivity timeouts (ms, 0: none) of the client and server sides. */
  clientTimeout: number;
  serverTimeout: number;
  /** Timeouts that replace them once that side has sent its FIN (`timeout client-fin|server-fin`). */
  clientFin?: number;
  serverFin?: number;
  /** The client already sent its FIN (while its first bytes were inspected). */
  clientEnded?: boolean;
  /** Bytes to send to the server before anything else (a PROXY header, inspected bytes). */
  first?: Buffer[];
  /**
   * Called once when both sides are closed: `--` (normal), `CD`/`SD` (client/server error or
   * reset), `cD`/`sD` (client/server timeout).
   */
  done(term: string): void;
}

export class Relay {
  private readonly client: Socket;
  private readonly server: Socket;
  private readonly opts: RelayOptions;
  private term = '--';
  private open = 2;
  private finished = false;

  constructor(client: Socket, server: Socket, opts: RelayOptions) {
    this.client = client;
    this.server = server;
    this.opts = opts;
    // the client's FIN may have come (and its 'end' gone by) while its first bytes were inspected
    const clientEnded = opts.clientEnded === true || client.readableEnded;
    if (opts.first) for (const b of opts.first) server.write(b);
    if (clientEnded) server.end();
    this.wire(client, server, 'C');
    this.wire(server, client, 'S');
    client.on('timeout', () => this.expired('c'));
    server.on('timeout', () => this.expired('s'));
    this.timeout(client, clientEnded ? (opts.clientFin ?? opts.clientTimeout) : opts.clientTimeout);
    this.timeout(server, opts.serverTimeout);
    client.resume();
    server.resume();
  }

  /** Bytes from `from` to `to`, `side` the letter of `from` in termination flags. */
  private wire(from: Socket, to: Socket, side: 'C' | 'S'): void {
    from.on('data', (d: Buffer) => {
      if (!to.write(d)) from.pause();
    });
    to.on('drain', () => {
      if (!from.destroyed) from.resume();
    });
    from.on('end', () => {
      // half close: the FIN goes on, the other direction continues
      to.end();
      const fin = side === 'C' ? this.opts.clientFin : this.opts.serverFin;
      if (fin !== undefined) this.timeout(from, fin);
    });
    from.on('error', () => {
      if (this.term === '--') this.term = `${side}D`;
    });
    from.on('close', (hadError: boolean) => {
      if (hadError || this.term !== '--') to.destroy();
      if (--this.open === 0) this.end();
    });
  }

  private timeout(s: Socket, ms: number): void {
    s.setTimeout(Math.max(ms, 0));
  }

  private expired(letter: 'c' | 's'): void {
    if (this.finished) return;
    if (this.term === '--') this.term = `${letter}D`;
    this.destroy();
  }

  /** Cuts both sides now (kill, stop). */
  destroy(): void {
    this.client.destroy();
    this.server.destroy();
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    this.opts.done(this.term);
  }
}
