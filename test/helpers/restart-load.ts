/**
 * A bounded HTTP/1.1 load loop on raw sockets for restart tests and bench/restarts.ts: `keepAlive`
 * clients each send request after request on one connection (a new one when the server closes
 * it between requests or answers `connection: close`), `fresh` clients open a new connection per
 * request. Every request is counted: answered 200, or failed (error, reset, other status).
 * A connection the server closed while no request was outstanding is not a failure (the client
 * has sent nothing); a request written and then met by a close is.
 */
import { connect, type Socket } from 'node:net';

/**
 * The configuration the restart tests reload: `global` with `globalLines`, one HTTP frontend on
 * 127.0.0.1:`port` and one backend whose server `web` is 127.0.0.1:`upstreamPort`.
 */
export function restartConfig(port: number, upstreamPort: number, globalLines = ''): string {
  return `global
${globalLines}
defaults
  mode http
  timeout connect 2s
  timeout client 20s
  timeout server 20s
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server web 127.0.0.1:${upstreamPort}
`;
}

export interface LoadCounts {
  sent: number;
  ok: number;
  failed: number;
  /** Failures on a reused keep-alive connection that the server closed as the request went out. */
  failedOnReuse: number;
  /** Why requests failed, by reason. */
  reasons: Record<string, number>;
}

export interface LoadLoop {
  counts: LoadCounts;
  /** Stops sending; resolves once every outstanding request ended. */
  stop(): Promise<LoadCounts>;
}

const REQUEST = (path: string, close: boolean) =>
  `GET ${path} HTTP/1.1\r\nhost: restart.test\r\n${close ? 'connection: close\r\n' : ''}\r\n`;

/** One request on `s`; resolves with the status and whether the server keeps the connection. */
function exchange(s: Socket, path: string, close: boolean): Promise<{ status: number; keep: boolean }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let need = -1;
    let head: { status: number; keep: boolean } | undefined;
    const done = (e?: Error) => {
      s.off('data', onData);
      s.off('close', onClose);
      s.off('error', onError);
      if (e) reject(e);
      else resolve(head as { status: number; keep: boolean });
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!head) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const text = buf.subarray(0, end).toString('latin1');
        const status = Number(text.slice(9, 12));
        const len = /\r\ncontent-length:\s*(\d+)/i.exec(text);
        head = { status, keep: !/\r\nconnection:\s*close/i.test(text) };
        need = end + 4 + (len ? Number(len[1]) : 0);
      }
      if (buf.length >= need) done();
    };
    const onClose = () => done(Object.assign(new Error('closed before the response'), { code: 'CLOSED' }));
    const onError = (e: Error) => done(e);
    s.on('data', onData);
    s.once('close', onClose);
    s.once('error', onError);
    s.write(REQUEST(path, close));
  });
}

function opened(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.setNoDelay(true);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Starts the loop against 127.0.0.1:`port`. */
export function startLoad(opts: { port: number; keepAlive: number; fresh: number; path?: string }): LoadLoop {
  const path = opts.path ?? '/';
  const counts: LoadCounts = { sent: 0, ok: 0, failed: 0, failedOnReuse: 0, reasons: {} };
  let running = true;
  const fail = (reason: string, reused: boolean) => {
    counts.failed++;
    if (reused) counts.failedOnReuse++;
    counts.reasons[reason] = (counts.reasons[reason] ?? 0) + 1;
  };
  const keepAliveClient = async () => {
    let s: Socket | undefined;
    let reused = false;
    let closedByServer = false;
    while (running) {
      if (!s || closedByServer || s.destroyed) {
        s?.destroy();
        try {
          s = await opened(opts.port);
        } catch (e) {
          counts.sent++;
          fail(`connect ${(e as NodeJS.ErrnoException).code}`, false);
          continue;
        }
        reused = false;
        closedByServer = false;
        const mine = s;
        mine.once('end', () => {
          if (s === mine) closedByServer = true;
        });
        mine.on('error', () => {});
      }
      counts.sent++;
      try {
        const r = await exchange(s, path, false);
        if (r.status === 200) counts.ok++;
        else fail(`status ${r.status}`, reused);
        if (!r.keep) closedByServer = true;
        reused = true;
      } catch (e) {
        fail((e as NodeJS.ErrnoException).code ?? 'error', reused);
        closedByServer = true;
      }
    }
    s?.destroy();
  };
  const freshClient = async () => {
    while (running) {
      counts.sent++;
      let s: Socket | undefined;
      try {
        s = await opened(opts.port);
        const r = await exchange(s, path, true);
        if (r.status === 200) counts.ok++;
        else fail(`status ${r.status}`, false);
      } catch (e) {
        fail((e as NodeJS.ErrnoException).code ?? 'error', false);
      } finally {
        s?.destroy();
      }
    }
  };
  const clients = [
    ...Array.from({ length: opts.keepAlive }, keepAliveClient),
    ...Array.from({ length: opts.fresh }, freshClient),
  ];
  return {
    counts,
    async stop() {
      running = false;
      await Promise.all(clients);
      return counts;
    },
  };
}
