/**
 * Rate-limited logging of dropped packets: the first drop for a reason is logged at once, then at
 * most one line per interval per reason, carrying how many were suppressed meanwhile. A flood of
 * bad packets cannot flood the log.
 */
export class DropLog {
  private last = new Map<string, { at: number; suppressed: number }>();
  /** Drops counted per reason code since start (for tests and stats). */
  readonly counts = new Map<string, number>();

  constructor(
    private readonly log: (msg: string) => void,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records a drop; logs `message` unless this reason was logged less than an interval ago. */
  drop(code: string, message: string, outcome = 'packet dropped'): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
    const t = this.now();
    const e = this.last.get(code);
    if (e && t - e.at < this.intervalMs) {
      e.suppressed++;
      return;
    }
    const more = e && e.suppressed > 0 ? ` (${e.suppressed} more since last report)` : '';
    this.last.set(code, { at: t, suppressed: 0 });
    this.log(`${message} - ${outcome} [${code}]${more}`);
  }
}
