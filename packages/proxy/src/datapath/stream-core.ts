/**
 * What every stream does between its frontend and a server, whatever the protocol: the
 * upstream_peer phase (persistence, balancer, queues), connection slots (`server.cur`, what
 * `shutdown-sessions` ends), and fail_to_connect (retries, redispatch). HAProxy keeps this in
 * stream.c and backend.c for HTTP and TCP alike; here the HTTP stream (stream.ts) and the
 * tcp session (tcp-stream.ts) extend it and add only how they connect, answer and log.
 */

import { rdpCookie } from '../acl/payload-fetches.ts';
import { countSessionStart } from '../model/counters.ts';
import { acceptsPersistent, isUsable, type ServerState } from '../model/server-state.ts';
import type { HttpTxn } from '../model/txn.ts';
import type { BackendPlan, FrontendPlan } from '../runtime/plan.ts';
import type { DatapathContext } from './context.ts';
import { registerStream, unregisterStream } from './live-streams.ts';
import { Phase } from './phase.ts';
import type { Queued } from './queue.ts';

export abstract class StreamCore implements Queued {
  readonly ctx: DatapathContext;
  readonly fe: FrontendPlan;
  /** What fetches, hashes and rules read (for tcp: addresses and the buffered payload). */
  txn!: HttpTxn;
  be?: BackendPlan;
  server?: ServerState;
  /** Timers (epoch ms): stream start, queue entry, connect start; durations tw/tc/tr in ms. */
  readonly start: number;
  tQueue = -1;
  tConnect = -1;
  tw = -1;
  tc = -1;
  tr = -1;
  status = 0;
  termState = '----';
  retries = 0;
  redispatched = false;
  phase: Phase = Phase.Request;
  done = false;
  /** This stream holds one of its server's connection slots (server.cur). */
  holdsSlot = false;
  /** Position in its server's list of attached streams (-1: none). */
  slotIndex = -1;
  /** Position in the list of streams in progress (live-streams.ts; -1: ended). */
  liveIndex = -1;
  /** HAProxy's uniq_id (`show sess`). */
  readonly id: number;
  protected queueTimer?: NodeJS.Timeout;
  protected retryTimer?: NodeJS.Timeout;
  /** The server came from `use-server` or persistence, not the balancer (HAProxy's SF_DIRECT). */
  private direct = false;

  constructor(ctx: DatapathContext, fe: FrontendPlan) {
    this.ctx = ctx;
    this.fe = fe;
    this.start = Date.now();
    this.id = registerStream(this);
  }

  /** Opens the server side on `server` (its slot is taken). */
  protected abstract connect(server: ServerState): void;
  /** No server can take the stream (`SC`: none usable, `sQ`: queue timeout). */
  protected abstract noServer(term: 'SC' | 'sQ'): void;
  /** Ended by its server's state change (`D`: marked down, `U`: an active server came up) or the runtime API (`K`). */
  abstract kill(code: KillCode): void;
  /** Whether request bytes already went to a server (then a retry would replay them). */
  protected abstract sentToServer(): boolean;

  /** Chooses the server (persistence first, then the balancer), or queues, or gives up. */
  /**
   * The frontend's switching rules (HAProxy process_switching_rules): the first `use_backend`
   * whose condition holds; a dynamic name that names no backend stops there and the
   * `default_backend` is used, as HAProxy does.
   */
  protected switchBackend(): BackendPlan | undefined {
    const ub = this.fe.useBackends;
    for (let i = 0; i < ub.length; i++) {
      const u = ub[i];
      if (u.cond !== undefined && !u.cond(this.txn)) continue;
      return (u.dynamic ? u.dynamic(this.txn) : u.backend) ?? this.fe.defaultBackend;
    }
    return this.fe.defaultBackend;
  }

  protected upstreamPeer(): void {
    const be = this.be as BackendPlan;
    const hooks = this.ctx.hooks;
    // `use-server`: before persistence; a server that cannot take traffic skips its rule
    // unless `option persist` (HAProxy)
    const us = be.useServers;
    for (let i = 0; i < us.length; i++) {
      const u = us[i];
      if ((u.cond === undefined || u.cond(this.txn)) && (isUsable(u.server) || be.model.options.persist)) {
        this.direct = true;
        this.assign(u.server);
        return;
      }
    }
    // `persist rdp-cookie`: after use-server, before stick rules and cookies (HAProxy's analyzers)
    const rdp = be.model.persistRdpCookie;
    const payload = this.txn.payload;
    if (rdp !== undefined && payload) {
      const s = rdpPersistServer(be, payload, rdp);
      if (s) {
        this.direct = true;
        this.assign(s);
        return;
      }
    }
    let server = hooks.persistentServer?.(this.txn, be);
    this.direct = server !== undefined;
    if (!server) {
      server = be.selector.pick(this.txn) ?? undefined;
      if (server) {
        be.counters.lbtot++;
        server.counters.lbtot++;
      }
    }
    if (!server) {
      if (anyUsable(be)) {
        this.enqueue(undefined);
        return;
      }
      this.noServer('SC');
      return;
    }
    hooks.serverChosen?.(this.txn, be, server);
    this.assign(server);
  }

