/**
 * track_proxy: the local proxy (Switchyard or HAProxy) is healthy when every tracked FRONTEND row of
 * `show stat` is OPEN and at least one server of the tracked backends is UP (or `no check`, which
 * HAProxy serves as up). Polled every `interval` over the runtime socket; rise/fall as scripts.
 */
import type { TrackProxy } from '../conf/model.ts';
import { parseShowStat, runtimeCommand, type StatRow } from './stat-socket.ts';
import { PollingTracker, RiseFall } from './tracker.ts';

/** Verdict on one `show stat` dump. */
export function judgeStat(rows: StatRow[], frontends: string[], backends: string[]): { ok: boolean; why: string } {
  const fe = rows.filter((r) => r.svname === 'FRONTEND' && (frontends.length === 0 || frontends.includes(r.pxname)));
  if (fe.length === 0) {
    return { ok: false, why: frontends.length ? `frontend ${frontends.join(', ')} not found` : 'no frontend' };
  }
  for (const want of frontends) {
    if (!fe.some((r) => r.pxname === want)) return { ok: false, why: `frontend ${want} not found` };
  }
  const closed = fe.find((r) => r.status !== 'OPEN');
  if (closed) return { ok: false, why: `frontend ${closed.pxname} is ${closed.status || 'not OPEN'}` };
  // type: 0 frontend, 1 backend, 2 server, 3 listener (HAProxy management guide, 9.1).
  const isServer = (r: StatRow) => (r.type ? r.type === '2' : r.svname !== 'FRONTEND' && r.svname !== 'BACKEND');
  const servers = rows.filter((r) => isServer(r) && (backends.length === 0 || backends.includes(r.pxname)));
  for (const want of backends) {
    if (!rows.some((r) => r.pxname === want && r.svname === 'BACKEND')) {
      return { ok: false, why: `backend ${want} not found` };
    }
  }
  const up = servers.find((r) => /^UP\b/.test(r.status) || r.status === 'no check');
  if (!up) {
    const scope = backends.length ? `backend ${backends.join(', ')}` : 'any backend';
    return { ok: false, why: `no server UP in ${scope}` };
  }
  return { ok: true, why: `${fe.length} frontend(s) OPEN, server ${up.pxname}/${up.svname} ${up.status}` };
}

/** Tracker for the local proxy through its runtime API. */
export class ProxyTracker extends PollingTracker {
  readonly label: string;
  private readonly counter: RiseFall;
  private lastWhy = '';
  private readonly log: (msg: string) => void;

  constructor(
    readonly conf: TrackProxy & { socket: string },
    opts: { log?: (msg: string) => void } = {},
  ) {
    super(false, true);
    this.label = `proxy ${conf.socket}`;
    this.counter = new RiseFall(conf.rise, conf.fall, false);
    this.log = opts.log ?? (() => {});
  }

  /** One poll: the verdict, never throws. */
  async check(): Promise<{ ok: boolean; why: string }> {
    try {
      const text = await runtimeCommand(this.conf.socket, 'show stat', this.conf.timeout * 1000);
      const rows = parseShowStat(text);
      if (typeof rows === 'string') return { ok: false, why: rows };
      return judgeStat(rows, this.conf.frontends, this.conf.backends);
    } catch (e) {
      return { ok: false, why: (e as Error).message };
    }
  }

  protected get intervalMs(): number {
    return this.conf.interval * 1000;
  }

  protected async probe(): Promise<void> {
    const r = await this.check();
    if (this.stopped) return;
    const was = this.ok;
    const wasPending = this.pending;
    const ok = this.counter.record(r.ok);
    const decided = wasPending && !this.counter.pending;
    if (ok !== was || decided || (!ok && r.why !== this.lastWhy)) {
      this.log(`track_proxy ${this.conf.socket}: ${ok ? 'healthy' : 'unhealthy'} (${r.why})`);
    }
    this.lastWhy = r.why;
    this.set(ok, `${this.label} ${ok ? 'healthy' : 'unhealthy'}: ${r.why}`, this.counter.pending);
  }
}
