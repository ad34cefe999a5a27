/**
 * HAProxy's "freq counters" (src/freq_ctr.c): an event rate over a period P, approximated from
 * two buckets, the current period and the previous one. Reading at `elapsed` ms into the current
 * period gives `curr + prev * (P - elapsed) / P` (the previous period's events are assumed to be
 * spread evenly, and the part of it still inside the sliding window is kept), floored as HAProxy
 * does. Periods are aligned on the first event (the period start advances by whole periods).
 *
 * A counter is three float64 slots in a table's slab: [periodStart, curr, prev], so entries cost
 * no object allocation.
 */

/** Adds `n` events at `now` to the counter stored at `a[o..o+2]`. */
export function freqAdd(a: Float64Array, o: number, period: number, now: number, n: number): void {
  const start = a[o];
  const elapsed = now - start;
  if (start === 0 || elapsed >= 2 * period) {
    // first event, or both buckets are stale: start a fresh period aligned on now
    a[o] = now;
    a[o + 1] = n;
    a[o + 2] = 0;
    return;
  }
  if (elapsed >= period) {
    a[o + 2] = a[o + 1];
    a[o + 1] = 0;
    a[o] = start + period;
  } else if (elapsed < 0 && -elapsed >= period) {
    // clock went backwards by more than a period (or a remote snapshot from a skewed clock)
    a[o] = now;
  }
  a[o + 1] += n;
}

/** Reads the rate (events per `period`) of the counter at `a[o..o+2]` at `now`. */
export function freqRead(a: Float64Array, o: number, period: number, now: number): number {
  const start = a[o];
  if (start === 0) return 0;
  let elapsed = now - start;
  let curr = a[o + 1];
  let prev = a[o + 2];
  if (elapsed >= 2 * period) return 0;
  if (elapsed >= period) {
    prev = curr;
    curr = 0;
    elapsed -= period;
  }
  if (elapsed < 0) elapsed = 0;
  return Math.floor((prev * (period - elapsed) + curr * period) / period);
}
