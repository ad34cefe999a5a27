/**
 * The client's request body as the upstream request body: a Readable that pulls from the
 * client request with back-pressure, but whose destruction (the upstream client stops reading it on upstream
 * failure) never destroys the client connection. For `retry-on` it can keep what it passed on
 * (ReplayBody sends it again) and for `option http-buffer-request` gather the body first.
 */
import { Readable } from 'node:stream';
import type { ClientRequest } from './client-side.ts';
import { retain } from './read-buffers.ts';

/**
 * What a request may weigh to be replayed or buffered whole: HAProxy's buffer (tune.bufsize
 * 16384) less its reserve (tune.maxrewrite 1024). A bigger request never fits in one buffer, so
 * haproxy never retries it.
 */
export const REQUEST_BUFFER = 16384 - 1024;

export class BodyStream extends Readable {
  private readonly src: ClientRequest;
  private reading = false;
  ended = false;
  /** Copies of the chunks passed on, for a replay; dropped when the body cannot be replayed. */
  private kept?: Buffer[];
  private keptBytes = 0;
  private keepLimit = 0;
  /** Whether the whole request had arrived when its first byte went out (HAProxy's HTTP_MSG_DONE). */
  private whole?: boolean;
  private gathered?: () => void;
  private gatherLimit = 0;

  /** The upstream client took from it: the body can no longer be sent as it is. */
  get started(): boolean {
    // a body gathered whole is read from the buffer without a _read call
    return this.reading || this.readableDidRead;
  }

  constructor(src: ClientRequest) {
    super({ highWaterMark: 64 * 1024 });
    this.src = src;
    src.on('data', this.onData);
    src.on('end', this.onEnd);
    src.on('error', this.onError);
    src.pause();
    // the upstream client listens once it sends the body; an abort before that (the client reset
    // its stream during the connect) must not be an uncaught error
    this.on('error', noop);
  }

  /** Keep what is passed on for a replay, when the request is whole and at most `limit` bytes. */
  keep(limit: number): void {
    this.kept = [];
    this.keepLimit = limit;
  }

  /**
   * `option http-buffer-request`: reads the body ahead (nothing is passed on) until it ended or
   * `limit` bytes wait, then calls `done`.
   */
  gather(limit: number, done: () => void): void {
    if (this.ended || this.readableLength >= limit) {
      done();
      return;
    }
    this.gathered = done;
    this.gatherLimit = limit;
    this.src.resume();
  }

  /** The body's chunks, when it can be sent again as it was (see keep()). */
  replayChunks(): Buffer[] | undefined {
    return this.ended && this.whole === true ? this.kept : undefined;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.whole === undefined && this.gathered === undefined) this.whole = this.src.complete;
    if (this.kept !== undefined) {
      this.keptBytes += chunk.length;
      if (this.whole === false || this.keptBytes > this.keepLimit) this.kept = undefined;
      // a copy: the chunk lives in a read buffer that is reused
      else this.kept.push(Buffer.from(chunk));
    }
    const more = this.push(chunk);
    // kept in this stream's buffer (not handed on at once): the read buffer is in use
    if (this.readableLength > 0) retain();
    if (this.gathered !== undefined) {
      if (this.readableLength >= this.gatherLimit) this.gatherDone();
      return;
    }
    if (!more) this.src.pause();
  };

  private gatherDone(): void {
    const done = this.gathered as () => void;
    this.gathered = undefined;
    this.src.pause();
    // the request is whole if it ended within the limit
    this.whole = this.ended;
    if (!this.whole) this.kept = undefined;
    done();
  }

  private readonly onEnd = (): void => {
    this.ended = true;
    if (this.whole === undefined && this.gathered === undefined) this.whole = true;
    this.push(null);
    if (this.gathered !== undefined) this.gatherDone();
  };

  private readonly onError = (err: Error): void => {
    this.destroy(err);
  };

  override _read(): void {
    // Readable reads ahead by itself while the body is gathered: that is not the upstream
    if (this.gathered !== undefined) return;
    this.reading = true;
    this.src.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.src.off('data', this.onData);
    this.src.off('end', this.onEnd);
    this.src.off('error', this.onError);
    cb(err);
  }
}

/** A body kept by BodyStream.keep(), sent again from memory for a retry. */
export class ReplayBody extends Readable {
  started = false;
  readonly ended = true;
  private readonly chunks: Buffer[];

  constructor(chunks: Buffer[]) {
    super();
    this.chunks = chunks;
    this.on('error', noop);
  }

  override _read(): void {
    if (this.started) return;
    this.started = true;
    for (const c of this.chunks) this.push(c);
    this.push(null);
  }
}

function noop(): void {}
