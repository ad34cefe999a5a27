/**
 * Every stream in progress in this process, for the runtime API's `show sess` and `shutdown
 * session ID` (HAProxy's streams list). An array with swap-remove, as the per-server lists of
 * stream-core.ts (a Set with an add and a delete per request measured far worse for the GC).
 * A stream's id is HAProxy's `uniq_id` (one counter per process, from 0); its "pointer" is a
 * stable pseudo-address derived from the id, printed and accepted as HAProxy's `0x...`.
 */
import type { StreamCore } from './stream-core.ts';

const live: StreamCore[] = [];
let nextId = 0;

/** Base of the pseudo-addresses (a user-space-looking address, as HAProxy prints). */
const BASE = 0x7f3a00000000;
/** Distance between two streams' addresses (HAProxy's struct stream is about 1 kB). */
const STRIDE = 0x400;

/** Registers a new stream; returns its id. */
export function registerStream(st: StreamCore): number {
  st.liveIndex = live.length;
  live.push(st);
  return nextId++;
}

/** Removes an ended stream. */
export function unregisterStream(st: StreamCore): void {
  const i = st.liveIndex;
  st.liveIndex = -1;
  if (i < 0 || live[i] !== st) return;
  const last = live.pop() as StreamCore;
  if (last !== st) {
    live[i] = last;
    last.liveIndex = i;
  }
}

/** The streams in progress, oldest first (a copy). */
export function liveStreams(): StreamCore[] {
  return live.slice().sort((a, b) => a.id - b.id);
}

/** The pseudo-address `show sess` prints for a stream. */
export function streamPointer(st: StreamCore): string {
  return `0x${(BASE + (st.id % 0x3ffffff) * STRIDE).toString(16)}`;
}

/** The stream a `show sess`/`shutdown session` address names, or undefined. */
export function findStream(ptr: number): StreamCore | undefined {
  if (ptr < BASE || (ptr - BASE) % STRIDE !== 0) return undefined;
  return live.find((st) => BASE + (st.id % 0x3ffffff) * STRIDE === ptr);
}
