/**
 * What a Stream (stream.ts) sees of its client, whatever the protocol: the request (head, body
 * as events with pause/resume) and the response it writes. The HTTP/1 mux (front.ts) and the
 * HTTP/2 mux (h2-front.ts) implement it; the stream, the analyzers and the accounting are the
 * same code for both (HAProxy's stream over mux_h1 / mux_h2).
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** One request as the Stream reads it. Body: 'data', 'end', 'error', 'aborted' events. */
export interface ClientRequest extends EventEmitter {
  readonly method: string;
  /** Request target (HTTP/2: `:path`). */
  readonly url: string;
  /** `1.0`, `1.1` or `2.0`. */
  readonly httpVersion: string;
  /** [name, value, ...] without pseudo-headers (HTTP/2: `:authority` becomes `host`). */
  readonly rawHeaders: string[];
  /** The client connection (addresses, TLS, PROXY header). */
  readonly socket: Socket;
  /** A body follows the head. */
  readonly hasBody: boolean;
  /** Request trailers ([name, value, ...]; chunked HTTP/1 or HTTP/2), set before the body's 'end'. */
  readonly trailers: string[] | undefined;
  /** The whole request, body included, has been received. */
  readonly complete: boolean;
  /** Time (ms) from the head's first byte to its end (HAProxy's TR). */
  readonly headMs: number;
  /** An earlier request came over the same client connection (HAProxy's http-reuse "safe" test). */
  readonly notFirst: boolean;
  pause(): this;
  resume(): this;
}

/** The response to a ClientRequest. Events: 'drain', 'close' (client gone first), 'finish'. */
export interface ClientResponse extends EventEmitter {
  statusCode: number;
  readonly headersSent: boolean;
  /** The connection stays open after this response (HTTP/1; HTTP/2 connections always do). */
  shouldKeepAlive: boolean;
  sendDate: boolean;
  readonly writableFinished: boolean;
  readonly writableNeedDrain: boolean;
  /** Status and fields ([name, value, ...]); throws on a field the protocol cannot carry. */
  writeHead(status: number, reason: string | undefined, flat: string[]): this;
  write(chunk: Buffer): boolean;
  /** An errorfile's framing for the next head: `HTTP/1.0`, a body ended by the close (HTTP/1 only). */
  framing?(version10: boolean, closeDelimited: boolean): void;
  /** Ends the response; `trailers` ([name, value, ...]) where the protocol and client take them. */
  end(chunk?: Buffer, trailers?: string[]): void;
  /** Aborts the response (HTTP/1: the connection; HTTP/2: the stream, RST_STREAM). */
  destroy(): void;
  /** The socket becomes a tunnel's (HTTP/1 Upgrade only). */
  detachSocket(socket?: Socket): void;
  /**
   * After the server's 101 (`raw`: its fields): answers the client (HTTP/1: the 101 as the server
   * sent it; HTTP/2 extended CONNECT: 200) and returns the client end of the tunnel, or
   * undefined when the server's answer is not a valid handshake for this client.
   */
  openTunnel(status: number, raw: string[]): Duplex | undefined;
  /** node:http-shaped objects for a service (stats page, exporter) that answers itself. */
  forService(): [IncomingMessage, ServerResponse];
  /** Starts counting this request's bytes (called once, when the stream starts). */
  markTraffic(): void;
  /** Client bytes [in, out] of this request since markTraffic (called once, when it ends). */
  traffic(): [number, number];
}
