/**
 * The tracker interface the sidecar consumes: one tracked thing (a vrrp_script, an interface, the
 * local proxy) that is OK or failing. `change` fires on every transition with a human reason.
 * Trackers never block the event loop: probes are child processes, async file reads or sockets.
 */
import { EventEmitter } from 'node:events';

/** Events of a tracker. */
export interface TrackerEvents {
  /** OK <-> failing transition (after rise/fall). */
  change: [ok: boolean, reason: string];
}

/** One tracked thing. */
export abstract class Tracker extends EventEmitter<TrackerEvents> {
  /** Current state: true when OK. */
  ok: boolean;
  /** e.g. `script chk_haproxy`, `interface eth0`, `proxy /run/switchyard.sock`. */
  abstract readonly label: string;

  constructor(initialOk: boolean) {
    super();
    this.ok = initialOk;
  }

  /** Starts probing (idempotent). */
  abstract start(): void;
  /** Stops probing and waits for a running probe to end. */
  abstract stop(): Promise<void>;

  /** Sets the state; emits `change` only on a transition. */
  protected set(ok: boolean, reason: string): void {
    if (ok === this.ok) return;
    this.ok = ok;
    this.emit('change', ok, reason);
  }
}

/**
 * keepalived's rise/fall counter (vrrp_script result): OK while result >= rise; a success moves the
 * result to rise+fall-1 once OK, a failure drops it by one until it reaches rise, then to 0 (failed).
 */
export class RiseFall {
  private result: number;

  constructor(
    private readonly rise: number,
    private readonly fall: number,
    initFail: boolean,
  ) {
    this.result = initFail ? rise - 1 : rise;
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
      else this.result = top;
    } else if (this.result > this.rise) this.result--;
    else this.result = 0;
    return this.ok;
  }
}
