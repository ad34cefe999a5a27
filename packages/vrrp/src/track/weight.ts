/**
 * keepalived's tracker weight rules, shared by the runtime trackers and the lint:
 * weight > 0 is added while the tracked thing is OK, weight < 0 is subtracted while it fails,
 * `reverse` swaps OK and failing, weight 0 means "failing puts the instance in FAULT".
 * The effective priority of a non-owner stays within 1..254 (an owner's 255 is never changed).
 */

/** Priority change contributed by one tracker in the given state (0 for weight 0: see fault). */
export function trackerDelta(weight: number, reverse: boolean, ok: boolean): number {
  if (weight === 0) return 0;
  const healthy = reverse ? !ok : ok;
  if (weight > 0) return healthy ? weight : 0;
  return healthy ? 0 : weight;
}

/** True when this tracker, in this state, forces FAULT (`weight 0 reverse`: FAULT while OK). */
export function trackerFaults(weight: number, reverse: boolean, ok: boolean): boolean {
  return weight === 0 && (reverse ? ok : !ok);
}

/** Base priority plus deltas, clamped as keepalived does (255 is the address owner and is kept). */
export function effectivePriority(base: number, deltaSum: number): number {
  if (base === 255) return 255;
  return Math.max(1, Math.min(254, base + deltaSum));
}
