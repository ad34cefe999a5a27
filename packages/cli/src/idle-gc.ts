/**
 * Gives memory back after a burst. V8 collects the old generation when allocation asks for room;
 * a proxy that goes quiet after a burst (10k clients that connected, asked once and now idle)
 * allocates nothing more, so the burst's garbage stays resident for as long as it is idle (it did
 * for 30 s and more here: 175 MiB instead of 134 MiB with 9,900 idle connections).
 *
 * Once a second this looks at the request counters: when no request arrived during the last
 * second and the JS heap grew by at least `minGrowth` since its lowest point after the last full
 * collection, it runs one full collection (45-60 ms for that heap, while no request waits). V8
 * then gives the freed pages back within about 20 s (its own memory reducer, which without this
 * collection did not run within 30 s). Busy or steady processes never trigger it.
 * SWITCHYARD_IDLE_GC=0 turns it off.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleGcOptions {
  /** Heap growth (bytes) that makes an idle second worth a collection. */
  minGrowth?: number;
  intervalMs?: number;
  /** Called after each collection (tests, -vv). */
  onCollect?: (freedBytes: number, ms: number) => void;
}

export interface IdleGc {
  stop(): void;
  /** Collections run so far. */
  readonly runs: number;
}

type GcFn = () => void;

/** Node's gc(), made available without `--expose-gc` on the command line. */
function gcFunction(): GcFn | undefined {
  const g = (globalThis as { gc?: GcFn }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const f = runInNewContext('gc') as unknown;
    return typeof f === 'function' ? (f as GcFn) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the watcher; `requests()` is a counter that grows with every request served. */
export function startIdleGc(requests: () => number, o: IdleGcOptions = {}): IdleGc | undefined {
  if (process.env.SWITCHYARD_IDLE_GC === '0') return undefined;
  const gc = gcFunction();
  if (!gc) return undefined;
  const minGrowth = o.minGrowth ?? 16 * 1024 * 1024;
  let lastCount = requests();
  let low = getHeapStatistics().used_heap_size;
  let runs = 0;
  const timer = setInterval(() => {
    const count = requests();
    const used = getHeapStatistics().used_heap_size;
    if (used < low) low = used;
    const idle = count === lastCount;
    lastCount = count;
    if (!idle || used - low < minGrowth) return;
    const t0 = performance.now();
    gc(); // a full, synchronous collection (V8 11's option objects do less)
    runs++;
    const after = getHeapStatistics().used_heap_size;
    low = after;
    o.onCollect?.(used - after, performance.now() - t0);
  }, o.intervalMs ?? 1000);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    get runs() {
      return runs;
    },
  };
}
