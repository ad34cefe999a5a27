/**
 * `Upgrade` requests (WebSocket, h2c...): the request goes through the same phases as any
 * other, is sent to the chosen server as an upgrade request (h1-client.ts), and after the server's 101 the
 * two sockets are joined as a raw TCP tunnel bounded by `timeout tunnel`.
 */
import type { Duplex } from 'node:stream';

/** An end of a tunnel: a socket (HTTP/1) or a stream (HTTP/2 extended CONNECT). */
type TunnelEnd = Duplex & { setTimeout(ms: number, cb: () => void): unknown };

/** Joins client and server sides; `onClose` runs once when both sides are done. */
export function joinTunnel(client: Duplex, server: Duplex, timeoutMs: number, onClose: (term: string) => void): void {
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
    (client as TunnelEnd).setTimeout(timeoutMs, onIdle);
    (server as TunnelEnd).setTimeout(timeoutMs, onIdle);
  }
  client.pipe(server);
  server.pipe(client);
  client.resume();
  server.resume();
}
