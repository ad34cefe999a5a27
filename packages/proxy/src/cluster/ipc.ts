/**
 * The one envelope of the messages between a `--workers` primary and its workers: an object whose
 * `type` names the package that handles it (`switchyard:cluster` for the node's server states and
 * runtime API changes, `switchyard:admin` for admin changes, `switchyard:state` for stick tables),
 * carried over node:cluster IPC. Each process has one listener per direction, installed at the
 * first subscription, which hands a message to the handlers of its type; messages without an
 * envelope (the workers' readiness string) go to the handlers of `RAW`.
 */
import cluster, { type Worker } from 'node:cluster';

/** A message between processes of one node: `type` says who handles it. */
export interface Envelope {
  type: string;
  [field: string]: unknown;
}

/** Handlers of messages that are not envelopes (plain strings such as the readiness signal). */
export const RAW = '';

type FromPrimary = (m: Envelope) => void;
type FromWorker = (w: Worker, m: Envelope) => void;

const inWorker = new Map<string, Set<FromPrimary>>();
const inPrimary = new Map<string, Set<FromWorker>>();
let workerListening = false;
let primaryListening = false;

function typeOf(m: unknown): string {
  if (typeof m !== 'object' || m === null) return RAW;
  const t = (m as { type?: unknown }).type;
  return typeof t === 'string' ? t : RAW;
}

function add<F>(map: Map<string, Set<F>>, type: string, f: F): () => void {
  let set = map.get(type);
  if (!set) {
    set = new Set();
    map.set(type, set);
  }
  set.add(f);
  return () => {
    map.get(type)?.delete(f);
  };
}

/** In a worker: calls `handler` with each message of `type` from the primary; returns the unsubscribe. */
export function onPrimaryMessage(type: string, handler: (m: Envelope) => void): () => void {
  if (!workerListening) {
    workerListening = true;
    process.on('message', (m: unknown) => {
      const handlers = inWorker.get(typeOf(m));
      if (handlers) for (const h of [...handlers]) h(m as Envelope);
    });
  }
  return add(inWorker, type, handler);
}

/** In the primary: calls `handler` with each message of `type` from a worker; returns the unsubscribe. */
export function onWorkerMessage(type: string, handler: (w: Worker, m: Envelope) => void): () => void {
  if (!primaryListening) {
    primaryListening = true;
    cluster.on('message', (w: Worker, m: unknown) => {
      const handlers = inPrimary.get(typeOf(m));
      if (handlers) for (const h of [...handlers]) h(w, m as Envelope);
    });
  }
  return add(inPrimary, type, handler);
}

/** In a worker: sends `m` to the primary (false when the channel is closed). */
export function sendToPrimary(m: Envelope): boolean {
  if (!process.send || !process.connected) return false;
  process.send(m);
  return true;
}

/** In the primary: sends `m` to every connected worker except `except`. */
export function sendToWorkers(m: Envelope, except?: Worker): void {
  for (const w of Object.values(cluster.workers ?? {})) {
    if (w && w !== except && w.isConnected()) w.send(m);
  }
}

const relayed = new Set<string>();
/** In the primary: forwards each message of `type` from one worker to all the others (installed once per type). */
export function relayBetweenWorkers(type: string): void {
  if (!cluster.isPrimary || relayed.has(type)) return;
  relayed.add(type);
  onWorkerMessage(type, (from, m) => sendToWorkers(m, from));
}
