/**
 * Reused read buffers for the sockets of both sides (front.ts, h1-client.ts): instead of a fresh
 * 64 KiB allocation per read, a connection reads into one buffer of its own while it carries a
 * message body, and into one buffer shared by all connections otherwise (whose bytes are copied
 * out at once, before anything else can read into it).
 *
 * Whoever keeps a reference to bytes of a read after the read's callback returned (a socket write
 * the kernel did not take at once keeps its buffer until it is written, a paused reader, a
 * stream's own buffer) says so (`retain`, `retainIn`); the connection then reads into another
 * buffer, so bytes still queued are never overwritten.
 *
 * Buffers a connection no longer reads into go to a few spares shared by all connections, so an
 * exchange with a body does not allocate one (before, every 1 MB response or upload took a new
 * 64 KiB buffer; with the spares 2,655 of 2,659 exchanges took a spare in a quick run). A buffer
 * kept only by one socket's write queue (`retainIn`) is a spare too, read into again only once
 * that socket has written everything it was given (its writableLength is 0: node and libuv hold
 * none of its bytes then). A buffer with any other keeper (`retain`) is left to the GC.
 */
import type { Writable } from 'node:stream';

const readBuffers = {
  retained: false,
  /** The one socket whose write queue keeps the bytes of this read (undefined: other keepers). */
  holder: undefined as Writable | undefined,
};

/** The bytes of the current read stay referenced by something other than one socket's queue. */
export function retain(): void {
  readBuffers.retained = true;
  readBuffers.holder = undefined;
}

/** The bytes of the current read may stay in `sock`'s write queue: kept until it is written. */
export function retainIn(sock: Writable): void {
  if (sock.writableLength === 0 && !sock.destroyed) return;
  if (sock.destroyed) {
    retain();
    return;
  }
  if (!readBuffers.retained) {
    readBuffers.retained = true;
    readBuffers.holder = sock;
  } else if (readBuffers.holder !== sock) readBuffers.holder = undefined;
}

/** Node's own read size. */
const SIZE = 64 * 1024;
const SHARED = Buffer.allocUnsafeSlow(SIZE);

/** Spare buffers kept for any connection at most (64 KiB each). */
const MAX_SPARE = 32;
/** Spare buffers, each with the socket whose write queue may still hold it (undefined: none). */
const spare: Buffer[] = [];
const spareHolders: Array<Writable | undefined> = [];

function putSpare(buf: Buffer, holder: Writable | undefined): void {
  if (spare.length >= MAX_SPARE) {
    // the oldest goes to the GC
    spare.shift();
    spareHolders.shift();
  }
  spare.push(buf);
  spareHolders.push(holder);
}

/** A spare buffer nothing holds any more (those of destroyed sockets are dropped on the way). */
function takeSpare(): Buffer | undefined {
  for (let i = spare.length - 1; i >= 0; i--) {
    const h = spareHolders[i];
    if (h === undefined || (h.writableLength === 0 && !h.destroyed)) {
      const b = spare[i];
      spare.splice(i, 1);
      spareHolders.splice(i, 1);
      return b;
    }
    if (h.destroyed) {
      spare.splice(i, 1);
      spareHolders.splice(i, 1);
    }
  }
  return undefined;
}

/** One connection's read buffer. */
export class ReadBuffer {
  private own: Buffer | undefined;

  /**
   * The buffer for the next read (called right after the previous read's callback, whose
   * retention marks are still set); `busy`: the connection is inside a message body or exchange.
   */
  next(busy: boolean): Buffer {
    const retained = readBuffers.retained;
    const holder = readBuffers.holder;
    readBuffers.retained = false;
    readBuffers.holder = undefined;
    const own = this.own;
    if (!busy) {
      // idle connections hold no buffer of their own: it goes to the spares unless kept elsewhere
      if (own !== undefined && (!retained || holder !== undefined)) putSpare(own, holder);
      this.own = undefined;
      return SHARED;
    }
    if (own !== undefined && !retained) return own;
    if (own !== undefined && holder !== undefined) putSpare(own, holder);
    const next = takeSpare() ?? Buffer.allocUnsafeSlow(SIZE);
    this.own = next;
    return next;
  }

  /**
   * Starts a read: the `nread` bytes of `buf` as they are. Bytes in the shared buffer (isShared)
   * must be copied by whoever keeps them past the read's callback.
   */
  static view(buf: Uint8Array, nread: number): Buffer {
    readBuffers.retained = false;
    readBuffers.holder = undefined;
    return (buf as Buffer).subarray(0, nread);
  }

  static isShared(buf: Uint8Array): boolean {
    return buf === SHARED;
  }

  /** Starts a read: the `nread` bytes of `buf`, copied when they are in the shared buffer. */
  static bytes(buf: Uint8Array, nread: number): Buffer {
    readBuffers.retained = false;
    readBuffers.holder = undefined;
    const b = buf as Buffer;
    return b === SHARED ? Buffer.from(b.subarray(0, nread)) : b.subarray(0, nread);
  }
}
