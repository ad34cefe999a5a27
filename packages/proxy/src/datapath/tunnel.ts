/**
 * `Upgrade` requests (WebSocket, h2c...): the request goes through the same phases as any
 * other, is sent to the chosen server as an upgrade request (h1-client.ts), and after the server's 101 the
 * two sockets are joined as a raw TCP tunnel bounded by `timeout tunnel`.
 */
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FrontendPlan } from '../runtime/plan.ts';
import type { DatapathContext } from './context.ts';
import { Stream } from './stream.ts';

/** Handles node's 'upgrade' event for a frontend. */
export function handleUpgrade(
  ctx: DatapathContext,
  fe: FrontendPlan,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): void {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  // Error answers (no server, denied...) end the connection: there is no parser left on it.
  res.once('finish', () => {
    if (!stream.tunnelling) socket.end();
  });
  const stream = new Stream(ctx, fe, req, res);
  stream.upgradeHead = head;
  try {
    stream.run();
  } catch (e) {
    stream.internalError(e);
  }
}

/** Joins client and server sockets; `onClose` runs once when both sides are done. */
export function joinTunnel(client: Socket, server: Socket, timeoutMs: number, onClose: (term: string) => void): void {
  let closed = false;
  let term = '----';
  const close = () => {
    if (closed) return;
    closed = true;
    client.destroy();
    server.destroy();
    onClose(term);
  };
  client.on('error', () => {
    term = 'CD--';
  });
  server.on('error', () => {
    term = 'SD--';
  });
  client.on('close', close);
  server.on('close', close);
  if (timeoutMs > 0) {
    const onIdle = () => {
      term = 'cD--';
      close();
    };
    client.setTimeout(timeoutMs, onIdle);
    server.setTimeout(timeoutMs, onIdle);
  }
  client.pipe(server);
  server.pipe(client);
  client.resume();
  server.resume();
}
