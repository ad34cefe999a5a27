/**
 * The runtime API listeners (`stats socket PATH|ipv4@HOST:PORT [mode M] [level L]`): line
 * protocol as HAProxy's CLI speaks it. Without `prompt`, one input line is read (commands
 * separated by `;`), each output is followed by an empty line, and the connection closes; after
 * `prompt`, a `> ` prompt follows every line and the session stays open until `quit` or the
 * idle timeout (`set timeout cli`, default 10s).
 */
import cluster from 'node:cluster';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { StatsSocketModel } from '@switchyard/config';
import { closeKeepingPath, type InheritedSockets, serverFd } from '@switchyard/proxy';
import { sendListeningSockets } from '@switchyard/unixsock';
import { type CliContext, type CliSession, runCommand, splitCommands, startsPayload } from './commands.ts';

/** Longest accepted input line; HAProxy's limit is its buffer size (16 kB by default). */
const MAX_LINE = 16384;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Open connections per server, so stop() can end interactive sessions. */
const OPEN = new WeakMap<Server, Set<Socket>>();

/** A runtime API socket could not be opened. */
export class CliSocketError extends Error {
  readonly code = 'ADM_CLI_SOCKET';
  constructor(
    message: string,
    readonly socket: StatsSocketModel,
  ) {
    super(`${socket.loc.file}:${socket.loc.line}: ${message}`);
    this.name = 'CliSocketError';
  }
}

/** How a runtime API socket hands the process's listening sockets to a new process (`-x`). */
export interface SocketHandover {
  /** Every listening descriptor of the process (frontends and `stats socket`s). */
  listeningFds(): number[];
  /** Received at start: a `stats socket` at the same address adopts its socket. */
  inherited?: InheritedSockets;
}

/**
 * `_getsocks` (HAProxy's internal command for `-x`): on a unix socket with `expose-fd listeners`
 * the listening sockets are sent with SCM_RIGHTS; elsewhere nothing is sent and the connection
 * closes, as HAProxy does.
 */
function getsocks(conn: Socket, sock: StatsSocketModel, handover: SocketHandover | undefined): void {
  const fd = (conn as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (sock.exposeFdListeners && handover && sock.kind === 'unix' && typeof fd === 'number') {
    const e = sendListeningSockets(fd, handover.listeningFds());
    if (e !== 0)
      process.stderr.write(`[WARNING]  (${process.pid}) : _getsocks: failed to transfer sockets (errno ${e})\n`);
  }
  conn.destroy();
}

function handleConnection(conn: Socket, ctx: CliContext, sock: StatsSocketModel, handover?: SocketHandover): void {
  const level = sock.level;
  const sess: CliSession = { level, interactive: false, timeoutMs: DEFAULT_TIMEOUT_MS, quit: false };
  let buf = '';
  let closed = false;
  conn.setEncoding('utf8');
  conn.setTimeout(sess.timeoutMs, () => conn.destroy());
  conn.on('error', () => {
    closed = true;
  });
  conn.on('close', () => {
    closed = true;
  });

  // Lines run one after the other: with a node-wide view (--workers) a line first awaits it.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (line: string) => {
    queue = queue.then(() => processLine(line));
  };
  /** A command that ended with `<<`: its payload lines, until an empty line. */
  let pending: { cmd: string; lines: string[]; size: number } | undefined;
  const run = (lineCtx: CliContext, cmd: string, payload?: string): string => {
    try {
      return runCommand(lineCtx, sess, cmd, payload);
    } catch (e) {
      // A bug in a command must not kill the process or the session: report it.
      return `Internal error: ${(e as Error).message}\n`;
    }
  };
  const processLine = async (raw: string): Promise<void> => {
    if (closed) return;
    const line = raw.replace(/\r$/, '');
    if (!pending && line === '_getsocks') {
      closed = true;
      return getsocks(conn, sock, handover);
    }
    if (pending) {
      if (line !== '') {
        pending.lines.push(line);
        pending.size += line.length + 1;
        if (pending.size > MAX_LINE) {
          conn.end('Command line too long.\n\n');
          closed = true;
        } else if (sess.interactive) conn.write('+ ');
        return;
      }
      const p = pending;
      pending = undefined;
      const text = run(ctx, p.cmd, p.lines.join('\n'));
      return finish(sess.interactive ? `${text}\n> ` : `${text}\n`);
    }
    let lineCtx = ctx;
    if (ctx.nodeView && /\bshow\b/.test(line)) {
      try {
        lineCtx = { ...ctx, readRuntime: await ctx.nodeView() };
      } catch {
        // the node-wide figures could not be had: this process's own are shown
      }
      if (closed) return;
    }
    let out = '';
    const cmds = splitCommands(line);
    for (let i = 0; i < cmds.length; i++) {
      if (i === cmds.length - 1 && startsPayload(cmds[i])) {
        // haproxy gathers the following lines (prompt `+ `) and runs the command on the empty line
        pending = { cmd: cmds[i], lines: [], size: cmds[i].length };
        conn.write(sess.interactive ? `${out}+ ` : out);
        return;
      }
      const text = run(lineCtx, cmds[i]);
      if (sess.quit) break;
      // HAProxy prints the prompt after every command, also between `;`-separated ones
      out += sess.interactive ? `${text}\n> ` : `${text}\n`;
    }
    finish(out);
  };
  const finish = (out: string): void => {
    if (sess.quit) {
      if (out) conn.write(out);
      conn.end();
      closed = true;
      return;
    }
    conn.write(out);
    conn.setTimeout(sess.timeoutMs);
    if (!sess.interactive) {
      conn.end();
      closed = true;
    }
  };

  conn.on('data', (chunk: string) => {
    if (closed) return;
    buf += chunk;
    let nl = buf.indexOf('\n');
    while (nl >= 0 && !closed) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.length > MAX_LINE) {
        conn.end('Command line too long.\n\n');
        closed = true;
        return;
      }
      enqueue(line);
      nl = buf.indexOf('\n');
    }
    if (!closed && buf.length > MAX_LINE) {
      conn.end('Command line too long.\n\n');
      closed = true;
    }
  });
  conn.on('end', () => {
    // socat sends the last line and half-closes: run what is left, then finish.
    if (buf.trim() !== '') enqueue(buf);
    buf = '';
    queue = queue.then(() => {
      if (!closed) conn.end();
      closed = true;
    });
  });
}

