/**
 * HAProxy's health counter (check.c, set_server_check_status): one number in 0..rise+fall-1.
 * A server is UP by its checks when health >= rise. A failure decrements it and drops it to 0
 * once below rise (DOWN); a success increments it and jumps to rise+fall-1 once it reaches rise.
 * So an UP server goes DOWN after `fall` consecutive failures, a DOWN one UP after `rise` passes.
 */

/** Health after one check result; `counted` is false when nothing changed (already fully UP/DOWN). */
export function nextHealth(
  health: number,
  rise: number,
  fall: number,
  passed: boolean,
): { health: number; counted: boolean } {
  const top = rise + fall - 1;
  if (passed) {
    if (health >= top) return { health: top, counted: false };
    let h = health + 1;
    if (h >= rise) h = top;
    return { health: h, counted: true };
  }
  if (health <= 0) return { health: 0, counted: false };
  let h = health - 1;
  if (h < rise) h = 0;
  return { health: h, counted: true };
}

/** Interval before the next check (HAProxy's srv_getinter): inter when fully UP, downinter when fully DOWN, else fastinter. */
export function checkInterval(
  health: number,
  rise: number,
  fall: number,
  opDown: boolean,
  t: { inter: number; fastinter?: number; downinter?: number },
): number {
  if (health === rise + fall - 1 && !opDown) return t.inter;
  if (opDown && health === 0) return t.downinter ?? t.inter;
  return t.fastinter ?? t.inter;
}

/** `status: X/Y WORD` of HAProxy's log-health-checks lines. */
export function healthStatusText(health: number, rise: number, fall: number, weight: number): string {
  if (health >= rise) return `${health - rise + 1}/${fall} ${weight > 0 ? 'UP' : 'DRAIN'}`;
  return `${health}/${rise} DOWN`;
}
