/**
 * @switchyard/state: stick tables, stick/track-sc rules, cookie persistence and shared state
 * (Redis). See README.md for the design and the integration points.
 */
export { activeDirectory } from './active.ts';
export { decodeCookieDate, encodeCookieDate } from './cookie-date.ts';
export { DATA_TYPES, UNSUPPORTED_TYPES } from './data-types.ts';
export { StateError, type StateErrorCode } from './errors.ts';
export { stateFetchDefs } from './fetches.ts';
export { toKey } from './keys.ts';
export { checkStateConfig, createStateLayer, type StateLayer, type StateLayerOptions } from './layer.ts';
export type { StateCompiler } from './plan.ts';
export { checkRedisUrl, redisNames } from './redis-keys.ts';
export type { ServerControl } from './redis-sync.ts';
export { StickTable } from './stick-table.ts';
export { type StoreStatus, showPeers } from './store-status.ts';
export { clearTable, setTable, showTable } from './table-commands.ts';
export { TableDirectory } from './tables.ts';
export { relayStateMessages, WORKER_MESSAGE } from './worker-sync.ts';

import type { FetchDef } from '@switchyard/proxy';
import { stateFetchDefs } from './fetches.ts';

/**
 * Registers the stick-counter fetches (`sc_http_req_rate`, `src_conn_cur`, ...) with an ACL
 * registry (`registerFetch` of @switchyard/proxy): the program does it before compiling a
 * configuration (cli/load.ts), nothing is registered by importing this package. Idempotent per
 * register function.
 */
export function registerStateFetches(register: (name: string, def: FetchDef) => void): void {
  if (registered.has(register)) return;
  registered.add(register);
  for (const [name, def] of stateFetchDefs()) register(name, def);
}
const registered = new WeakSet<object>();
