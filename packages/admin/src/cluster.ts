/**
 * Admin changes under `--workers` (node:cluster): every worker holds its own runtime, and a
 * runtime API or stats page connection reaches one of them. clusterControl() makes a change made
 * in one worker reach the others: it applies it locally, sends it to the primary, which relays it
 * (relayAdminChanges) to every other worker, where it is applied with the same origin. Outside a
 * cluster worker it returns the control unchanged.
 */
import cluster from 'node:cluster';
import {
  type AdminState,
  onPrimaryMessage,
  type ProxyRuntime,
  relayBetweenWorkers,
  sendToPrimary,
} from '@switchyard/proxy';
import type { ServerControl } from './actions.ts';

const TYPE = 'switchyard:admin-change';

/** One change as sent between processes (plain data, by names). */
export interface AdminChange {
  type: typeof TYPE;
  /** pid of the worker the change was made in. */
  from: number;
  kind: 'admin' | 'weight' | 'maxconn' | 'vrrp';
  backend: string;
  server: string;
  value: string | number;
  origin: string;
}

function isChange(m: unknown): m is AdminChange {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === TYPE;
}

/**
 * In a cluster worker: a ServerControl that also tells the other workers. `runtime` returns the
 * worker's current runtime (changes from others are looked up by backend/server name in it).
 */
export function clusterControl(base: ServerControl, runtime: () => ProxyRuntime): ServerControl {
  if (!cluster.isWorker || !process.send) return base;
  const send = (c: Omit<AdminChange, 'type' | 'from'>) => sendToPrimary({ type: TYPE, from: process.pid, ...c });
  onPrimaryMessage(TYPE, (m) => {
    if (!isChange(m) || m.from === process.pid) return;
    const rt = runtime();
    if (m.kind === 'vrrp') {
      if (base.setVrrpState) base.setVrrpState(rt, m.backend, String(m.value));
      else {
        rt.vrrp.set(m.backend, String(m.value));
        rt.events.emit('vrrp-state', { instance: m.backend, state: String(m.value) });
      }
      return;
    }
    const be = rt.backends.get(m.backend);
    const s = be?.serversByName.get(m.server);
    // a worker still on another configuration (mid-reload) may not know the server: nothing to do
    if (!be || !s) return;
    try {
      if (m.kind === 'admin') base.setServerAdmin(rt, be, s, m.value as AdminState, m.origin);
      else if (m.kind === 'weight') base.setServerWeight(rt, be, s, Number(m.value), m.origin);
      else if (base.setServerMaxconn) base.setServerMaxconn(rt, be, s, Number(m.value), m.origin);
      else {
        s.maxconn = Number(m.value) === 0 ? undefined : Number(m.value);
        be.selector.update();
      }
    } catch {
      // the value was accepted by the worker that sent it; the same control cannot refuse it here
    }
  });
  return {
    setServerAdmin(rt, be, s, admin, origin) {
      base.setServerAdmin(rt, be, s, admin, origin);
      send({ kind: 'admin', backend: be.name, server: s.name, value: admin, origin });
    },
    setServerWeight(rt, be, s, weight, origin) {
      base.setServerWeight(rt, be, s, weight, origin);
      send({ kind: 'weight', backend: be.name, server: s.name, value: weight, origin });
    },
    setServerMaxconn(rt, be, s, maxconn, origin) {
      if (base.setServerMaxconn) base.setServerMaxconn(rt, be, s, maxconn, origin);
      else {
        s.maxconn = maxconn === 0 ? undefined : maxconn;
        be.selector.update();
      }
      send({ kind: 'maxconn', backend: be.name, server: s.name, value: maxconn, origin });
    },
    setVrrpState(rt, instance, state) {
      if (base.setVrrpState) base.setVrrpState(rt, instance, state);
      else {
        rt.vrrp.set(instance, state);
        rt.events.emit('vrrp-state', { instance, state });
      }
      send({ kind: 'vrrp', backend: instance, server: '', value: state, origin: 'api' });
    },
  };
}

/** In the cluster primary: relays each worker's admin changes to the other workers. */
export function relayAdminChanges(): void {
  relayBetweenWorkers(TYPE);
}
