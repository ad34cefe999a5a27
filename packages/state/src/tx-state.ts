/** What the state layer remembers about one request between hooks, kept on `txn.cache`. */
import type { HttpTxn, ServerState } from '@switchyard/proxy';
import type { StickTable } from './stick-table.ts';

/** Outcome of the persistence cookie in the request, in HAProxy's words (TX_CK_*). */
export type CookieStatus = 'none' | 'valid' | 'down' | 'invalid' | 'old' | 'expired' | 'unused';

/** A tracked stick counter (txn.tracked[slot]): the entry is valid while its generation holds. */
export interface TrackedRef {
  table: StickTable;
  idx: number;
  gen: number;
}

export interface TxState {
  /** The persistent server chosen by cookie or `stick match` (HAProxy's SF_DIRECT), if any. */
  direct?: ServerState;
  cookie: CookieStatus;
  /** Dates read from the client's cookie (epoch s, 0 when absent). */
  cookieLast: number;
  cookieFirst: number;
  /** `stick store-request` keys waiting for the chosen server. */
  stores: Array<{ table: StickTable; key: string }>;
}

const KEY = 'state:tx';

/** The request's state, created on first use. */
export function txState(txn: HttpTxn): TxState {
  let s = txn.cache[KEY] as TxState | undefined;
  if (!s) {
    s = { cookie: 'none', cookieLast: 0, cookieFirst: 0, stores: [] };
    txn.cache[KEY] = s;
  }
  return s;
}

/** The request's state if any hook created it. */
export function peekTxState(txn: HttpTxn): TxState | undefined {
  return txn.cache[KEY] as TxState | undefined;
}