  /** Connects to `server`, or waits in its queue when it is at its `maxconn`. */
  protected assign(server: ServerState): void {
    if (server.maxconn && server.cur >= server.maxconn) {
      this.enqueue(server);
      return;
    }
    this.takeSlot(server);
    this.connect(server);
  }

  private enqueue(server: ServerState | undefined): void {
    const be = this.be as BackendPlan;
    this.phase = Phase.Queue;
    this.tQueue = Date.now();
    this.server = server;
    if (server) this.ctx.queues.onServer(this, server, be);
    else this.ctx.queues.onBackend(this, be);
    const t = be.timeouts.queue ?? be.timeouts.connect;
    if (t) this.queueTimer = setTimeout(this.onQueueTimeout, t);
  }

  private readonly onQueueTimeout = (): void => {
    const be = this.be as BackendPlan;
    if (!this.ctx.queues.remove(this, this.server, be)) return;
    this.tw = Date.now() - this.tQueue;
    this.noServer('sQ');
  };

  /** Queued: a slot of `server` is ours now. */
  dequeued(server: ServerState): void {
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    this.tw = Date.now() - this.tQueue;
    if (this.done) {
      // ended meanwhile (client gone, timeout): the slot goes to the next waiting stream
      this.ctx.queues.release(server, this.be as BackendPlan);
      return;
    }
    this.takeSlot(server);
    this.connect(server);
  }

  private takeSlot(server: ServerState): void {
    if (this.tw < 0) this.tw = 0;
    this.server = server;
    if (this.holdsSlot) return;
    this.holdsSlot = true;
    attach(server, this);
    server.cur++;
    countSessionStart(server.counters, Date.now());
    server.counters.reqTot++;
  }

  /**
   * A retry: fail_to_connect after a failed connection (`retry-on conn-failure`, the default),
   * or HAProxy's do_l7_retry when `l7` (another `retry-on` event; the caller checked it is
   * configured and the request can be replayed). On the same server, or another when `option
   * redispatch` allows; false when out of retries. `delayMs` is HAProxy's pause after a refused
   * connection. Counted as haproxy 2.6 does: a retry on the same server is a `wretr`, one on
   * another server a `wredis`, and an L7 retry one `wretr` more.
   */
  protected retry(delayMs: number, l7 = false): boolean {
    const be = this.be as BackendPlan;
    if (this.retries >= be.retries) return false;
    if (!l7 && (!be.retryOn.has('conn-failure') || this.sentToServer())) return false;
    this.retries++;
    const failed = this.server as ServerState;
    if (l7) {
      be.counters.wretr++;
      failed.counters.wretr++;
    }
    this.releaseSlot();
    const rd = be.redispatch;
    // As HAProxy 2.6 (stream_choose_redispatch): with `option redispatch`, a retry goes to
    // another server when the failed one is not running, when the retry count says so (-1, the
    // default: the last retry; N: every Nth), or at once when the server was not chosen by
    // persistence, the algorithm is not a hash and another active server exists.
    const algo = be.model.balance.algo;
    const hashed =
      algo === 'source' ||
      algo === 'uri' ||
      algo === 'url_param' ||
      algo === 'hdr' ||
      algo === 'hash' ||
      algo === 'rdp-cookie' ||
      algo === 'random';
    const active = activeServers(be);
    const redispatchNow =
      rd !== undefined &&
      (failed.op !== 'UP' ||
        (rd < 0 ? this.retries === be.retries : this.retries % rd === 0) ||
        (!this.direct && active > 1 && !hashed));
    let next: ServerState | undefined = failed;
    if (redispatchNow) {
      // a map-based hash has no server to avoid (HAProxy's map_get_server_hash): it may well
      // give the failed server again; the other algorithms look elsewhere
      const mapHash = hashed && algo !== 'random' && be.model.hashType.method !== 'consistent';
      const other = be.selector.pick(this.txn, mapHash ? undefined : failed);
      if (other && other !== failed) {
        next = other;
        this.redispatched = true;
        this.direct = false;
        be.counters.wredis++;
        failed.counters.wredis++;
      }
    } else if (!isUsable(failed) && failed.admin === 'MAINT') next = undefined;
    if (next === failed) {
      be.counters.wretr++;
      failed.counters.wretr++;
    }
    // a retry on another server goes at once (haproxy 2.6.12 measured: roundrobin, first and
    // leastconn alike); the pause is for retrying the same server
    if (next !== failed) delayMs = 0;
    if (!next) return false;
    if (delayMs <= 0) this.assign(next);
    else {
      const server = next;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (!this.done) this.assign(server);
      }, delayMs);
    }
    return true;
  }

  /** Gives the server slot back (and with it, maybe, a queued stream its turn). */
  protected releaseSlot(): void {
    if (!this.holdsSlot) return;
    this.holdsSlot = false;
    const server = this.server as ServerState;
    detach(server, this);
    server.cur--;
    server.counters.scur--;
    this.ctx.queues.release(server, this.be as BackendPlan);
  }

  /** Marks the stream done and stops its timers and queue wait; false when it already was. */
  protected markDone(): boolean {
    if (this.done) return false;
    this.done = true;
    unregisterStream(this);
    if (this.queueTimer) clearTimeout(this.queueTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.phase === Phase.Queue && this.be) this.ctx.queues.remove(this, this.server, this.be);
    return true;
  }
}

