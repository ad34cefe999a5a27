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
   * Hold the server's bytes (`tcp-response content` inspection): each arrival calls `inspect`
   * with all bytes held so far and whether the server has sent its FIN, until release() or
   * destroy(). Reading pauses once `holdMax` bytes are held.
   */
  hold?: { inspect(held: Buffer, serverEnded: boolean): void; holdMax: number };
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
  /** Server bytes held for inspection (undefined once released, or when not inspecting). */
  private held?: Buffer;
  private heldEnded = false;

  constructor(client: Socket, server: Socket, opts: RelayOptions) {
    this.client = client;
    this.server = server;
    this.opts = opts;
    // the client's FIN may have come (and its 'end' gone by) while its first bytes were inspected
    const clientEnded = opts.clientEnded === true || client.readableEnded;
    if (opts.first) for (const b of opts.first) server.write(b);
    if (clientEnded) server.end();
    if (opts.hold) this.held = Buffer.alloc(0);
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
      if (side === 'S' && this.held) {
        this.held = this.held.length === 0 ? d : Buffer.concat([this.held, d]);
        const hold = this.opts.hold as NonNullable<RelayOptions['hold']>;
        if (this.held.length >= hold.holdMax) from.pause();
        hold.inspect(this.held, false);
        return;
      }
      // a server cut by `tcp-response content close`: what the client still sends goes nowhere
      if (to.destroyed) return;
      if (!to.write(d)) from.pause();
    });
    to.on('drain', () => {
      if (!from.destroyed) from.resume();
    });
    from.on('end', () => {
      if (to.destroyed) return;
      if (side === 'S' && this.held) {
        this.heldEnded = true;
        this.opts.hold?.inspect(this.held, true);
        return;
      }
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

  /** Bytes of the server held and not yet given to the client. */
  heldBytes(): number {
    return this.held?.length ?? 0;
  }

  /**
   * Ends inspection: the held bytes go to the client and the relay goes on. `closeServer`
   * (`tcp-response content close`): the server connection is cut at once, the client gets what
   * came and then its FIN.
   */
  release(closeServer = false): void {
    const held = this.held;
    if (!held || this.finished) return;
    this.held = undefined;
    const client = this.client;
    const server = this.server;
    if (held.length > 0 && !client.destroyed) client.write(held);
    if (closeServer) {
      // as HAProxy: the server side shut both ways, the client's once what came is flushed
      this.shutClient();
      return;
    }
    if (this.heldEnded) {
      client.end();
      if (this.opts.serverFin !== undefined) this.timeout(server, this.opts.serverFin);
    }
    if (!server.destroyed) server.resume();
  }

  /**
   * Drops the held bytes and ends the session the orderly way (`tcp-response content reject`):
   * the server cut, the client gets a FIN, not a reset.
   */
  reject(): void {
    if (this.finished) return;
    this.held = undefined;
    this.shutClient();
  }

  /**
   * The server cut now; the client gets its FIN after what was written, and what it still sends
   * is read and dropped until its own FIN (or `timeout client`), so no reset reaches it.
   */
  private shutClient(): void {
    this.server.destroy();
    const client = this.client;
    client.end();
    client.once('end', () => client.destroy());
    client.resume();
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
