/**
 * Listening sockets this process did not bind itself: those fetched from the previous process
 * (`-x SOCKET`, HAProxy's `_getsocks`) or handed down by a master, matched to `bind` lines by
 * address as HAProxy's sock_find_compatible_fd does (family, address, port, v6only; a unix
 * socket by its path), and `bind fd@N`. What no bind takes is closed once the process serves.
 */
import { linkSync, renameSync, unlinkSync } from 'node:fs';
import { isIP, type Server } from 'node:net';
import type { SocketInfo } from '@switchyard/unixsock';

/** A received socket as getsockname() describes it (packages/unixsock socketInfo). */
export interface InheritedSocket extends SocketInfo {
  fd: number;
}

/** The address a socket is bound to, in one canonical string, or undefined when it cannot match. */
function socketKey(s: InheritedSocket): string | undefined {
  if (!s.stream || !s.listening) return undefined;
  // haproxy binds a unix socket as PATH.PID.tmp and renames it (its uxst_addr_cmp ignores the suffix)
  if (s.family === 'unix') return s.path ? `unix:${s.path.replace(/\.\d+\.(tmp|bak)$/, '')}` : undefined;
  if (s.family === 'inet') return `inet:${s.address}:${s.port}`;
  if (s.family === 'inet6') return `inet6:${canonicalV6(s.address ?? '')}:${s.port}:${s.v6only === true}`;
  return undefined;
}

/** RFC 5952 form (what inet_ntop prints), so `0:0::1` and `::1` match. */
function canonicalV6(a: string): string {
  try {
    return new URL(`http://[${a}]/`).hostname.slice(1, -1);
  } catch {
    return a;
  }
}

/**
 * The key a listener on `host:port` (or `path`) would have: `''`/`*` is 0.0.0.0 as the listener
 * binds it; a host name never matches (it is bound, as before).
 */
export function wantedKey(a: { host: string; port: number; path?: string; v6only?: boolean }): string | undefined {
  if (a.path) return `unix:${a.path}`;
  const host = a.host === '' || a.host === '*' ? '0.0.0.0' : a.host;
  const ip = isIP(host);
  if (ip === 4) return `inet:${host}:${a.port}`;
  if (ip === 6) return `inet6:${canonicalV6(host)}:${a.port}:${a.v6only === true}`;
  return undefined;
}

/** The sockets received at start, each taken at most once. */
export class InheritedSockets {
  private readonly free = new Map<string, number[]>();
  private readonly others: number[] = [];

  constructor(
    sockets: InheritedSocket[],
    private readonly closeFd: (fd: number) => void,
  ) {
    for (const s of sockets) {
      const k = socketKey(s);
      if (k === undefined) this.others.push(s.fd);
      else {
        const list = this.free.get(k) ?? [];
        list.push(s.fd);
        this.free.set(k, list);
      }
    }
  }

  /** How many are not taken yet. */
  get remaining(): number {
    let n = this.others.length;
    for (const l of this.free.values()) n += l.length;
    return n;
  }

  /** The descriptor of a received socket bound where `a` would bind, removed from the pool. */
  take(a: { host: string; port: number; path?: string; v6only?: boolean }): number | undefined {
    const k = wantedKey(a);
    if (k === undefined) return undefined;
    const list = this.free.get(k);
    const fd = list?.shift();
    if (list && list.length === 0) this.free.delete(k);
    return fd;
  }

  /** Closes what no bind took (HAProxy does the same once its listeners are up). */
  closeRest(): number {
    let n = 0;
    for (const fd of [...this.others, ...[...this.free.values()].flat()]) {
      this.closeFd(fd);
      n++;
    }
    this.others.length = 0;
    this.free.clear();
    return n;
  }
}

/** The descriptor of a listening net.Server (Node keeps it on its handle), or undefined. */
export function serverFd(s: Server): number | undefined {
  const fd = (s as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Closes a listening server without removing its unix socket file. libuv unlinks the path of a
 * pipe it bound when the handle closes; after a hand-over the path belongs to the new process
 * (same socket, or its own), so it is kept: linked aside, closed, put back.
 */
export function closeKeepingPath(s: Server, path: string | undefined): void {
  if (!s.listening) return;
  if (!path) {
    s.close(() => {});
    return;
  }
  const aside = `${path}.${process.pid}.keep`;
  let linked = false;
  try {
    linkSync(path, aside);
    linked = true;
  } catch {
    // nothing at the path any more (or not ours to link): closing removes nothing that matters
  }
  s.close(() => {});
  if (!linked) return;
  try {
    renameSync(aside, path);
  } catch {
    try {
      unlinkSync(aside);
    } catch {
      // already gone
    }
  }
}
