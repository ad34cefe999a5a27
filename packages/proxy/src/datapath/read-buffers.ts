/**
 * Reused read buffers for the sockets of both sides (front.ts, h1-client.ts): instead of a fresh
 * 64 KiB allocation per read, a connection reads into one buffer of its own while it carries a
 * message body, and into one buffer shared by all connections otherwise (whose bytes are copied
 * out at once, before anything else can read into it).
 *
 * Whoever keeps a reference to bytes of a read after the read's callback returned (a socket write
 * the kernel did not take at once keeps its buffer until it is written, a paused reader, a
 * stream's own buffer) sets `readBuffers.retained`; the connection then reads into a new buffer,
 * so bytes still queued are never overwritten.
 */
export const readBuffers = { retained: false };

/** Node's own read size. */
const SIZE = 64 * 1024;
const SHARED = Buffer.allocUnsafeSlow(SIZE);

/** One connection's read buffer. */
export class ReadBuffer {
  private own: Buffer | undefined;

  /** The buffer for the next read; `busy`: the connection is inside a message body or exchange. */
  next(busy: boolean): Buffer {
    if (!busy) {
      this.own = undefined;
      return SHARED;
    }
    if (readBuffers.retained || this.own === undefined) {
      readBuffers.retained = false;
      this.own = Buffer.allocUnsafeSlow(SIZE);
    }
    return this.own;
  }

  /**
   * Starts a read: the `nread` bytes of `buf` as they are. Bytes in the shared buffer (isShared)
   * must be copied by whoever keeps them past the read's callback.
   */
  static view(buf: Uint8Array, nread: number): Buffer {
    readBuffers.retained = false;
    return (buf as Buffer).subarray(0, nread);
  }

  static isShared(buf: Uint8Array): boolean {
    return buf === SHARED;
  }

  /** Starts a read: the `nread` bytes of `buf`, copied when they are in the shared buffer. */
  static bytes(buf: Uint8Array, nread: number): Buffer {
    readBuffers.retained = false;
    const b = buf as Buffer;
    return b === SHARED ? Buffer.from(b.subarray(0, nread)) : b.subarray(0, nread);
  }
}
