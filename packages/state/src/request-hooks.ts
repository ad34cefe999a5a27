/**
 * The RequestHooks the datapath calls (packages/proxy/src/model/hooks.ts), implemented over
 * the compiled plan and the tables. Synchronous, no await, little allocation: a request that
 * touches no cookie/stick/track rule costs a map lookup per hook.
 */
import type { BackendRuntime, FrontendRuntime, HttpTxn, RequestHooks, ServerState } from '@switchyard/proxy';
import { cookieRequest, cookieResponse } from './cookie.ts';
import { toKey } from './keys.ts';
import type { StatePlan } from './plan.ts';
import type { StickTable } from './stick-table.ts';
import { peekTxState, type TrackedRef, txState } from './tx-state.ts';

/** The counters `track-sc` starts on an entry (HAProxy's stream_start_counters + http_req). */
const START = ['conn_cur', 'conn_cnt', 'conn_rate', 'http_req_cnt', 'http_req_rate'] as const;

/** Builds the hooks; `plan()` returns the current plan (it changes on reload). */
export function createRequestHooks(
  plan: () => StatePlan,
  now: () => number = Date.now,
  /** Called once if a request ends without byte counts while a tracked table stores bytes_*. */
  onNoBytes?: () => void,
): RequestHooks {
  let noBytesReported = false;
  return {
    trackSc(txn: HttpTxn, proxyName: string, rule: number): void {
      const r = plan().track.get(proxyName)?.get(rule);
      if (!r) return;
      const tracked = (txn.tracked ??= [undefined, undefined, undefined]);
      if (tracked[r.slot] !== undefined) return; // HAProxy ignores a second track on a busy slot
      const t = r.table;
      const key = toKey(t.spec.type, t.spec.len, r.key(txn));
      if (key === undefined) return;
      const ms = now();
      const idx = t.getOrCreate(key, ms);
      if (idx < 0) return;
      t.ref(idx);
      for (const name of START) {
        const s = t.slot(name);
        if (s) t.add(idx, s, 1, ms, false);
      }
      t.onChange?.(t, idx, false);
      const ref: TrackedRef = { table: t, idx, gen: t.gen(idx) };
      tracked[r.slot] = ref;
    },

    persistentServer(txn: HttpTxn, backend: BackendRuntime): ServerState | undefined {
      const bp = plan().backends.get(backend.name);
      if (!bp) return undefined;
      const tx = txState(txn);
      const ms = now();
      if (bp.cookie) cookieRequest(bp.cookie, txn, tx, bp.persist, Math.floor(ms / 1000));
      for (const r of bp.stick) {
        if (!r.key || (r.cond && !r.cond(txn))) continue;
        const t = r.table;
        const key = toKey(t.spec.type, t.spec.len, r.key(txn));
        if (key === undefined) continue;
        if (r.match) {
          const idx = t.lookup(key, ms);
          if (idx >= 0) {
            if (!tx.direct) {
              const sid = t.slot('server_id');
              const srv = sid ? bp.byId.get(t.read(idx, sid, ms)) : undefined;
              if (srv && srv.admin !== 'MAINT' && (srv.op === 'UP' || bp.persist)) tx.direct = srv;
            }
            t.touch(idx, ms);
            t.onChange?.(t, idx, true);
          }
        }
        if (r.store) tx.stores.push({ table: t, key });
      }
      return tx.direct;
    },

    serverChosen(txn: HttpTxn, _backend: BackendRuntime, server: ServerState): void {
      const tx = peekTxState(txn);
      if (!tx) return;
      // redispatched after a failure: the request is no longer direct
      if (tx.direct && tx.direct !== server) tx.direct = undefined;
      if (tx.stores.length > 0) storeServer(tx.stores, server, now());
    },

    wantsResponseHeaders(backend: BackendRuntime): boolean {
      const bp = plan().backends.get(backend.name);
      return bp !== undefined && (bp.cookie !== undefined || bp.hasStoreResponse);
    },

    responseHeaders(txn, backend, server, status, headers): void {
      const bp = plan().backends.get(backend.name);
      if (!bp) return;
      const tx = txState(txn);
      const ms = now();
      if (bp.cookie) cookieResponse(bp.cookie, tx, txn.method, status, server, headers, Math.floor(ms / 1000));
      if (!bp.hasStoreResponse) return;
      const stores: Array<{ table: StickTable; key: string }> = [];
      for (const r of bp.stick) {
        if (!r.resKey || (r.cond && !r.cond(txn))) continue;
        const key = toKey(r.table.spec.type, r.table.spec.len, r.resKey(headers));
        if (key !== undefined) stores.push({ table: r.table, key });
      }
      if (stores.length > 0) storeServer(stores, server, ms);
    },

    requestEnded(txn: HttpTxn, _frontend: FrontendRuntime, status: number, bytesIn?: number, bytesOut?: number): void {
      const tracked = txn.tracked;
      if (!tracked) return;
      const ms = now();
      for (let i = 0; i < tracked.length; i++) {
        const ref = tracked[i] as TrackedRef | undefined;
        if (!ref) continue;
        tracked[i] = undefined;
        const t = ref.table;
        if (!t.isLive(ref.idx, ref.gen)) continue;
        if (status >= 400 && status < 500) {
          addIf(t, ref.idx, 'http_err_cnt', ms);
          addIf(t, ref.idx, 'http_err_rate', ms);
        } else if (status >= 500 && status !== 501 && status !== 505) {
          addIf(t, ref.idx, 'http_fail_cnt', ms);
          addIf(t, ref.idx, 'http_fail_rate', ms);
        }
        if (bytesIn !== undefined && bytesOut !== undefined) {
          addIf(t, ref.idx, 'bytes_in_cnt', ms, bytesIn);
          addIf(t, ref.idx, 'bytes_in_rate', ms, bytesIn);
          addIf(t, ref.idx, 'bytes_out_cnt', ms, bytesOut);
          addIf(t, ref.idx, 'bytes_out_rate', ms, bytesOut);
        } else if (
          !noBytesReported &&
          (t.slot('bytes_in_cnt') || t.slot('bytes_in_rate') || t.slot('bytes_out_cnt') || t.slot('bytes_out_rate'))
        ) {
          noBytesReported = true;
          onNoBytes?.();
        }
        const cur = t.slot('conn_cur');
        if (cur) t.add(ref.idx, cur, -1, ms, false);
        t.unref(ref.idx);
        t.touch(ref.idx, ms);
        t.onChange?.(t, ref.idx, false);
      }
    },
  };
}

function addIf(t: StickTable, idx: number, name: string, ms: number, n = 1): void {
  const s = t.slot(name);
  if (s) t.add(idx, s, n, ms, false);
}

/** Stores the chosen server's id under each key (HAProxy's process_store_rules). */
function storeServer(stores: Array<{ table: StickTable; key: string }>, server: ServerState, ms: number): void {
  for (const { table, key } of stores) {
    const idx = table.getOrCreate(key, ms);
    if (idx < 0) continue;
    const sid = table.slot('server_id');
    if (!sid) continue;
    // unchanged: only the use time moves (cheap to replicate); changed: a last-writer-wins write
    if (table.read(idx, sid, ms) === server.id) table.onChange?.(table, idx, true);
    else table.set(idx, sid, server.id, ms);
  }
}
