/**
 * The client's request body as the upstream request body: a Readable that pulls from the
 * client request with back-pressure, but whose destruction (the upstream client stops reading it on upstream
 * failure) never destroys the client connection.
 */
import { Readable } from 'node:stream';
import type { ClientRequest } from './client-side.ts';
import { retain } from './read-buffers.ts';

export class BodyStream extends Readable {
  private readonly src: ClientRequest;
  /** the upstream client started reading: the body can no longer be replayed. */
  started = false;
  ended = false;

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

  private readonly onData = (chunk: Buffer): void => {
    const more = this.push(chunk);
    // kept in this stream's buffer (not handed on at once): the read buffer is in use
    if (this.readableLength > 0) retain();
    if (!more) this.src.pause();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.push(null);
  };

  private readonly onError = (err: Error): void => {
    this.destroy(err);
  };

  override _read(): void {
    this.started = true;
    this.src.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.src.off('data', this.onData);
    this.src.off('end', this.onEnd);
    this.src.off('error', this.onError);
    cb(err);
  }
}

function noop(): void {}
