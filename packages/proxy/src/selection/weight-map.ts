/**
 * The weighted server map of HAProxy's lb_map (static-rr and map-based hashing), built exactly
 * as recalc_server_map() does so that `map[hash % total]` lands on the same server as in HAProxy:
 * weights are divided by their greatest common divisor, then each slot goes to the server whose
 * running score `(score + tot) / tot` (integer) is highest, the first declared winning ties.
 */
import type { ServerState } from '../model/server-state.ts';
import { unitWeight } from './group.ts';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Slots -> index into `servers` (configuration order); empty when every weight is 0. */
export function buildWeightMap(servers: ServerState[]): Int32Array {
  const units = servers.map(unitWeight);
  let g = 0;
  for (const u of units) if (u > 0) g = gcd(u, g);
  if (g === 0) return new Int32Array(0);
  const w = units.map((u) => u / g);
  const tot = w.reduce((a, b) => a + b, 0);
  const map = new Int32Array(tot);
  const score = new Float64Array(servers.length);
  for (let o = 0; o < tot; o++) {
    let best = -1;
    let max = 0;
    for (let i = 0; i < servers.length; i++) {
      if (w[i] === 0) continue;
      if (tot === 1) {
        best = i;
        break;
      }
      score[i] += w[i];
      const v = Math.trunc((score[i] + tot) / tot);
      if (best < 0 || v > max) {
        max = v;
        best = i;
      }
    }
    map[o] = best;
    score[best] -= tot;
  }
  return map;
}
