/**
 * The tracker interface the sidecar consumes: one tracked thing (a vrrp_script, an interface, the
 * local proxy) that is OK or failing. `change` fires on every transition with a human reason.
 * Like keepalived, a script-like tracker starts *pending* (INIT): its state is unknown until its
 * first results decide it, and the instance waits for that before taking part in elections.
 * Trackers never block the event loop: probes are child processes, async file reads or sockets.
 */
import { EventEmitter } from 'node:events';

/** Events of a tracker. */
export interface TrackerEvents {
  /** OK <-> failing transition (after rise/fall), or the first decision of a pending tracker. */
  change: [ok: boolean, reason: string];
}

/** One tracked thing. */
export abstract class Tracker extends EventEmitter<TrackerEvents> {
  /** Current state: true when OK (false while pending). */
  ok: boolean;
  /** True until the first results decide the state. */
  pending: boolean;
  /** e.g. `script chk_haproxy`, `interface eth0`, `proxy /run/switchyard.sock`. */
  abstract readonly label: string;

  constructor(initialOk: boolean, pending = false) {
    super();
    this.ok = initialOk;
    this.pending = pending;
  }

  /** Starts probing (idempotent). */
  abstract start(): void;
  /** Stops probing and waits for a running probe to end. */
  abstract stop(): Promise<void>;

  /** Resolves once the tracker is no longer pending. */
  settled(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve) => {
      const on = () => {
        if (this.pending) return;
        this.off('change', on);
        resolve();
      };
      this.on('change', on);
    });
  }

  /** Sets the state; emits `change` on a transition or when a pending tracker is decided. */
  protected set(ok: boolean, reason: string, pending = false): void {
    const decided = this.pending && !pending;
    this.pending = pending;
    if (ok === this.ok && !decided) return;
    this.ok = ok;
    this.emit('change', ok, reason);
  }
}

/**
 * A tracker that probes on a timer: one probe at a time, the next one `intervalMs` after the last
 * ended, and stop() waits for a probe under way. Subclasses implement probe() (never rejects) and
 * check `stopped` after their awaits.
 */
export abstract class PollingTracker extends Tracker {
  /** True before start() and after stop(). */
  protected stopped = true;
  private loop: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  /** Delay between the end of one probe and the start of the next. */
  protected abstract get intervalMs(): number;
  /** One probe and its effect on the state. */
  protected abstract probe(): Promise<void>;

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.loop);
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.probe().finally(() => {
      this.running = undefined;
      if (!this.stopped) this.loop = setTimeout(() => this.tick(), this.intervalMs);
    });
  }
}

/**
 * keepalived's rise/fall counter (vrrp_script `result`, keepalived/vrrp/vrrp_scheduler.c): OK while
 * result >= rise. It starts at 0 in the INIT state: `rise` successes make it OK, one failure makes
 * it failed (`init_fail`: failed from the start). Afterwards a success moves the result to
 * rise+fall-1 once it reaches rise-1, and a failure drops it by one until it reaches rise, then to 0.
 */
export class RiseFall {
  private result = 0;
  /** True until the INIT state is decided. */
  pending: boolean;

  constructor(
    private readonly rise: number,
    private readonly fall: number,
    initFail: boolean,
  ) {
    this.pending = !initFail;
  }

  /** True when the counter says OK. */
  get ok(): boolean {
    return this.result >= this.rise;
  }

  /** Feeds one probe result; returns the new OK state. */
  record(success: boolean): boolean {
    const top = this.rise + this.fall - 1;
    if (success) {
      if (this.result < this.rise - 1) this.result++;
      else {
        this.result = top;
        this.pending = false;
      }
    } else if (this.result > this.rise) this.result--;
    else {
      this.result = 0;
      this.pending = false;
    }
    return this.ok;
  }
}

/** A tracker whose weight rule is its own (track_file's number, track_process's quorum). */
export interface WeightedTracker {
  effect(weight: number, reverse: boolean): { delta: number; fault: boolean } | undefined;
}

/** True for trackers that compute their own contribution. */
export function isWeighted(t: Tracker): t is Tracker & WeightedTracker {
  return typeof (t as Partial<WeightedTracker>).effect === 'function';
}
