/**
 * @switchyard/unixsock: unix datagram sockets (Node has none), through the small N-API addon in
 * packages/unixsock/native. Used to send log lines to a syslog daemon's socket (`log /dev/log`,
 * `log unix@PATH`) the way HAProxy does: one non-blocking send per line, a full queue drops it.
 * Also passes listening sockets between processes (SCM_RIGHTS) as HAProxy's `_getsocks` does,
 * for `-x` and `expose-fd listeners` (hitless restarts).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

interface Addon {
  open(): number;
  sendTo(fd: number, path: string, data: Buffer): number;
  bind(fd: number, path: string): number;
  recv(fd: number, into: Buffer): number;
  close(fd: number): number;
  sendSocks(connFd: number, fds: number[]): number;
  getSocks(path: string, timeoutMs: number): number[];
  sockInfo(fd: number): SocketInfo | number;
}

/** What a socket descriptor is bound to (getsockname), to match it to a `bind` line. */
export interface SocketInfo {
  family: 'inet' | 'inet6' | 'unix' | 'other';
  address?: string;
  port?: number;
  path?: string;
  /** IPV6_V6ONLY on an inet6 socket. */
  v6only?: boolean;
  /** SOCK_STREAM. */
  stream: boolean;
  /** listen() was called on it (SO_ACCEPTCONN). */
  listening: boolean;
}

/** Path of the built addon. */
export const ADDON_PATH = fileURLToPath(new URL('../native/build/Release/unixsock.node', import.meta.url));

/** Raised when the addon is missing or fails to load; `code` is stable. */
export class UnixSockUnavailableError extends Error {
  readonly code = 'UNIXSOCK_NATIVE_MISSING';
}

let addon: Addon | undefined;

/** Why unix datagram sockets cannot be used here, or undefined when they can. */
export function unixSockMissing(): string | undefined {
  try {
    load();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function load(): Addon {
  if (addon) return addon;
  if (!existsSync(ADDON_PATH)) {
    throw new UnixSockUnavailableError(
      `unixsock addon not built (${ADDON_PATH} missing): run \`npm run build:native -w @switchyard/unixsock\` (needs make, a C compiler and python3)`,
    );
  }
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (e) {
    throw new UnixSockUnavailableError(`unixsock addon failed to load: ${(e as Error).message}`);
  }
  return addon;
}

/** `ENOENT`-style name of a positive errno. */
export function errnoName(errno: number): string {
  for (const [name, n] of Object.entries(constants.errno)) if (n === errno) return name;
  return `errno ${errno}`;
}

/** An unbound datagram socket that sends to any unix socket path. */
export class UnixDgramSender {
  private fd: number;
  private readonly a: Addon;

  constructor() {
    this.a = load();
    const fd = this.a.open();
    if (fd < 0) throw new Error(`unix datagram socket: ${errnoName(-fd)}`);
    this.fd = fd;
  }

  /** Sends one datagram; returns 0 or the errno (EAGAIN: the receiver is full, the line is dropped). */
  send(path: string, data: Buffer): number {
    if (this.fd < 0) return 9; // EBADF
    return this.a.sendTo(this.fd, path, data);
  }

  close(): void {
    if (this.fd >= 0) this.a.close(this.fd);
    this.fd = -1;
  }
}

/** A bound datagram socket polled for what arrives (tests and tools playing the syslog daemon). */
export class UnixDgramReceiver {
  private fd: number;
  private readonly a: Addon;
  private readonly buf = Buffer.allocUnsafe(65536);

  constructor(readonly path: string) {
    this.a = load();
    const fd = this.a.open();
    if (fd < 0) throw new Error(`unix datagram socket: ${errnoName(-fd)}`);
    const e = this.a.bind(fd, path);
    if (e !== 0) {
      this.a.close(fd);
      throw new Error(`bind ${path}: ${errnoName(e)}`);
    }
    this.fd = fd;
  }

  /** Every datagram queued now (copies). */
  drain(): Buffer[] {
    const out: Buffer[] = [];
    for (;;) {
      const n = this.a.recv(this.fd, this.buf);
      if (n < 0) break;
      out.push(Buffer.from(this.buf.subarray(0, n)));
    }
    return out;
  }

  close(): void {
    if (this.fd >= 0) this.a.close(this.fd);
    this.fd = -1;
  }
}

/**
 * The old process's side of `_getsocks`: sends `fds` over the connected unix stream socket
 * `connFd` in HAProxy 2.6's format. Blocks for the exchange (at most about 1 s per batch of 253,
 * as HAProxy). Returns 0 or the errno.
 */
export function sendListeningSockets(connFd: number, fds: number[]): number {
  return load().sendSocks(connFd, fds);
}

/**
 * The new process's side (`-x PATH`): asks the process answering on the unix socket `path` for
 * its listening sockets; returns the received descriptors (close-on-exec). Throws an Error saying
 * why (connect refused, no `expose-fd listeners` on that socket, timeout).
 */
export function fetchListeningSockets(path: string, timeoutMs = 1000): number[] {
  return load().getSocks(path, timeoutMs);
}

/** getsockname() and a few options of `fd`; throws when it is not a socket. */
export function socketInfo(fd: number): SocketInfo {
  const r = load().sockInfo(fd);
  if (typeof r === 'number') throw new Error(`fd ${fd}: ${errnoName(-r)}`);
  return r;
}

/** close(2) on a descriptor nothing in Node owns (a received socket left unused). */
export function closeFd(fd: number): void {
  load().close(fd);
}
