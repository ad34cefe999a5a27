/**
 * The weighted server map of HAProxy's lb_map (static-rr and map-based hashing): one slot per
 * unit of weight after dividing the weights by their greatest common divisor, interleaved in
 * smooth weighted order so consecutive slots alternate servers.
 */
import type { ServerState } from '../runtime/server-state.ts';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Slots -> index into `servers`; empty when every weight is 0. */
export function buildWeightMap(servers: ServerState[]): Int32Array {
  let g = 0;
  for (const s of servers) if (s.effectiveWeight > 0) g = gcd(s.effectiveWeight, g);
  if (g === 0) return new Int32Array(0);
  const w = servers.map((s) => Math.max(0, Math.floor(s.effectiveWeight / g)));
  const tot = w.reduce((a, b) => a + b, 0);
  const map = new Int32Array(tot);
  const score = new Float64Array(servers.length);
  for (let o = 0; o < tot; o++) {
    let best = -1;
    for (let i = 0; i < servers.length; i++) {
      if (w[i] === 0) continue;
      score[i] += w[i];
      if (best < 0 || score[i] > score[best]) best = i;
    }
    score[best] -= tot;
    map[o] = best;
  }
  return map;
}