/**
 * Streams holding a connection slot of each server (what `shutdown-sessions` ends), as an array
 * with swap-remove. A long-lived Set with an add and a delete per request measured far worse
 * here: scavenges 0.9 -> 4.8 ms and 25x more mark-compacts under load (p99 about 3x), for a
 * reason inside V8 not pinned down; the array shows none of it.
 */
const attached = new WeakMap<ServerState, StreamCore[]>();

/** Why a stream is ended from outside: `D` server marked down, `U` active server up (backup streams), `K` killed (runtime API). */
export type KillCode = 'D' | 'U' | 'K';

function attach(server: ServerState, st: StreamCore): void {
  let list = attached.get(server);
  if (!list) {
    list = [];
    attached.set(server, list);
  }
  st.slotIndex = list.length;
  list.push(st);
}

function detach(server: ServerState, st: StreamCore): void {
  const list = attached.get(server);
  const i = st.slotIndex;
  st.slotIndex = -1;
  if (!list || i < 0 || list[i] !== st) return;
  const last = list.pop() as StreamCore;
  if (last !== st) {
    list[i] = last;
    last.slotIndex = i;
  }
}

/** Ends every stream attached to `server` (see StreamCore.kill); returns how many. */
export function killServerStreams(server: ServerState, code: KillCode): number {
  const list = attached.get(server);
  if (!list || list.length === 0) return 0;
  const all = list.slice();
  for (const st of all) st.kill(code);
  return all.length;
}

/** Usable non-backup servers (HAProxy's srv_act). */
function activeServers(be: BackendPlan): number {
  let n = 0;
  const s = be.servers;
  for (let i = 0; i < s.length; i++) if (!s[i].backup && isUsable(s[i])) n++;
  return n;
}

function anyUsable(be: BackendPlan): boolean {
  const s = be.servers;
  for (let i = 0; i < s.length; i++) if (isUsable(s[i])) return true;
  return false;
}

/**
 * The server a `persist rdp-cookie` cookie names: its value is `ADDR.PORT.` where ADDR is the
 * IPv4 address's four bytes read as a little-endian integer and PORT the port with its two bytes
 * swapped (the Windows RDP broker's encoding, compared as HAProxy's tcp_persist_rdp_cookie does
 * on x86). A server that is down or in maintenance is taken only with `option persist`.
 */
function rdpPersistServer(be: BackendPlan, payload: Buffer, name: string): ServerState | undefined {
  const v = rdpCookie(payload, name);
  if (v === undefined || v === 'more') return undefined;
  const m = /^(\d+)\.(\d+)\./.exec(v);
  if (!m) return undefined;
  const addr = Number(m[1]) >>> 0;
  const raw = Number(m[2]) & 0xffff;
  const port = ((raw & 0xff) << 8) | (raw >> 8);
  const ip = `${addr & 0xff}.${(addr >>> 8) & 0xff}.${(addr >>> 16) & 0xff}.${addr >>> 24}`;
  for (const s of be.servers)
    if (s.host === ip && s.port === port && (acceptsPersistent(s) || be.model.options.persist)) return s;
  return undefined;
}
