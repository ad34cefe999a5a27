/**
 * Switchyard's metrics of the shared state store (`redis-url`): whether it is usable, its
 * outages and write errors, resyncs, the other nodes heard from. Nothing without a store.
 */
import type { StoreStatus } from '@switchyard/state';
import { type CustomMetric, metric } from './samples.ts';

const STATES = ['up', 'degraded', 'down'] as const;
/** Other nodes heard from within this long count as active (they refresh every second). */
const ACTIVE_MS = 5000;

/** The store metrics over `store()` (read at scrape time). */
export function storeMetrics(store: () => StoreStatus | undefined): CustomMetric[] {
  const each = (fn: (s: StoreStatus, labels: { cluster: string; kind: string }) => void) => () => {
    const s = store();
    if (s) fn(s, { cluster: s.cluster, kind: s.kind });
  };
  const gauge = (name: string, help: string, collect: (o: Parameters<Parameters<typeof metric>[1]>[0]) => void) =>
    metric(name, collect, { type: 'gauge', help: `Switchyard: ${help}` });
  const counter = (name: string, help: string, collect: (o: Parameters<Parameters<typeof metric>[1]>[0]) => void) =>
    metric(name, collect, { type: 'counter', help: `Switchyard: ${help}` });
  return [
    gauge(
      'switchyard_store_state',
      'state of the shared state store, 1 for the current one (up: connected and writing; degraded: connected, writes failing; down)',
      (o) =>
        each((s, l) => {
          for (const st of STATES) o.add(st === s.state ? 1 : 0, { ...l, state: st });
        })(),
    ),
    counter(
      'switchyard_store_outages_total',
      'times the shared state store became unreachable or started failing',
      (o) => each((s, l) => o.add(s.outages, l))(),
    ),
    counter('switchyard_store_write_errors_total', 'failed writes to the shared state store', (o) =>
      each((s, l) => o.add(s.sync.writeErrors, l))(),
    ),
    counter(
      'switchyard_store_resyncs_total',
      'full synchronisations with the shared state store (start, reconnects, failovers)',
      (o) => each((s, l) => o.add(s.sync.resyncs, l))(),
    ),
    gauge(
      'switchyard_store_last_sync_seconds',
      'seconds since the last full synchronisation with the store (-1: none yet)',
      (o) => each((s, l) => o.add(s.lastSync > 0 ? (Date.now() - s.lastSync) / 1000 : -1, l))(),
    ),
    gauge('switchyard_store_peers', 'other nodes of the cluster heard from in the last 5 seconds', (o) =>
      each((s, l) => o.add(s.peers.filter((p) => p.lastSeenMs < ACTIVE_MS).length, l))(),
    ),
  ];
}
