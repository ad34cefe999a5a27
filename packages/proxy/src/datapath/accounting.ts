/** Counters of a finished request (frontend, backend, server), as the stats and exporter read them. */
import { type BackendCounters, type BaseCounters, countStatus } from '../model/counters.ts';
import type { StreamCore } from './stream-core.ts';

function addTraffic(c: BaseCounters, status: number, bin: number, bout: number): void {
  c.bin += bin;
  c.bout += bout;
  if (status) countStatus(c, status);
}

function addTimes(c: BackendCounters, s: StreamCore, now: number): void {
  c.timeSamples++;
  c.ttimeSum += now - s.start;
  c.rtimeSum += s.tr;
  c.ctimeSum += Math.max(0, s.tc);
  c.qtimeSum += Math.max(0, s.tw);
}

/** Counts bytes, status and timers of `s`; the backend's current session ends here. */
export function countFinished(s: StreamCore, now: number, bin: number, bout: number): void {
  const status = s.status;
  addTraffic(s.fe.counters, status, bin, bout);
  const be = s.be;
  if (!be) return;
  be.conns--;
  be.counters.scur--;
  addTraffic(be.counters, status, bin, bout);
  const server = s.server;
  if (!server || !s.holdsSlot) return;
  addTraffic(server.counters, status, bin, bout);
  if (s.tr >= 0) {
    addTimes(be.counters, s, now);
    addTimes(server.counters, s, now);
  }
}