/**
 * Makes a Unix `stats socket` path bindable: a stale socket left by a previous run is removed,
 * but never a regular file, nor a socket a running process still answers on (two proxies would
 * silently share one name). Throws CliSocketError.
 */
export async function prepareSocketPath(sock: StatsSocketModel): Promise<void> {
  const path = sock.path;
  if (sock.kind !== 'unix' || !path) return;
  let stale = false;
  try {
    stale = lstatSync(path).isSocket();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new CliSocketError(`${path}: ${(e as Error).message}`, sock);
  }
  if (stale) {
    if (await answers(path)) throw new CliSocketError(`${path} is in use by a running process`, sock);
    unlinkSync(path);
  }
}

/** Opens one `stats socket`; resolves once listening. */
export async function listenCliSocket(
  sock: StatsSocketModel,
  ctx: CliContext,
  handover?: SocketHandover,
): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (c) => handleConnection(c, ctx, sock, handover));
  const conns = new Set<Socket>();
  OPEN.set(server, conns);
  server.on('connection', (c) => {
    conns.add(c);
    c.on('close', () => conns.delete(c));
  });
  // the previous process's socket at this address (`-x`): adopted as it is (path, mode)
  const fd = handover?.inherited?.take({ host: sock.host ?? '', port: sock.port ?? 0, path: sock.path });
  if (fd !== undefined) {
    await listen(server, sock, () => server.listen({ fd }));
    return server;
  }
  if (sock.kind === 'unix') {
    const path = sock.path;
    if (!path) throw new CliSocketError('stats socket without a path', sock);
    // Under --workers (node:cluster) the primary binds the path once for all workers and
    // prepares it (prepareStatsSocketPaths) before forking; a worker only joins the shared handle.
    if (!cluster.isWorker) await prepareSocketPath(sock);
    await listen(server, sock, () => server.listen(path));
    try {
      chmodSync(path, sock.mode ?? 0o600);
    } catch (e) {
      server.close();
      throw new CliSocketError(`cannot set mode on ${path}: ${(e as Error).message}`, sock);
    }
  } else {
    await listen(server, sock, () => server.listen(sock.port ?? 0, sock.host ?? '127.0.0.1'));
  }
  return server;
}

/** True when something accepts connections on the Unix socket `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    const done = (ok: boolean) => {
      c.destroy();
      resolve(ok);
    };
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
    c.setTimeout(2000, () => done(false));
  });
}

function listen(server: Server, sock: StatsSocketModel, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(new CliSocketError(`cannot bind stats socket: ${e.message}`, sock));
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
    start();
  });
}

/** The descriptor of an open CLI server (for `_getsocks`). */
export function cliSocketFd(server: Server): number | undefined {
  return server.listening ? serverFd(server) : undefined;
}

/**
 * Closes a CLI server, removing its Unix socket file (a cluster worker leaves it to the primary;
 * `keepPath`: after a hand-over the file is the new process's and stays).
 */
export function closeCliSocket(server: Server, sock: StatsSocketModel, keepPath = false): Promise<void> {
  if (keepPath && sock.kind === 'unix') {
    closeKeepingPath(server, sock.path);
    for (const c of OPEN.get(server) ?? []) c.destroy();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const c of OPEN.get(server) ?? []) c.destroy();
    if (sock.kind === 'unix' && sock.path && !cluster.isWorker) {
      try {
        unlinkSync(sock.path);
      } catch {
        // already gone
      }
    }
  });
}
