/**
 * Each server's state over the dashboard's window, as bands: a band starts when the server's
 * state (HAProxy's exporter words: UP, DOWN, MAINT, DRAIN, NOLB) changes and carries why (the
 * check's reason in HAProxy's words, or who set the admin state). Fed by the runtime's
 * 'server-state' events (exact time and reason) and reconciled once a second against the live
 * state (a change that emitted no event still shows, with the last check as its reason).
 */
import { formatCheckReason, type ServerState, type ServerStateEvent } from '@switchyard/proxy';
import { serverStateLabel } from '../metrics/exporter.ts';

/** One band: the state from `from` (epoch ms) until the next band's `from` (or now). */
export interface Band {
  from: number;
  state: string;
  reason: string;
}

/** Bands of one server, oldest first; the last one is the current state. */
export interface ServerTimeline {
  backend: string;
  server: string;
  bands: Band[];
  /** Epoch ms of the last change of `bands` (a client that has everything up to later skips them). */
  changed: number;
}

/** Who changed a state, in the operator's words (ServerStateEvent.origin). */
const ORIGINS: Record<string, string> = {
  check: 'health check',
  agent: 'agent check',
  observe: 'observed traffic errors',
  api: 'runtime API',
  stats: 'stats page',
  shared: 'another node (shared state)',
  config: 'configuration',
  primary: 'the primary process (it runs the checks under --workers)',
};

function checkText(s: ServerState, agent: boolean): string | undefined {
  const r = agent ? s.lastAgentCheck : s.lastCheck;
  return r ? formatCheckReason(r).replace(/^reason: /, '') : undefined;
}

/** Why `ev` changed the server's state, for the band's hover text. */
export function eventReason(ev: ServerStateEvent): string {
  const by = ORIGINS[ev.origin] ?? ev.origin;
  if (ev.fromAdmin !== ev.toAdmin) return `${ev.toAdmin} set by ${by}`;
  if (ev.origin === 'check' || ev.origin === 'agent' || ev.origin === 'primary') {
    const text = checkText(
      ev.server,
      ev.origin === 'agent' || (ev.origin === 'primary' && ev.server.agentDown === true),
    );
    if (text) return `${by}: ${text}`;
  }
  return `${ev.toOp} by ${by}${ev.reason ? ` (${ev.reason})` : ''}`;
}

/** The reason shown for a state found without an event (first sight, reconciliation). */
function observedReason(s: ServerState, first: boolean): string {
  const text = s.checked ? checkText(s, false) : 'not checked';
  const lead = first ? 'state when recording began' : 'state changed';
  return text ? `${lead}; last check: ${text}` : lead;
}

/** Bounded timelines: at most `maxServers` servers, `maxBands` bands each, `windowMs` back. */
export class Timelines {
  private readonly byKey = new Map<string, ServerTimeline>();
  /** Servers left out because of maxServers (shown on the page). */
  omitted = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxServers: number,
    private readonly maxBands: number,
  ) {}

  private push(t: ServerTimeline, band: Band): void {
    const last = t.bands[t.bands.length - 1];
    if (last && last.state === band.state) return;
    t.bands.push(band);
    t.changed = band.from;
    if (t.bands.length > this.maxBands) t.bands.splice(0, t.bands.length - this.maxBands);
  }

  /** A 'server-state' event: a new band now when the state word changed. */
  onEvent(ev: ServerStateEvent, now = Date.now()): void {
    const t = this.byKey.get(`${ev.backend.name}/${ev.server.name}`);
    if (!t) return; // not seen by a tick yet (the next tick records its state)
    this.push(t, { from: now, state: serverStateLabel(ev.server), reason: eventReason(ev) });
  }

  /**
   * Once a second: records servers not seen before, catches changes that emitted no event,
   * drops servers no longer in `present` and bands that ended before the window.
   */
  reconcile(servers: Iterable<ServerState>, now = Date.now()): void {
    const seen = new Set<string>();
    let omitted = 0;
    for (const s of servers) {
      const key = `${s.backendName}/${s.name}`;
      seen.add(key);
      let t = this.byKey.get(key);
      const state = serverStateLabel(s);
      if (!t) {
        if (this.byKey.size >= this.maxServers) {
          omitted++;
          continue;
        }
        t = { backend: s.backendName, server: s.name, bands: [], changed: now };
        this.byKey.set(key, t);
        this.push(t, { from: now, state, reason: observedReason(s, true) });
        continue;
      }
      this.push(t, { from: now, state, reason: observedReason(s, false) });
      // bands wholly before the window go; the one running at its start stays
      const start = now - this.windowMs;
      let drop = 0;
      while (drop + 1 < t.bands.length && t.bands[drop + 1].from <= start) drop++;
      if (drop > 0) {
        t.bands.splice(0, drop);
        t.changed = now;
      }
    }
    for (const key of this.byKey.keys()) if (!seen.has(key)) this.byKey.delete(key);
    this.omitted = omitted;
  }

  /** The timeline of `backend/server`, if recorded. */
  get(backend: string, server: string): ServerTimeline | undefined {
    return this.byKey.get(`${backend}/${server}`);
  }

  get size(): number {
    return this.byKey.size;
  }
}
