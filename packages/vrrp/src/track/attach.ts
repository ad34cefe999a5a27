/**
 * One call for the sidecar's entry point: trackers drive the sidecar's priorities and FAULT, notify
 * scripts follow its state changes. Call it after building the Sidecar and before `sidecar.start()`
 * so a tracker failing at startup puts the instance in FAULT from the first moment.
 */
import type { KeepalivedConf } from '../conf/model.ts';
import type { NotifyFifos } from '../notify/fifo.ts';
import { Notifier, type NotifySource } from '../notify/notifier.ts';
import { startTracking, type Tracking, type TrackingOptions, type TrackTarget } from './tracking.ts';

/** What attachTracking returns: both parts, and one stop for shutdown. */
export interface Attached {
  tracking: Tracking;
  notifier: Notifier;
  /** Stops the probes; then waits for running notify scripts (call after sidecar.stop()). */
  stop(): Promise<void>;
}

/** Starts the trackers of `conf` on `sidecar` and subscribes the notify scripts to it. */
export async function attachTracking(
  conf: KeepalivedConf,
  sidecar: TrackTarget & NotifySource,
  opts: TrackingOptions & { notifyKillAfterMs?: number; fifo?: NotifyFifos } = {},
): Promise<Attached> {
  const notifier = new Notifier(conf, { log: opts.log, killAfterMs: opts.notifyKillAfterMs, fifo: opts.fifo }).attach(
    sidecar,
  );
  const tracking = await startTracking(conf, sidecar, opts);
  return {
    tracking,
    notifier,
    async stop() {
      await tracking.stop();
      await notifier.drain();
    },
  };
}
