/**
 * What every algorithm implements: a balancer over one group of servers (the usable active
 * servers, or the backups in use), rebuilt by the Selector when the usable set or weights change.
 */
import { isUsable, type ServerState } from '../model/server-state.ts';
import type { HttpTxn } from '../model/txn.ts';

export interface LbGroup {
  /** Takes the servers of the group (usable when built; re-checked at pick time). */
  build(servers: ServerState[]): void;
  /** A server for this request, or null when the group has no usable server. */
  pick(txn: HttpTxn, exclude: ServerState | undefined): ServerState | null;
}

/** A server has no free connection slot: at its maxconn, or requests already wait in its queue. */
export function isFull(s: ServerState): boolean {
  return s.maxconn !== undefined && s.maxconn > 0 && (s.queued > 0 || s.cur >= s.maxconn);
}

/**
 * Skip levels for the three passes non-hash algorithms make: first a usable, non-excluded server
 * with a free slot; else a usable non-excluded one even if full (the caller queues on it); else
 * the excluded one when it is the only usable server.
 */
export const PASS_FREE = 0;
export const PASS_FULL_OK = 1;
export const PASS_EXCLUDED_OK = 2;

/** Whether `s` is a candidate at pass level `pass`. */
export function candidate(s: ServerState, exclude: ServerState | undefined, pass: number): boolean {
  if (!isUsable(s)) return false;
  if (s === exclude && pass < PASS_EXCLUDED_OK) return false;
  if (pass === PASS_FREE && isFull(s)) return false;
  return true;
}

/** Runs `choose(pass)` for each pass until it finds a server index; -1 when none. */
export function threePasses(choose: (pass: number) => number, exclude: ServerState | undefined): number {
  let i = choose(PASS_FREE);
  if (i < 0) i = choose(PASS_FULL_OK);
  if (i < 0 && exclude) i = choose(PASS_EXCLUDED_OK);
  return i;
}

/** A server's effective weight as a whole number (maps and rings need integers; > 0 stays >= 1). */
export function unitWeight(s: ServerState): number {
  const w = s.effectiveWeight;
  return w > 0 ? Math.max(1, Math.round(w)) : 0;
}
